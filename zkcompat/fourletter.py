"""Four-letter words: short text commands sent on the client port instead of a handshake.

The answers follow ZooKeeper 3.8.0's formats line for line, because monitoring scripts parse
them (``zkServer.sh status`` reads ``srvr``'s ``Mode:`` line). A known word that is not in
``4lw.commands.whitelist`` gets ZooKeeper's refusal text; ``srvr`` is always allowed, as in
ZooKeeper, which needs it for its own scripts.

Where the figures come from:

- Packet and byte counts, replies and latencies are counted by each connection
  (``zkcompat.network.ClientConnection``); this module adds them up. The counters only grow:
  ``crst`` records a base per connection and ``srst`` a base for the server, and the
  connections that closed are folded into :attr:`FourLetterWords` totals as they go, so no
  request pays for two sets of counters.
- Latencies are whole milliseconds, as in ZooKeeper. A reply sent within a millisecond of its
  request's arrival counts as 0 ms without any arithmetic; only slower ones are summed.
- ``mntr`` prints ZooKeeper 3.8.0's whole classic key set, in its order. Metrics of parts
  zkcompat does not have (a quorum, TLS, throttling, the AdminServer) are truthfully 0; the
  ones it does not measure yet are listed in :data:`MNTR_NOT_MEASURED` and read 0 too.
"""

from __future__ import annotations

import ipaddress
import os
import platform
import pwd
import resource
import socket
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import ClassVar, NamedTuple, Protocol

from zkcompat.constants import OpCode
from zkcompat.server import ZooKeeperServer

VERSION = "3.8.0-zkcompat-0.1.0, built on 2026-11-24 00:00 UTC"

#: Every word ZooKeeper 3.8 knows; zkcompat answers those in FourLetterWords.ANSWERS.
COMMANDS = frozenset(
    {
        "conf", "cons", "crst", "dirs", "dump", "envi", "gtmk", "ruok", "stmk", "srst",
        "srvr", "stat", "wchc", "wchp", "wchs", "mntr", "isro", "hash",
    }
)  # fmt: skip

#: ZooTrace's initial mask: client requests, server packets, sessions and warnings.
DEFAULT_TRACE_MASK = (1 << 1) | (1 << 4) | (1 << 5) | (1 << 8)

#: How cons names a connection's last request (the names ZooKeeper's FinalRequestProcessor
#: gives). An opcode not listed, and an error txn, read "NA".
OP_NAMES = {
    OpCode.ping: "PING",
    OpCode.createSession: "SESS",
    OpCode.multi: "MULT",
    OpCode.multiRead: "MLTR",
    OpCode.create: "CREA",
    OpCode.create2: "CREA",
    OpCode.createTTL: "CREA",
    OpCode.createContainer: "CREA",
    OpCode.delete: "DELE",
    OpCode.deleteContainer: "DELE",
    OpCode.setData: "SETD",
    OpCode.reconfig: "RECO",
    OpCode.setACL: "SETA",
    OpCode.closeSession: "CLOS",
    OpCode.sync: "SYNC",
    OpCode.check: "CHEC",
    OpCode.exists: "EXIS",
    OpCode.getData: "GETD",
    OpCode.setWatches: "SETW",
    OpCode.setWatches2: "STW2",
    OpCode.addWatch: "ADDW",
    OpCode.getACL: "GETA",
    OpCode.getChildren: "GETC",
    OpCode.getChildren2: "GETC",
    OpCode.getAllChildrenNumber: "GETACN",
    OpCode.checkWatches: "CHKW",
    OpCode.removeWatches: "REMW",
    OpCode.whoAmI: "HOMI",
    OpCode.getEphemerals: "GETE",
}

#: ZooKeeper's zookeeper.nio.sessionlessCnxnTimeout: how long a connection without a session
#: lives, and the width of the connection expiry buckets that dump prints.
SESSIONLESS_CNXN_TIMEOUT = 10_000

_UNSIGNED_64 = (1 << 64) - 1

# mntr after zk_version and zk_server_state: ZooKeeper 3.8.0's gauges and counters, then its
# summaries (avg/min/max/cnt/sum), then those with percentiles too, each in the order a
# standalone 3.8.0 prints them.
_MNTR_SCALARS = (
    "ephemerals_count", "num_alive_connections", "avg_latency", "outstanding_requests",
    "znode_count", "global_sessions", "non_mtls_remote_conn_count", "last_client_response_size",
    "packets_sent", "packets_received", "max_client_response_size",
    "connection_drop_probability", "watch_count", "auth_failed_count", "min_latency",
    "max_file_descriptor_count", "approximate_data_size", "open_file_descriptor_count",
    "local_sessions", "uptime", "max_latency", "outstanding_tls_handshake",
    "min_client_response_size", "non_mtls_local_conn_count", "proposal_count", "watch_bytes",
    "outstanding_changes_removed", "throttled_ops", "stale_requests_dropped",
    "large_requests_rejected", "insecure_admin_count", "connection_rejected",
    "cnxn_closed_without_zk_server_running", "sessionless_connections_expired", "looking_count",
    "dead_watchers_queued", "stale_requests", "connection_drop_count",
    "learner_proposal_received_count", "digest_mismatches_count", "dead_watchers_cleared",
    "response_packet_cache_hits", "bytes_received_count", "add_dead_watcher_stall_time",
    "request_throttle_wait_count", "requests_not_forwarded_to_commit_processor",
    "response_packet_cache_misses", "ensemble_auth_success", "prep_processor_request_queued",
    "learner_commit_received_count", "stale_replies", "connection_request_count",
    "response_bytes", "ensemble_auth_fail", "diff_count",
    "response_packet_get_children_cache_misses", "connection_revalidate_count",
    "quit_leading_due_to_disloyal_voter", "snap_count", "unrecoverable_error_count",
    "unsuccessful_handshake", "commit_count", "stale_sessions_expired",
    "response_packet_get_children_cache_hits", "sync_processor_request_queued",
    "outstanding_changes_queued", "request_commit_queued", "ensemble_auth_skip",
    "skip_learner_request_to_next_processor_count", "tls_handshake_exceeded",
    "revalidate_count",
)  # fmt: skip

_MNTR_SUMMARIES = (
    "socket_closing_time", "proposal_process_time", "leader_unavailable_time",
    "node_created_watch_count", "session_queues_drained", "write_commit_proc_req_queued",
    "connection_token_deficit", "read_commit_proc_req_queued", "node_deleted_watch_count",
    "startup_txns_load_time", "sync_processor_queue_size", "follower_sync_time",
    "prep_processor_queue_size", "fsynctime", "inflight_snap_count",
    "reads_issued_from_session_queue", "learner_request_processor_queue_size", "snapshottime",
    "unavailable_time", "startup_txns_loaded", "reads_after_write_in_session_queue",
    "requests_in_session_queue", "write_commit_proc_issued", "prep_process_time",
    "pending_session_queue_size", "time_waiting_empty_pool_in_commit_processor_read_ms",
    "commit_process_time", "dbinittime", "inflight_diff_count", "netty_queued_buffer_capacity",
    "election_time", "commit_commit_proc_req_queued", "sync_processor_batch_size",
    "node_children_watch_count", "write_batch_time_in_commit_processor",
    "read_commit_proc_issued", "concurrent_request_processing_in_commit_processor",
    "observer_sync_time", "node_changed_watch_count", "sync_process_time",
    "startup_snap_load_time",
)  # fmt: skip

_MNTR_PERCENTILE_SUMMARIES = (
    "prep_processor_queue_time_ms", "jvm_pause_time_ms", "close_session_prep_time",
    "read_commitproc_time_ms", "updatelatency", "local_write_committed_time_ms",
    "request_throttle_queue_time_ms", "readlatency", "quorum_ack_latency",
    "om_commit_process_time_ms", "read_final_proc_time_ms", "commit_propagation_latency",
    "dead_watchers_cleaner_latency", "write_final_proc_time_ms",
    "proposal_ack_creation_latency", "proposal_latency", "om_proposal_process_time_ms",
    "sync_processor_queue_and_flush_time_ms", "propagation_latency",
    "server_write_committed_time_ms", "sync_processor_queue_time_ms",
    "sync_processor_queue_flush_time_ms", "write_commitproc_time_ms",
)  # fmt: skip

#: mntr keys of things zkcompat has but does not measure yet: they read 0 (their summaries
#: 0 throughout). Every other key without a figure belongs to something a standalone zkcompat
#: does not have, where 0 is the true value.
MNTR_NOT_MEASURED = frozenset(
    {
        "last_client_response_size", "max_client_response_size", "min_client_response_size",
        "auth_failed_count", "watch_bytes", "outstanding_changes_removed",
        "outstanding_changes_queued", "connection_rejected", "response_bytes",
        "prep_processor_request_queued", "sync_processor_request_queued",
        "connection_revalidate_count", "stale_sessions_expired",
        "node_created_watch_count", "node_deleted_watch_count", "node_changed_watch_count",
        "node_children_watch_count", "prep_process_time", "prep_processor_queue_size",
        "sync_processor_queue_size", "commit_process_time", "readlatency", "updatelatency",
        "close_session_prep_time", "prep_processor_queue_time_ms", "socket_closing_time",
    }
)  # fmt: skip

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class Connection(Protocol):
    """What the answers read of a client connection (``zkcompat.network.ClientConnection``)."""

    remote: tuple[str, int]
    session_id: int
    inbox: Sequence[bytes]
    four_letter_word: bool
    established_at: float
    packets_received: int
    packets_sent: int
    bytes_received: int
    responses: int
    stats_base: tuple[int, int, int]
    received_at: float
    last_op: int | None
    last_cxid: int
    last_zxid: int
    last_response: float
    last_slow: float
    last_latency: int
    slow_count: int
    slow_total: int
    min_latency: int | None
    max_latency: int

    def interest_ops(self) -> int: ...

    def reset_stats(self) -> None: ...


class Totals(NamedTuple):
    """The server's counters, summed over connections (those still open and those closed)."""

    packets_received: int = 0
    packets_sent: int = 0
    bytes_received: int = 0
    replies: int = 0
    connection_requests: int = 0

    def plus(self, other: Totals) -> Totals:
        return Totals(*map(int.__add__, self, other))

    def minus(self, other: Totals) -> Totals:
        return Totals(*map(int.__sub__, self, other))


def _totals_of(conn: Connection) -> Totals:
    handshake = 1 if conn.packets_received and not conn.four_letter_word else 0
    return Totals(
        conn.packets_received, conn.packets_sent, conn.bytes_received, conn.responses, handshake
    )


class Latencies:
    """The server's request latencies of 1 ms or more since the last srst (ZooKeeper's
    request_latency AvgMinMaxCounter, less the replies counted as 0 ms, which need no sum)."""

    __slots__ = ("count", "max", "min", "total")

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.count = 0
        self.total = 0
        self.min = 0
        self.max = 0

    def add(self, latency: int) -> None:
        if self.count == 0 or latency < self.min:
            self.min = latency
        self.max = max(self.max, latency)
        self.count += 1
        self.total += latency


class FourLetterWords:
    """Answers four-letter words from the server's live state."""

    def __init__(
        self,
        server: ZooKeeperServer,
        whitelist: Iterable[str],
        connections: Callable[[], Iterable[Connection]],
        config_lines: Iterable[str] = (),
        *,
        data_dir: str | None = None,
        data_log_dir: str | None = None,
    ) -> None:
        words = {w.strip() for w in whitelist if w.strip()}
        self.enabled = set(COMMANDS) if "*" in words else words & COMMANDS
        self.enabled.add("srvr")
        self.server = server
        self.connections = connections
        self.config_lines = list(config_lines)
        # ZooKeeper's snapshot and txn log directories: dataDir/version-2, dataLogDir/version-2
        self.snap_dir = os.path.join(data_dir, "version-2") if data_dir else None
        log_dir = data_log_dir or data_dir
        self.log_dir = os.path.join(log_dir, "version-2") if log_dir else None
        self.trace_mask = DEFAULT_TRACE_MASK
        self.latency = Latencies()
        self.started = time.monotonic()
        self._closed = Totals()  # of connections that have closed
        self._base = Totals()  # at the last srst
        self._host_name: str | None = None

    def answer(self, word: str, rest: bytes = b"") -> str:
        """The answer to ``word``; ``rest`` is what came after it in the same read (stmk's
        mask)."""
        if word not in self.enabled:
            return f"{word} is not executed because it is not in the whitelist.\n"
        if word == "stmk":
            return self._stmk(rest)
        handler = self.ANSWERS.get(word)
        if handler is None:
            return f"{word} is not implemented by zkcompat yet.\n"
        return handler(self)

    def retire(self, conn: Connection) -> None:
        """A connection closed: keep its counts in the server's totals."""
        self._closed = self._closed.plus(_totals_of(conn))

    # --- figures ------------------------------------------------------------------------------

    def _connections(self) -> list[Connection]:
        return sorted(self.connections(), key=lambda c: c.established_at)

    def _totals(self, connections: Iterable[Connection]) -> Totals:
        """The server's counters since the last srst."""
        totals = self._closed
        for conn in connections:
            totals = totals.plus(_totals_of(conn))
        return totals.minus(self._base)

    def _latency(self, replies: int) -> tuple[int, float, int]:
        """Server latency min/avg/max over ``replies`` replies, as ServerStats reports it."""
        slow = self.latency
        if replies <= 0:
            return 0, 0.0, 0
        low = 0 if replies > slow.count else slow.min
        average = Decimal(slow.total / replies).quantize(Decimal("0.0001"), ROUND_HALF_UP)
        return low, float(average), slow.max

    def _outstanding(self, connections: Iterable[Connection]) -> int:
        return sum(len(c.inbox) for c in connections)

    def _session_timeout(self, session_id: int) -> int:
        session = self.server.sessions.sessions.get(session_id)
        return session.timeout if session is not None else 0

    def _summary(self) -> str:
        connections = self._connections()
        totals = self._totals(connections)
        low, average, high = self._latency(totals.replies)
        tree = self.server.tree
        return (
            f"Latency min/avg/max: {low}/{_java_double(average)}/{high}\n"
            f"Received: {totals.packets_received}\n"
            f"Sent: {totals.packets_sent}\n"
            f"Connections: {len(connections)}\n"
            f"Outstanding: {self._outstanding(connections)}\n"
            f"Zxid: 0x{_hex(tree.last_processed_zxid)}\n"
            "Mode: standalone\n"
            f"Node count: {tree.node_count()}\n"
        )

    def _connection_info(self, conn: Connection, brief: bool) -> str:
        """One connection as ServerCnxn.dumpConnectionInfo prints it, without the newline."""
        received, sent, replies = conn.stats_base
        text = (
            f" {_java_address(conn.remote)}[{conn.interest_ops():x}]"
            f"(queued={len(conn.inbox)},recved={conn.packets_received - received}"
            f",sent={conn.packets_sent - sent}"
        )
        if brief or not conn.session_id:
            return text + ")"
        count = conn.responses - replies
        # Some replies since crst took under a millisecond: the least latency is 0.
        low = 0 if count > conn.slow_count else conn.min_latency or 0
        last_latency = conn.last_latency if conn.last_slow == conn.last_response else 0
        cxid = f",lcxid=0x{_hex(conn.last_cxid)}" if conn.last_cxid >= 0 else ""
        last_op = "null" if conn.last_op is None else OP_NAMES.get(conn.last_op, "NA")
        return (
            f"{text},sid=0x{_hex(conn.session_id)},lop={last_op}"
            f",est={int(conn.established_at * 1000)},to={self._session_timeout(conn.session_id)}"
            f"{cxid},lzxid=0x{_hex(conn.last_zxid)},lresp={int(conn.last_response * 1000)}"
            f",llat={last_latency},minlat={low}"
            f",avglat={conn.slow_total // count if count else 0},maxlat={conn.max_latency})"
        )

    # --- the words ----------------------------------------------------------------------------

    def ruok(self) -> str:
        return "imok"

    def isro(self) -> str:
        return "rw"

    def srvr(self) -> str:
        return f"Zookeeper version: {VERSION}\n{self._summary()}"

    def stat(self) -> str:
        clients = "".join(f"{self._connection_info(c, True)}\n" for c in self._connections())
        return f"Zookeeper version: {VERSION}\nClients:\n{clients}\n{self._summary()}"

    def cons(self) -> str:
        return "".join(f"{self._connection_info(c, False)}\n" for c in self._connections()) + "\n"

    def srst(self) -> str:
        self._base = self._totals(self.connections()).plus(self._base)
        self.latency.reset()
        return "Server stats reset.\n"

    def crst(self) -> str:
        for conn in self.connections():
            conn.reset_stats()
        return "Connection stats reset.\n"

    def dirs(self) -> str:
        # As in ZooKeeper 3.8.0, "datadir" is the txn log directory and "logdir" the
        # snapshot directory: its getDataDirSize measures FileTxnSnapLog's dataDir, the logs.
        return f"datadir_size: {_dir_size(self.log_dir)}\nlogdir_size: {_dir_size(self.snap_dir)}\n"

    def conf(self) -> str:
        lines = []
        for line in self.config_lines:
            lines.append(f"{line}\n")
            key = line.partition("=")[0]
            if key == "dataDir":  # the same swap as dirs
                lines.append(f"dataDirSize={_dir_size(self.log_dir)}\n")
            elif key == "dataLogDir":
                lines.append(f"dataLogSize={_dir_size(self.snap_dir)}\n")
        return "".join(lines)

    def dump(self) -> str:
        lines = ["SessionTracker dump:", *self._session_sets()]
        lines.append("ephemeral nodes dump:")
        # The tree keeps a session's (possibly emptied) ephemeral set until the session
        # closes, as ZooKeeper's DataTree does, and dump shows the emptied ones too.
        ephemerals = self.server.tree.ephemerals_by_session()
        lines.append(f"Sessions with Ephemerals ({len(ephemerals)}):")
        for session_id, paths in ephemerals.items():
            lines.append(f"0x{_hex(session_id)}:")
            lines.extend(f"\t{path}" for path in paths)
        lines.append("Connections dump:")
        lines.extend(self._connection_sets())
        return "".join(f"{line}\n" for line in lines)

    def _session_sets(self) -> list[str]:
        """SessionTrackerImpl.dumpSessions: sessions by the tick at which they expire."""
        buckets: dict[int, list[int]] = {}
        for session in self.server.sessions.sessions.values():
            if not session.closing:
                buckets.setdefault(session.expires_at, []).append(session.session_id)
        return _expiry_sets(
            "Session",
            [
                (_java_date(deadline), [f"0x{_hex(s)}" for s in buckets[deadline]])
                for deadline in sorted(buckets)
            ],
        )

    def _connection_sets(self) -> list[str]:
        """NIOServerCnxnFactory.dumpConnections: connections by when they would expire if
        nothing more came from them, in buckets of the sessionless timeout."""
        now_wall, now = time.time() * 1000, time.monotonic() * 1000
        buckets: dict[int, list[Connection]] = {}
        for conn in self._connections():
            touched = int(max(conn.received_at, conn.last_response) * 1000)
            timeout = SESSIONLESS_CNXN_TIMEOUT
            if conn.session_id:
                timeout = self._session_timeout(conn.session_id) or timeout
            deadline = ((touched + timeout) // SESSIONLESS_CNXN_TIMEOUT + 1) * (
                SESSIONLESS_CNXN_TIMEOUT
            )
            buckets.setdefault(deadline, []).append(conn)
        return _expiry_sets(
            "Connections",
            [
                (
                    _java_date(int(now_wall + deadline - now)),
                    [
                        f"ip: {_java_address(c.remote)} sessionId: 0x{_hex(c.session_id)}"
                        for c in buckets[deadline]
                    ],
                )
                for deadline in sorted(buckets)
            ],
        )

    def wchs(self) -> str:
        summary = self.server.watches.summary()
        return (
            f"{summary.num_connections} connections watching {summary.num_paths} paths\n"
            f"Total watches:{summary.total_watches}\n"
        )

    def wchc(self) -> str:
        lines = []
        for watcher, paths in self.server.watches.by_watcher().items():
            lines.append(f"0x{_hex(watcher.session_id)}\n")
            lines.extend(f"\t{path}\n" for path in paths)
        return "".join(lines) + "\n"

    def wchp(self) -> str:
        lines = []
        for path, watchers in self.server.watches.by_path().items():
            lines.append(f"{path}\n")
            lines.extend(f"\t0x{_hex(watcher.session_id)}\n" for watcher in watchers)
        return "".join(lines) + "\n"

    def hash(self) -> str:
        # ZooKeeper lists the tree digest it logged every 128th zxid. zkcompat computes no
        # digests, so it answers as ZooKeeper does with zookeeper.digest.enabled=false.
        return ""

    def gtmk(self) -> str:
        return str(self.trace_mask)

    def _stmk(self, rest: bytes) -> str:
        # ZooKeeper reads the 8-byte mask from what has arrived with the word; short of that it
        # closes the connection without an answer.
        if len(rest) < 8:
            return ""
        self.trace_mask = int.from_bytes(rest[:8], "big", signed=True)
        return str(self.trace_mask)

    def mntr(self) -> str:
        connections = self._connections()
        totals = self._totals(connections)
        low, average, high = self._latency(totals.replies)
        tree = self.server.tree
        values: dict[str, int | float] = {
            "ephemerals_count": sum(len(paths) for paths in tree.ephemerals_by_session().values()),
            "num_alive_connections": len(connections),
            "avg_latency": average,
            "outstanding_requests": self._outstanding(connections),
            "znode_count": tree.node_count(),
            "global_sessions": len(tree.sessions),
            "packets_sent": totals.packets_sent,
            "packets_received": totals.packets_received,
            "connection_drop_probability": 0.0,
            "watch_count": self.server.watches.watch_count(),
            "min_latency": low,
            "max_file_descriptor_count": _max_fds(),
            "approximate_data_size": tree.approximate_data_size(),
            "open_file_descriptor_count": _open_fds(),
            "uptime": int((time.monotonic() - self.started) * 1000),
            "max_latency": high,
            "bytes_received_count": totals.bytes_received,
            "connection_request_count": totals.connection_requests,
        }
        rows = [("version", VERSION), ("server_state", "standalone")]
        rows.extend((key, values.get(key, 0)) for key in _MNTR_SCALARS)
        live = self.server.watches.fired_rows()
        for name in _MNTR_SUMMARIES:
            rows.extend(live.get(name) or _zero_summary(name, percentiles=False))
        for name in _MNTR_PERCENTILE_SUMMARIES:
            rows.extend(_zero_summary(name, percentiles=True))
        rows.extend(tree.reads.rows())
        rows.extend(tree.writes.rows())
        return "".join(f"zk_{key}\t{_mntr_value(value)}\n" for key, value in rows)

    def envi(self) -> str:
        """ZooKeeper's Environment keys. The java.* ones describe the Python runtime serving
        (version, implementation, installation, module path); os.memory.* describe this
        process: total is its resident memory, max what it may grow to (its address-space
        limit, else the machine's memory) and free the difference."""
        if self._host_name is None:
            self._host_name = socket.getfqdn()
        total, limit = _memory()
        rows = [
            ("zookeeper.version", VERSION),
            ("host.name", self._host_name),
            ("java.version", platform.python_version()),
            ("java.vendor", platform.python_implementation()),
            ("java.home", sys.base_prefix),
            ("java.class.path", os.pathsep.join(p for p in sys.path if p)),
            ("java.library.path", os.environ.get("LD_LIBRARY_PATH") or "<NA>"),
            ("java.io.tmpdir", tempfile.gettempdir()),
            ("java.compiler", "<NA>"),
            ("os.name", platform.system() or "<NA>"),
            ("os.arch", _java_arch(platform.machine())),
            ("os.version", platform.release() or "<NA>"),
            *_user(),
            ("user.dir", os.getcwd()),
            ("os.memory.free", f"{max(limit - total, 0) // (1 << 20)}MB"),
            ("os.memory.max", f"{limit // (1 << 20)}MB"),
            ("os.memory.total", f"{total // (1 << 20)}MB"),
        ]
        return "Environment:\n" + "".join(f"{key}={value}\n" for key, value in rows)

    ANSWERS: ClassVar[dict[str, Callable[[FourLetterWords], str]]] = {
        "ruok": ruok,
        "isro": isro,
        "srvr": srvr,
        "stat": stat,
        "cons": cons,
        "srst": srst,
        "crst": crst,
        "dirs": dirs,
        "conf": conf,
        "dump": dump,
        "wchs": wchs,
        "wchc": wchc,
        "wchp": wchp,
        "hash": hash,
        "gtmk": gtmk,
        "mntr": mntr,
        "envi": envi,
    }


# --- formatting as Java does -----------------------------------------------------------------


def _hex(value: int) -> str:
    """Long.toHexString: two's complement, no leading zeros."""
    return f"{value & _UNSIGNED_64:x}"


def _java_double(value: float) -> str:
    """Double.toString for the values printed here: plain between 10^-3 and 10^7, else
    computerised scientific notation (1.0E-4)."""
    if value == 0:
        return "0.0"
    if 1e-3 <= abs(value) < 1e7:
        return repr(value)
    sign, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
    text = "".join(map(str, digits))
    power = exponent + len(text) - 1
    return f"{'-' if sign else ''}{text[0]}.{text[1:] or '0'}E{power}"


def _mntr_value(value: object) -> str:
    return _java_double(value) if isinstance(value, float) else str(value)


def _zero_summary(name: str, *, percentiles: bool) -> list[tuple[str, int | float]]:
    rows: list[tuple[str, int | float]] = [(f"avg_{name}", 0.0)]
    rows.extend((f"{kind}_{name}", 0) for kind in ("min", "max", "cnt", "sum"))
    if percentiles:
        rows.extend((f"{kind}_{name}", 0) for kind in ("p50", "p95", "p99", "p999"))
    return rows


def _java_address(remote: tuple[str, int]) -> str:
    """InetSocketAddress.toString of an accepted socket: "/address:port", with IPv6 written
    out in full as Java does and IPv4-mapped addresses as plain IPv4."""
    host, port = remote[0], remote[1]
    try:
        address = ipaddress.ip_address(host.partition("%")[0])
    except ValueError:
        return f"/{host}:{port}"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return f"/{address.ipv4_mapped}:{port}"
        groups = ":".join(f"{int(group, 16):x}" for group in address.exploded.split(":"))
        scope = host.partition("%")[2]
        return f"/{groups}{'%' + scope if scope else ''}:{port}"
    return f"/{address}:{port}"


def _java_date(epoch_ms: int) -> str:
    """Date.toString in the local time zone: "Tue Nov 24 19:45:25 UTC 2026"."""
    t = time.localtime(epoch_ms / 1000)
    return (
        f"{_DAYS[t.tm_wday]} {_MONTHS[t.tm_mon - 1]} {t.tm_mday:02d} "
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} {t.tm_zone} {t.tm_year}"
    )


def _expiry_sets(kind: str, buckets: list[tuple[str, list[str]]]) -> list[str]:
    """ExpiryQueue.dump, after its "Session " or "Connections " prefix."""
    lines = [f"{kind} Sets ({len(buckets)})/({sum(len(items) for _, items in buckets)}):"]
    for date, items in buckets:
        lines.append(f"{len(items)} expire at {date}:")
        lines.extend(f"\t{item}" for item in items)
    return lines


def _java_arch(machine: str) -> str:
    """os.arch as the JVM names it."""
    machine = machine.lower()
    if machine in ("x86_64", "amd64"):
        return "amd64"
    if machine in ("i386", "i486", "i586", "i686", "x86"):
        return "x86"
    return machine or "<NA>"


# --- the operating system --------------------------------------------------------------------


def _dir_size(path: str | None) -> int:
    """ZooKeeper's getDirSize: the bytes of every file under ``path`` (0 if it is missing)."""
    if path is None:
        return 0
    try:
        if not os.path.isdir(path):
            return os.path.getsize(path)
        return sum(_dir_size(entry.path) for entry in os.scandir(path))
    except OSError:
        return 0


def _user() -> list[tuple[str, str]]:
    try:
        entry = pwd.getpwuid(os.getuid())
    except KeyError:
        return [("user.name", "<NA>"), ("user.home", os.path.expanduser("~"))]
    return [("user.name", entry.pw_name), ("user.home", entry.pw_dir)]


def _memory() -> tuple[int, int]:
    """(resident bytes of this process, the most it may hold)."""
    page = os.sysconf("SC_PAGE_SIZE")
    try:
        with open("/proc/self/statm") as statm:
            total = int(statm.read().split()[1]) * page
    except (OSError, ValueError, IndexError):
        total = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    limit = resource.getrlimit(resource.RLIMIT_AS)[0]
    if limit == resource.RLIM_INFINITY:
        limit = page * os.sysconf("SC_PHYS_PAGES")
    return total, limit


def _open_fds() -> int:
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:
        return 0


def _max_fds() -> int:
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]
