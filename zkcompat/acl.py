"""Who a session is, and what its identities may do: auth providers, ACL fixup and ACL checks.

This module owns ZooKeeper's access-control rules, as pure functions over ``jute.records``
values: turning an ``AuthPacket`` into identities (:func:`authenticate`), checking a znode's ACL
against a session's identities (:func:`check_acl`), validating and expanding the ACL of a create
or setACL (:func:`fixup_acl`), and what ``whoAmI`` and a redacted ``getACL`` show
(:func:`client_info`, :func:`redact_acl`).

What it must not know: sockets, sessions and connections (the caller passes the peer's address
and keeps each session's :class:`AuthInfo`), the tree, and how an error reaches the wire
(:class:`AuthFailed` and :class:`InvalidACL` carry their ``Err`` code for the caller to use).

The schemes follow ZooKeeper's ``ProviderRegistry``: only "ip" and "digest" are providers.
"world" (only ``world:anyone``), "auth" (a placeholder that fixup expands) and "super" (an
identity granted by the super digest) are special cases of the rules, not providers, so an
``addauth`` with any of them fails as it does in ZooKeeper. The "ip" provider understands IPv6
as ZooKeeper 3.9.4 and later do; 3.8 knew IPv4 only and rejected IPv6 ACLs as invalid.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import logging
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import lru_cache
from types import MappingProxyType
from typing import ClassVar, Protocol

from jute.records import ACL, ClientInfo, Id
from zkcompat.constants import Err, Perms
from zkcompat.javaorder import java_string_hash

__all__ = [
    "ANYONE_ID_UNSAFE",
    "AUTH_IDS",
    "CREATOR_ALL_ACL",
    "DEFAULT_PROVIDERS",
    "OPEN_ACL_UNSAFE",
    "READ_ACL_UNSAFE",
    "SUPER_ID",
    "AuthFailed",
    "AuthInfo",
    "AuthProvider",
    "DigestProvider",
    "InvalidACL",
    "IpProvider",
    "authenticate",
    "check_acl",
    "client_info",
    "digest",
    "fixup_acl",
    "ip_identity",
    "is_valid_id",
    "redact_acl",
]

log = logging.getLogger(__name__)

ANYONE_ID_UNSAFE = Id("world", "anyone")
AUTH_IDS = Id("auth", "")
SUPER_ID = Id("super", "")
OPEN_ACL_UNSAFE: tuple[ACL, ...] = (ACL(int(Perms.ALL), ANYONE_ID_UNSAFE),)
READ_ACL_UNSAFE: tuple[ACL, ...] = (ACL(int(Perms.READ), ANYONE_ID_UNSAFE),)
CREATOR_ALL_ACL: tuple[ACL, ...] = (ACL(int(Perms.ALL), AUTH_IDS),)


class AuthFailed(Exception):
    """An ``AuthPacket`` was refused: ZooKeeper replies AuthFailed and closes the connection."""

    code: ClassVar[Err] = Err.AuthFailed

    def __init__(self, scheme: str | None, reason: str) -> None:
        super().__init__(f"auth failed for scheme {scheme!r}: {reason}")
        self.scheme = scheme


class InvalidACL(Exception):
    """The ACL of a create or setACL is empty, malformed or cannot be expanded."""

    code: ClassVar[Err] = Err.InvalidACL

    def __init__(self, path: str | None) -> None:
        super().__init__(f"InvalidACL for {path}")
        self.path = path


# --- Java's number parsing, which decides what an ip ACL may look like -------------------------

_FULLWIDTH_UPPER_A, _FULLWIDTH_LOWER_A = 0xFF21, 0xFF41


def _java_digit(ch: str, radix: int) -> int:
    """``Character.digit(char, radix)``: Unicode decimal digits and (fullwidth) Latin letters."""
    code = ord(ch)
    if code > 0xFFFF:  # a Java char is one UTF-16 unit; a surrogate is no digit
        return -1
    value = unicodedata.decimal(ch, -1)
    if value < 0:
        if "a" <= ch <= "z" or "A" <= ch <= "Z":
            value = ord(ch.lower()) - ord("a") + 10
        elif _FULLWIDTH_UPPER_A <= code < _FULLWIDTH_UPPER_A + 26:
            value = code - _FULLWIDTH_UPPER_A + 10
        elif _FULLWIDTH_LOWER_A <= code < _FULLWIDTH_LOWER_A + 26:
            value = code - _FULLWIDTH_LOWER_A + 10
    return value if 0 <= value < radix else -1


def java_parse_int(text: str, radix: int = 10) -> int | None:
    """``Integer.parseInt``, or None where Java throws: a sign, then digits, within 32 bits.

    Python's ``int()`` would also take spaces and underscores, which ZooKeeper refuses.
    """
    sign, digits = 1, text
    if text[:1] in ("+", "-"):
        sign, digits = (-1 if text[0] == "-" else 1), text[1:]
    if not digits:
        return None
    value = 0
    for ch in digits:
        d = _java_digit(ch, radix)
        if d < 0:
            return None
        value = value * radix + d
    value *= sign
    return value if -(2**31) <= value < 2**31 else None


def _java_split(text: str, sep: str) -> list[str]:
    """``String.split(sep)`` with no limit: Java drops trailing empty strings."""
    parts = text.split(sep)
    if len(parts) == 1:
        return parts
    while parts and not parts[-1]:
        parts.pop()
    return parts


# --- providers --------------------------------------------------------------------------------


class AuthProvider(Protocol):
    """A ZooKeeper ``AuthenticationProvider``: one scheme's way to authenticate and match."""

    scheme: str
    #: whether the identities it grants stand for a user, so that an "auth" ACL expands to them
    authenticated: bool

    def authenticate(
        self, auth: bytes | None, *, remote_address: str, super_digest: str | None
    ) -> list[Id]: ...

    def is_valid(self, acl_id: str) -> bool: ...

    def matches(self, session_id: str, acl_id: str) -> bool: ...

    def user_name(self, session_id: str) -> str: ...


def digest(id_password: str) -> str:
    """The stored form of a digest identity: ``user:base64(sha1("user:password"))``.

    This is what a ``digest`` ACL must name and what ``zookeeper.DigestAuthenticationProvider
    .superDigest`` holds; ``digest("super:test") == "super:D/InIHSb7yEEbrWz8b9l71RjZJU="``.
    The whole "user:password" string is hashed, and the user is what precedes the first colon.
    """
    user = id_password.split(":", 1)[0]
    hashed = hashlib.sha1(id_password.encode("utf-8", "replace")).digest()
    return f"{user}:{base64.b64encode(hashed).decode('ascii')}"


class DigestProvider:
    """The "digest" scheme: the client sends "user:password", the session gets its digest."""

    scheme = "digest"
    authenticated = True

    def authenticate(
        self, auth: bytes | None, *, remote_address: str, super_digest: str | None
    ) -> list[Id]:
        if auth is None:  # ZooKeeper fails on a null buffer (and reports AuthFailed)
            raise AuthFailed(self.scheme, "no credentials")
        identity = digest(auth.decode("utf-8", "replace"))
        if super_digest is not None and identity == super_digest:
            log.info("digest authentication as the super user from %s", remote_address)
            return [SUPER_ID, Id(self.scheme, identity)]
        return [Id(self.scheme, identity)]

    def is_valid(self, acl_id: str) -> bool:
        # ZooKeeper's test is only "two parts around a colon", with Java's split quirks:
        # "user:" has one part and is invalid, ":hash" and "user:hash:" have two and pass.
        return len(_java_split(acl_id, ":")) == 2

    def matches(self, session_id: str, acl_id: str) -> bool:
        return session_id == acl_id

    def user_name(self, session_id: str) -> str:
        parts = _java_split(session_id, ":")
        return parts[0] if parts else ""


_IPV6_SEGMENTS = 8


def _v4_bytes(addr: str) -> bytes | None:
    parts = addr.split(".")
    if len(parts) != 4:
        return None
    octets = []
    for part in parts:
        value = java_parse_int(part)
        if value is None or not 0 <= value <= 255:
            return None
        octets.append(value)
    return bytes(octets)


def _v6_segments(text: str) -> list[int] | None:
    values = []
    for segment in text.split(":") if text else ():
        if not segment or len(segment) > 4:
            return None
        value = java_parse_int(segment, 16)
        if value is None:
            return None
        values.append(value & 0xFFFF)  # "-1" parses in Java and lands as ffff
    return values


def _v6_bytes(addr: str) -> bytes | None:
    halves = addr.split("::")
    if len(halves) == 1:
        words = _v6_segments(halves[0])
        if words is None or len(words) != _IPV6_SEGMENTS:
            return None
    elif len(halves) == 2:
        head, tail = _v6_segments(halves[0]), _v6_segments(halves[1])
        if head is None or tail is None or len(head) + len(tail) >= _IPV6_SEGMENTS:
            return None
        words = head + [0] * (_IPV6_SEGMENTS - len(head) - len(tail)) + tail
    else:
        return None
    return b"".join(w.to_bytes(2, "big") for w in words)


@lru_cache(maxsize=4096)
def _address_bytes(addr: str, ipv6: bool) -> bytes | None:
    """An address as ZooKeeper's ip provider reads it: a colon means IPv6, else a dot IPv4."""
    if ":" in addr:
        return _v6_bytes(addr) if ipv6 else None
    if "." in addr:
        return _v4_bytes(addr)
    return None


@lru_cache(maxsize=4096)
def _ip_expression(acl_id: str, ipv6: bool) -> tuple[bytes, int] | None:
    """An ip ACL id ("10.0.0.0/8", "::1") as (masked address, prefix bits), or None if invalid."""
    address, slash, bits_text = acl_id.partition("/")
    raw = _address_bytes(address, ipv6)
    if raw is None:
        return None
    bits = len(raw) * 8
    if slash:
        parsed = java_parse_int(bits_text)
        if parsed is None or not 0 <= parsed <= bits:
            return None
        bits = parsed
    return _mask(raw, bits), bits


def _mask(raw: bytes, bits: int) -> bytes:
    width = len(raw) * 8
    value = int.from_bytes(raw, "big") >> (width - bits) << (width - bits) if bits else 0
    return value.to_bytes(len(raw), "big")


class IpProvider:
    """The "ip" scheme: the session's peer address, matched against addresses and CIDR blocks.

    Every connection starts with its ip identity; an ``addauth ip`` adds the same again. It is
    not an authenticated identity, so an "auth" ACL never expands to it. ``ipv6=False`` behaves
    as ZooKeeper before 3.9.4: IPv6 ACL ids are invalid and IPv6 peers match nothing.
    """

    scheme = "ip"
    authenticated = False

    def __init__(self, *, ipv6: bool = True) -> None:
        self.ipv6 = ipv6

    def authenticate(
        self, auth: bytes | None, *, remote_address: str, super_digest: str | None
    ) -> list[Id]:
        return [ip_identity(remote_address)]

    def is_valid(self, acl_id: str) -> bool:
        return _ip_expression(acl_id, self.ipv6) is not None

    def matches(self, session_id: str, acl_id: str) -> bool:
        expression = _ip_expression(acl_id, self.ipv6)
        if expression is None:
            return False
        network, bits = expression
        remote = _address_bytes(session_id, self.ipv6)
        return remote is not None and len(remote) == len(network) and _mask(remote, bits) == network

    def user_name(self, session_id: str) -> str:
        return session_id


DEFAULT_PROVIDERS: Mapping[str, AuthProvider] = MappingProxyType(
    {"ip": IpProvider(), "digest": DigestProvider()}
)
"""ZooKeeper's default registry. A server started with
``zookeeper.DigestAuthenticationProvider.enabled=false`` passes one without "digest"."""


def ip_identity(host: str) -> Id:
    """The ip identity of a peer, spelled as Java's ``InetAddress.getHostAddress`` spells it.

    That spelling is what ``whoAmI`` shows: IPv6 in full lower-case groups without "::"
    ("0:0:0:0:0:0:0:1"), and an IPv4-mapped IPv6 peer (a v4 client on a dual-stack socket) as
    plain IPv4, because Java turns such an address into an ``Inet4Address``.
    """
    address_text, percent, scope = host.partition("%")
    try:
        address = ipaddress.ip_address(address_text)
    except ValueError:
        return Id("ip", host)
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return Id("ip", str(address.ipv4_mapped))
        words = int(address).to_bytes(16, "big")
        text = ":".join(f"{int.from_bytes(words[i : i + 2], 'big'):x}" for i in range(0, 16, 2))
        return Id("ip", text + percent + scope)
    return Id("ip", str(address))


def authenticate(
    scheme: str | None,
    auth: bytes | None,
    super_digest: str | None = None,
    *,
    remote_address: str,
    providers: Mapping[str, AuthProvider] = DEFAULT_PROVIDERS,
) -> list[Id]:
    """The identities an ``AuthPacket(scheme, auth)`` adds to the session, super first.

    Raises :class:`AuthFailed` for a scheme with no provider (including "world", "auth" and
    "super") and for credentials the provider refuses; ZooKeeper then replies AuthFailed and
    closes the connection. ``super_digest`` is ``zookeeper.DigestAuthenticationProvider
    .superDigest`` ("super:<digest>"); credentials hashing to it also grant :data:`SUPER_ID`.
    """
    provider = providers.get(scheme) if scheme is not None else None
    if provider is None:
        log.warning("No authentication provider for scheme: %s has %s", scheme, " ".join(providers))
        raise AuthFailed(scheme, "no authentication provider")
    try:
        return provider.authenticate(auth, remote_address=remote_address, super_digest=super_digest)
    except AuthFailed:
        log.warning("Authentication failed for scheme: %s", scheme)
        raise


def is_valid_id(
    scheme: str | None,
    acl_id: str | None,
    *,
    providers: Mapping[str, AuthProvider] = DEFAULT_PROVIDERS,
) -> bool:
    """Whether ``scheme:acl_id`` may appear in an ACL a client sets.

    "world" takes only "anyone"; "auth" is a placeholder whatever its id (whether it expands
    is :func:`fixup_acl`'s question); any other scheme needs a provider that accepts the id,
    so "super" and unknown schemes are never valid.
    """
    if scheme is None or acl_id is None:
        return scheme == "auth"
    if scheme == "world":
        return acl_id == "anyone"
    if scheme == "auth":
        return True
    provider = providers.get(scheme)
    return provider is not None and provider.is_valid(acl_id)


def check_acl(
    acl: Sequence[ACL] | None,
    perm: int,
    identities: Iterable[Id],
    *,
    skip_acl: bool = False,
    providers: Mapping[str, AuthProvider] = DEFAULT_PROVIDERS,
) -> bool:
    """Whether a session with ``identities`` holds any bit of ``perm`` on a znode with ``acl``.

    ZooKeeper's order: ``skipACL`` passes; an empty ACL passes; a super identity passes; then
    an entry granting any bit of ``perm`` passes if it is ``world:anyone`` or its provider
    matches one of the session's identities of the same scheme. False means NoAuth.
    """
    if skip_acl or not acl:
        return True
    # Every way in grants the same; world:anyone needs no look at the identities, and most
    # znodes have it (the read path's common case).
    for entry in acl:
        if entry.perms & perm and entry.id == ANYONE_ID_UNSAFE:
            return True
    ids = identities if isinstance(identities, (list, tuple, AuthInfo)) else list(identities)
    for identity in ids:
        if identity.scheme == "super":
            return True
    for entry in acl:
        if not entry.perms & perm:
            continue
        scheme, expression = entry.id
        provider = providers.get(scheme)
        if provider is None:
            continue
        for identity in ids:
            if identity.scheme == scheme and provider.matches(identity.id, expression):
                return True
    return False


def fixup_acl(
    path: str | None,
    identities: Iterable[Id],
    acl: Sequence[ACL] | None,
    *,
    providers: Mapping[str, AuthProvider] = DEFAULT_PROVIDERS,
) -> list[ACL]:
    """The ACL a create or setACL stores, or :class:`InvalidACL` (ZooKeeper's ``fixupACL``).

    Duplicate entries are dropped first (keeping the first), and an empty result is invalid.
    ``world:anyone`` stays; an "auth" entry becomes one entry per authenticated identity of
    the session (digest, not ip), with the entry's perms, and is invalid if there is none;
    any other entry must name a provider's scheme with an id it accepts. Entries produced by
    expansion are not deduplicated again, as in ZooKeeper. ``identities`` are walked in the
    order given: pass the session's :class:`AuthInfo` for ZooKeeper's order.
    """
    unique: list[ACL] = []
    for entry in acl or ():
        if entry not in unique:
            unique.append(entry)
    if not unique:
        raise InvalidACL(path)
    ids: list[Id] | None = None  # the session's identities, listed only if "auth" needs them
    fixed: list[ACL] = []
    for entry in unique:
        if entry is None or entry.id is None or entry.id.scheme is None:
            raise InvalidACL(path)
        scheme, acl_id = entry.id
        if scheme == "world" and acl_id == "anyone":
            fixed.append(entry)
        elif scheme == "auth":
            if ids is None:
                ids = list(identities)
            expanded = False
            for identity in ids:
                provider = providers.get(identity.scheme)
                if provider is None:
                    log.debug("no provider for identity scheme %s; not expanded", identity.scheme)
                elif provider.authenticated:
                    expanded = True
                    fixed.append(ACL(entry.perms, identity))
            if not expanded:
                log.debug("auth ACL on %s from a session with no authenticated identity", path)
                raise InvalidACL(path)
        else:
            provider = providers.get(scheme)
            if provider is None or acl_id is None or not provider.is_valid(acl_id):
                log.debug("invalid ACL id %s:%s on %s", scheme, acl_id, path)
                raise InvalidACL(path)
            fixed.append(entry)
    return fixed


def client_info(
    identities: Iterable[Id],
    *,
    providers: Mapping[str, AuthProvider] = DEFAULT_PROVIDERS,
) -> list[ClientInfo]:
    """What ``whoAmI`` reports: each identity's scheme and its provider's user name.

    Digest identities show the user only (never the hash); ip shows the address; an identity
    without a provider ("super") shows an empty user.
    """
    infos = []
    for identity in identities:
        provider = providers.get(identity.scheme)
        user = provider.user_name(identity.id) if provider is not None else None
        infos.append(ClientInfo(identity.scheme, user or ""))
    return infos


# Java's "." stops at any line terminator, not only "\n".
_DIGEST_SECRET = re.compile(":[^\n\r\u0085\u2028\u2029]*")


def redact_acl(acl: Iterable[ACL]) -> list[ACL]:
    """The ACL ``getACL`` shows a reader without ADMIN: every digest hash replaced by "x".

    ZooKeeper rewrites ``user:hash`` to ``user:x`` so that hashes cannot be attacked offline;
    other schemes are shown as they are.
    """
    return [
        ACL(entry.perms, Id("digest", _DIGEST_SECRET.sub(":x", entry.id.id)))
        if entry.id.scheme == "digest"
        else entry
        for entry in acl
    ]


# --- a session's identities, in ZooKeeper's order ---------------------------------------------


def _id_hash(identity: Id) -> int:
    """Jute's generated ``Id.hashCode`` (17, then 37 * result + each field's hash)."""
    h = (37 * 17 + java_string_hash(identity.scheme)) & 0xFFFFFFFF
    return (37 * h + java_string_hash(identity.id)) & 0xFFFFFFFF


class AuthInfo:
    """A session's identities: a set that iterates in the order ZooKeeper's would.

    ZooKeeper keeps them in a ``ConcurrentHashMap``-backed set, so ``whoAmI`` and the
    expansion of an "auth" ACL list them in hash-bucket order, not in the order they were
    added. We keep the same buckets (16, doubling when 3/4 full, each bucket in insertion
    order and split on resize as that map splits them) so clients see the same lists. A bucket
    long enough to become a tree (8 identities with one hash) is not modelled.
    """

    __slots__ = ("_count", "_table", "_threshold")

    _INITIAL_CAPACITY: ClassVar[int] = 16

    def __init__(self, identities: Iterable[Id] = ()) -> None:
        self._table: list[list[tuple[int, Id]]] = [[] for _ in range(self._INITIAL_CAPACITY)]
        self._count = 0
        self._threshold = self._INITIAL_CAPACITY - self._INITIAL_CAPACITY // 4
        for identity in identities:
            self.add(identity)

    def add(self, identity: Id) -> bool:
        """Add ``identity``; False if the session already had it."""
        h = _id_hash(identity)
        h = (h ^ (h >> 16)) & 0x7FFFFFFF
        bucket = self._table[h & (len(self._table) - 1)]
        if any(existing == identity for _, existing in bucket):
            return False
        bucket.append((h, identity))
        self._count += 1
        if self._count >= self._threshold:
            self._grow()
        return True

    def _grow(self) -> None:
        size = len(self._table)
        table: list[list[tuple[int, Id]]] = [[] for _ in range(2 * size)]
        for index, bucket in enumerate(self._table):
            if not bucket:
                continue
            # The map keeps the longest tail whose entries go the same way and prepends the
            # others, one by one, in front of it: those end up reversed.
            run_start = len(bucket) - 1
            while run_start > 0 and (bucket[run_start - 1][0] & size) == (
                bucket[run_start][0] & size
            ):
                run_start -= 1
            low: list[tuple[int, Id]] = []
            high: list[tuple[int, Id]] = []
            tail = bucket[run_start:]
            if tail[0][0] & size:
                high = list(tail)
            else:
                low = list(tail)
            for entry in bucket[:run_start]:
                (high if entry[0] & size else low).insert(0, entry)
            table[index], table[index + size] = low, high
        self._table = table
        self._threshold = 2 * size - size // 2

    def __iter__(self) -> Iterator[Id]:
        for bucket in self._table:
            for _, identity in bucket:
                yield identity

    def __len__(self) -> int:
        return self._count

    def __contains__(self, identity: object) -> bool:
        return any(identity == existing for existing in self)

    def __repr__(self) -> str:
        return f"AuthInfo({list(self)!r})"
