"""Stories about identities and ACLs: who a session becomes, and what it may then do.

Expected values were checked against Apache ZooKeeper's own classes (the 3.8.0 jar's
``DigestAuthenticationProvider``, ``IPAuthenticationProvider``, ``PrepRequestProcessor
.fixupACL``, ``AuthUtil.getClientInfos`` and a ``ConcurrentHashMap``-backed set of ``Id``; IPv6
against 3.9.5's ``IPAuthenticationProvider``).
"""

from __future__ import annotations

import logging

import pytest

from jute.records import ACL, ClientInfo, Id
from zkcompat.acl import (
    CREATOR_ALL_ACL,
    DEFAULT_PROVIDERS,
    OPEN_ACL_UNSAFE,
    READ_ACL_UNSAFE,
    SUPER_ID,
    AuthFailed,
    AuthInfo,
    DigestProvider,
    InvalidACL,
    IpProvider,
    authenticate,
    check_acl,
    client_info,
    digest,
    fixup_acl,
    ip_identity,
    is_valid_id,
    redact_acl,
)
from zkcompat.constants import Err, Perms

SUPER_DIGEST = "super:D/InIHSb7yEEbrWz8b9l71RjZJU="
ALICE = Id("digest", "alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=")  # alice:secret
BOB = Id("digest", "bob:ikIaKsbtGweaHnb/jKn7OHqbunM=")  # bob:pw
LOCAL = Id("ip", "127.0.0.1")

READ, WRITE, CREATE, DELETE, ADMIN, ALL = (
    int(Perms.READ),
    int(Perms.WRITE),
    int(Perms.CREATE),
    int(Perms.DELETE),
    int(Perms.ADMIN),
    int(Perms.ALL),
)


# --- digests and authentication ---------------------------------------------------------------


def test_the_well_known_super_digest() -> None:
    assert digest("super:test") == SUPER_DIGEST


@pytest.mark.parametrize(
    ("credentials", "expected"),
    [
        ("alice:secret", ALICE.id),
        ("bob:pw", BOB.id),
        # The whole string is hashed; the user is what precedes the first colon.
        ("a:b:c", "a:cLzgnoJ6mP5qz3w+mwvPE2vDgu0="),
        ("user", "user:Et6pb+wgWTVmq3VpLJlJWWgzrck="),
        ("", ":2jmj7l5rSw0yVb/vlWAYkK/YBwk="),
        ("é:ü", "é:Ztqg8TrMmzkSFpOaDBO87lu10+c="),
    ],
)
def test_digest_matches_zookeepers_generate_digest(credentials: str, expected: str) -> None:
    assert digest(credentials) == expected


def test_digest_auth_gives_the_session_its_digest_identity() -> None:
    ids = authenticate("digest", b"alice:secret", SUPER_DIGEST, remote_address="127.0.0.1")
    assert ids == [ALICE]


def test_the_super_password_also_grants_the_super_identity_first() -> None:
    ids = authenticate("digest", b"super:test", SUPER_DIGEST, remote_address="127.0.0.1")
    assert ids == [SUPER_ID, Id("digest", SUPER_DIGEST)]


def test_without_a_configured_super_digest_super_is_an_ordinary_user() -> None:
    ids = authenticate("digest", b"super:test", None, remote_address="127.0.0.1")
    assert ids == [Id("digest", SUPER_DIGEST)]


def test_any_digest_credentials_authenticate_even_a_wrong_password() -> None:
    # ZooKeeper never refuses digest auth: a wrong password is just another identity.
    ids = authenticate("digest", b"alice:wrong", SUPER_DIGEST, remote_address="127.0.0.1")
    assert ids == [Id("digest", "alice:9ussi3jBkbd4no1raUvxHSkUEN8=")]


def test_malformed_utf8_credentials_hash_their_replacement_characters() -> None:
    ids = authenticate("digest", b"u:\xff", None, remote_address="127.0.0.1")
    assert ids == [Id("digest", "u:NP+S9gihaPOxs49p+sWDO0/R0ac=")]  # the digest of "u:\ufffd"


def test_digest_auth_without_a_buffer_fails() -> None:
    with pytest.raises(AuthFailed):
        authenticate("digest", None, None, remote_address="127.0.0.1")


def test_ip_auth_adds_the_peer_address_whatever_the_bytes() -> None:
    assert authenticate("ip", b"ignored", None, remote_address="10.1.2.3") == [Id("ip", "10.1.2.3")]
    assert authenticate("ip", None, None, remote_address="::1") == [Id("ip", "0:0:0:0:0:0:0:1")]


@pytest.mark.parametrize("scheme", ["world", "auth", "super", "sasl", "x509", "kerberos", "", None])
def test_a_scheme_without_a_provider_fails_and_is_logged(
    scheme: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="zkcompat.acl"), pytest.raises(AuthFailed) as e:
        authenticate(scheme, b"anyone", SUPER_DIGEST, remote_address="127.0.0.1")
    assert e.value.code is Err.AuthFailed
    assert "No authentication provider for scheme" in caplog.text


def test_a_registry_without_digest_refuses_digest_auth() -> None:
    only_ip = {"ip": IpProvider()}
    with pytest.raises(AuthFailed):
        authenticate("digest", b"a:b", None, remote_address="127.0.0.1", providers=only_ip)


# --- ip identities and matching ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("peer", "identity"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("::1", "0:0:0:0:0:0:0:1"),
        ("2001:db8::1", "2001:db8:0:0:0:0:0:1"),
        ("::ffff:10.1.2.3", "10.1.2.3"),  # a v4 client on a dual-stack socket
        ("::1.2.3.4", "0:0:0:0:0:0:102:304"),
    ],
)
def test_ip_identity_is_spelled_as_java_spells_the_address(peer: str, identity: str) -> None:
    assert ip_identity(peer) == Id("ip", identity)


@pytest.mark.parametrize(
    ("peer", "acl_id", "matches"),
    [
        ("127.0.0.1", "127.0.0.1", True),
        ("127.0.0.2", "127.0.0.1", False),
        ("10.1.2.3", "10.0.0.0/8", True),
        ("11.1.2.3", "10.0.0.0/8", False),
        ("10.1.2.3", "10.1.0.0/16", True),
        ("10.2.2.3", "10.1.0.0/16", False),
        ("192.168.1.77", "192.168.1.0/24", True),
        ("192.168.1.77", "192.168.1.64/26", True),
        ("192.168.1.77", "192.168.1.128/26", False),
        ("8.8.8.8", "0.0.0.0/0", True),
        ("10.1.2.3", "10.9.9.9/8", True),  # host bits of the ACL are masked away
        ("10.1.2.3", "10.0.0.0/33", False),  # too many bits: never matches
        ("10.1.2.3", "10.0.0.0/", False),
        ("10.1.2.3", "10.0.0.0/+8", True),  # Java's parseInt takes a plus sign
        ("10.1.2.3", "010.1.2.3", True),  # and leading zeros
        ("0:0:0:0:0:0:0:1", "::1", True),
        ("0:0:0:0:0:0:0:1", "::1/128", True),
        ("fe80:0:0:0:1:2:3:4", "fe80::/10", True),
        ("2001:db8:ffff:0:0:0:0:1", "2001:db8::/32", True),
        ("2001:db8:ffff:0:0:0:0:1", "2001:db8::/48", False),
        ("0:0:0:0:0:0:0:1", "::/0", True),
        ("127.0.0.1", "::/0", False),  # an IPv4 peer never matches an IPv6 ACL
        ("0:0:0:0:0:0:0:1", "0.0.0.0/0", False),
    ],
)
def test_ip_matching_by_address_and_cidr(peer: str, acl_id: str, matches: bool) -> None:
    assert IpProvider().matches(peer, acl_id) is matches


@pytest.mark.parametrize(
    ("acl_id", "valid"),
    [
        ("10.0.0.1", True),
        ("10.0.0.0/8", True),
        ("10.0.0.0/0", True),
        ("10.0.0.0/32", True),
        ("10.0.0.0/33", False),
        ("10.0.0.0/-1", False),
        ("10.0.0.0/-0", True),
        ("10.0.0.0/", False),
        ("10.0.0.0/ 8", False),
        ("256.0.0.1", False),
        ("10.0.0", False),
        ("10.0.0.1.2", False),
        ("1_0.0.0.1", False),  # Python's int() would take this; Java's parseInt does not
        ("localhost", False),
        ("", False),
        ("::1", True),
        ("::", True),
        ("1:2:3:4:5:6:7:8", True),
        ("1:2:3:4:5:6:7:8/128", True),
        ("1:2:3:4:5:6:7:8/129", False),
        ("1:2:3:4:5:6:7", False),
        ("1:2:3:4:5:6:7:8::", False),
        ("1::2::3", False),
        ("::ffff:1.2.3.4", False),  # dotted IPv4 inside IPv6 is not understood
        ("12345::", False),
        ("g::", False),
    ],
)
def test_ip_acl_ids_valid_as_zookeeper_validates_them(acl_id: str, valid: bool) -> None:
    assert IpProvider().is_valid(acl_id) is valid
    assert is_valid_id("ip", acl_id) is valid


def test_before_3_9_4_zookeeper_knew_no_ipv6() -> None:
    v4_only = IpProvider(ipv6=False)
    assert not v4_only.is_valid("::1")
    assert not v4_only.matches("0:0:0:0:0:0:0:1", "::1")
    assert v4_only.matches("10.1.2.3", "10.0.0.0/8")


# --- digest ids -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("acl_id", "valid"),
    [
        ("alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=", True),
        ("u:h", True),
        (":h", True),
        ("u:h:", True),  # Java's split drops the trailing empty part
        ("u:", False),
        ("u", False),
        ("", False),
        (":", False),
        ("u::h", False),
        ("u:h:x", False),
    ],
)
def test_digest_ids_need_exactly_two_parts(acl_id: str, valid: bool) -> None:
    assert DigestProvider().is_valid(acl_id) is valid
    assert is_valid_id("digest", acl_id) is valid


def test_world_auth_and_unknown_scheme_ids() -> None:
    assert is_valid_id("world", "anyone")
    assert not is_valid_id("world", "everyone")
    assert is_valid_id("auth", "")
    assert is_valid_id("auth", "ignored")
    assert not is_valid_id("super", "")
    assert not is_valid_id("sasl", "bob")


# --- check_acl --------------------------------------------------------------------------------

ALICE_ALL = ACL(ALL, ALICE)
BOB_READ = ACL(READ, BOB)
LAN_WRITE = ACL(WRITE | CREATE, Id("ip", "10.0.0.0/8"))


def test_an_open_acl_lets_anyone_do_anything() -> None:
    for perm in (READ, WRITE, CREATE, DELETE, ADMIN):
        assert check_acl(OPEN_ACL_UNSAFE, perm, [LOCAL])
        assert check_acl(OPEN_ACL_UNSAFE, perm, [])


def test_a_read_only_world_acl_refuses_writes() -> None:
    assert check_acl(READ_ACL_UNSAFE, READ, [LOCAL])
    assert not check_acl(READ_ACL_UNSAFE, WRITE, [LOCAL])
    assert not check_acl(READ_ACL_UNSAFE, ADMIN, [LOCAL, ALICE])


def test_an_empty_or_missing_acl_lets_everything_through() -> None:
    assert check_acl([], ADMIN, [])
    assert check_acl(None, ADMIN, [])


def test_digest_entries_match_the_exact_identity() -> None:
    acl = [ALICE_ALL, BOB_READ]
    assert check_acl(acl, WRITE, [LOCAL, ALICE])
    assert check_acl(acl, READ, [LOCAL, BOB])
    assert not check_acl(acl, WRITE, [LOCAL, BOB])
    assert not check_acl(acl, READ, [LOCAL])
    assert not check_acl(acl, READ, [LOCAL, Id("digest", digest("alice:wrong"))])


def test_ip_entries_match_by_network() -> None:
    acl = [LAN_WRITE]
    assert check_acl(acl, CREATE, [Id("ip", "10.20.30.40")])
    assert not check_acl(acl, CREATE, [Id("ip", "192.168.0.1")])
    assert not check_acl(acl, READ, [Id("ip", "10.20.30.40")])
    # An identity only counts for ACL entries of its own scheme.
    assert not check_acl(acl, CREATE, [Id("digest", "10.20.30.40")])


def test_any_bit_of_the_requested_perms_is_enough() -> None:
    # getACL asks for READ|ADMIN: holding either one passes.
    assert check_acl([BOB_READ], READ | ADMIN, [BOB])
    assert not check_acl([BOB_READ], WRITE | ADMIN, [BOB])


def test_super_passes_everything() -> None:
    acl = [ACL(READ, ALICE)]
    assert check_acl(acl, ADMIN, [LOCAL, SUPER_ID, Id("digest", SUPER_DIGEST)])
    assert check_acl([ACL(0, ALICE)], DELETE, [SUPER_ID])


def test_entries_of_schemes_without_a_provider_are_ignored() -> None:
    acl = [ACL(ALL, Id("sasl", "bob")), ACL(ALL, Id("world", "nobody"))]
    assert not check_acl(acl, READ, [Id("sasl", "bob"), LOCAL])


def test_skip_acl_turns_checking_off() -> None:
    assert check_acl([ALICE_ALL], ADMIN, [], skip_acl=True)


# --- fixup_acl --------------------------------------------------------------------------------


def test_world_and_concrete_ids_are_kept_as_given() -> None:
    acl = [ACL(READ, Id("world", "anyone")), ALICE_ALL, LAN_WRITE]
    assert fixup_acl("/a", [LOCAL], acl) == acl


def test_auth_expands_to_every_authenticated_identity_with_its_perms() -> None:
    fixed = fixup_acl("/a", [LOCAL, ALICE, BOB], [ACL(READ | WRITE, Id("auth", "ignored"))])
    assert fixed == [ACL(READ | WRITE, ALICE), ACL(READ | WRITE, BOB)]


def test_creator_all_acl_expands_in_zookeepers_order() -> None:
    session = AuthInfo([LOCAL, ALICE, BOB])
    assert fixup_acl("/a", session, CREATOR_ALL_ACL) == [ACL(ALL, ALICE), ACL(ALL, BOB)]


def test_auth_skips_ip_and_super_identities() -> None:
    session = AuthInfo([LOCAL, SUPER_ID, Id("digest", SUPER_DIGEST)])
    assert fixup_acl("/a", session, CREATOR_ALL_ACL) == [ACL(ALL, Id("digest", SUPER_DIGEST))]


def test_auth_from_a_session_with_only_an_address_is_invalid() -> None:
    with pytest.raises(InvalidACL) as caught:
        fixup_acl("/a", [LOCAL], CREATOR_ALL_ACL)
    assert caught.value.path == "/a"
    assert caught.value.code is Err.InvalidACL
    with pytest.raises(InvalidACL):
        fixup_acl("/a", [LOCAL, SUPER_ID], CREATOR_ALL_ACL)


def test_duplicates_are_dropped_before_expansion_but_not_after() -> None:
    acl = [ALICE_ALL, ALICE_ALL, ACL(ALL, Id("auth", "")), ACL(ALL, Id("auth", ""))]
    assert fixup_acl("/a", [LOCAL, ALICE], acl) == [ALICE_ALL, ALICE_ALL]
    # Same id, different perms: both stay.
    assert fixup_acl("/a", [], [ACL(READ, ALICE), ACL(ALL, ALICE)]) == [
        ACL(READ, ALICE),
        ACL(ALL, ALICE),
    ]


@pytest.mark.parametrize(
    "acl",
    [
        None,
        [],
        [ACL(ALL, Id("world", "everyone"))],
        [ACL(ALL, Id("digest", "alice"))],
        [ACL(ALL, Id("digest", "alice:"))],
        [ACL(ALL, Id("ip", "300.0.0.1"))],
        [ACL(ALL, Id("ip", "10.0.0.0/33"))],
        [ACL(ALL, Id("super", ""))],
        [ACL(ALL, Id("sasl", "bob"))],
        [ACL(ALL, Id(None, "x"))],
        [ACL(ALL, None)],
        [None],
        # One bad entry spoils the list.
        [ACL(READ, Id("world", "anyone")), ACL(ALL, Id("ip", "bad"))],
    ],
)
def test_invalid_acls(acl: list[ACL] | None) -> None:
    with pytest.raises(InvalidACL):
        fixup_acl("/a", [LOCAL, ALICE], acl)


def test_perms_are_not_validated() -> None:
    odd = [ACL(0, Id("world", "anyone")), ACL(-1, ALICE)]
    assert fixup_acl("/a", [], odd) == odd


def test_a_registry_without_digest_rejects_digest_acls() -> None:
    with pytest.raises(InvalidACL):
        fixup_acl("/a", [ALICE], [ALICE_ALL], providers={"ip": IpProvider()})
    with pytest.raises(InvalidACL):
        fixup_acl("/a", [ALICE], CREATOR_ALL_ACL, providers={"ip": IpProvider()})


# --- the session's identities, whoAmI and getACL ----------------------------------------------


def test_a_session_lists_identities_in_zookeepers_hash_order() -> None:
    assert list(AuthInfo([LOCAL, ALICE, BOB])) == [ALICE, BOB, LOCAL]
    assert list(AuthInfo([LOCAL, SUPER_ID, Id("digest", SUPER_DIGEST)])) == [
        SUPER_ID,
        LOCAL,
        Id("digest", SUPER_DIGEST),
    ]


def test_a_session_keeps_each_identity_once() -> None:
    session = AuthInfo([LOCAL])
    assert session.add(ALICE)
    assert not session.add(ALICE)
    assert not session.add(Id("ip", "127.0.0.1"))
    assert len(session) == 2
    assert ALICE in session
    assert BOB not in session


def test_the_order_survives_the_table_growing() -> None:
    # Thirteen identities: the set's table doubles at the twelfth, splitting its buckets.
    ids = [Id("ip", f"10.0.0.{n}") for n in range(1, 14)]
    assert [i.id.rsplit(".", 1)[1] for i in AuthInfo(ids)] == [
        "13",
        "12",
        "9",
        "8",
        "7",
        "6",
        "5",
        "4",
        "3",
        "2",
        "1",
        "11",
        "10",
    ]


def test_who_am_i_shows_users_not_secrets() -> None:
    session = AuthInfo([LOCAL, SUPER_ID, Id("digest", SUPER_DIGEST)])
    assert client_info(session) == [
        ClientInfo("super", ""),
        ClientInfo("ip", "127.0.0.1"),
        ClientInfo("digest", "super"),
    ]
    assert client_info([Id("sasl", "bob@REALM")]) == [ClientInfo("sasl", "")]
    assert client_info([]) == []


def test_get_acl_without_admin_hides_digest_hashes() -> None:
    acl = [ALICE_ALL, LAN_WRITE, ACL(READ, Id("world", "anyone"))]
    assert redact_acl(acl) == [
        ACL(ALL, Id("digest", "alice:x")),
        LAN_WRITE,
        ACL(READ, Id("world", "anyone")),
    ]
    # Java's regex "." stops at any line terminator, so each line's secret is replaced.
    odd = [ACL(READ, Id("digest", "u:a\nb:c")), ACL(READ, Id("digest", "u:a\u2028b:c"))]
    assert [entry.id.id for entry in redact_acl(odd)] == ["u:x\nb:x", "u:x\u2028b:x"]


def test_constants_are_zookeepers_ids() -> None:
    assert list(OPEN_ACL_UNSAFE) == [ACL(31, Id("world", "anyone"))]
    assert list(READ_ACL_UNSAFE) == [ACL(1, Id("world", "anyone"))]
    assert list(CREATOR_ALL_ACL) == [ACL(31, Id("auth", ""))]
    assert set(DEFAULT_PROVIDERS) == {"ip", "digest"}
