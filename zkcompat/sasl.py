"""SASL on the client port: the JAAS file that names DIGEST-MD5 users, and the DIGEST-MD5 server.

This module owns what Apache ZooKeeper 3.8 delegates to the JVM when a client sends ``sasl``
(opcode 102) requests: reading the JAAS login configuration named by the
``java.security.auth.login.config`` property (the ``Server`` section, renamed by
``zookeeper.sasl.serverconfig``), where every ``user_<name>="<password>"`` option of any login
module is a user (``SaslServerCallbackHandler``); and the DIGEST-MD5 mechanism of RFC 2831 as
the JDK's ``DigestMD5Server`` runs it for ZooKeeper, with service ``zookeeper`` and server name
``zk-sasl-md5`` (so the realm is ``zk-sasl-md5`` and the digest-uri ``zookeeper/zk-sasl-md5``),
quality of protection ``auth`` only, and the authorization id that becomes the session's
``Id("sasl", ...)``.

It must not know sockets, sessions or the reply pipeline. :class:`DigestMd5Server` is sans-IO:
tokens in, tokens out. The caller owns the connection and turns :class:`SaslFailed` into the
reply ZooKeeper sends (``err`` AuthFailed, a null ``SetSASLResponse`` token, then closing the
connection). GSSAPI (Kerberos) is not supported; ZooKeeper picks it only when the JAAS
``Server`` section logs in a Kerberos principal.

Two places where zkcompat deliberately differs from the JVM: a user missing from the JAAS
section always fails (ZooKeeper 3.8 shares one callback handler between connections, so an
unknown user is checked against the password of whichever known user tried last, and can
succeed); and nonces come from :mod:`secrets` rather than ``java.util.Random``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from types import MappingProxyType
from typing import ClassVar

from jute.records import Id
from zkcompat.acl import DEFAULT_PROVIDERS, AuthFailed, AuthProvider, java_parse_int
from zkcompat.constants import Err

log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_SERVER_SECTION",
    "DIGEST_REALM",
    "DIGEST_SERVICE",
    "JAAS_CONFIG_PROPERTY",
    "SERVER_SECTION_PROPERTY",
    "DigestMd5Server",
    "JaasConfigError",
    "LoginModuleEntry",
    "SaslConfig",
    "SaslFailed",
    "canonical_authorization_id",
    "load_jaas",
    "load_jaas_users",
    "new_nonce",
    "parse_jaas",
    "sasl_config_from_properties",
    "server_section",
    "users_of",
]

#: The system property naming the JAAS login configuration file.
JAAS_CONFIG_PROPERTY = "java.security.auth.login.config"
#: The system property naming the server's JAAS section (``ZooKeeperSaslServer``).
SERVER_SECTION_PROPERTY = "zookeeper.sasl.serverconfig"
DEFAULT_SERVER_SECTION = "Server"
#: A password for the user "super" that wins over the JAAS file.
SUPER_PASSWORD_PROPERTY = "zookeeper.SASLAuthenticationProvider.superPassword"
#: ``zookeeper.superUser`` (and ``zookeeper.superUser.<anything>``) name SASL ids that are super.
SASL_SUPER_USER_PROPERTY = "zookeeper.superUser"
REMOVE_HOST_PROPERTY = "zookeeper.kerberos.removeHostFromPrincipal"
REMOVE_REALM_PROPERTY = "zookeeper.kerberos.removeRealmFromPrincipal"

#: The protocol and server name ZooKeeper hands the JDK; DIGEST-MD5 uses them as
#: digest-uri ``zookeeper/zk-sasl-md5`` and, with no realm property, as the only realm.
DIGEST_SERVICE = "zookeeper"
DIGEST_REALM = "zk-sasl-md5"

SASL_SCHEME = "sasl"
_SUPER_ID = Id("super", "")


# --- the JAAS login configuration -----------------------------------------------------------------


class JaasConfigError(ValueError):
    """A JAAS file the JVM would refuse: the message names the file, the line and what was wrong.

    ZooKeeper cannot start with such a file (``configureSaslLogin`` turns the JVM's
    ``SecurityException`` into an ``IOException`` and the server exits), so neither should we.
    """

    def __init__(self, source: str, line: int | None, problem: str) -> None:
        where = f"{source}, line {line}" if line is not None else source
        super().__init__(f"JAAS configuration error in {where}: {problem}")
        self.source = source
        self.line = line
        self.problem = problem


@dataclass(frozen=True, slots=True)
class LoginModuleEntry:
    """One ``<module class> <flag> key=value ...;`` line of a JAAS section."""

    module: str
    flag: str  # "required", "requisite", "sufficient" or "optional" (lower case)
    options: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    line: int = 0


_CONTROL_FLAGS = frozenset({"required", "requisite", "sufficient", "optional"})

# The JVM reads JAAS files with java.io.StreamTokenizer in its default syntax plus '$', '_',
# '-' and '*' as word characters: a word starts with a letter (or one of those, or any char at
# or above U+00A0) and goes on through letters, digits, '.' and '-'; a token that starts with a
# digit, '.' or '-' is a number, which no place of the grammar accepts. Values may be quoted
# with '"' (with C-like backslash escapes); '\'' also quotes, but the grammar then refuses it.


def _is_word_start(ch: str) -> bool:
    return "a" <= ch <= "z" or "A" <= ch <= "Z" or ch in "$_*" or ord(ch) >= 0xA0


def _is_word_part(ch: str) -> bool:
    return _is_word_start(ch) or "0" <= ch <= "9" or ch in ".-"


_ESCAPES = {"a": "\x07", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\x0b"}


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "word", "string" ('"'), "squote" ('\''), "number", "symbol", "eof"
    text: str
    line: int


class _JaasTokenizer:
    """Tokens of a JAAS file, with true line numbers for error messages."""

    def __init__(self, text: str, source: str) -> None:
        self.text = text
        self.source = source
        self.pos = 0
        self.line = 1

    def _newline_at(self, i: int) -> int:
        """Length of the line break at ``i`` (``\\r\\n`` counts once), or 0."""
        if self.text.startswith("\r\n", i):
            return 2
        return 1 if i < len(self.text) and self.text[i] in "\r\n" else 0

    def _skip_to_line_end(self) -> None:
        text = self.text
        while self.pos < len(text) and text[self.pos] not in "\r\n":
            self.pos += 1

    def next(self) -> _Token:
        text = self.text
        while self.pos < len(text):
            ch = text[self.pos]
            brk = self._newline_at(self.pos)
            if brk:
                self.pos += brk
                self.line += 1
            elif ord(ch) <= 0x20:
                self.pos += 1
            elif ch == "/":
                following = text[self.pos + 1 : self.pos + 2]
                if following == "*":
                    end = text.find("*/", self.pos + 2)
                    stop = len(text) if end < 0 else end + 2
                    comment = text[self.pos : stop]
                    self.line += len(re.findall(r"\r\n|\r|\n", comment))
                    self.pos = stop
                else:
                    # "//" and a lone "/" both comment out the rest of the line.
                    self._skip_to_line_end()
            else:
                break
        if self.pos >= len(text):
            return _Token("eof", "", self.line)
        start_line = self.line
        ch = text[self.pos]
        if ch in "0123456789.-":
            return self._number(start_line)
        if _is_word_start(ch):
            end = self.pos + 1
            while end < len(text) and _is_word_part(text[end]):
                end += 1
            word = text[self.pos : end]
            self.pos = end
            return _Token("word", word, start_line)
        if ch in "\"'":
            return self._quoted(ch, start_line)
        self.pos += 1
        return _Token("symbol", ch, start_line)

    def _number(self, line: int) -> _Token:
        text = self.text
        start = self.pos
        if text[start] == "-":
            following = text[start + 1 : start + 2]
            if not following or not (following == "." or following.isdigit()):
                self.pos += 1
                return _Token("symbol", "-", line)
            self.pos += 1
        seen_dot = False
        while self.pos < len(text):
            ch = text[self.pos]
            if ch == "." and not seen_dot:
                seen_dot = True
            elif not ("0" <= ch <= "9"):
                break
            self.pos += 1
        return _Token("number", text[start : self.pos], line)

    def _quoted(self, quote: str, line: int) -> _Token:
        text = self.text
        self.pos += 1
        out: list[str] = []
        while True:
            if self.pos >= len(text) or text[self.pos] in "\r\n":
                # The JVM ends an unterminated string at the end of the line, silently.
                log.warning(
                    "%s line %d: quoted string not closed before the end of the line; "
                    "the JVM reads it as ending there",
                    self.source,
                    line,
                )
                break
            ch = text[self.pos]
            self.pos += 1
            if ch == quote:
                break
            if ch != "\\":
                out.append(ch)
                continue
            if self.pos >= len(text):
                break
            esc = text[self.pos]
            self.pos += 1
            if "0" <= esc <= "7":
                # Up to three octal digits, the third only when the first is 0-3 (max \377).
                value = int(esc)
                if self.pos < len(text) and "0" <= text[self.pos] <= "7":
                    value = value * 8 + int(text[self.pos])
                    self.pos += 1
                    if esc <= "3" and self.pos < len(text) and "0" <= text[self.pos] <= "7":
                        value = value * 8 + int(text[self.pos])
                        self.pos += 1
                out.append(chr(value))
            else:
                out.append(_ESCAPES.get(esc, esc))
        return _Token("string" if quote == '"' else "squote", "".join(out), line)


def _expand_properties(value: str, properties: Mapping[str, str]) -> str:
    """Expand ``${name}`` in an option value from system properties, as the JVM does.

    ``${/}`` is the file separator; an unknown property is an error; ``${{...}}`` and a ``${``
    without its ``}`` are left as they are.
    """
    if "${" not in value:
        return value
    out: list[str] = []
    i = 0
    while True:
        start = value.find("${", i)
        if start < 0:
            out.append(value[i:])
            break
        out.append(value[i:start])
        if value.startswith("{", start + 2):
            end = value.find("}}", start + 2)
            if end < 0 or end + 2 == len(value):
                out.append(value[start:])
                break
            out.append(value[start : end + 2])
            i = end + 2
            continue
        end = value.find("}", start + 2)
        if end < 0:
            out.append(value[start:])
            break
        name = value[start + 2 : end]
        if name == "/":
            out.append("/")
        elif name in properties:
            out.append(properties[name])
        else:
            raise KeyError(name)
        i = end + 1
    return "".join(out)


class _JaasParser:
    """The grammar of ``sun.security.provider.ConfigFile``: sections of login module lines."""

    def __init__(self, text: str, source: str, properties: Mapping[str, str]) -> None:
        self.tokens = _JaasTokenizer(text, source)
        self.source = source
        self.properties = properties
        self.look = self.tokens.next()

    def _fail(self, problem: str, token: _Token | None = None) -> JaasConfigError:
        token = token or self.look
        return JaasConfigError(self.source, token.line, problem)

    def _describe(self, token: _Token) -> str:
        if token.kind == "eof":
            return "end of file"
        if token.kind == "string":
            return f'"{token.text}"'
        if token.kind == "squote":
            return f"'{token.text}' (single quotes are not allowed)"
        if token.kind == "number":
            return f"{token.text} (a value that starts with a digit, '.' or '-' must be quoted)"
        return token.text

    def _advance(self) -> _Token:
        token, self.look = self.look, self.tokens.next()
        return token

    def _text(self, expected: str) -> _Token:
        if self.look.kind in ("word", "string"):
            return self._advance()
        raise self._fail(f"expected [{expected}], found [{self._describe(self.look)}]")

    def _symbol(self, symbol: str) -> None:
        if self.look.kind == "symbol" and self.look.text == symbol:
            self._advance()
            return
        raise self._fail(f"expected [{symbol}], found [{self._describe(self.look)}]")

    def _at(self, symbol: str) -> bool:
        return self.look.kind == "symbol" and self.look.text == symbol

    def parse(self) -> dict[str, tuple[LoginModuleEntry, ...]]:
        sections: dict[str, tuple[LoginModuleEntry, ...]] = {}
        while self.look.kind != "eof":
            # The JVM takes any token as the name: one that is not text names the section
            # null, which nothing can ask for, so such a section is read and dropped.
            name_token = self._advance()
            named = name_token.kind in ("word", "string")
            self._symbol("{")
            entries: list[LoginModuleEntry] = []
            while not self._at("}"):
                entries.append(self._entry())
            self._symbol("}")
            self._symbol(";")
            if not named:
                log.warning(
                    "%s line %d: section named %r is not a name; it is ignored",
                    self.source,
                    name_token.line,
                    name_token.text,
                )
                continue
            if name_token.text in sections:
                raise self._fail(
                    f"can not specify multiple entries for {name_token.text}", name_token
                )
            sections[name_token.text] = tuple(entries)
        return sections

    def _entry(self) -> LoginModuleEntry:
        module = self._text("module class name")
        flag = self._text("controlFlag")
        if flag.text.lower() not in _CONTROL_FLAGS:
            raise self._fail(f"invalid control flag, {flag.text.upper()}", flag)
        options: dict[str, str] = {}
        while not self._at(";"):
            key = self._text("option key")
            self._symbol("=")
            value = self._text("option value")
            try:
                expanded = _expand_properties(value.text, self.properties)
            except KeyError as exc:
                raise self._fail(f"unable to expand property {exc.args[0]}", value) from None
            if value.text and not expanded:
                raise self._fail(f"system property [{value.text}] expanded to empty value", value)
            options[key.text] = expanded  # a repeated key: the last one wins, as in a HashMap
        self._advance()  # the ';'
        return LoginModuleEntry(
            module.text, flag.text.lower(), MappingProxyType(options), module.line
        )


def parse_jaas(
    text: str, *, source: str = "<string>", properties: Mapping[str, str] | None = None
) -> dict[str, tuple[LoginModuleEntry, ...]]:
    """Parse JAAS login configuration text into its sections, in file order.

    Follows the JVM's reader so a file ZooKeeper accepts is accepted here with the same
    meaning, and one it refuses raises :class:`JaasConfigError`. ``properties`` are the system
    properties that ``${name}`` in option values expand from.
    """
    if text.startswith("\ufeff"):
        log.warning(
            "%s starts with a byte order mark; the JVM reads it as part of the first name",
            source,
        )
    return _JaasParser(text, source, properties or {}).parse()


def load_jaas(
    path: str | PathLike[str], *, properties: Mapping[str, str] | None = None
) -> dict[str, tuple[LoginModuleEntry, ...]]:
    """Read and parse a JAAS file (UTF-8, as the JVM reads it)."""
    source = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise JaasConfigError(source, None, "no such file or directory") from None
    except OSError as exc:
        raise JaasConfigError(source, None, exc.strerror or str(exc)) from None
    return parse_jaas(raw.decode("utf-8", errors="replace"), source=source, properties=properties)


def users_of(entries: Iterable[LoginModuleEntry]) -> dict[str, str]:
    """The DIGEST-MD5 users of a section: every ``user_<name>`` option of every module.

    Like ``SaslServerCallbackHandler``, this ignores the module class; a later module's
    ``user_bob`` replaces an earlier one's.
    """
    users: dict[str, str] = {}
    for entry in entries:
        for key, value in entry.options.items():
            if key.startswith("user_"):
                users[key[len("user_") :]] = value
    return users


def load_jaas_users(
    path: str | PathLike[str],
    section: str = DEFAULT_SERVER_SECTION,
    *,
    properties: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The user → password map of one section of a JAAS file.

    Raises :class:`JaasConfigError` when the file is missing or malformed, or has no such
    section (an empty section counts as missing, as for the JVM).
    """
    sections = load_jaas(path, properties=properties)
    entries = sections.get(section)
    if not entries:
        raise JaasConfigError(
            str(path),
            None,
            f"no section named {section!r} (sections: {', '.join(sorted(sections)) or 'none'})",
        )
    return users_of(entries)


def server_section(properties: Mapping[str, str]) -> str:
    """The JAAS section the server reads: ``zookeeper.sasl.serverconfig``, else "Server"."""
    return properties.get(SERVER_SECTION_PROPERTY, DEFAULT_SERVER_SECTION)


# --- a failed login -------------------------------------------------------------------------------


class SaslFailed(Exception):
    """The client failed to authenticate (the peer's fault, never ours).

    ZooKeeper answers the ``sasl`` request with ``err`` :attr:`code` and a null token, then
    closes the connection (the code is SessionClosedRequireSaslAuth instead when
    ``zookeeper.sessionRequireClientSASLAuth`` or enforced "sasl" auth is on). ``reply`` is
    False where the JDK throws an unchecked exception instead of a ``SaslException`` (an
    unparsable number, a malformed Kerberos name): ZooKeeper then closes the connection
    without answering.
    """

    code: ClassVar[Err] = Err.AuthFailed

    def __init__(self, reason: str, *, reply: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.reply = reply


# --- authorization ids ----------------------------------------------------------------------------

_PRINCIPAL = re.compile(r"([^/@]*)(?:/([^/@]*))?@([^/@]*)")


def canonical_authorization_id(
    authentication_id: str,
    requested_id: str,
    *,
    remove_host: bool = False,
    remove_realm: bool = False,
    default_realm: str = "",
) -> str:
    """The id a successful login is authorized as, as ZooKeeper's callback handler decides it.

    ZooKeeper ignores the authzid a client asks for and rebuilds one from the authentication
    id read as a Kerberos principal ``name[/host][@realm]`` under the ``DEFAULT``
    auth_to_local rule: the short name, then ``/host`` and ``@realm`` unless the
    ``zookeeper.kerberos.remove*FromPrincipal`` properties drop them. When the rule does not
    apply (a realm other than the default one), the requested id (the client's authzid, or the
    authentication id when it sent none) is kept. The JVM's default realm comes from krb5.conf;
    without one it is "". Custom ``zookeeper.security.auth_to_local`` rules are not supported.

    Raises :class:`SaslFailed` for a name with '@' that is no principal (``a@b@c``); ZooKeeper
    then fails with an unchecked exception and drops the connection without a reply.
    """
    match = _PRINCIPAL.fullmatch(authentication_id)
    if match is None:
        if "@" in authentication_id:
            raise SaslFailed(f"malformed Kerberos name: {authentication_id}", reply=False)
        return authentication_id
    name, host, realm = match.groups()
    if realm != default_realm:
        return requested_id
    parts = [name]
    if host is not None and not remove_host:
        parts.append(f"/{host}")
    if not remove_realm:
        parts.append(f"@{realm}")
    return "".join(parts)


# --- DIGEST-MD5 (RFC 2831) ------------------------------------------------------------------------


#: The JDK refuses any token longer than this, at every step.
MAX_RESPONSE_LENGTH = 4096
_NONCE_RAW_BYTES = 30  # 40 characters of base64, as the JDK's nonces

# Directives of a client's digest-response the JDK knows; any other is ignored.
_RESPONSE_DIRECTIVES = (
    "username",
    "realm",
    "nonce",
    "cnonce",
    "nonce-count",
    "qop",
    "digest-uri",
    "response",
    "maxbuf",
    "charset",
    "cipher",
    "authzid",
    "auth-param",
)
_LWS = b" \t\r\n"


def new_nonce() -> bytes:
    """A fresh server nonce: 30 random bytes in base64, the shape the JDK sends."""
    return base64.b64encode(secrets.token_bytes(_NONCE_RAW_BYTES))


def _needs_escape(byte: int) -> bool:
    return byte in (0x22, 0x5C, 0x7F) or (byte <= 31 and byte not in (9, 10, 13))


def _quote(value: bytes) -> bytes:
    """A quoted-string body (RFC 2831 7.2): backslash before '"', '\\', DEL and CTLs."""
    if not any(_needs_escape(b) for b in value):
        return value
    out = bytearray()
    for b in value:
        if _needs_escape(b):
            out.append(0x5C)
        out.append(b)
    return bytes(out)


def _java_equals_ignore_case(a: str, b: str) -> bool:
    """``String.equalsIgnoreCase``: per char, upper case equal or lower case of that equal."""
    if len(a) != len(b):
        return False
    for x, y in zip(a, b, strict=True):
        if x == y:
            continue
        ux, uy = x.upper(), y.upper()
        if len(ux) != 1:
            ux = x
        if len(uy) != 1:
            uy = y
        if ux == uy:
            continue
        lx, ly = ux.lower(), uy.lower()
        if len(lx) == 1 and len(ly) == 1 and lx == ly:
            continue
        return False
    return True


def _directive_index(key: bytes) -> int | None:
    name = key.decode("utf-8", errors="replace")
    for index, known in enumerate(_RESPONSE_DIRECTIVES):
        if _java_equals_ignore_case(name, known):
            return index
    return None


def parse_directives(token: bytes) -> dict[str, bytes]:
    """The directives of a digest-response, keyed by their canonical lower-case names.

    Reads as the JDK does: keys are case-insensitive, values plain or quoted (backslash quotes
    the next byte), empty list elements are skipped, unknown keys ignored, and a repeated
    known key is an error. Raises :class:`SaslFailed` on malformed input.
    """
    found: dict[str, bytes] = {}

    def store(key: bytearray, value: bytearray) -> None:
        index = _directive_index(bytes(key))
        if index is None:
            return
        name = _RESPONSE_DIRECTIVES[index]
        if name in found:
            raise SaslFailed(f"DIGEST-MD5: peer sent more than one {name} directive")
        found[name] = bytes(value)

    def skip_lws(i: int) -> int:
        while i < len(token) and token[i] in _LWS:
            i += 1
        return i

    key = bytearray()
    value = bytearray()
    getting_key = True
    quoted = False
    expect_separator = False
    i = skip_lws(0)
    while i < len(token):
        b = token[i]
        if getting_key:
            if b == 0x2C:  # ','
                if key:
                    raise SaslFailed(f"directive key contains a ',': {bytes(key)!r}")
                i = skip_lws(i + 1)
            elif b == 0x3D:  # '='
                if not key:
                    raise SaslFailed("empty directive key")
                getting_key = False
                i = skip_lws(i + 1)
                if i >= len(token):
                    raise SaslFailed(f"valueless directive found: {bytes(key)!r}")
                if token[i] == 0x22:
                    quoted = True
                    i += 1
            elif b in _LWS:
                i = skip_lws(i + 1)
                if i >= len(token) or token[i] != 0x3D:
                    raise SaslFailed(f"'=' expected after key: {bytes(key)!r}")
            else:
                key.append(b)
                i += 1
        elif quoted:
            if b == 0x5C:  # backslash: the next byte stands for itself
                i += 1
                if i >= len(token):
                    raise SaslFailed(f"unmatched quote found for directive: {bytes(key)!r}")
                value.append(token[i])
                i += 1
            elif b == 0x22:
                i += 1
                quoted = False
                expect_separator = True
            else:
                value.append(b)
                i += 1
        elif b in _LWS or b == 0x2C:
            store(key, value)
            key, value = bytearray(), bytearray()
            getting_key = True
            quoted = expect_separator = False
            i = skip_lws(i + 1)
        elif expect_separator:
            raise SaslFailed("expecting comma or linear whitespace after quoted string")
        else:
            value.append(b)
            i += 1
    if quoted:
        raise SaslFailed(f"unmatched quote found for directive: {bytes(key)!r}")
    if key:
        store(key, value)
    return found


def _hex_md5(data: bytes) -> bytes:
    return hashlib.md5(data).hexdigest().encode("ascii")


def _latin1_unless_wider(text: str) -> bytes:
    """RFC 2831's rule for username, realm and password in A1: ISO 8859-1 when every char
    fits, else UTF-8 (the JDK's ``stringToByte_8859_1`` with charset=utf-8)."""
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")


def _response_value(
    method: bytes,
    digest_uri: bytes,
    qop: bytes,
    username: str,
    realm: str,
    password: str,
    nonce: bytes,
    cnonce: bytes,
    authzid: bytes | None,
) -> bytes:
    """RFC 2831 2.1.2.1: the hex response-value (method "AUTHENTICATE") or rspauth (b"")."""
    a2 = method + b":" + digest_uri
    user_hash = hashlib.md5(
        _latin1_unless_wider(username)
        + b":"
        + _latin1_unless_wider(realm)
        + b":"
        + _latin1_unless_wider(password)
    ).digest()
    a1 = user_hash + b":" + nonce + b":" + cnonce
    if authzid is not None:
        a1 += b":" + authzid
    # The JDK hashes nonce-count 1 however the client spelled it (it accepts only the value 1).
    kd = b":".join((_hex_md5(a1), nonce, b"00000001", cnonce, qop, _hex_md5(a2)))
    return _hex_md5(kd)


def _java_int(text: bytes, radix: int) -> int | None:
    """``Integer.parseInt`` of a directive value, or None where the JDK throws."""
    return java_parse_int(text.decode("utf-8", errors="replace"), radix)


class DigestMd5Server:
    """The server side of one DIGEST-MD5 exchange, for one connection, without I/O.

    ``step(b"")`` (the client's first, empty token) returns the challenge; ``step(response)``
    checks the client's digest-response and returns ``rspauth=...`` with ``complete`` True.
    Any failure, or any token after that, raises :class:`SaslFailed` and leaves the exchange
    failed for good, as the JDK does. On success :attr:`authorization_id` is the name the
    session is authorized as and :attr:`identity` the ``Id("sasl", ...)`` it gets.

    ``users`` maps user names to passwords (the JAAS ``user_`` options). ``super_password``
    replaces the password of user "super" (``zookeeper.SASLAuthenticationProvider
    .superPassword``). ``nonce_factory`` makes the server nonce (tests pin it).
    """

    mechanism: ClassVar[str] = "DIGEST-MD5"

    def __init__(
        self,
        users: Mapping[str, str],
        *,
        realm: str = DIGEST_REALM,
        service: str = DIGEST_SERVICE,
        server_name: str = DIGEST_REALM,
        nonce_factory: Callable[[], bytes] = new_nonce,
        super_password: str | None = None,
        remove_host: bool = False,
        remove_realm: bool = False,
    ) -> None:
        self._users = users
        self._realm = realm
        self._digest_uri = f"{service}/{server_name}"
        self._nonce_factory = nonce_factory
        self._super_password = super_password
        self._remove_host = remove_host
        self._remove_realm = remove_realm
        self._state = "initial"  # -> "challenged" -> "complete" | "failed"
        self._nonce = b""
        self._authentication_id: str | None = None
        self._authorization_id: str | None = None

    @property
    def complete(self) -> bool:
        return self._state == "complete"

    @property
    def authentication_id(self) -> str:
        """The user name whose password was proven."""
        if self._authentication_id is None or not self.complete:
            raise RuntimeError("DIGEST-MD5 negotiation not complete")
        return self._authentication_id

    @property
    def authorization_id(self) -> str:
        """What the session is authorized as: the ``id`` of its ``sasl`` identity."""
        if self._authorization_id is None or not self.complete:
            raise RuntimeError("DIGEST-MD5 negotiation not complete")
        return self._authorization_id

    @property
    def identity(self) -> Id:
        return Id(SASL_SCHEME, self.authorization_id)

    def step(self, token: bytes) -> tuple[bytes | None, bool]:
        """Take the client's token; return the token to send back and whether we are done."""
        try:
            if len(token) > MAX_RESPONSE_LENGTH:
                raise SaslFailed(
                    f"DIGEST-MD5: invalid digest response length {len(token)}, "
                    f"expected < {MAX_RESPONSE_LENGTH}"
                )
            if self._state == "initial":
                if token:
                    log.debug("DIGEST-MD5: ignoring a %d-byte initial response", len(token))
                challenge = self._challenge()
                self._state = "challenged"
                return challenge, False
            if self._state == "challenged":
                self._state = "failed"  # unless the response checks out below
                reply = self._check_response(token)
                self._state = "complete"
                return reply, True
            raise SaslFailed("DIGEST-MD5: server at illegal state")
        except SaslFailed:
            self._state = "failed"
            raise

    def _challenge(self) -> bytes:
        self._nonce = self._nonce_factory()
        # ZooKeeper gives the JDK no properties: no qop directive (auth is the default), no
        # maxbuf (65536 is the default), no cipher; charset=utf-8 is the JDK's default.
        return (
            b'realm="'
            + _quote(self._realm.encode("utf-8"))
            + b'",nonce="'
            + _quote(self._nonce)
            + b'",charset=utf-8,algorithm=md5-sess'
        )

    def _check_response(self, token: bytes) -> bytes:
        d = parse_directives(token)
        charset = d.get("charset")
        if charset is not None and charset != b"utf-8":
            raise SaslFailed(f"DIGEST-MD5: incompatible charset value: {charset!r}")
        maxbuf = d.get("maxbuf")
        if maxbuf is not None and _java_int(maxbuf, 10) is None:
            # A NumberFormatException escapes the JDK: ZooKeeper drops the connection unanswered.
            raise SaslFailed(f"DIGEST-MD5: malformed maxbuf: {maxbuf!r}", reply=False)
        if "username" not in d:
            raise SaslFailed("DIGEST-MD5: missing username")
        username = d["username"].decode("utf-8", errors="replace")
        realm = d.get("realm", b"").decode("utf-8", errors="replace")
        if realm != self._realm:
            raise SaslFailed(f"DIGEST-MD5: nonexistent realm: {realm!r}")
        if "nonce" not in d:
            raise SaslFailed("DIGEST-MD5: missing nonce")
        if not hmac.compare_digest(d["nonce"], self._nonce):
            raise SaslFailed("DIGEST-MD5: mismatched nonce")
        if "cnonce" not in d:
            raise SaslFailed("DIGEST-MD5: missing cnonce")
        cnonce = d["cnonce"]
        nonce_count = d.get("nonce-count")
        if nonce_count is not None:
            # Only the RFC's "nonce-count" spelling is checked; clients send "nc", which the
            # JDK ignores (and hashes as 00000001 whatever it says).
            count = _java_int(nonce_count, 16)
            if count is None:
                raise SaslFailed(f"DIGEST-MD5: malformed nonce-count: {nonce_count!r}", reply=False)
            if count != 1:
                raise SaslFailed(f"DIGEST-MD5: nonce count does not match: {nonce_count!r}")
        qop = d.get("qop", b"auth")
        if qop in (b"auth-int", b"auth-conf"):
            raise SaslFailed(f"DIGEST-MD5: server does not support qop: {qop!r}")
        if qop != b"auth":
            raise SaslFailed(f"DIGEST-MD5: invalid qop: {qop!r}")
        digest_uri = d.get("digest-uri")
        if digest_uri is None or not _java_equals_ignore_case(
            digest_uri.decode("utf-8", errors="replace"), self._digest_uri
        ):
            raise SaslFailed(
                f"DIGEST-MD5: mismatched URI: {digest_uri!r}; expecting {self._digest_uri!r}"
            )
        if "response" not in d:
            raise SaslFailed("DIGEST-MD5: missing response")
        authzid = d.get("authzid")

        password = self._password(username)
        expected = _response_value(
            b"AUTHENTICATE", digest_uri, qop, username, realm, password,
            self._nonce, cnonce, authzid,
        )  # fmt: skip
        if not hmac.compare_digest(d["response"], expected):
            raise SaslFailed(f"DIGEST-MD5: wrong password for {username!r}")

        requested = authzid.decode("utf-8", errors="replace") if authzid is not None else username
        self._authorization_id = canonical_authorization_id(
            username,
            requested,
            remove_host=self._remove_host,
            remove_realm=self._remove_realm,
        )
        self._authentication_id = username
        log.info("DIGEST-MD5: authenticated %r; authorized as %r", username, self._authorization_id)
        rspauth = _response_value(
            b"", digest_uri, qop, username, realm, password, self._nonce, cnonce, authzid
        )
        return b"rspauth=" + rspauth

    def _password(self, username: str) -> str:
        if username == "super" and self._super_password is not None:
            return self._super_password
        password = self._users.get(username)
        if password is None:
            log.warning("User %r not found in the list of DIGEST-MD5 users", username)
            raise SaslFailed(f"DIGEST-MD5: cannot acquire password for {username!r}")
        return password


# --- configuration from system properties ---------------------------------------------------------


def _is_true(properties: Mapping[str, str], name: str) -> bool:
    return properties.get(name) == "true"


@dataclass(frozen=True)
class SaslConfig:
    """What a server needs to run DIGEST-MD5 logins: users, and how ids are mapped."""

    users: Mapping[str, str]
    section: str = DEFAULT_SERVER_SECTION
    super_password: str | None = None
    super_users: frozenset[str] = frozenset()
    remove_host: bool = False
    remove_realm: bool = False

    def new_server(self, *, nonce_factory: Callable[[], bytes] = new_nonce) -> DigestMd5Server:
        """A fresh mechanism for one connection (ZooKeeper makes one per connection)."""
        return DigestMd5Server(
            self.users,
            nonce_factory=nonce_factory,
            super_password=self.super_password,
            remove_host=self.remove_host,
            remove_realm=self.remove_realm,
        )

    def identities(self, authorization_id: str) -> tuple[Id, ...]:
        """The identities a completed login adds to the session: ``sasl:<id>``, and
        ``super:`` too when ``zookeeper.superUser[.*]`` names that id."""
        sasl = Id(SASL_SCHEME, authorization_id)
        if authorization_id and authorization_id in self.super_users:
            return (sasl, _SUPER_ID)
        return (sasl,)


def sasl_config_from_properties(properties: Mapping[str, str]) -> SaslConfig | None:
    """The SASL configuration that system properties describe, or None when SASL is off.

    As ``ServerCnxnFactory.configureSaslLogin``: no ``java.security.auth.login.config`` means
    no SASL; a file that is missing or malformed raises :class:`JaasConfigError` (ZooKeeper
    refuses to start); a file without the server section (or with an empty one) means no SASL.
    With SASL off, ZooKeeper still answers every ``sasl`` request with ``err`` 0 and a null
    token and keeps the connection.
    """
    path = properties.get(JAAS_CONFIG_PROPERTY)
    if path is None:
        return None
    if path.startswith("="):  # "==file" replaces the JVM's other login configurations
        path = path[1:]
    if path.startswith("file:"):
        path = path[len("file:") :]
        if path.startswith("//"):
            path = path[2:]
    section = server_section(properties)
    sections = load_jaas(path, properties=properties)
    entries = sections.get(section)
    if not entries:
        log.warning(
            "%s has no %r section: SASL logins are not configured and will not authenticate",
            path,
            section,
        )
        return None
    prefix = SASL_SUPER_USER_PROPERTY
    super_users = frozenset(
        value for key, value in properties.items() if key == prefix or key.startswith(prefix + ".")
    )
    return SaslConfig(
        users=MappingProxyType(users_of(entries)),
        section=section,
        super_password=properties.get(SUPER_PASSWORD_PROPERTY),
        super_users=super_users,
        remove_host=_is_true(properties, REMOVE_HOST_PROPERTY),
        remove_realm=_is_true(properties, REMOVE_REALM_PROPERTY),
    )


_KERBEROS_NAME = re.compile(r"[^/@]+(/[^/@]+)?(@[^/@]+)?")
SASL_PROVIDER_CLASS = "org.apache.zookeeper.server.auth.SASLAuthenticationProvider"
_PROVIDER_KEY = "zookeeper.authProvider."


class SaslAuthProvider:
    """The ``sasl`` ACL scheme (``SASLAuthenticationProvider``): ids are SASL user names.

    Sessions get ``sasl`` identities only through a SASL login, never through ``addauth``.
    An ACL id is valid when it parses as a Kerberos name; the session id ``super`` matches
    every ACL, and ``zookeeper.letAnySaslUserDoX`` names an ACL id any SASL user matches.
    """

    scheme = "sasl"
    authenticated = True

    def __init__(self, any_user_id: str | None = None) -> None:
        self.any_user_id = any_user_id

    def authenticate(
        self, auth: bytes | None, *, remote_address: str, super_digest: str | None
    ) -> list[Id]:
        raise AuthFailed("sasl", "sasl identities come from a SASL login, not from addauth")

    def is_valid(self, acl_id: str) -> bool:
        return _KERBEROS_NAME.fullmatch(acl_id) is not None

    def matches(self, session_id: str, acl_id: str) -> bool:
        if session_id in ("super", acl_id):
            return True
        return self.any_user_id is not None and acl_id == self.any_user_id

    def user_name(self, session_id: str) -> str:
        return session_id


def auth_providers(properties: Mapping[str, str]) -> Mapping[str, AuthProvider]:
    """The ACL schemes a server knows: ip and digest always, sasl when a
    ``zookeeper.authProvider.N`` property names ZooKeeper's SASL provider."""
    providers = dict(DEFAULT_PROVIDERS)
    named = [value.strip() for key, value in properties.items() if key.startswith(_PROVIDER_KEY)]
    if SASL_PROVIDER_CLASS in named:
        providers["sasl"] = SaslAuthProvider(properties.get("zookeeper.letAnySaslUserDoX"))
    return MappingProxyType(providers)
