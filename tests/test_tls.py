"""The secure client port: TLS from ZooKeeper's ssl.* settings, and the x509 scheme.

Every test runs on a throwaway PKI that `openssl` makes in a temporary directory: a CA, a
server certificate for 127.0.0.1, client certificates signed by the CA, and one signed by a
CA the server does not trust. Clients are stock kazoo over TLS, and a raw TLS socket where a
test needs to see the handshake or send whoAmI. The expected DNs and behaviours are those
Apache ZooKeeper 3.8.0 showed for the same certificates and settings.
"""

from __future__ import annotations

import dataclasses
import logging
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from kazoo.client import KazooClient
from kazoo.exceptions import InvalidACLError, NoAuthError
from kazoo.security import ACL, Id

from jute import FrameReader, frame
from jute import records as R
from tests.server_support import RunningServer, running_server
from tests.test_cli import free_port, serve, wait_for_port, write_cfg
from tests.wire_client import WireClient
from zkcompat.acl import digest
from zkcompat.config import ConfigError
from zkcompat.constants import OpCode
from zkcompat.server import ServerSettings
from zkcompat.tls import certificate_subject, is_valid_dn, server_tls

# The client certificate's subject, and its DN as ZooKeeper 3.8.0 reported it in whoAmI:
# the last RDN first, "#" and "," escaped, a multi-valued RDN in encoded order, and the
# emailAddress attribute (which Java has no RFC 2253 keyword for) as OID=#DER-hex.
ALICE_SUBJECT = "/C=US/ST=CA/O=Acme, Inc./OU=eng+OU=ops/CN=alice #1/emailAddress=alice@example.com"
ALICE_DN = (
    "1.2.840.113549.1.9.1=#1611616c696365406578616d706c652e636f6d,"
    "CN=alice \\#1,OU=eng+OU=ops,O=Acme\\, Inc.,ST=CA,C=US"
)
BOB_DN = "CN=bob,O=Acme"


# --- a throwaway PKI -------------------------------------------------------------------------


def openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


class Pki:
    """Certificates and keys under one directory; ``pem(name)`` is key and chain in one file."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.new_ca("ca", "/CN=zkcompat test CA")
        self.new_ca("rogue-ca", "/CN=somebody else")
        extensions = root / "server.ext"
        extensions.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
        self.new_cert("server", "/CN=localhost", "ca", extensions)
        self.new_cert("alice", ALICE_SUBJECT, "ca")
        self.new_cert("bob", "/O=Acme/CN=bob", "ca")
        self.new_cert("mallory", "/CN=mallory", "rogue-ca")
        # The server key encrypted as PKCS#8, as ssl.keyStore.password expects.
        openssl(
            "pkcs8", "-topk8", "-in", str(self.key("server")), "-out",
            str(root / "server-enc.key"), "-passout", "pass:s3cret",
        )  # fmt: skip
        self.join("server-enc.pem", root / "server-enc.key", self.cert("server"))
        self.join("server.pem", self.key("server"), self.cert("server"))
        self.join("ca.pem", self.cert("ca"))  # ZooKeeper tells a store's type by ".pem"

    def new_key(self, name: str) -> None:
        openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", str(self.key(name)))

    def new_ca(self, name: str, subject: str) -> None:
        self.new_key(name)
        openssl(
            "req", "-x509", "-new", "-key", str(self.key(name)), "-out", str(self.cert(name)),
            "-days", "2", "-subj", subject,
        )  # fmt: skip

    def new_cert(self, name: str, subject: str, ca: str, extensions: Path | None = None) -> None:
        self.new_key(name)
        csr = self.root / f"{name}.csr"
        openssl(
            "req", "-new", "-key", str(self.key(name)), "-out", str(csr), "-subj", subject,
            "-multivalue-rdn",
        )  # fmt: skip
        extra = ["-extfile", str(extensions)] if extensions else []
        openssl(
            "x509", "-req", "-in", str(csr), "-CA", str(self.cert(ca)), "-CAkey",
            str(self.key(ca)), "-CAcreateserial", "-out", str(self.cert(name)), "-days", "2",
            *extra,
        )  # fmt: skip

    def join(self, name: str, *parts: Path) -> None:
        (self.root / name).write_text("".join(part.read_text() for part in parts))

    def key(self, name: str) -> Path:
        return self.root / f"{name}.key"

    def cert(self, name: str) -> Path:
        return self.root / f"{name}.crt"

    def path(self, name: str) -> str:
        return str(self.root / name)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return Pki(tmp_path_factory.mktemp("pki"))


def ssl_properties(pki: Pki, **settings: str) -> dict[str, str]:
    """zookeeper.ssl.* properties: the server's PEM key store and the CA as trust store."""
    properties = {
        "zookeeper.ssl.keyStore.location": pki.path("server.pem"),
        "zookeeper.ssl.trustStore.location": pki.path("ca.pem"),
    }
    properties.update({f"zookeeper.ssl.{key}": value for key, value in settings.items()})
    return properties


@contextmanager
def secure_server(pki: Pki, settings: ServerSettings | None = None, **ssl_settings: str):
    tls = server_tls(ssl_properties(pki, **ssl_settings))
    with running_server(settings, tls=tls) as running:
        yield running


def secure_hosts(server: RunningServer) -> str:
    return f"127.0.0.1:{server.server.secure_port}"


def tls_kazoo(server: RunningServer, pki: Pki, user: str | None = "alice") -> KazooClient:
    certificate = {"certfile": str(pki.cert(user)), "keyfile": str(pki.key(user))} if user else {}
    return KazooClient(
        hosts=secure_hosts(server),
        timeout=10,
        use_ssl=True,
        ca=str(pki.cert("ca")),
        verify_certs=True,
        **certificate,
    )


@contextmanager
def started(client: KazooClient) -> Iterator[KazooClient]:
    client.start(timeout=10)
    try:
        yield client
    finally:
        client.stop()
        client.close()


def client_context(pki: Pki, user: str | None = "alice") -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(pki.cert("ca"))
    if user is not None:
        context.load_cert_chain(pki.cert(user), pki.key(user))
    return context


class TlsWireClient(WireClient):
    """tests.wire_client's raw client, over TLS."""

    def __init__(self, port: int, context: ssl.SSLContext) -> None:
        plain = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock = context.wrap_socket(plain, server_hostname="127.0.0.1")
        self.reader = FrameReader()
        self.pending: list[bytes] = []

    def who_am_i(self) -> list[tuple[str, str]]:
        header, body = self.request(1, OpCode.whoAmI)
        assert header.err == 0
        response, _ = R.WhoAmIResponse.decode(body)
        return [(info.authScheme, info.user) for info in response.clientInfo]


def who_am_i(server: RunningServer, context: ssl.SSLContext) -> list[tuple[str, str]]:
    client = TlsWireClient(server.server.secure_port, context)
    try:
        client.connect()
        return client.who_am_i()
    finally:
        client.close()


def handshake_fails(port: int, context: ssl.SSLContext) -> bool:
    """Whether the server refuses this client: the handshake fails (TLS 1.2), or the server
    closes the connection instead of answering a ConnectRequest (TLS 1.3, where the server
    checks the client's certificate after the client thinks the handshake is done)."""
    try:
        client = TlsWireClient(port, context)
    except (ssl.SSLError, ConnectionError):
        return True
    try:
        client.send_raw(frame(R.ConnectRequest(0, 0, 30000, 0, b"\0" * 16, False).encode()))
        return client.read_frame() is None
    except (ssl.SSLError, ConnectionError):
        return True
    finally:
        client.close()


# --- the secure port at work ------------------------------------------------------------------


def test_crud_over_tls_while_the_plain_port_keeps_working(pki: Pki) -> None:
    with secure_server(pki) as server, started(tls_kazoo(server, pki)) as secure:
        assert server.server.secure_port not in (0, server.server.port)
        secure.create("/tls", b"one")
        secure.create("/tls/child", b"")
        secure.set("/tls", b"two")
        assert secure.get("/tls")[0] == b"two"
        assert secure.get_children("/tls") == ["child"]
        with started(KazooClient(hosts=server.hosts, timeout=10)) as plain:
            assert plain.get("/tls")[0] == b"two"
            plain.delete("/tls/child")
        assert secure.get_children("/tls") == []
        secure.delete("/tls")
        assert secure.exists("/tls") is None


def test_the_x509_identity_is_the_subject_dn_as_java_writes_it(pki: Pki) -> None:
    with secure_server(pki) as server:
        # ZooKeeper 3.8.0 answered exactly this for the same certificate.
        assert who_am_i(server, client_context(pki)) == [("x509", ALICE_DN), ("ip", "127.0.0.1")]
        assert who_am_i(server, client_context(pki, "bob")) == [
            ("x509", BOB_DN),
            ("ip", "127.0.0.1"),
        ]
        plain = WireClient(server.server.port)
        plain.connect()
        _, body = plain.request(1, OpCode.whoAmI)
        assert R.WhoAmIResponse.decode(body)[0].clientInfo == [R.ClientInfo("ip", "127.0.0.1")]
        plain.close()


def test_an_x509_acl_admits_only_that_certificate(pki: Pki) -> None:
    alice_only = [ACL(31, Id("x509", ALICE_DN))]
    with secure_server(pki) as server, started(tls_kazoo(server, pki)) as alice:
        alice.create("/alice", b"secret", acl=alice_only)
        assert alice.get("/alice")[0] == b"secret"
        # "auth" expands to the session's x509 identity, which is an authenticated one.
        alice.create("/mine", b"", acl=[ACL(31, Id("auth", ""))])
        assert alice.get_acls("/mine")[0] == alice_only
        with started(tls_kazoo(server, pki, "bob")) as bob, pytest.raises(NoAuthError):
            bob.get("/alice")
        plain = KazooClient(hosts=server.hosts, timeout=10)
        with started(plain), pytest.raises(NoAuthError):
            plain.get("/alice")


def test_an_x509_acl_id_must_parse_as_an_x500_name(pki: Pki) -> None:
    with secure_server(pki) as server, started(tls_kazoo(server, pki)) as client:
        client.create("/valid", b"", acl=[ACL(31, Id("x509", "cn=someone, o=Acme"))])
        with pytest.raises(InvalidACLError):
            client.create("/invalid", b"", acl=[ACL(31, Id("x509", "not a name"))])


def test_the_x509_super_user_may_do_anything(pki: Pki) -> None:
    digest_only = [ACL(31, Id("digest", digest("carol:pw")))]
    settings = ServerSettings()
    tls = server_tls(
        {**ssl_properties(pki), "zookeeper.X509AuthenticationProvider.superUser": BOB_DN}
    )
    with running_server(settings, tls=tls) as server:
        with started(tls_kazoo(server, pki)) as alice:
            alice.create("/carols", b"x", acl=digest_only)
            with pytest.raises(NoAuthError):
                alice.get("/carols")
        with started(tls_kazoo(server, pki, "bob")) as bob:
            assert bob.get("/carols")[0] == b"x"
        identities = who_am_i(server, client_context(pki, "bob"))
        assert ("super", "") in identities and ("x509", BOB_DN) in identities


def test_four_letter_words_work_over_tls(pki: Pki) -> None:
    with secure_server(pki) as server:
        plain = socket.create_connection(("127.0.0.1", server.server.secure_port), timeout=10)
        with client_context(pki).wrap_socket(plain, server_hostname="127.0.0.1") as sock:
            sock.sendall(b"srvr")
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        assert answer.startswith(b"Zookeeper version: ")


# --- who gets in: ssl.clientAuth and the trust store -------------------------------------------


def test_a_client_without_a_certificate_is_refused_by_default(pki: Pki, caplog) -> None:
    with secure_server(pki) as server, caplog.at_level(logging.WARNING, "zkcompat.network"):
        assert handshake_fails(server.server.secure_port, client_context(pki, user=None))
        assert not handshake_fails(server.server.secure_port, client_context(pki))
    assert "Unsuccessful TLS handshake" in caplog.text
    assert "peer did not return a certificate" in caplog.text


def test_a_certificate_from_an_untrusted_ca_is_refused(pki: Pki) -> None:
    with secure_server(pki) as server:
        assert handshake_fails(server.server.secure_port, client_context(pki, "mallory"))
        with secure_server(pki, clientAuth="want") as wanting:
            assert handshake_fails(wanting.server.secure_port, client_context(pki, "mallory"))


def test_client_auth_want_admits_clients_without_a_certificate(pki: Pki) -> None:
    with secure_server(pki, clientAuth="want") as server:
        assert who_am_i(server, client_context(pki, user=None)) == [("ip", "127.0.0.1")]
        assert ("x509", ALICE_DN) in who_am_i(server, client_context(pki))
        with started(tls_kazoo(server, pki, user=None)) as anonymous:
            anonymous.create("/open", b"")


def test_client_auth_none_asks_for_no_certificate(pki: Pki) -> None:
    with secure_server(pki, clientAuth="NONE") as server:
        assert who_am_i(server, client_context(pki)) == [("ip", "127.0.0.1")]


# --- robustness ------------------------------------------------------------------------------


def test_a_garbage_handshake_closes_only_that_connection(pki: Pki, caplog) -> None:
    with secure_server(pki) as server, started(tls_kazoo(server, pki)) as client:
        client.create("/before", b"")
        with caplog.at_level(logging.WARNING, "zkcompat.network"):
            for garbage in (b"\x00\x00\x00\x2cnot tls at all" * 4, b"GET / HTTP/1.0\r\n\r\n"):
                raw = socket.create_connection(("127.0.0.1", server.server.secure_port), 10)
                raw.sendall(garbage)
                assert raw.recv(100) == b""  # closed, with no answer that is not TLS
                raw.close()
        assert "Unsuccessful TLS handshake with 127.0.0.1" in caplog.text
        client.create("/after", b"")  # the other session did not notice
        assert sorted(c for c in client.get_children("/") if c != "zookeeper") == [
            "after",
            "before",
        ]


def test_a_client_that_never_finishes_its_handshake_is_dropped(pki: Pki) -> None:
    tls = dataclasses.replace(server_tls(ssl_properties(pki)), handshake_timeout=0.3)
    with running_server(tls=tls) as server:
        raw = socket.create_connection(("127.0.0.1", server.server.secure_port), timeout=10)
        began = time.monotonic()
        assert raw.recv(100) == b""
        assert time.monotonic() - began < 5
        raw.close()


# --- protocols -------------------------------------------------------------------------------


def test_only_tls_1_2_is_enabled_by_default(pki: Pki) -> None:
    tls13_only = client_context(pki)
    tls13_only.minimum_version = ssl.TLSVersion.TLSv1_3
    with secure_server(pki) as server:
        assert handshake_fails(server.server.secure_port, tls13_only)
        client = TlsWireClient(server.server.secure_port, client_context(pki))
        assert client.sock.version() == "TLSv1.2"
        assert client.sock.cipher()[0] == "ECDHE-ECDSA-AES128-GCM-SHA256"  # X509Util's first
        client.close()


def test_enabled_protocols_opens_tls_1_3(pki: Pki) -> None:
    with secure_server(pki, enabledProtocols="TLSv1.2,TLSv1.3") as server:
        # A TLS 1.3 client sends its first request right after its Finished message; the
        # server decrypts both from one read and must hand the request on.
        for _ in range(20):
            client = TlsWireClient(server.server.secure_port, client_context(pki))
            assert client.sock.version() == "TLSv1.3"
            assert client.connect().sessionId != 0
            assert ("x509", ALICE_DN) in client.who_am_i()
            client.close()


def test_ssl_protocol_picks_the_one_protocol(pki: Pki) -> None:
    with secure_server(pki, protocol="TLSv1.3") as server:
        tls12_only = client_context(pki)
        tls12_only.maximum_version = ssl.TLSVersion.TLSv1_2
        assert handshake_fails(server.server.secure_port, tls12_only)
        with started(tls_kazoo(server, pki)) as client:
            client.create("/over-1.3", b"")
        # TLS 1.3 clients finish their side before the server checks their certificate.
        assert handshake_fails(server.server.secure_port, client_context(pki, user=None))


# --- key stores --------------------------------------------------------------------------------


def test_an_encrypted_pem_key_store_needs_its_password(pki: Pki, tmp_path: Path) -> None:
    encrypted = {"keyStore.location": pki.path("server-enc.pem")}
    with (
        secure_server(pki, **encrypted, **{"keyStore.password": "s3cret"}) as server,
        started(tls_kazoo(server, pki)) as client,
    ):
        client.create("/encrypted-key", b"")
    password_file = tmp_path / "password"
    password_file.write_text("s3cret\n")  # one trailing line separator is not the password
    server_tls(ssl_properties(pki, **encrypted, **{"keyStore.passwordPath": str(password_file)}))
    for wrong in ({}, {"keyStore.password": "guess"}):
        with pytest.raises(ConfigError, match="cannot load the PEM key store"):
            server_tls(ssl_properties(pki, **encrypted, **wrong))


def test_a_zoo_cfg_with_a_secure_client_port_as_zookeeper_users_write_it(
    pki: Pki, tmp_path: Path
) -> None:
    port, secure_port = free_port(), free_port()
    cfg = write_cfg(
        tmp_path,
        port,
        f"secureClientPort={secure_port}\n"
        f"ssl.keyStore.location={pki.path('server.pem')}\n"
        f"ssl.trustStore.location={pki.cert('ca')}\n"  # a .crt: the type must be given
        "ssl.trustStore.type=PEM\n"
        "ssl.clientAuth=need\n",
    )
    process = serve(tmp_path / "server.log", str(cfg))
    try:
        wait_for_port(secure_port, process)
        client = KazooClient(
            hosts=f"127.0.0.1:{secure_port}",
            timeout=10,
            use_ssl=True,
            ca=str(pki.cert("ca")),
            certfile=str(pki.cert("alice")),
            keyfile=str(pki.key("alice")),
        )
        with started(client):
            client.create("/from-zoo-cfg", b"", acl=[ACL(31, Id("x509", ALICE_DN))])
        plain = KazooClient(hosts=f"127.0.0.1:{port}", timeout=10)
        with started(plain), pytest.raises(NoAuthError):
            plain.get("/from-zoo-cfg")
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_a_secure_port_alone_is_enough(pki: Pki, tmp_path: Path) -> None:
    from zkcompat.cli import build_server
    from zkcompat.config import load_config

    secure_port = free_port()
    cfg = tmp_path / "zoo.cfg"
    cfg.write_text(
        f"dataDir={tmp_path / 'data'}\nsecureClientPort={secure_port}\n"
        f"secureClientPortAddress=127.0.0.1\n"
        f"ssl.keyStore.location={pki.path('server.pem')}\n"
        f"ssl.trustStore.location={pki.path('ca.pem')}\n"
    )
    running = RunningServer(build_server(load_config(str(cfg))))
    running.start()
    try:
        assert running.server.port == 0 and running.server.secure_port == secure_port
        with started(tls_kazoo(running, pki)) as client:
            client.create("/secure-only", b"")
    finally:
        running.stop()


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"keyStore.type": "JKS"}, "JKS stores are not supported by zkcompat; use PEM"),
        ({"trustStore.type": "BCFKS"}, "BCFKS stores are not supported"),
        ({"keyStore.type": "XYZ"}, "Bad value 'XYZ'"),
        ({"keyStore.location": "/etc/zk/server.crt"}, "Unable to auto-detect store file type"),
        ({"trustStore.location": "/etc/zk/ca.PEM"}, "Unable to auto-detect store file type"),
        ({"keyStore.location": ""}, "keyStore.location: not set"),
        ({"keyStore.location": "/nonexistent.pem"}, "No such file or directory"),
        ({"trustStore.location": "/nonexistent.pem"}, "cannot load the PEM trust store"),
        ({"clientAuth": "maybe"}, "use need, want or none"),
        ({"protocol": "SSLv3"}, "unknown protocol 'SSLv3'"),
        ({"enabledProtocols": "TLSv1.2,TLSv9"}, "'TLSv9' is not a protocol"),
        ({"ciphersuites": "TLS_NOT_A_SUITE"}, "no cipher suite zkcompat can use"),
        ({"crl": "true"}, "revocation checking is not supported"),
        ({"ocsp": "TRUE"}, "revocation checking is not supported"),
        ({"context.supplier.class": "com.example.Ctx"}, "names a Java class"),
        (
            {"authProvider": "mine"},
            "No auth provider configured for the SSL authentication scheme 'mine'",
        ),
    ],
)
def test_settings_zkcompat_cannot_honour_are_refused(
    pki: Pki, settings: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        server_tls(ssl_properties(pki, **settings))


def test_pkcs12_needs_the_cryptography_package(pki: Pki, tmp_path: Path) -> None:
    store = tmp_path / "server.p12"
    openssl(
        "pkcs12", "-export", "-in", str(pki.cert("server")), "-inkey", str(pki.key("server")),
        "-out", str(store), "-passout", "pass:s3cret",
    )  # fmt: skip
    settings = {"keyStore.location": str(store), "keyStore.password": "s3cret"}
    try:
        import cryptography  # noqa: F401
    except ImportError:
        with pytest.raises(ConfigError, match="PKCS12 stores need the Python package"):
            server_tls(ssl_properties(pki, **settings))
        return
    with secure_server(pki, **settings) as server, started(tls_kazoo(server, pki)) as client:
        client.create("/pkcs12", b"")


# --- the DN rules, checked against Java's X500Principal -----------------------------------------


def test_certificate_subjects_are_written_as_x500_principal_get_name(pki: Pki) -> None:
    def der(name: str) -> bytes:
        return ssl.PEM_cert_to_DER_cert(pki.cert(name).read_text())

    assert certificate_subject(der("alice")) == ALICE_DN
    assert certificate_subject(der("bob")) == BOB_DN
    assert certificate_subject(der("server")) == "CN=localhost"


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        # new X500Principal(text) in Java 17 accepts or refuses each of these.
        ("CN=alice", True),
        ("cn=x, o=y", True),
        ("OID.2.5.4.3=z", True),
        ("2.5.4.3=x", True),
        ("", True),
        ("CN=a+OU=b;O=c", True),
        ('CN="quoted, name"', True),
        ("CN=#0403616263", True),
        ("CN=a\\,b", True),
        ("CN=a=b", True),
        ("CN=\\41", True),
        ("EMAILADDRESS=a@b", True),
        ("garbage", False),
        ("FOO=bar", False),
        ("CN", False),
        ("CN=a,", False),
        ("CN=a<b", False),
        ("CN=#01", False),
        ("CN=#0403616263 ", False),
        ("CN=\\4g", False),
        ('CN="a\\ b"', False),
        ("1=a", False),
        ("1.40=a", False),
    ],
)
def test_x509_acl_ids_are_valid_as_java_says(text: str, valid: bool) -> None:
    assert is_valid_dn(text) is valid
