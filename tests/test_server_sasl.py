"""SASL DIGEST-MD5 logins through kazoo's real SASL client (pure-sasl), over real TCP."""

from __future__ import annotations

import pytest
from kazoo.client import KazooClient
from kazoo.exceptions import AuthFailedError, NoAuthError
from kazoo.security import ACL, Id

from tests.server_support import running_server
from tests.test_cli import free_port, serve, wait_for_port, write_cfg
from zkcompat.sasl import SASL_PROVIDER_CLASS, SaslConfig, auth_providers
from zkcompat.server import ServerSettings

BOB_ONLY = [ACL(31, Id("sasl", "bob"))]


def sasl_client(hosts: str, password: str) -> KazooClient:
    return KazooClient(
        hosts=hosts,
        timeout=10,
        sasl_options={"mechanism": "DIGEST-MD5", "username": "bob", "password": password},
    )


@pytest.fixture(scope="module")
def server():
    settings = ServerSettings(
        sasl=SaslConfig(users={"bob": "bobsecret"}),
        auth_providers=auth_providers({"zookeeper.authProvider.1": SASL_PROVIDER_CLASS}),
    )
    with running_server(settings) as running:
        yield running


def test_a_sasl_login_grants_the_sasl_identity(server) -> None:
    bob = sasl_client(server.hosts, "bobsecret")
    bob.start(timeout=10)
    bob.create("/bobs", b"mine", acl=BOB_ONLY)
    assert bob.get("/bobs")[0] == b"mine"
    anonymous = KazooClient(hosts=server.hosts, timeout=10)
    anonymous.start(timeout=10)
    with pytest.raises(NoAuthError):
        anonymous.get("/bobs")
    for client in (bob, anonymous):
        client.stop()
        client.close()


def test_a_wrong_password_fails_the_login(server) -> None:
    # kazoo's start() returns once the session exists; the SASL exchange that follows fails
    # (the server answers AuthFailed and closes) and every later request says so.
    mallory = sasl_client(server.hosts, "guess")
    mallory.start(timeout=10)
    with pytest.raises(AuthFailedError):
        mallory.get("/")
    mallory.stop()
    mallory.close()


def test_sasl_from_a_jaas_file_named_like_zookeepers(tmp_path) -> None:
    jaas = tmp_path / "jaas.conf"
    jaas.write_text(
        "Server {\n"
        "    org.apache.zookeeper.server.auth.DigestLoginModule required\n"
        '    user_bob="bobsecret";\n'
        "};\n"
    )
    port = free_port()
    process = serve(
        tmp_path / "server.log",
        f"-Djava.security.auth.login.config={jaas}",
        "-Dzookeeper.authProvider.1=org.apache.zookeeper.server.auth.SASLAuthenticationProvider",
        str(write_cfg(tmp_path, port)),
    )
    try:
        wait_for_port(port, process)
        bob = sasl_client(f"127.0.0.1:{port}", "bobsecret")
        bob.start(timeout=10)
        bob.create("/jaas", acl=BOB_ONLY)
        assert bob.exists("/jaas") is not None
        bob.stop()
        bob.close()
    finally:
        process.terminate()
        process.wait(timeout=20)
