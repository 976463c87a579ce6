"""Stories about SASL logins: the JAAS file that lists users, and a DIGEST-MD5 exchange.

The server mechanism is driven by pure-sasl's client mechanism (what kazoo uses) without
sockets. Expected values were checked against Apache ZooKeeper 3.8.0 on Java 17: the two
transcripts below were captured on the wire from a real server (kazoo 2.11 + pure-sasl 0.6.2,
and ZooKeeper's own Java client), and the JAAS and DIGEST-MD5 edge cases were compared with the
JDK's ``ConfigFile`` and ``DigestMD5Server`` behind ZooKeeper's ``SaslServerCallbackHandler``.
"""

from __future__ import annotations

import hashlib
import logging
import re
from pathlib import Path

import pytest

from jute.records import Id
from zkcompat.constants import Err
from zkcompat.sasl import (
    DIGEST_REALM,
    DigestMd5Server,
    JaasConfigError,
    SaslConfig,
    SaslFailed,
    canonical_authorization_id,
    load_jaas,
    load_jaas_users,
    new_nonce,
    parse_directives,
    parse_jaas,
    sasl_config_from_properties,
    server_section,
)

puresasl_client = pytest.importorskip("puresasl.client")

USERS = {"super": "adminsecret", "bob": "bobsecret"}
FIXED_NONCE = b"dpZXEfTkGkvsuGYWO/eLWorm3Elt6M1XzdV9JtAk"
MODULE = "org.apache.zookeeper.server.auth.DigestLoginModule"


def pure_sasl(username: str, password: str):
    """pure-sasl's client as kazoo sets it up for DIGEST-MD5 (host hard-wired by ZooKeeper)."""
    return puresasl_client.SASLClient(
        host=DIGEST_REALM,
        service="zookeeper",
        mechanism="DIGEST-MD5",
        username=username,
        password=password,
    )


def first_tokens(server: DigestMd5Server, client) -> bytes:
    """Run the exchange up to the client's digest-response, as kazoo does, and return it."""
    initial = client.process(None)  # DIGEST-MD5 has no initial response: kazoo sends b""
    assert initial is None
    challenge, done = server.step(b"")
    assert not done
    return client.process(challenge)


def digest_response(
    nonce: bytes,
    *,
    username: str = "bob",
    password: str = "bobsecret",
    authzid: bytes | None = None,
    extra: bytes = b"",
    cnonce: bytes = b"OA6MHXh6VqTrRk",
) -> bytes:
    """A digest-response like the JDK client's (RFC 2831 2.1.2, without maxbuf), computed
    apart from zkcompat: username, realm and password are hashed as ISO 8859-1 if they fit."""

    def encode(text: str) -> bytes:
        try:
            return text.encode("latin-1")
        except UnicodeEncodeError:
            return text.encode("utf-8")

    def hex_md5(data: bytes) -> bytes:
        return hashlib.md5(data).hexdigest().encode()

    uri = b"zookeeper/zk-sasl-md5"
    secret = hashlib.md5(encode(username) + b":zk-sasl-md5:" + encode(password)).digest()
    a1 = secret + b":" + nonce + b":" + cnonce + (b":" + authzid if authzid is not None else b"")
    kd = b":".join(
        (hex_md5(a1), nonce, b"00000001", cnonce, b"auth", hex_md5(b"AUTHENTICATE:" + uri))
    )
    token = (
        b'charset=utf-8,username="' + username.encode() + b'",realm="zk-sasl-md5",nonce="'
        + nonce + b'",nc=00000001,cnonce="' + cnonce + b'",digest-uri="' + uri
        + b'",response=' + hex_md5(kd) + b",qop=auth"
    )  # fmt: skip
    if authzid is not None:
        token += b',authzid="' + authzid + b'"'
    return token + extra


# --- a DIGEST-MD5 login, as kazoo makes it -----------------------------------------------------


def test_bob_logs_in_and_gets_the_sasl_identity() -> None:
    server = DigestMd5Server(USERS)
    client = pure_sasl("bob", "bobsecret")

    response = first_tokens(server, client)
    rspauth, done = server.step(response)

    assert done and server.complete
    assert rspauth.startswith(b"rspauth=")
    assert client.process(rspauth) is None  # pure-sasl checks the server's proof here
    assert client.complete
    assert server.authentication_id == "bob"
    assert server.authorization_id == "bob"
    assert server.identity == Id("sasl", "bob")


def test_the_challenge_has_the_shape_zookeeper_sends() -> None:
    challenge, done = DigestMd5Server(USERS).step(b"")

    assert not done
    assert re.fullmatch(
        rb'realm="zk-sasl-md5",nonce="[A-Za-z0-9+/]{40}",charset=utf-8,algorithm=md5-sess',
        challenge,
    )
    assert len(new_nonce()) == 40 and new_nonce() != new_nonce()


def test_a_wrong_password_fails() -> None:
    server = DigestMd5Server(USERS)
    response = first_tokens(server, pure_sasl("bob", "not-bobs"))

    with pytest.raises(SaslFailed) as failure:
        server.step(response)

    assert failure.value.code is Err.AuthFailed
    assert failure.value.reply  # ZooKeeper answers AuthFailed, then closes
    assert not server.complete
    with pytest.raises(RuntimeError):
        server.authorization_id  # noqa: B018 - the property is the thing under test


def test_an_unknown_user_fails_even_with_a_known_users_password() -> None:
    # ZooKeeper 3.8 itself lets "eve" in with bob's password once bob has tried on the same
    # server (its callback handler keeps the last name it found); zkcompat does not.
    first = DigestMd5Server(USERS)
    first.step(first_tokens(first, pure_sasl("bob", "bobsecret")))
    server = DigestMd5Server(USERS)
    response = first_tokens(server, pure_sasl("eve", "bobsecret"))

    with pytest.raises(SaslFailed, match="cannot acquire password for 'eve'"):
        server.step(response)


@pytest.mark.parametrize(
    ("original", "tampered"),
    [
        (rb"response=[0-9a-f]", b"response=0"),  # the proof itself
        (rb'username="bob"', b'username="super"'),  # someone else's name on bob's proof
        (rb'cnonce="', b'cnonce="x'),  # a different client nonce than the one hashed
        (rb'nonce="d', b'nonce="X'),  # not the nonce this server issued
        (rb'digest-uri="zookeeper/', b'digest-uri="ldap/'),
        (rb'realm="zk-sasl-md5"', b'realm="elsewhere"'),
        (rb"qop=auth", b"qop=auth-conf"),
    ],
)
def test_a_tampered_response_fails(original: bytes, tampered: bytes) -> None:
    server = DigestMd5Server(USERS, nonce_factory=lambda: FIXED_NONCE)
    response = first_tokens(server, pure_sasl("bob", "bobsecret"))
    changed = re.sub(original, tampered, response, count=1)
    assert changed != response

    with pytest.raises(SaslFailed):
        server.step(changed)


def test_the_exchange_is_over_after_success_or_failure() -> None:
    server = DigestMd5Server(USERS)
    server.step(first_tokens(server, pure_sasl("bob", "bobsecret")))
    with pytest.raises(SaslFailed, match="illegal state"):
        server.step(b"")  # ZooKeeper: AuthFailed and close, even after a success

    failed = DigestMd5Server(USERS)
    response = first_tokens(failed, pure_sasl("bob", "nope"))
    with pytest.raises(SaslFailed):
        failed.step(response)
    with pytest.raises(SaslFailed, match="illegal state"):
        failed.step(response)


def test_a_token_longer_than_the_jdk_takes_fails_at_any_step() -> None:
    with pytest.raises(SaslFailed, match="length"):
        DigestMd5Server(USERS).step(b"x" * 4097)


# --- byte for byte what Apache ZooKeeper 3.8 sent ----------------------------------------------


def test_kazoo_transcript_from_apache_zookeeper() -> None:
    server = DigestMd5Server(USERS, nonce_factory=lambda: FIXED_NONCE)

    challenge, _ = server.step(b"")
    rspauth, done = server.step(
        b'qop=auth,realm="zk-sasl-md5",username="bob",nonce="dpZXEfTkGkvsuGYWO/eLWorm3Elt6M1Xz'
        b'dV9JtAk",cnonce="8829518325523112",nc=00000001,digest-uri="zookeeper/zk-sasl-md5",'
        b"response=19bfabc25718553d1ef0500dc92c3df8"
    )

    assert challenge == (
        b'realm="zk-sasl-md5",nonce="dpZXEfTkGkvsuGYWO/eLWorm3Elt6M1XzdV9JtAk",'
        b"charset=utf-8,algorithm=md5-sess"
    )
    assert (rspauth, done) == (b"rspauth=bcd98f18289c5018a5ee543d901404ba", True)


def test_java_client_transcript_from_apache_zookeeper() -> None:
    nonce = b"eNMHH346JaiCALXb//3eQIl6d7nt6vverBzZkJP7"
    server = DigestMd5Server(USERS, nonce_factory=lambda: nonce)
    server.step(b"")

    rspauth, done = server.step(
        b'charset=utf-8,username="bob",realm="zk-sasl-md5",nonce="eNMHH346JaiCALXb//3eQIl6d7nt6'
        b'vverBzZkJP7",nc=00000001,cnonce="+YCTyhewaJCj+5U76V5KA/TIlof2OtisQ7zESyjL",digest-uri='
        b'"zookeeper/zk-sasl-md5",maxbuf=65536,response=bf78fc46d59bf7a267b9d2d23c9e81e9,qop=auth'
        b',authzid="bob"'
    )

    assert (rspauth, done) == (b"rspauth=2ea5a0daa7f32ea055db6ce217be764d", True)
    assert server.identity == Id("sasl", "bob")


# --- what a login is authorized as ---------------------------------------------------------------


def login(users: dict[str, str], **kwargs) -> DigestMd5Server:
    server = DigestMd5Server(users, nonce_factory=lambda: FIXED_NONCE)
    server.step(b"")
    server.step(digest_response(FIXED_NONCE, **kwargs))
    return server


def test_the_requested_authzid_is_ignored_for_a_plain_name() -> None:
    server = login(USERS, authzid=b"alice")

    assert server.identity == Id("sasl", "bob")


def test_names_are_hashed_as_latin1_when_they_fit() -> None:
    users = {"bøb": "pässword", "日本": "パス"}

    assert login(users, username="bøb", password="pässword").authorization_id == "bøb"
    assert login(users, username="日本", password="パス").authorization_id == "日本"

    # pure-sasl hashes UTF-8 bytes, so it cannot log in as "bøb" (nor against ZooKeeper).
    server = DigestMd5Server(users)
    with pytest.raises(SaslFailed):
        server.step(first_tokens(server, pure_sasl("bøb", "pässword")))


@pytest.mark.parametrize(
    ("name", "requested", "options", "expected"),
    [
        ("bob", "alice", {}, "bob"),
        ("svc/host", "svc/host", {}, "svc/host"),  # no '@': not a principal, kept whole
        ("bob@", "zed", {}, "bob@"),  # realm "" is the JVM's default realm without krb5.conf
        ("svc/host@", "svc/host@", {}, "svc/host@"),
        ("svc/host@", "svc/host@", {"remove_host": True}, "svc@"),
        ("svc/host@", "svc/host@", {"remove_realm": True}, "svc/host"),
        ("bob@EXAMPLE.COM", "bob@EXAMPLE.COM", {}, "bob@EXAMPLE.COM"),  # no rule applies
        ("bob@EXAMPLE.COM", "zed", {}, "zed"),  # ... so the requested authzid is kept
        ("bob@EXAMPLE.COM", "x", {"default_realm": "EXAMPLE.COM"}, "bob@EXAMPLE.COM"),
    ],
)
def test_authorization_id_follows_zookeepers_kerberos_name_rules(
    name: str, requested: str, options: dict[str, object], expected: str
) -> None:
    assert canonical_authorization_id(name, requested, **options) == expected


def test_a_malformed_principal_drops_the_connection_without_a_reply() -> None:
    with pytest.raises(SaslFailed) as failure:
        login({"a@b@c": "pw"}, username="a@b@c", password="pw")

    assert not failure.value.reply


@pytest.mark.parametrize(
    ("extra", "reply"),
    [
        (b",maxbuf=abc", False),  # NumberFormatException in the JDK: no reply
        (b",nonce-count=zz", False),
        (b",nonce-count=2", True),
        (b",charset=UTF-8", True),  # only "utf-8" exactly
        (b',username="bob"', True),  # a directive twice
        (b',authzid="x"x', True),  # junk after a quoted value
    ],
)
def test_malformed_directives_fail_as_the_jdk_fails(extra: bytes, reply: bool) -> None:
    server = DigestMd5Server(USERS, nonce_factory=lambda: FIXED_NONCE)
    server.step(b"")

    with pytest.raises(SaslFailed) as failure:
        server.step(digest_response(FIXED_NONCE, extra=extra))

    assert failure.value.reply is reply


@pytest.mark.parametrize(
    "extra", [b",nonce-count=1", b",nc=zz", b",maxbuf=-5", b",foo=bar", b",,", b"  ,\t"]
)
def test_what_the_jdk_tolerates_is_tolerated(extra: bytes) -> None:
    # "nc" (what clients send) is no directive the JDK knows: it is ignored, like "foo".
    assert login(USERS, extra=extra).authorization_id == "bob"


def test_directives_parse_like_the_jdk() -> None:
    assert parse_directives(b' USERNAME = "b\\ob" , realm="r,1",, qop=auth ') == {
        "username": b"bob",
        "realm": b"r,1",
        "qop": b"auth",
    }
    assert parse_directives(b"username") == {"username": b""}
    for bad in (b"username=", b'username="bob', b"=x", b"user name=x"):
        with pytest.raises(SaslFailed):
            parse_directives(bad)


# --- the JAAS file -------------------------------------------------------------------------------


def test_users_come_from_user_options_of_the_server_section(tmp_path: Path) -> None:
    path = tmp_path / "jaas.conf"
    path.write_text(
        "/* written by an operator */\n"
        "Server {\n"
        f"    {MODULE} required\n"
        '    user_super="adminsecret"   // the super user\n'
        '    user_bob="bobsecret";\n'
        "};\n"
        "Client {\n"
        f'    {MODULE} required username="bob" password="bobsecret";\n'
        "};\n"
    )

    assert load_jaas_users(path) == {"super": "adminsecret", "bob": "bobsecret"}
    assert load_jaas_users(path, "Client") == {}


def test_every_module_of_the_section_counts_and_later_ones_win() -> None:
    sections = parse_jaas(
        f'Server {{ {MODULE} required user_bob="a" user_bob="b" ignored="x";\n'
        f'  {MODULE} OPTIONAL user_carol="c"; }};\n'
        f'Server2 {{ "{MODULE}" "sufficient" "user_x@EX.COM"=secret-1.0; }};'
    )

    server = sections["Server"]
    assert [(entry.flag, entry.line) for entry in server] == [("required", 1), ("optional", 2)]
    assert dict(server[0].options) == {"user_bob": "b", "ignored": "x"}
    assert dict(sections["Server2"][0].options) == {"user_x@EX.COM": "secret-1.0"}


def test_quoted_values_take_java_escapes_and_properties_expand() -> None:
    text = (
        "Server { m required "
        r'user_a="q\"b\\s\t\101" user_b="${user.home}${/}pw" user_c="${{kept}}" user_d=""; };'
    )

    options = parse_jaas(text, properties={"user.home": "/home/zk"})["Server"][0].options

    assert dict(options) == {
        "user_a": 'q"b\\s\tA',
        "user_b": "/home/zk/pw",
        "user_c": "${{kept}}",
        "user_d": "",
    }


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ("Server {\n m required\n user_bob=12345;\n};", 3, "expected [option value], found [12345"),
        ("Server {\n m required user_bob='pw';\n};", 2, "single quotes are not allowed"),
        (
            'Server {\n m required user_bob="a" user_c="b"\n};',
            3,
            "expected [option key], found [}]",
        ),
        ('Server {\n m required user_bob="a", user_c="b";\n};', 2, "found [,]"),
        ('Server {\n m required user_bob "a";\n};', 2, 'expected [=], found ["a"]'),
        ("Server {\n m mandatory;\n};", 2, "invalid control flag, MANDATORY"),
        ("Server { m required; };\nServer { m required; };", 2, "multiple entries for Server"),
        ("Server { m required; }", 1, "expected [;], found [end of file]"),
        ('Server { m required user_bob="${nope}"; };', 1, "unable to expand property nope"),
        ("/*\n\n*/ Server {\n m required user_bob=-x;\n};", 4, "found [-]"),
    ],
)
def test_a_malformed_jaas_file_is_refused_with_its_line(text: str, line: int, problem: str) -> None:
    with pytest.raises(JaasConfigError) as error:
        parse_jaas(text, source="jaas.conf")

    assert error.value.line == line
    assert problem in error.value.problem
    assert f"jaas.conf, line {line}" in str(error.value)


def test_an_unterminated_quote_ends_at_the_line_end_as_in_the_jvm(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="zkcompat.sasl"):
        sections = parse_jaas('Server { m required user_bob="pw\n; };')

    assert dict(sections["Server"][0].options) == {"user_bob": "pw"}
    assert "not closed" in caplog.text


def test_missing_file_and_missing_or_empty_section_are_errors(tmp_path: Path) -> None:
    with pytest.raises(JaasConfigError, match="no such file"):
        load_jaas(tmp_path / "absent.conf")

    path = tmp_path / "jaas.conf"
    path.write_text('Client { m required username="bob"; };\nServer { };\n')
    with pytest.raises(JaasConfigError, match="no section named 'Server'"):
        load_jaas_users(path)
    with pytest.raises(JaasConfigError, match="no section named 'Other'"):
        load_jaas_users(path, "Other")


# --- from system properties to a running configuration -----------------------------------------


def test_system_properties_choose_the_file_section_and_super_users(tmp_path: Path) -> None:
    path = tmp_path / "jaas.conf"
    path.write_text(
        f'ZkServer {{ {MODULE} required user_bob="bobsecret" user_super="fromfile"; }};'
    )
    properties = {
        "java.security.auth.login.config": str(path),
        "zookeeper.sasl.serverconfig": "ZkServer",
        "zookeeper.SASLAuthenticationProvider.superPassword": "fromproperty",
        "zookeeper.superUser": "bob",
        "zookeeper.superUserX": "notme",  # only "zookeeper.superUser" and ".<suffix>" count
    }

    config = sasl_config_from_properties(properties)

    assert server_section(properties) == "ZkServer"
    assert config is not None
    assert config.super_users == frozenset({"bob"})
    assert config.identities("bob") == (Id("sasl", "bob"), Id("super", ""))
    assert config.identities("carol") == (Id("sasl", "carol"),)
    server = config.new_server(nonce_factory=lambda: FIXED_NONCE)
    server.step(b"")
    server.step(digest_response(FIXED_NONCE, username="super", password="fromproperty"))
    assert server.authorization_id == "super"


def test_sasl_is_off_without_a_file_or_without_the_section(tmp_path: Path) -> None:
    assert sasl_config_from_properties({}) is None
    path = tmp_path / "jaas.conf"
    path.write_text(f'Client {{ {MODULE} required username="bob"; }};')
    assert sasl_config_from_properties({"java.security.auth.login.config": str(path)}) is None

    # ...but a file that is missing or malformed stops ZooKeeper from starting.
    with pytest.raises(JaasConfigError):
        sasl_config_from_properties({"java.security.auth.login.config": str(tmp_path / "x")})


def test_sasl_config_defaults() -> None:
    config = SaslConfig(users={"bob": "bobsecret"})

    assert config.section == "Server"
    assert config.identities("") == (Id("sasl", ""),)
