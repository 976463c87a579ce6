"""Reading a ZooKeeper ``zoo.cfg`` and ``-D`` options into one frozen :class:`ServerConfig`.

This module owns every rule about configuration: which keys exist, their defaults, how each
value is parsed and validated, which ``zoo.cfg`` keys turn into ``zookeeper.<key>`` system
properties, how ``server.N`` lines and the ``myid`` file decide the client address, and which
JVM-only settings are accepted but ignored. It follows Apache ZooKeeper 3.8
(``QuorumPeerConfig.parseProperties`` and the classes that read system properties), because a
``zoo.cfg`` that starts a ZooKeeper must start zkcompat the same way, and one that ZooKeeper
refuses must be refused here too.

It must not know sockets, the event loop, sessions or storage. It reads files (the config,
an optional dynamic config file, ``dataDir/myid``) and returns values; the outer ring decides
what to listen on and what to start. It resolves no host names: addresses stay strings.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

log = logging.getLogger(__name__)

__all__ = [
    "KNOWN_FOUR_LETTER_WORDS",
    "ConfigError",
    "QuorumServer",
    "ServerConfig",
    "load_config",
    "parse_defines",
]

#: The words ZooKeeper 3.8's FourLetterCommands knows; ``*`` in the whitelist means all of them.
KNOWN_FOUR_LETTER_WORDS = frozenset(
    {
        "conf", "cons", "crst", "dirs", "dump", "envi", "gtmk", "ruok", "stmk", "srst",
        "srvr", "stat", "wchc", "wchp", "wchs", "mntr", "isro", "hash",
    }
)  # fmt: skip

#: zkcompat's own defaults for running without a zoo.cfg (ZooKeeper has no such mode).
NO_FILE_TICK_TIME = 2000
NO_FILE_CLIENT_PORT = 2181
NO_FILE_CLIENT_ADDRESS = "127.0.0.1"

#: ZooKeeperServer.DEFAULT_TICK_TIME: what a zoo.cfg without ``tickTime`` gets.
ZOOKEEPER_DEFAULT_TICK_TIME = 3000

_MIN_SNAP_RETAIN_COUNT = 3
_MIN_SNAP_COUNT = 2

Role = Literal["participant", "observer"]


class ConfigError(ValueError):
    """A configuration ZooKeeper would refuse; the message names the file, key and value.

    ``path``, ``key`` and ``value`` are kept as attributes so callers and tests can tell which
    setting was wrong without parsing the message.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        key: str | None = None,
        value: str | None = None,
    ) -> None:
        super().__init__(message)
        self.path = path
        self.key = key
        self.value = value


@dataclass(frozen=True)
class QuorumServer:
    """One ``server.N=host:quorumPort:electionPort[:role][;[clientHost:]clientPort]`` line.

    ``client_host`` is None when the line gives a bare client port, which ZooKeeper binds on
    every address; ``client_port`` is None when the line has no client part at all.
    """

    sid: int
    host: str
    quorum_port: int
    election_port: int
    role: Role = "participant"
    client_host: str | None = None
    client_port: int | None = None


@dataclass(frozen=True)
class ServerConfig:
    """Everything a zkcompat server needs to know from zoo.cfg and ``-D`` options.

    Field defaults are ZooKeeper 3.8's. ``client_port_address`` None means every local
    address (ZooKeeper's wildcard); ``client_port`` None means no plain client port, which
    ZooKeeper allows (it then serves only the secure port, if any). ``min_session_timeout``
    and ``max_session_timeout`` keep the configured value, -1 when unset; the ``effective_*``
    properties give what the server enforces.
    """

    data_dir: str
    data_log_dir: str = ""
    config_path: str | None = None
    tick_time: int = ZOOKEEPER_DEFAULT_TICK_TIME
    client_port: int | None = None
    client_port_address: str | None = None
    secure_client_port: int | None = None
    secure_client_port_address: str | None = None
    client_port_listen_backlog: int = -1
    max_client_cnxns: int = 60
    min_session_timeout: int = -1
    max_session_timeout: int = -1
    init_limit: int = 0
    sync_limit: int = 0
    snap_retain_count: int = _MIN_SNAP_RETAIN_COUNT
    purge_interval: int = 0
    standalone_enabled: bool = True
    reconfig_enabled: bool = False
    server_id: int | None = None
    servers: tuple[QuorumServer, ...] = ()
    quorum_version: int = 0
    dynamic_config_file: str | None = None
    # Settings ZooKeeper reads as Java system properties.
    snap_count: int = 100000
    pre_alloc_size_bytes: int = 65536 * 1024
    global_outstanding_limit: int = 1000
    max_cnxns: int = 0
    admin_enable_server: bool = True
    admin_server_address: str = "0.0.0.0"
    admin_server_port: int = 8080
    admin_command_url: str = "/commands"
    jute_max_buffer: int = 0xFFFFF
    extended_types_enabled: bool = False
    container_check_interval_ms: int = 60000
    container_max_per_minute: int = 10000
    read_only_mode_enabled: bool = False
    super_digest: str | None = None
    skip_acl: bool = False
    force_sync: bool = True
    four_letter_words: frozenset[str] = frozenset({"srvr"})
    #: Every system property after zoo.cfg's unknown keys and the ``-D`` options are applied.
    properties: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: Settings ZooKeeper honours that zkcompat accepts but does not act on, as written.
    ignored: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        # ZooKeeper's rule: the transaction log lives in dataDir unless dataLogDir says otherwise.
        if not self.data_log_dir:
            object.__setattr__(self, "data_log_dir", self.data_dir)

    @property
    def effective_min_session_timeout(self) -> int:
        """The smallest session timeout granted, in ms: 2 ticks unless configured."""
        if self.min_session_timeout == -1:
            return 2 * self.tick_time
        return self.min_session_timeout

    @property
    def effective_max_session_timeout(self) -> int:
        """The largest session timeout granted, in ms: 20 ticks unless configured."""
        if self.max_session_timeout == -1:
            return 20 * self.tick_time
        return self.max_session_timeout

    @property
    def distributed(self) -> bool:
        """True when this config runs an ensemble rather than a standalone server.

        As in ZooKeeper: more than one participant, or any server line at all once
        ``standaloneEnabled=false``.
        """
        participants = sum(1 for s in self.servers if s.role == "participant")
        if not self.servers:
            return False
        return not self.standalone_enabled or participants > 1


# --- Java's parsing rules, which zoo.cfg values are held to -----------------------------------

_INT_RE = re.compile(r"[+-]?[0-9]+\Z", re.ASCII)
_HEX_RE = re.compile(r"[+-]?[0-9a-fA-F]+\Z", re.ASCII)
_JAVA_SPACE = "".join(chr(c) for c in range(33))


def _java_trim(text: str) -> str:
    """String.trim(): strips every character up to and including the space."""
    return text.strip(_JAVA_SPACE)


def _parse_int(text: str, bits: int = 32) -> int | None:
    """Integer.parseInt / Long.parseLong: plain decimal in range, else None."""
    if not _INT_RE.match(text):
        return None
    number = int(text)
    limit = 1 << (bits - 1)
    return number if -limit <= number < limit else None


def _parse_hex(text: str) -> int | None:
    """Long.parseLong(text, 16), which is how ZooKeeper reads a quorum config version."""
    if not _HEX_RE.match(text):
        return None
    number = int(text, 16)
    return number if -(1 << 63) <= number < (1 << 63) else None


def _decode_int(text: str, bits: int = 32) -> int | None:
    """Integer.decode, which Integer.getInteger uses: decimal, 0x/#-hex or 0-octal."""
    sign, body = (text[0], text[1:]) if text[:1] in ("+", "-") else ("", text)
    if body[:2] in ("0x", "0X"):
        digits, base = body[2:], 16
    elif body[:1] == "#":
        digits, base = body[1:], 16
    elif body[:1] == "0" and len(body) > 1:
        digits, base = body[1:], 8
    else:
        digits, base = body, 10
    if not digits or digits[0] in "+-" or not digits.isascii() or not digits.isalnum():
        return None
    try:
        magnitude = int(digits, base)
    except ValueError:
        return None
    number = -magnitude if sign == "-" else magnitude
    limit = 1 << (bits - 1)
    return number if -limit <= number < limit else None


def _java_split(text: str, sep: str) -> list[str]:
    """String.split with a literal separator: trailing empty pieces are dropped."""
    if sep not in text:
        return [text]
    pieces = text.split(sep)
    while pieces and pieces[-1] == "":
        pieces.pop()
    return pieces


def _load_properties(text: str) -> dict[str, str]:
    """java.util.Properties.load: comments, continuations, ``=``/``:``/space separators, escapes.

    ZooKeeper reads zoo.cfg with it, so a file with a continued line or an escaped character
    must mean the same thing here. Later duplicates win, as in a Hashtable.
    """
    result: dict[str, str] = {}
    pending: str | None = None
    for natural in re.split(r"\r\n|\r|\n", text):
        stripped = natural.lstrip(" \t\f")
        if pending is None:
            if not stripped or stripped[0] in "#!":
                continue
            line = stripped
        else:
            if not stripped:
                # An empty continuation line ends the logical line.
                _store_property(result, pending)
                pending = None
                continue
            line = pending + stripped
        backslashes = len(line) - len(line.rstrip("\\"))
        if backslashes % 2 == 1:
            pending = line[:-1]
            continue
        pending = None
        _store_property(result, line)
    if pending is not None:
        _store_property(result, pending)
    return result


def _store_property(result: dict[str, str], line: str) -> None:
    key_end = len(line)
    value_start = len(line)
    has_separator = False
    escaped = False
    for index, char in enumerate(line):
        if not escaped and char in "=:":
            key_end, value_start, has_separator = index, index + 1, True
            break
        if not escaped and char in " \t\f":
            key_end, value_start = index, index + 1
            break
        escaped = char == "\\" and not escaped
    while value_start < len(line):
        char = line[value_start]
        if char in " \t\f":
            value_start += 1
        elif not has_separator and char in "=:":
            has_separator = True
            value_start += 1
        else:
            break
    key = _unescape(line[:key_end])
    result.pop(key, None)
    result[key] = _unescape(line[value_start:])


_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        index += 1
        if char != "\\":
            out.append(char)
            continue
        if index >= len(text):
            break
        char = text[index]
        index += 1
        if char == "u":
            digits = text[index : index + 4]
            if len(digits) != 4 or not _HEX_RE.match(digits) or digits[0] in "+-":
                raise ValueError("malformed \\uxxxx escape")
            out.append(chr(int(digits, 16)))
            index += 4
        else:
            out.append(_ESCAPES.get(char, char))
    return "".join(out)


# --- -D options ---------------------------------------------------------------------------------


def parse_defines(defines: Iterable[str]) -> dict[str, str]:
    """Turn ``-Dname=value`` (or ``name=value``) strings into system properties.

    Like the JVM, ``-Dname`` alone sets the empty string and a later option wins. The value
    is everything after the first ``=`` and is not trimmed, as the shell already split it.
    """
    properties: dict[str, str] = {}
    for define in defines:
        text = define[2:] if define.startswith("-D") else define
        name, _, value = text.partition("=")
        if not name:
            raise ConfigError(f"-D option {define!r} has no property name", value=define)
        properties[name] = value
    return properties


# --- which keys and properties mean what --------------------------------------------------------

#: System properties zkcompat reads; each becomes a typed ServerConfig field.
_PROPERTIES_READ = frozenset(
    {
        "jute.maxbuffer",
        "readonlymode.enabled",
        "znode.container.checkIntervalMs",
        "znode.container.maxPerMinute",
        "zookeeper.4lw.commands.whitelist",
        "zookeeper.DigestAuthenticationProvider.superDigest",
        "zookeeper.admin.commandURL",
        "zookeeper.admin.enableServer",
        "zookeeper.admin.serverAddress",
        "zookeeper.admin.serverPort",
        "zookeeper.extendedTypesEnabled",
        "zookeeper.forceSync",
        "zookeeper.globalOutstandingLimit",
        "zookeeper.maxCnxns",
        "zookeeper.multiAddress.enabled",
        "zookeeper.preAllocSize",
        "zookeeper.skipACL",
        "zookeeper.snapCount",
    }
)

#: Property prefixes that configure the JVM implementation (connection factory classes, Java
#: auth providers, JSSE/SASL, JMX); a -D option under them is reported at INFO, not DEBUG.
_JVM_ONLY_PREFIXES = (
    "zookeeper.serverCnxnFactory",
    "zookeeper.kerberos",
    "zookeeper.fips-mode",
    "zookeeper.jute.maxbuffer",
    "java.",
    "javax.",
    "jdk.",
    "com.sun.management.",
)

#: QuorumPeerConfig keys zkcompat does not act on, with the type ZooKeeper checks them against.
_KNOWN_UNUSED_KEYS: dict[str, str] = {
    "localSessionsEnabled": "bool",
    "localSessionsUpgradingEnabled": "bool",
    "observerMasterPort": "int",
    "connectToLearnerMasterLimit": "int",
    "quorumListenOnAllIPs": "bool",
    "syncEnabled": "bool",
    "sslQuorum": "bool",
    "portUnification": "bool",
    "sslQuorumReloadCertFiles": "bool",
    "quorum.auth.enableSasl": "bool",
    "quorum.auth.serverRequireSasl": "bool",
    "quorum.auth.learnerRequireSasl": "bool",
    "quorum.auth.learner.saslLoginContext": "str",
    "quorum.auth.server.saslLoginContext": "str",
    "quorum.auth.kerberos.servicePrincipal": "str",
    "quorum.cnxn.threads.size": "int",
    "jvm.pause.info-threshold.ms": "long",
    "jvm.pause.warn-threshold.ms": "long",
    "jvm.pause.sleep.time.ms": "long",
    "jvm.pause.monitor": "bool",
    "metricsProvider.className": "str",
    "multiAddress.enabled": "bool",
    "multiAddress.reachabilityCheckTimeoutMs": "int",
    "multiAddress.reachabilityCheckEnabled": "bool",
    "oraclePath": "str",
}


def _is_quorum_key(key: str) -> bool:
    """Keys that describe the ensemble; ZooKeeper reads them from the static or dynamic file."""
    return key.startswith(("server.", "group", "weight"))


# --- system properties into typed fields ---------------------------------------------------------


def _int_property(props: Mapping[str, str], name: str, default: int) -> int:
    """Integer.getInteger: a value that does not decode is ignored in favour of the default."""
    text = props.get(name)
    if text is None:
        return default
    number = _decode_int(text)
    if number is None:
        log.warning("system property %s=%r is not an integer; using %d", name, text, default)
        return default
    return number


def _property_settings(props: Mapping[str, str]) -> dict[str, Any]:
    """The ServerConfig fields that come from system properties, read as ZooKeeper reads them."""
    snap_count = _int_property(props, "zookeeper.snapCount", 100000)
    if snap_count < _MIN_SNAP_COUNT:
        log.warning("zookeeper.snapCount=%d is below 2; using 2", snap_count)
        snap_count = _MIN_SNAP_COUNT
    pre_alloc = 65536 * 1024
    pre_alloc_text = props.get("zookeeper.preAllocSize")
    if pre_alloc_text is not None:
        kilobytes = _parse_int(pre_alloc_text, bits=64)
        if kilobytes is None:
            log.warning("zookeeper.preAllocSize=%r is not a number of KB; ignored", pre_alloc_text)
        else:
            pre_alloc = kilobytes * 1024
    max_cnxns = _int_property(props, "zookeeper.maxCnxns", 0)
    if max_cnxns < 0:
        log.warning("zookeeper.maxCnxns=%d is negative; using 0 (no limit)", max_cnxns)
        max_cnxns = 0
    return {
        "snap_count": snap_count,
        "pre_alloc_size_bytes": pre_alloc,
        "global_outstanding_limit": _int_property(props, "zookeeper.globalOutstandingLimit", 1000),
        "max_cnxns": max_cnxns,
        "admin_enable_server": props.get("zookeeper.admin.enableServer") != "false",
        "admin_server_address": props.get("zookeeper.admin.serverAddress", "0.0.0.0"),
        "admin_server_port": _int_property(props, "zookeeper.admin.serverPort", 8080),
        "admin_command_url": props.get("zookeeper.admin.commandURL", "/commands"),
        "jute_max_buffer": _int_property(props, "jute.maxbuffer", 0xFFFFF),
        "extended_types_enabled": _java_get_boolean(props, "zookeeper.extendedTypesEnabled"),
        "container_check_interval_ms": _int_property(
            props, "znode.container.checkIntervalMs", 60000
        ),
        "container_max_per_minute": _int_property(props, "znode.container.maxPerMinute", 10000),
        "read_only_mode_enabled": _java_get_boolean(props, "readonlymode.enabled"),
        "super_digest": props.get("zookeeper.DigestAuthenticationProvider.superDigest"),
        "skip_acl": props.get("zookeeper.skipACL", "no") == "yes",
        "force_sync": props.get("zookeeper.forceSync", "yes") != "no",
        "four_letter_words": _four_letter_words(props),
    }


def _java_get_boolean(props: Mapping[str, str], name: str) -> bool:
    """Boolean.getBoolean: true only for "true", in any case."""
    return props.get(name, "").lower() == "true"


def _four_letter_words(props: Mapping[str, str]) -> frozenset[str]:
    """The enabled words, by FourLetterCommands.isEnabled's rules.

    Unset means ``srvr`` alone; ``*`` means every known word; ``srvr`` is always enabled
    (zkServer.sh needs it) and ``isro`` too when read-only mode is on.
    """
    words: set[str] = set()
    listed = props.get("zookeeper.4lw.commands.whitelist")
    if listed is not None:
        for piece in listed.split(","):
            word = _java_trim(piece)
            if word == "*":
                words |= KNOWN_FOUR_LETTER_WORDS
                break
            if word and word not in KNOWN_FOUR_LETTER_WORDS:
                log.warning("4lw.commands.whitelist: %r is not a four-letter word", word)
            elif word:
                words.add(word)
    if props.get("readonlymode.enabled", "false") == "true":
        words.add("isro")
    words.add("srvr")
    return frozenset(words)


#: Property prefixes read outside this module: TLS (zkcompat.tls), SASL (zkcompat.sasl) and
#: the ACL providers they register.
_PREFIXES_READ_ELSEWHERE = (
    "zookeeper.ssl.",
    "zookeeper.authProvider.",
    "zookeeper.sasl",
    "zookeeper.superUser",
    "zookeeper.X509AuthenticationProvider.",
    "zookeeper.letAnySaslUserDoX",
    "java.security.auth.login.config",
)


def _shown(name: str, value: str) -> str:
    """A setting's value as it may appear in a log: never a password."""
    return "********" if "password" in name.lower() else value


def _report_unread_properties(
    props: Mapping[str, str], from_file: Mapping[str, str], ignored: dict[str, str]
) -> None:
    """Log properties nothing in zkcompat reads: INFO for what a ZooKeeper user meant to
    configure, DEBUG for the rest, just as the JVM holds properties nobody asks for."""
    for name, value in props.items():
        if name in _PROPERTIES_READ or name.startswith(_PREFIXES_READ_ELSEWHERE):
            continue
        shown = _shown(name, value)
        cfg_key = from_file.get(name)
        if cfg_key is not None:
            if not _is_quorum_key(cfg_key) and cfg_key != "version":
                log.info("zoo.cfg %s=%s is not used by zkcompat", cfg_key, shown)
                ignored[cfg_key] = value
        elif name.startswith(_JVM_ONLY_PREFIXES):
            log.info("-D%s=%s configures the JVM server only; not used by zkcompat", name, shown)
            ignored[name] = value
        else:
            log.debug("-D%s=%s is not read by zkcompat", name, shown)


# --- loading -----------------------------------------------------------------------------------


def load_config(
    cfg_path: str | None,
    defines: Sequence[str] = (),
    *,
    default_data_dir: str | None = None,
) -> ServerConfig:
    """Build the server's configuration from a zoo.cfg (or none) and ``-D`` options.

    With a file, ZooKeeper's rules apply in full: ``dataDir`` is required, unknown keys become
    ``zookeeper.<key>`` properties (replacing a ``-D`` of the same name, as System.setProperty
    does in ZooKeeper), and a bad value raises :class:`ConfigError`. Without a file zkcompat
    serves ``default_data_dir`` on 127.0.0.1:2181 with a 2000 ms tick.
    """
    defined = parse_defines(defines)
    if cfg_path is None:
        return _config_without_file(defined, default_data_dir)
    return _FileConfigReader(cfg_path, defined).read()


def _config_without_file(props: dict[str, str], default_data_dir: str | None) -> ServerConfig:
    if default_data_dir is None:
        raise ConfigError("no config file given and no default data directory")
    ignored: dict[str, str] = {}
    _report_unread_properties(props, {}, ignored)
    return ServerConfig(
        data_dir=default_data_dir,
        tick_time=NO_FILE_TICK_TIME,
        client_port=NO_FILE_CLIENT_PORT,
        client_port_address=NO_FILE_CLIENT_ADDRESS,
        properties=MappingProxyType(dict(props)),
        ignored=MappingProxyType(ignored),
        **_property_settings(props),
    )


def _read_properties_file(path: str) -> dict[str, str]:
    """Read a Java properties file as ZooKeeper does (ISO-8859-1 bytes)."""
    if not os.path.exists(path):
        raise ConfigError(f"{path}: config file is missing", path=path)
    try:
        with open(path, "rb") as handle:
            text = handle.read().decode("latin-1")
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror}", path=path) from error
    try:
        return _load_properties(text)
    except ValueError as error:
        raise ConfigError(f"{path}: {error}", path=path) from error


class _FileConfigReader:
    """One pass over a zoo.cfg, in the order QuorumPeerConfig.parse checks things."""

    def __init__(self, path: str, defined: dict[str, str]) -> None:
        self.path = path
        self.props = dict(defined)
        self.from_file: dict[str, str] = {}
        self.ignored: dict[str, str] = {}
        self.fields: dict[str, Any] = {}

    def error(self, reason: str, key: str | None = None, value: str | None = None) -> ConfigError:
        where = f"{self.path}: " if key is None else f"{self.path}: {key}={value}: "
        return ConfigError(where + reason, path=self.path, key=key, value=value)

    def integer(self, key: str, value: str, bits: int = 32) -> int:
        number = _parse_int(value, bits)
        if number is None:
            kind = "a 32-bit integer" if bits == 32 else "a 64-bit integer"
            raise self.error(f"not {kind}", key, value)
        return number

    def boolean(self, key: str, value: str) -> bool:
        if value.lower() == "true":
            return True
        if value.lower() == "false":
            return False
        raise self.error("choose 'true' or 'false'", key, value)

    def port(self, key: str, port: int, value: str) -> int:
        if not 0 <= port <= 0xFFFF:
            raise self.error(f"port out of range: {port}", key, value)
        return port

    def read(self) -> ServerConfig:
        log.info("reading configuration from %s", self.path)
        cfg = _read_properties_file(self.path)
        f = self.fields
        client_port = secure_port = 0
        client_address: str | None = None
        secure_address: str | None = None
        peer_type: str | None = None
        sasl: dict[str, bool] = {}
        data_dir: str | None = None
        data_log_dir: str | None = None
        dynamic_file: str | None = None
        quorum_raw: dict[str, str] = {}
        for raw_key, raw_value in cfg.items():
            key, value = _java_trim(raw_key), _java_trim(raw_value)
            if key == "dataDir":
                data_dir = value
            elif key == "dataLogDir":
                data_log_dir = value
            elif key == "clientPort":
                client_port = self.integer(key, value)
            elif key == "clientPortAddress":
                client_address = value
            elif key == "secureClientPort":
                secure_port = self.integer(key, value)
            elif key == "secureClientPortAddress":
                secure_address = value
            elif key == "clientPortListenBacklog":
                f["client_port_listen_backlog"] = self.integer(key, value)
            elif key == "tickTime":
                f["tick_time"] = self.integer(key, value)
            elif key == "maxClientCnxns":
                f["max_client_cnxns"] = self.integer(key, value)
            elif key == "minSessionTimeout":
                f["min_session_timeout"] = self.integer(key, value)
            elif key == "maxSessionTimeout":
                f["max_session_timeout"] = self.integer(key, value)
            elif key == "initLimit":
                f["init_limit"] = self.integer(key, value)
            elif key == "syncLimit":
                f["sync_limit"] = self.integer(key, value)
            elif key == "electionAlg":
                if self.integer(key, value) != 3:
                    raise self.error("only electionAlg 3 is supported", key, value)
            elif key == "peerType":
                if value.lower() not in ("observer", "participant"):
                    raise self.error("peerType must be observer or participant", key, value)
                peer_type = value.lower()
            elif key == "dynamicConfigFile":
                dynamic_file = value
            elif key == "autopurge.snapRetainCount":
                f["snap_retain_count"] = self.integer(key, value)
            elif key == "autopurge.purgeInterval":
                f["purge_interval"] = self.integer(key, value)
            elif key == "standaloneEnabled":
                f["standalone_enabled"] = self.boolean(key, value)
            elif key == "reconfigEnabled":
                f["reconfig_enabled"] = self.boolean(key, value)
            elif _is_quorum_key(key) and "dynamicConfigFile" in cfg:
                raise self.error("must be in the separate dynamic config file", key, value)
            elif key in _KNOWN_UNUSED_KEYS or key.startswith("metricsProvider."):
                parsed = self.known_unused(key, value)
                if key.startswith("quorum.auth.") and isinstance(parsed, bool):
                    sasl[key] = parsed
            else:
                # QuorumPeerConfig's catch-all: any other key is a zookeeper.<key> property,
                # server.N and version included; it replaces a -D of the same name.
                name = "zookeeper." + key
                if name in self.props and self.props[name] != value:
                    log.info("zoo.cfg %s=%s replaces -D%s=%s", key, value, name, self.props[name])
                self.props[name] = value
                self.from_file[name] = key
                if _is_quorum_key(key) or key == "version":
                    quorum_raw[raw_key] = raw_value
        self.check_sasl(sasl)

        if f.get("snap_retain_count", _MIN_SNAP_RETAIN_COUNT) < _MIN_SNAP_RETAIN_COUNT:
            log.warning("autopurge.snapRetainCount=%s is below 3; using 3", f["snap_retain_count"])
            f["snap_retain_count"] = _MIN_SNAP_RETAIN_COUNT
        if data_dir is None:
            raise self.error("dataDir is not set")
        _warn_if_relative("dataDir", data_dir)
        if data_log_dir is not None:
            _warn_if_relative("dataLogDir", data_log_dir)

        client = self.listen_address("clientPort", client_port, "clientPortAddress", client_address)
        secure = self.listen_address(
            "secureClientPort", secure_port, "secureClientPortAddress", secure_address
        )
        tick_time = f.get("tick_time", ZOOKEEPER_DEFAULT_TICK_TIME)
        if tick_time <= 0:
            # ZooKeeper refuses only 0 ("tickTime is not set"); a negative tick would make
            # every session timeout negative, so zkcompat refuses that too.
            raise self.error("tickTime must be a positive number of ms", "tickTime", str(tick_time))
        self.check_session_timeouts(tick_time)

        if dynamic_file is not None:
            quorum_raw = self.read_dynamic_file(dynamic_file)
            f["dynamic_config_file"] = dynamic_file
        servers, version = self.parse_quorum(quorum_raw)
        f["quorum_version"] = version
        server_id = _read_myid(data_dir)
        servers, client = self.apply_server_client_address(servers, server_id, client)
        _report_unread_properties(self.props, self.from_file, self.ignored)
        config = ServerConfig(
            data_dir=data_dir,
            data_log_dir=data_log_dir or data_dir,
            config_path=self.path,
            client_port=client[1] if client else None,
            client_port_address=client[0] if client else None,
            secure_client_port=secure[1] if secure else None,
            secure_client_port_address=secure[0] if secure else None,
            server_id=server_id,
            servers=servers,
            properties=MappingProxyType(dict(self.props)),
            ignored=MappingProxyType(dict(self.ignored)),
            **f,
            **_property_settings(self.props),
        )
        self.check_quorum(config, peer_type)
        return config

    def known_unused(self, key: str, value: str) -> object:
        """Validate a ZooKeeper key zkcompat does not act on, so bad values still fail."""
        kind = _KNOWN_UNUSED_KEYS.get(key, "str")
        parsed: object = value
        if kind == "bool":
            parsed = self.boolean(key, value)
        elif kind in ("int", "long"):
            parsed = self.integer(key, value, 32 if kind == "int" else 64)
        log.info("zoo.cfg %s=%s is not used by zkcompat", key, _shown(key, value))
        self.ignored[key] = value
        return parsed

    def check_sasl(self, sasl: Mapping[str, bool]) -> None:
        enabled = sasl.get("quorum.auth.enableSasl", False)
        server_required = sasl.get("quorum.auth.serverRequireSasl", False)
        learner_required = sasl.get("quorum.auth.learnerRequireSasl", False)
        if not enabled and server_required:
            raise self.error("quorum.auth.serverRequireSasl needs quorum.auth.enableSasl=true")
        if not enabled and learner_required:
            raise self.error("quorum.auth.learnerRequireSasl needs quorum.auth.enableSasl=true")
        if not learner_required and server_required:
            raise self.error(
                "quorum.auth.serverRequireSasl needs quorum.auth.learnerRequireSasl=true"
            )

    def listen_address(
        self, port_key: str, port: int, address_key: str, address: str | None
    ) -> tuple[str | None, int] | None:
        """A port of 0 means unset; an address without a port is an error, as in ZooKeeper."""
        if port == 0:
            log.info("%s is not set", port_key)
            if address is not None:
                raise self.error(f"{address_key} is set but {port_key} is not set")
            return None
        self.port(port_key, port, str(port))
        return (address, port)

    def check_session_timeouts(self, tick_time: int) -> None:
        minimum = self.fields.get("min_session_timeout", -1)
        maximum = self.fields.get("max_session_timeout", -1)
        minimum = 2 * tick_time if minimum == -1 else minimum
        maximum = 20 * tick_time if maximum == -1 else maximum
        if minimum > maximum:
            raise self.error(
                f"minSessionTimeout ({minimum} ms) must not be larger than "
                f"maxSessionTimeout ({maximum} ms)"
            )

    def read_dynamic_file(self, dynamic_file: str) -> dict[str, str]:
        """The ensemble from a dynamic config file: only server./group/weight keys belong."""
        raw = _read_properties_file(dynamic_file)
        if "version" in raw:
            raise ConfigError(
                f"{dynamic_file}: a dynamic config file must not contain version",
                path=dynamic_file,
                key="version",
                value=raw["version"],
            )
        for key, value in raw.items():
            if not _is_quorum_key(_java_trim(key)):
                raise ConfigError(
                    f"{dynamic_file}: {key}={value}: unrecognised parameter",
                    path=dynamic_file,
                    key=key,
                    value=value,
                )
        version = _version_from_filename(dynamic_file)
        if version is not None:
            raw["version"] = version
        return raw

    def parse_quorum(self, raw: Mapping[str, str]) -> tuple[tuple[QuorumServer, ...], int]:
        """server.N lines (and the quorum version), by QuorumMaj's and QuorumServer's rules.

        ZooKeeper takes these values untrimmed, so trailing spaces on a server line fail there
        and fail here.
        """
        servers: dict[int, QuorumServer] = {}
        version = 0
        multi_address = self.props.get("zookeeper.multiAddress.enabled", "").lower() == "true"
        for key, value in raw.items():
            if key.startswith(("group", "weight")):
                raise self.error("zkcompat does not implement hierarchical quorums", key, value)
            if key == "version":
                parsed = _parse_hex(value)
                if parsed is None:
                    raise self.error("not a 64-bit hexadecimal number", key, value)
                version = parsed
                continue
            if not key.startswith("server."):
                continue
            sid = _parse_int(key[len("server.") :], bits=64)
            if sid is None:
                raise self.error("server id is not a 64-bit integer", key, value)
            try:
                servers[sid] = _parse_server(sid, value, multi_address)
            except ValueError as error:
                raise self.error(str(error), key, value) from None
        return tuple(servers[sid] for sid in sorted(servers)), version

    def apply_server_client_address(
        self,
        servers: tuple[QuorumServer, ...],
        server_id: int | None,
        client: tuple[str | None, int] | None,
    ) -> tuple[tuple[QuorumServer, ...], tuple[str | None, int] | None]:
        """QuorumPeerConfig.setupClientPort: this server's line may supply the client address.

        Only with a myid file. A static clientPort that disagrees with the line is an error
        (a wildcard static address only has to agree on the port); a line without a client
        part takes the static one.
        """
        mine = next((s for s in servers if s.sid == server_id), None)
        if server_id is None or mine is None:
            return servers, client
        if mine.client_port is not None:
            if client is not None and not _same_client_address(client, mine):
                static = f"{client[0] or '0.0.0.0'}:{client[1]}"
                dynamic = f"{mine.client_host or '0.0.0.0'}:{mine.client_port}"
                raise self.error(
                    f"client address for server {server_id} is {static} in clientPort/"
                    f"clientPortAddress but {dynamic} in its server.{server_id} line"
                )
            return servers, (mine.client_host, mine.client_port)
        if client is None:
            return servers, client
        updated = QuorumServer(
            mine.sid,
            mine.host,
            mine.quorum_port,
            mine.election_port,
            mine.role,
            client[0],
            client[1],
        )
        return tuple(updated if s is mine else s for s in servers), client

    def check_quorum(self, config: ServerConfig, peer_type: str | None) -> None:
        """parseDynamicConfig's and checkValidity's rules about the ensemble."""
        participants = [s for s in config.servers if s.role == "participant"]
        observers = [s for s in config.servers if s.role == "observer"]
        if not participants:
            if not config.standalone_enabled:
                raise self.error("standaloneEnabled=false needs at least one participant")
            if observers:
                raise self.error("observers without participants is an invalid configuration")
        elif len(participants) == 1 and config.standalone_enabled:
            log.error("only one server line in %s; running standalone", self.path)
            if observers:
                raise self.error("observers without a quorum is an invalid configuration")
        else:
            if len(participants) <= 2:
                log.warning("no server failure will be tolerated: use at least 3 servers")
            elif len(participants) % 2 == 0:
                log.warning("an even number of participants; an odd number is better")
        if peer_type is not None and config.server_id is not None:
            is_observer = any(s.sid == config.server_id for s in observers)
            listed = "observer" if is_observer else "participant"
            if listed != peer_type:
                log.warning(
                    "peerType=%s disagrees with the server list (%s); using the list",
                    peer_type,
                    listed,
                )
        if config.distributed:
            if config.init_limit == 0:
                raise self.error("initLimit is not set")
            if config.sync_limit == 0:
                raise self.error("syncLimit is not set")
            if config.server_id is None:
                raise self.error(f"myid file is missing in {config.data_dir}")


_WILDCARDS = frozenset({"0.0.0.0", "::", "0:0:0:0:0:0:0:0"})


def _same_client_address(client: tuple[str | None, int], server: QuorumServer) -> bool:
    """Compared as ZooKeeper does, but on the strings: zkcompat resolves no names here."""
    host, port = client
    if port != server.client_port:
        return False
    if host is None or host in _WILDCARDS:
        return True
    return host.lower() == (server.client_host or "0.0.0.0").lower()


_WRONG_FORMAT = (
    "expected host:quorumPort:electionPort[:participant|observer][;[clientHost:]clientPort]"
)


def _host_and_port(text: str) -> list[str]:
    """ConfigUtils.getHostAndPort: split on ':' but keep a bracketed IPv6 host whole."""
    if not text.startswith("["):
        return _java_split(text, ":")
    close = text.find("]")
    if close < 0:
        raise ValueError(f"{text} starts with '[' but has no matching ']'")
    if close + 2 == len(text):
        raise ValueError(f"{text} has no port after the colon")
    if close + 2 < len(text):
        return [text[1:close], *_java_split(text[close + 2 :], ":")]
    return [text.replace("[", "").replace("]", "")]


def _port_number(text: str, what: str) -> int:
    port = _parse_int(text)
    if port is None:
        raise ValueError(f"{what} {text!r} is not a number")
    if not 0 <= port <= 0xFFFF:
        raise ValueError(f"{what} out of range: {port}")
    return port


def _parse_server(sid: int, text: str, multi_address: bool) -> QuorumServer:
    """One server.N value; raises ValueError with the reason, which the caller places."""
    parts = _java_split(text, ";")
    if not parts or len(parts) > 2:
        raise ValueError(_WRONG_FORMAT)
    client_host: str | None = None
    client_port: int | None = None
    if len(parts) == 2:
        client_parts = _host_and_port(parts[1])
        if len(client_parts) > 2:
            raise ValueError(_WRONG_FORMAT)
        client_host = client_parts[0] if len(client_parts) == 2 else None
        client_port = _port_number(client_parts[-1], "client port")
    addresses = _java_split(parts[0], "|")
    if len(addresses) > 1:
        if not multi_address:
            raise ValueError(
                f"several addresses for server {sid} but zookeeper.multiAddress.enabled is off"
            )
        raise ValueError(f"zkcompat does not support several addresses for server {sid}")
    if not addresses:
        raise ValueError(_WRONG_FORMAT)
    server_parts = _host_and_port(addresses[0])
    if not 3 <= len(server_parts) <= 4:
        raise ValueError(_WRONG_FORMAT)
    host = server_parts[0]
    quorum_port = _port_number(server_parts[1], "quorum port")
    election_port = _port_number(server_parts[2], "election port")
    if quorum_port == election_port:
        raise ValueError(f"quorum and election ports of server.{sid} must be different")
    role: Role = "participant"
    if len(server_parts) == 4:
        written = _java_trim(server_parts[3]).lower()
        if written == "observer":
            role = "observer"
        elif written != "participant":
            raise ValueError(f"unrecognised peer type {server_parts[3]!r}")
    return QuorumServer(sid, host, quorum_port, election_port, role, client_host, client_port)


def _version_from_filename(path: str) -> str | None:
    """``zoo.cfg.dynamic.100000000`` carries its config version, in hex, after the last dot."""
    suffix = path.rpartition(".")[2] if "." in path else ""
    version = _parse_hex(suffix)
    return None if version is None else format(version, "x")


def _read_myid(data_dir: str) -> int | None:
    """dataDir/myid names this server in the ensemble; a standalone server need not have it."""
    path = os.path.join(data_dir, "myid")
    if not os.path.isfile(path):
        return None
    try:
        with open(path, encoding="utf-8", errors="replace", newline="") as handle:
            text = handle.read()
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror}", path=path) from error
    first_line = re.split(r"\r\n|\r|\n", text, maxsplit=1)[0] if text else None
    sid = None if first_line is None else _parse_int(first_line, bits=64)
    if sid is None:
        raise ConfigError(f"{path}: serverid {first_line} is not a number", path=path)
    return sid


def _warn_if_relative(key: str, path: str) -> None:
    if not os.path.isabs(path) and not path.startswith("./"):
        log.warning("%s=%s is relative; write ./%s if that is meant", key, path, path)
