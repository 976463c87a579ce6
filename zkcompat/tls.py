"""TLS on the secure client port, and the "x509" scheme of client certificates.

This module owns what Apache ZooKeeper 3.8 reads through ``ClientX509Util`` and
``SSLContextAndOptions`` when ``secureClientPort`` is set: the ``zookeeper.ssl.*`` system
properties (written ``ssl.*`` in zoo.cfg) turned into an :class:`ssl.SSLContext` —
key store, trust store, ``clientAuth``, protocols and cipher suites, with ZooKeeper's defaults
(TLSv1.2 only, its twelve ECDHE suites, client certificates required). It also owns
``X509AuthenticationProvider``'s rules: a verified client certificate gives the session
``Id("x509", <subject DN>)``, the DN written as Java's ``X500Principal.getName()`` writes it
(RFC 2253, with Java's escaping and ``OID=#hex`` for attributes it has no keyword for), and an
x509 ACL id is valid when ``new X500Principal(id)`` would accept it.

Key and trust stores: PEM (a private key and its certificate chain in one file, the key
optionally encrypted with ``keyStore.password``; a trust store of certificates), and PKCS12
when the ``cryptography`` package is installed. JKS and BCFKS are refused with a
:class:`~zkcompat.config.ConfigError` that says what to use instead.

What it must not know: sockets, connections and the event loop. The caller builds a
:class:`ServerTls` once, runs each connection's TLS through a sans-IO :class:`TlsSession`
(ciphertext in, plaintext and ciphertext out), and asks :meth:`ServerTls.identities` for the
identities of the peer certificate (DER) the handshake verified.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import secrets
import ssl
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from jute.records import Id
from zkcompat.acl import SUPER_ID, AuthFailed, AuthProvider
from zkcompat.config import ConfigError

__all__ = [
    "DEFAULT_CIPHER_SUITES",
    "DEFAULT_PROTOCOL",
    "HANDSHAKE_TIMEOUT",
    "SSL_PREFIX",
    "X509_PROVIDER_CLASS",
    "ServerTls",
    "TlsSession",
    "X509AuthProvider",
    "certificate_subject",
    "is_valid_dn",
    "rfc2253_name",
    "server_tls",
    "x509_auth_providers",
]

log = logging.getLogger(__name__)

#: The prefix of the settings ``ClientX509Util`` reads (zoo.cfg's ``ssl.x`` is this + ``x``).
SSL_PREFIX = "zookeeper.ssl."
X509_PROVIDER_CLASS = "org.apache.zookeeper.server.auth.X509AuthenticationProvider"
_PROVIDER_KEY = "zookeeper.authProvider."
_SUPER_USER_PROPERTY = "zookeeper.X509AuthenticationProvider.superUser"

#: ``X509Util.DEFAULT_PROTOCOL``: the context's protocol, and the only one enabled unless
#: ``ssl.enabledProtocols`` says otherwise.
DEFAULT_PROTOCOL = "TLSv1.2"

#: ``X509Util``'s default suites on Java 9 and later (GCM first, then CBC), in its order.
DEFAULT_CIPHER_SUITES = (
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
)

#: Seconds a TLS handshake may take: Netty's ``SslHandler`` default, which ZooKeeper keeps.
HANDSHAKE_TIMEOUT = 10.0

_PROTOCOLS = {
    "TLSv1": ssl.TLSVersion.TLSv1,
    "TLSv1.1": ssl.TLSVersion.TLSv1_1,
    "TLSv1.2": ssl.TLSVersion.TLSv1_2,
    "TLSv1.3": ssl.TLSVersion.TLSv1_3,
}
# SSLContext.getInstance also takes these generic names; they pick no single version.
_GENERIC_PROTOCOLS = ("TLS", "SSL")

_CLIENT_AUTH = {
    "NEED": ssl.CERT_REQUIRED,
    "WANT": ssl.CERT_OPTIONAL,
    "NONE": ssl.CERT_NONE,
}

# KeyStoreFileType: the names ssl.*.type takes, and the extension each is guessed from.
_STORE_EXTENSIONS = {".jks": "JKS", ".pem": "PEM", ".p12": "PKCS12", ".bcfks": "BCFKS"}


# --- the x509 scheme ----------------------------------------------------------------------------


class X509AuthProvider:
    """The ``x509`` ACL scheme (``X509AuthenticationProvider``): ids are subject DNs.

    A session gets its x509 identity from the TLS handshake (:meth:`identities`), never from
    ``addauth``. With ``zookeeper.X509AuthenticationProvider.superUser`` set, a certificate
    whose DN is exactly that string is also ``super``, and that DN matches every x509 ACL.
    """

    scheme = "x509"
    authenticated = True

    def __init__(self, super_user: str | None = None) -> None:
        self.super_user = super_user

    def authenticate(
        self, auth: bytes | None, *, remote_address: str, super_digest: str | None
    ) -> list[Id]:
        raise AuthFailed("x509", "x509 identities come from the TLS handshake, not from addauth")

    def is_valid(self, acl_id: str) -> bool:
        return is_valid_dn(acl_id)

    def matches(self, session_id: str, acl_id: str) -> bool:
        if self.super_user is not None and session_id == self.super_user:
            return True
        return session_id == acl_id

    def user_name(self, session_id: str) -> str:
        return session_id

    def identities(self, subject: str) -> list[Id]:
        """The identities a verified certificate with DN ``subject`` gives, super first."""
        if self.super_user is not None and subject == self.super_user:
            log.info("Authenticated Id '%s' as super user", subject)
            return [Id(SUPER_ID.scheme, subject), Id(self.scheme, subject)]
        return [Id(self.scheme, subject)]


def x509_auth_providers(
    providers: Mapping[str, AuthProvider],
    properties: Mapping[str, str],
    *,
    secure_port: bool,
) -> Mapping[str, AuthProvider]:
    """``providers`` plus x509 where ZooKeeper registers it: whenever a secure client port is
    configured (``QuorumPeerConfig.configureSSLAuth``), or when a ``zookeeper.authProvider.N``
    property names ``X509AuthenticationProvider``."""
    named = [value.strip() for key, value in properties.items() if key.startswith(_PROVIDER_KEY)]
    if not secure_port and X509_PROVIDER_CLASS not in named:
        return providers
    extended = dict(providers)
    extended["x509"] = X509AuthProvider(properties.get(_SUPER_USER_PROPERTY))
    return MappingProxyType(extended)


# --- the TLS context ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ServerTls:
    """What the secure port listens with: the context and the x509 provider it reports to."""

    context: ssl.SSLContext
    client_auth: str  # "need", "want" or "none"
    provider: X509AuthProvider
    handshake_timeout: float = HANDSHAKE_TIMEOUT

    def identities(self, certificate: bytes) -> list[Id]:
        """The identities of a peer certificate (DER) that the handshake verified."""
        return self.provider.identities(certificate_subject(certificate))

    def with_provider(self, providers: Mapping[str, AuthProvider]) -> Mapping[str, AuthProvider]:
        """``providers`` with this port's x509 provider added."""
        return MappingProxyType({**providers, self.provider.scheme: self.provider})


class TlsSession:
    """One server-side TLS connection without I/O, over ``ssl.SSLObject`` and memory BIOs.

    Feed :meth:`receive` what the socket read and get the plaintext it carried; write what
    :meth:`outgoing` returns after every call (handshake messages, session tickets, alerts).
    :meth:`encrypt` turns the application's bytes into records. A failed handshake or a bad
    record raises :class:`ssl.SSLError`; the alert that tells the peer why is then waiting in
    :meth:`outgoing`.
    """

    __slots__ = ("_incoming", "_outgoing", "handshake_done", "peer_closed", "ssl_object")

    def __init__(self, context: ssl.SSLContext) -> None:
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()
        self.ssl_object = context.wrap_bio(self._incoming, self._outgoing, server_side=True)
        self.handshake_done = False
        self.peer_closed = False  # the peer sent close_notify

    def receive(self, data: bytes) -> bytes:
        """Take ciphertext; return the plaintext it completes (often b"")."""
        self._incoming.write(data)
        if not self.handshake_done:
            try:
                self.ssl_object.do_handshake()
            except ssl.SSLWantReadError:
                return b""
            self.handshake_done = True
        chunks = []
        while True:
            try:
                chunk = self.ssl_object.read(65536)
            except ssl.SSLWantReadError:
                break
            except ssl.SSLZeroReturnError:
                self.peer_closed = True
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)

    def encrypt(self, plaintext: bytes) -> bytes:
        """The records that carry ``plaintext`` (and anything else waiting to be sent)."""
        self.ssl_object.write(plaintext)
        return self._outgoing.read()

    def outgoing(self) -> bytes:
        return self._outgoing.read()

    def shutdown(self) -> bytes:
        """A close_notify alert, when the session is in a state to send one."""
        if self.handshake_done and not self.peer_closed:
            # SSLWantReadError: our close_notify is written; theirs need not come.
            with contextlib.suppress(ssl.SSLError):
                self.ssl_object.unwrap()
        return self._outgoing.read()


def server_tls(properties: Mapping[str, str]) -> ServerTls:
    """The secure port's TLS settings from ZooKeeper's ``zookeeper.ssl.*`` properties.

    Raises :class:`ConfigError` for a setting ZooKeeper would refuse, a store that cannot be
    read, and what zkcompat cannot honour (JKS and BCFKS stores, revocation checking, a
    ``context.supplier.class``, an SSL auth provider other than x509).
    """
    settings = _Settings(properties)
    auth_scheme = properties.get(SSL_PREFIX + "authProvider", "x509")
    if auth_scheme != "x509":
        if _PROVIDER_KEY + auth_scheme not in properties:
            raise settings.error(
                f"No auth provider configured for the SSL authentication scheme '{auth_scheme}'",
                "authProvider",
            )
        raise settings.error(
            f"ssl.authProvider={auth_scheme}: zkcompat has only the built-in x509 provider",
            "authProvider",
        )
    if settings.get("context.supplier.class") is not None:
        raise settings.error(
            "ssl.context.supplier.class names a Java class; zkcompat builds its TLS context "
            "from the ssl.keyStore.* and ssl.trustStore.* settings only",
            "context.supplier.class",
        )
    for name in ("crl", "ocsp"):
        if settings.boolean(name, False):
            raise settings.error(
                f"ssl.{name}=true: certificate revocation checking is not supported by zkcompat",
                name,
            )
    # ClientX509Util never checks a client's host name; ssl.hostnameVerification only
    # concerns the server certificates a client or a quorum peer checks.
    settings.boolean("hostnameVerification", True)

    client_auth = settings.client_auth()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    # X509Util sets jdk.tls.rejectClientInitiatedRenegotiation; Java trusts any certificate
    # in the trust store as an anchor, intermediate or not.
    context.options |= ssl.OP_NO_RENEGOTIATION
    context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    settings.protocols(context)
    settings.cipher_suites(context)
    settings.load_key_store(context)
    settings.load_trust_store(context)
    context.verify_mode = _CLIENT_AUTH[client_auth]
    provider = X509AuthProvider(properties.get(_SUPER_USER_PROPERTY))
    return ServerTls(context, client_auth.lower(), provider)


class _Settings:
    """The ``zookeeper.ssl.*`` properties, read with ``ZKConfig``'s rules."""

    def __init__(self, properties: Mapping[str, str]) -> None:
        self.properties = properties

    def get(self, name: str) -> str | None:
        return self.properties.get(SSL_PREFIX + name)

    def error(self, reason: str, name: str) -> ConfigError:
        key = SSL_PREFIX + name
        return ConfigError(f"{key}: {reason}", key=key, value=self.properties.get(key))

    def boolean(self, name: str, default: bool) -> bool:
        """``ZKConfig.getBoolean``: unset is the default; otherwise only "true" (any case)."""
        value = self.get(name)
        return default if value is None else value.strip().lower() == "true"

    def client_auth(self) -> str:
        """``ClientAuth.fromPropertyValue``: unset or empty is NEED."""
        value = self.get("clientAuth")
        if not value:
            return "NEED"
        if value.upper() not in _CLIENT_AUTH:
            raise self.error(f"Bad value {value!r}: use need, want or none", "clientAuth")
        return value.upper()

    def password(self, store: str) -> str:
        """``getPasswordFromConfigPropertyOrFile``: a ``passwordPath`` file wins over the
        ``password`` property; one trailing line separator of the file is dropped."""
        value = self.get(f"{store}.password") or ""
        path = self.get(f"{store}.passwordPath") or ""
        if path:
            try:
                with open(path, encoding="utf-8") as file:
                    value = file.read()
            except OSError as error:
                raise self.error(
                    f"cannot read the password file: {error.strerror}", f"{store}.passwordPath"
                ) from error
            value = value.removesuffix(os.linesep)
        return value

    def store_type(self, store: str, location: str) -> str:
        """``KeyStoreFileType.fromPropertyValueOrFileName``."""
        value = self.get(f"{store}.type")
        if value:
            if value.upper() not in _STORE_EXTENSIONS.values():
                raise self.error(f"Bad value {value!r}: use PEM or PKCS12", f"{store}.type")
            return value.upper()
        dot = location.rfind(".")
        store_type = _STORE_EXTENSIONS.get(location[dot:]) if dot >= 0 else None
        if store_type is None:
            raise self.error(
                f"Unable to auto-detect store file type from file name: {location}; "
                f"set ssl.{store}.type",
                f"{store}.location",
            )
        return store_type

    def _unsupported_type(self, store: str, store_type: str) -> ConfigError:
        supported = "PEM or PKCS12" if _has_cryptography() else "PEM"
        if store_type == "PKCS12":
            reason = (
                "PKCS12 stores need the Python package 'cryptography', which is not installed; "
                "install it or convert the store to PEM "
                "(openssl pkcs12 -in <store> -nodes -out <store>.pem)"
            )
        else:
            reason = f"{store_type} stores are not supported by zkcompat; use {supported}"
        return self.error(reason, f"{store}.type")

    def load_key_store(self, context: ssl.SSLContext) -> None:
        location = self.get("keyStore.location") or ""
        if not location:
            # ZooKeeper starts without one and fails every handshake; refuse to start instead.
            raise self.error(
                "not set: the secure client port needs a key store with the server's key "
                "and certificate",
                "keyStore.location",
            )
        store_type = self.store_type("keyStore", location)
        password = self.password("keyStore")
        try:
            if store_type == "PEM":
                # A callable, so that an encrypted key without a password fails instead of
                # OpenSSL prompting on the terminal.
                context.load_cert_chain(location, password=lambda: password)
            elif store_type == "PKCS12" and _has_cryptography():
                _load_pkcs12_key_store(context, location, password)
            else:
                raise self._unsupported_type("keyStore", store_type)
        except (OSError, ValueError) as error:  # ssl.SSLError is an OSError
            raise self.error(
                f"cannot load the {store_type} key store {location}: {_reason(error)}",
                "keyStore.location",
            ) from error

    def load_trust_store(self, context: ssl.SSLContext) -> None:
        location = self.get("trustStore.location") or ""
        if not location:
            # Java's default trust managers then use the JDK's CA certificates.
            log.warning("%strustStore.location not specified; using the system's CAs", SSL_PREFIX)
            context.load_default_certs(ssl.Purpose.CLIENT_AUTH)
            return
        store_type = self.store_type("trustStore", location)
        password = self.password("trustStore")  # PEM trust stores have none
        try:
            if store_type == "PEM":
                context.load_verify_locations(cafile=location)
            elif store_type == "PKCS12" and _has_cryptography():
                context.load_verify_locations(cadata=_pkcs12_certificates(location, password))
            else:
                raise self._unsupported_type("trustStore", store_type)
        except (OSError, ValueError) as error:
            raise self.error(
                f"cannot load the {store_type} trust store {location}: {_reason(error)}",
                "trustStore.location",
            ) from error

    def protocols(self, context: ssl.SSLContext) -> None:
        """``ssl.protocol`` (default TLSv1.2) is the one protocol enabled unless
        ``ssl.enabledProtocols`` lists them."""
        protocol = self.get("protocol") or DEFAULT_PROTOCOL
        if protocol not in _PROTOCOLS and protocol not in _GENERIC_PROTOCOLS:
            raise self.error(f"unknown protocol {protocol!r}; use {_protocol_names()}", "protocol")
        listed = self.get("enabledProtocols")
        names = [name.strip() for name in listed.split(",")] if listed is not None else [protocol]
        versions = []
        for name in names:
            if name not in _PROTOCOLS:
                key = "enabledProtocols" if listed is not None else "protocol"
                raise self.error(
                    f"{name!r} is not a protocol zkcompat can enable; use {_protocol_names()}", key
                )
            versions.append(_PROTOCOLS[name])
        context.minimum_version = min(versions)
        context.maximum_version = max(versions)
        # OpenSSL enables a range; switch off what lies between the listed versions.
        gaps = {
            ssl.TLSVersion.TLSv1_1: ssl.Options.OP_NO_TLSv1_1,
            ssl.TLSVersion.TLSv1_2: ssl.Options.OP_NO_TLSv1_2,
        }
        for version, option in gaps.items():
            if min(versions) < version < max(versions) and version not in versions:
                context.options |= option

    def cipher_suites(self, context: ssl.SSLContext) -> None:
        """``ssl.ciphersuites``: Java (IANA) suite names, comma-separated, in preference
        order. TLS 1.3's suites cannot be restricted through Python's ssl module."""
        listed = self.get("ciphersuites")
        names = DEFAULT_CIPHER_SUITES if listed is None else [n.strip() for n in listed.split(",")]
        known = _openssl_cipher_names()
        chosen: list[str] = []
        for name in names:
            if not name or name in _TLS13_SUITES or name == "TLS_EMPTY_RENEGOTIATION_INFO_SCSV":
                continue
            openssl_name = name if name in known else _openssl_cipher_name(name)
            if openssl_name in known:
                chosen.append(openssl_name)
            else:
                log.warning("%sciphersuites: %s is not available; ignored", SSL_PREFIX, name)
        if chosen:
            context.set_ciphers(":".join(chosen))
        elif context.minimum_version < ssl.TLSVersion.TLSv1_3:
            if context.maximum_version < ssl.TLSVersion.TLSv1_3:
                raise self.error("no cipher suite zkcompat can use is listed", "ciphersuites")
            context.minimum_version = ssl.TLSVersion.TLSv1_3  # nothing left below TLS 1.3


def _protocol_names() -> str:
    return ", ".join(_PROTOCOLS)


def _reason(error: Exception) -> str:
    if isinstance(error, ssl.SSLError):
        return error.reason or str(error)
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error)


# --- cipher suite names -------------------------------------------------------------------------

_TLS13_SUITES = frozenset(
    {
        "TLS_AES_128_GCM_SHA256",
        "TLS_AES_256_GCM_SHA384",
        "TLS_CHACHA20_POLY1305_SHA256",
        "TLS_AES_128_CCM_SHA256",
        "TLS_AES_128_CCM_8_SHA256",
    }
)
_KEY_EXCHANGES = {
    "ECDHE_ECDSA": "ECDHE-ECDSA",
    "ECDHE_RSA": "ECDHE-RSA",
    "DHE_RSA": "DHE-RSA",
    "DHE_DSS": "DHE-DSS",
    "RSA": "",
}
_IANA_SUITE = re.compile(r"(?:TLS|SSL)_(\w+?)_WITH_(\w+?)(?:_(SHA|SHA256|SHA384))?")
_BULK = re.compile(r"(AES|CAMELLIA)_(128|256)(?:_(CBC|GCM|CCM|CCM_8))?")


def _openssl_cipher_name(iana: str) -> str | None:
    """OpenSSL's name for a TLS 1.2 suite Java names by its IANA name, for the regular cases
    (RSA, DHE and ECDHE key exchange; AES, Camellia, ChaCha20 and 3DES), or None."""
    match = _IANA_SUITE.fullmatch(iana)
    if match is None:
        return None
    exchange, bulk, mac = match.groups()
    prefix = _KEY_EXCHANGES.get(exchange)
    if prefix is None:
        return None
    if bulk == "CHACHA20_POLY1305":
        parts = [prefix, "CHACHA20-POLY1305"]
    elif bulk == "3DES_EDE_CBC":
        parts = [prefix, "DES-CBC3", mac or ""]
    else:
        cipher = _BULK.fullmatch(bulk)
        if cipher is None:
            return None
        family, bits, mode = cipher.groups()
        if mode in ("CCM", "CCM_8"):
            parts = [prefix, f"{family}{bits}-{mode.replace('_', '')}"]
        elif mode == "GCM":
            parts = [prefix, f"{family}{bits}-GCM", mac or ""]
        else:
            parts = [prefix, f"{family}{bits}", mac or ""]
    return "-".join(part for part in parts if part)


_cipher_names: frozenset[str] | None = None


def _openssl_cipher_names() -> frozenset[str]:
    """Every TLS 1.2 suite this OpenSSL knows, by OpenSSL's names."""
    global _cipher_names
    if _cipher_names is None:
        probe = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        probe.set_ciphers("ALL:COMPLEMENTOFALL:@SECLEVEL=0")
        _cipher_names = frozenset(cipher["name"] for cipher in probe.get_ciphers())
    return _cipher_names


# --- PKCS12, through the cryptography package when it is there ----------------------------------


def _has_cryptography() -> bool:
    try:
        from cryptography.hazmat.primitives.serialization import pkcs12  # noqa: F401
    except ImportError:
        return False
    return True


def _load_pkcs12_key_store(context: ssl.SSLContext, location: str, password: str) -> None:
    """Load a PKCS12 store's key and certificate chain. Python's ssl module reads keys only
    from files, so the key goes through a private temporary PEM file, encrypted with a
    one-time password, that is removed at once."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    with open(location, "rb") as file:
        key, certificate, chain = pkcs12.load_key_and_certificates(
            file.read(), password.encode() or None
        )
    if key is None or certificate is None:
        raise ValueError("the store holds no private key with a certificate")
    one_time = secrets.token_hex(16)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(one_time.encode()),
    )
    for cert in (certificate, *chain):
        pem += cert.public_bytes(serialization.Encoding.PEM)
    with tempfile.TemporaryDirectory(prefix="zkcompat-tls-") as directory:
        path = os.path.join(directory, "key.pem")
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as file:
            file.write(pem)
        context.load_cert_chain(path, password=one_time)


def _pkcs12_certificates(location: str, password: str) -> str:
    """Every certificate of a PKCS12 trust store, as PEM text."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    with open(location, "rb") as file:
        store = pkcs12.load_pkcs12(file.read(), password.encode() or None)
    certificates = [entry.certificate for entry in store.additional_certs]
    if store.cert is not None:
        certificates.append(store.cert.certificate)
    if not certificates:
        raise ValueError("the store holds no certificates")
    return "".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in certificates)


# --- subject DNs as Java writes them ------------------------------------------------------------

_SEQUENCE, _SET, _OID, _CONTEXT_0 = 0x30, 0x31, 0x06, 0xA0

# AVAKeyword's names that RFC 2253 output uses; any other attribute is written as its OID.
_RFC2253_KEYWORDS = {
    "2.5.4.3": "CN",
    "2.5.4.6": "C",
    "2.5.4.7": "L",
    "2.5.4.8": "ST",
    "2.5.4.10": "O",
    "2.5.4.11": "OU",
    "2.5.4.9": "STREET",
    "0.9.2342.19200300.100.1.25": "DC",
    "0.9.2342.19200300.100.1.1": "UID",
}
# AVA.isDerString(value, false): the string types written as text rather than as #hex.
_DIRECTORY_STRINGS = frozenset({0x0C, 0x13, 0x14, 0x16, 0x1B, 0x1E})
_RFC2253_ESCAPED = frozenset(',=+<>#;"\\')


def _der_items(data: bytes, start: int, end: int) -> Iterator[tuple[int, int, int, int]]:
    """Each DER element in ``data[start:end]``: (tag, header start, content start, end)."""
    position = start
    while position < end:
        if position + 2 > end:
            raise ValueError("truncated DER element")
        tag, length = data[position], data[position + 1]
        content = position + 2
        if length & 0x80:
            count = length & 0x7F
            if count == 0 or count > 4 or content + count > end:
                raise ValueError("bad DER length")
            length = int.from_bytes(data[content : content + count], "big")
            content += count
        if content + length > end:
            raise ValueError("DER element runs past its container")
        yield tag, position, content, content + length
        position = content + length


def _der_children(data: bytes, tag: int, start: int, end: int) -> list[tuple[int, int, int, int]]:
    items = list(_der_items(data, start, end))
    if len(items) != 1 or items[0][0] != tag:
        raise ValueError(f"expected one DER element with tag 0x{tag:02x}")
    _, _, content, stop = items[0]
    return list(_der_items(data, content, stop))


def certificate_subject(certificate: bytes) -> str:
    """The subject DN of a DER certificate, as ``X509Certificate.getSubjectX500Principal()
    .getName()`` returns it (what ZooKeeper's x509 identity is)."""
    certificate_fields = _der_children(certificate, _SEQUENCE, 0, len(certificate))
    if not certificate_fields or certificate_fields[0][0] != _SEQUENCE:
        raise ValueError("not an X.509 certificate")
    _, _, content, end = certificate_fields[0]
    tbs = list(_der_items(certificate, content, end))
    if tbs and tbs[0][0] == _CONTEXT_0:  # the explicit version
        tbs = tbs[1:]
    # serialNumber, signature, issuer, validity, subject
    if len(tbs) < 5 or tbs[4][0] != _SEQUENCE:
        raise ValueError("certificate has no subject")
    _, header, _, stop = tbs[4]
    return rfc2253_name(certificate[header:stop])


def rfc2253_name(name: bytes) -> str:
    """A DER ``Name`` written as ``X500Principal.getName()`` writes it: the last RDN first,
    multi-valued RDNs joined by "+" in encoded order."""
    rdns = []
    for tag, _, content, end in _der_children(name, _SEQUENCE, 0, len(name)):
        if tag != _SET:
            raise ValueError("an RDN is not a SET")
        avas = []
        for ava_tag, _, ava_content, ava_end in _der_items(name, content, end):
            if ava_tag != _SEQUENCE:
                raise ValueError("an attribute is not a SEQUENCE")
            parts = list(_der_items(name, ava_content, ava_end))
            if len(parts) != 2 or parts[0][0] != _OID:
                raise ValueError("an attribute is not a type and a value")
            oid = _oid_text(name[parts[0][2] : parts[0][3]])
            value_tag, _, value_content, value_end = parts[1]
            avas.append(_ava_text(oid, value_tag, name[value_content:value_end]))
        rdns.append("+".join(avas))
    return ",".join(reversed(rdns))


def _oid_text(content: bytes) -> str:
    if not content or content[-1] & 0x80:
        raise ValueError("bad OID")
    arcs: list[int] = []
    value = 0
    for byte in content:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    first = min(arcs[0] // 40, 2)
    return ".".join(str(arc) for arc in (first, arcs[0] - 40 * first, *arcs[1:]))


def _ava_text(oid: str, tag: int, content: bytes) -> str:
    """``AVA.toRFC2253String``: a keyword and an escaped string, or the OID and "#" with the
    value's DER encoding in hex."""
    keyword = _RFC2253_KEYWORDS.get(oid)
    if keyword is None or tag not in _DIRECTORY_STRINGS:
        return f"{keyword or oid}=#{_der_encoding(tag, content).hex()}"
    # Java decodes the bytes of every string type as UTF-8 here, BMPString included.
    text = content.decode("utf-8", "replace")
    chars = []
    for ch in text:
        if ch in _RFC2253_ESCAPED:
            chars.append("\\" + ch)
        elif ch == "\0":
            chars.append("\\00")
        else:
            chars.append(ch)
    escaped = "".join(chars)
    # Leading and trailing spaces (and carriage returns) are escaped too.
    lead = len(escaped) - len(escaped.lstrip(" \r"))
    trail = len(escaped.rstrip(" \r"))
    value = "".join("\\" + ch if i < lead or i >= trail else ch for i, ch in enumerate(escaped))
    return f"{keyword}={value}"


def _der_encoding(tag: int, content: bytes) -> bytes:
    length = len(content)
    if length < 0x80:
        header = bytes([tag, length])
    else:
        size = (length.bit_length() + 7) // 8
        header = bytes([tag, 0x80 | size]) + length.to_bytes(size, "big")
    return header + content


# --- which strings new X500Principal(String) accepts -----------------------------------------

# AVAKeyword's whole table: X500Principal(String) takes every one of them.
_KEYWORDS = frozenset(
    {
        "CN", "C", "L", "S", "ST", "O", "OU", "T", "IP", "STREET", "DC", "DNQUALIFIER", "DNQ",
        "SURNAME", "GIVENNAME", "INITIALS", "GENERATION", "EMAIL", "EMAILADDRESS", "UID",
        "SERIALNUMBER",
    }
)  # fmt: skip
_ESCAPABLE = frozenset(',=\n+<>#;\\" ')  # AVA.specialCharsDefault
_ESCAPABLE_QUOTED = _ESCAPABLE - {" "}  # AVA.specialChars1779
_MUST_ESCAPE = frozenset(',+<>;"')  # AVA.escapedDefault
_HEX = frozenset("0123456789abcdefABCDEF")


def is_valid_dn(text: str) -> bool:
    """Whether ``new X500Principal(text)`` accepts ``text`` (the x509 ``isValid`` test):
    RDNs split on unquoted, unescaped "," or ";", attributes on "+", each ``keyword=value``
    with a known keyword or an OID, and a value that is "#hex", a quoted string or a string
    whose special characters are escaped. The empty string is the empty DN."""
    if not text:
        return True
    try:
        for rdn in _split_unquoted(text, ",;"):
            for ava in _split_unquoted(rdn, "+"):
                _check_ava(ava)
    except ValueError:
        return False
    return True


def _split_unquoted(text: str, separators: str) -> list[str]:
    """Split where a separator is neither escaped nor inside quotes, as X500Name does."""
    parts: list[str] = []
    start = 0
    quotes = 0
    for index, ch in enumerate(text):
        if ch == '"' and not _escaped(text, index):
            quotes += 1
        elif ch in separators and quotes != 1 and not _escaped(text, index):
            parts.append(text[start:index])
            start = index + 1
            quotes = 0
    parts.append(text[start:])
    return parts


def _escaped(text: str, index: int) -> bool:
    backslashes = 0
    while index - backslashes - 1 >= 0 and text[index - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


def _check_ava(ava: str) -> None:
    keyword, equals, value = ava.partition("=")
    if not equals:
        raise ValueError("no '=' in an attribute")
    _check_keyword(keyword.upper().strip())
    value = value.lstrip(" \n")
    if not value:
        return
    if value[0] == "#":
        _check_hex_value(value[1:])
    elif value[0] == '"':
        _check_quoted_value(value[1:])
    else:
        _check_string_value(value)


def _check_keyword(keyword: str) -> None:
    if keyword in _KEYWORDS:
        return
    oid = keyword.removeprefix("OID.")
    if not oid or not "0" <= oid[0] <= "9":
        raise ValueError(f"invalid keyword {keyword!r}")
    arcs = oid.split(".")
    if len(arcs) < 2 or not all(re.fullmatch(r"[+-]?[0-9]+", arc) for arc in arcs):
        raise ValueError(f"invalid OID {oid!r}")
    numbers = [int(arc) for arc in arcs]
    if numbers[0] > 2 or (numbers[0] < 2 and numbers[1] > 39) or min(numbers) < 0:
        raise ValueError(f"invalid OID {oid!r}")


def _check_hex_value(digits: str) -> None:
    if not digits or len(digits) % 2 or not set(digits) <= _HEX:
        raise ValueError("bad hex value")
    data = bytes.fromhex(digits)
    items = list(_der_items(data, 0, len(data)))  # must be one whole DER value
    if len(items) != 1 or items[0][3] != len(data):
        raise ValueError("hex value is not one DER value")


def _check_quoted_value(rest: str) -> None:
    index = 0
    while index < len(rest):
        ch = rest[index]
        if ch == "\\":
            index = _check_escape(rest, index + 1, _ESCAPABLE_QUOTED)
            continue
        if ch == '"':
            if rest[index + 1 :].strip(" \n"):
                raise ValueError("characters after a quoted value")
            return
        index += 1
    raise ValueError("unterminated quoted value")


def _check_string_value(value: str) -> None:
    index = 0
    while index < len(value):
        ch = value[index]
        if ch == "\\":
            index = _check_escape(value, index + 1, _ESCAPABLE)
            continue
        if ch in _MUST_ESCAPE:
            raise ValueError(f"{ch!r} must be escaped")
        index += 1


def _check_escape(text: str, index: int, escapable: frozenset[str]) -> int:
    """Check the escape whose backslash precedes ``index``; return the index after it."""
    if index >= len(text):
        raise ValueError("trailing backslash")
    ch = text[index]
    if ch in _HEX:
        if index + 1 >= len(text) or text[index + 1] not in _HEX:
            raise ValueError("an escaped hex value needs two digits")
        return index + 2
    if ch not in escapable:
        raise ValueError(f"{ch!r} cannot be escaped")
    return index + 1
