"""The request pipeline of one standalone server: prep, commit, apply, reply.

:class:`ZooKeeperServer` owns the data tree, the sessions and the watches, and is driven by
its network shell through four calls: :meth:`connect` for a handshake, :meth:`handle` for each
request frame, :meth:`disconnected` when a socket goes away and :meth:`tick` once per tick. It
knows connections only as objects with ``send(bytes)`` and ``close()``; it never touches a
socket. Everything runs on one thread, so per-session FIFO holds by construction: a request is
answered, and the watch events it triggers are queued on their connections, before the next
request is looked at.

Writes follow DESIGN.md: prep builds a txn (or an error txn, which still takes a zxid, as in
ZooKeeper), commit hands it to the txn log (in memory for now: durable storage plugs in here),
apply runs it through the data tree, then watch events go out before the reply.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol

from jute import JuteError
from jute import records as R
from zkcompat import reads
from zkcompat.acl import (
    DEFAULT_PROVIDERS,
    AuthFailed,
    AuthInfo,
    AuthProvider,
    authenticate,
    check_acl,
)
from zkcompat.commit import Committer
from zkcompat.constants import (
    NOTIFICATION_XID,
    PING_XID,
    Err,
    EventType,
    KeeperState,
    OpCode,
    Perms,
)
from zkcompat.datatree import OPEN_ACL_UNSAFE, ApplyResult, DataTree, owner_ttl
from zkcompat.errors import KeeperError
from zkcompat.prep import Caller, Prep, PrepSettings
from zkcompat.requests import (
    MULTI_READ_OPS,
    MULTI_WRITE_OPS,
    REQUEST_RECORDS,
    decode_multi,
    encode_multi_results,
)
from zkcompat.sasl import DigestMd5Server, SaslConfig, SaslFailed
from zkcompat.sessions import PASSWORD_LENGTH, SessionTracker, session_password
from zkcompat.storage.database import Database
from zkcompat.watches import WatchManager

log = logging.getLogger(__name__)

_NOTIFICATION = R.ReplyHeader(NOTIFICATION_XID, -1, Err.Ok)
_EVENT_FRAME = R.frame(R.ReplyHeader, R.WatcherEvent)
_CONNECT_FRAME = R.frame(R.ConnectResponse)
_HEADER_FRAME = R.frame(R.ReplyHeader)
_SASL_FRAME = R.frame(R.ReplyHeader, R.SetSASLResponse)
_REJECTED = R.ConnectResponse(0, 0, 0, bytes(PASSWORD_LENGTH), False)

# Single writes: what a multi may hold, plus setACL and reconfig. Plain ints, like _READS:
# the request path tests them first.
_WRITES = frozenset(int(op) for op in (*MULTI_WRITE_OPS, OpCode.setACL, OpCode.reconfig))


class Connection(Protocol):
    """What the pipeline needs of a client connection; it is also the watcher object."""

    session_id: int
    identities: AuthInfo
    remote: tuple[str, int]
    sasl: DigestMd5Server | None
    last_op: int | None  # for cons: the opcode of the last request answered

    def send(self, data: bytes) -> None: ...

    def close(self) -> None: ...

    def answered(self, xid: int, zxid: int) -> None:
        """A reply went out (for cons and the latency figures of srvr and mntr)."""


@dataclass(frozen=True)
class ServerSettings:
    tick_time: int = 2000
    min_session_timeout: int = 4000
    max_session_timeout: int = 40000
    extended_types: bool = False
    skip_acl: bool = False
    super_digest: str | None = None
    reconfig_enabled: bool = False
    container_check_interval_ms: int = 60000
    container_max_never_used_ms: int = 0
    sasl: SaslConfig | None = None
    auth_providers: Mapping[str, AuthProvider] = field(default_factory=lambda: DEFAULT_PROVIDERS)


class ZooKeeperServer:
    """One standalone server's state and request handling; see the module docstring."""

    def __init__(
        self,
        settings: ServerSettings,
        clock: Callable[[], float] = time.time,
        database: Database | None = None,
    ) -> None:
        self.settings = settings
        self._clock = clock
        self.database = database
        if database is None:
            self.tree = DataTree(extended_types=settings.extended_types)
        else:
            self.tree = database.load(extended_types=settings.extended_types)
        self.prep = Prep(
            self.tree,
            PrepSettings(settings.extended_types, settings.skip_acl, settings.auth_providers),
        )
        self.watches = WatchManager()
        self.sessions = SessionTracker(settings.tick_time, 0, self._now())
        for session_id, timeout in self.tree.sessions.items():  # restored: a fresh deadline
            self.sessions.add(session_id, timeout, self._now())
        self.connections: dict[int, Connection] = {}
        self.skip_acl = settings.skip_acl
        self.providers = settings.auth_providers
        self.zxid = self.tree.last_processed_zxid
        self.committer = Committer(self._apply, database.writer if database else None)
        self._queues: dict[int, deque[_Step]] = {}

    def _now(self) -> int:
        return int(self._clock() * 1000)

    # --- sessions ---------------------------------------------------------------------------

    def connect(self, conn: Connection, request: Any, old_client: bool) -> bool:
        """Answer a ConnectRequest; False when the connection must be closed after the answer
        (or, for a client that saw a newer zxid than ours, with no answer at all)."""
        if request.lastZxidSeen > self.tree.last_processed_zxid:
            log.info(
                "Refusing session request for client as it has seen zxid 0x%x our last zxid "
                "is 0x%x client must try another server",
                request.lastZxidSeen,
                self.tree.last_processed_zxid,
            )
            return False
        timeout = min(
            max(request.timeOut, self.settings.min_session_timeout),
            self.settings.max_session_timeout,
        )
        now = self._now()
        created = request.sessionId == 0
        if not created:
            # ZooKeeper closes the session's current connection before it checks the password,
            # so even a refused reconnect knocks the current owner off (the session lives on).
            previous = self.connections.get(request.sessionId)
            if previous is not None and previous is not conn:
                self._drop_connection(previous)
        if created:
            session = self.sessions.create(timeout, now)
            log.info(
                "Established session 0x%x with negotiated timeout %d", session.session_id, timeout
            )
        elif self.sessions.check(request.sessionId, request.passwd or b""):
            session = self.sessions.sessions[request.sessionId]
            self.sessions.touch(session.session_id, now)
        else:
            log.info("Invalid session 0x%x for client, probably expired", request.sessionId)
            self._send_connect(conn, _REJECTED, old_client)
            return False
        conn.session_id = session.session_id
        self.connections[session.session_id] = conn
        response = R.ConnectResponse(
            0, timeout, session.session_id, session_password(session.session_id), False
        )
        answer = partial(self._send_connect, conn, response, old_client)
        if created:  # the session exists once its createSession txn is durable
            step = self._enqueue(session.session_id)
            header = self._header(session.session_id, 0, OpCode.createSession)
            self._commit(header, R.CreateSessionTxn(timeout), lambda _: step.ready(answer))
        else:
            self._in_order(session.session_id, answer)
        return True

    @staticmethod
    def _send_connect(conn: Connection, response: Any, old_client: bool) -> None:
        frame = _CONNECT_FRAME.encode((response,))
        if old_client:  # a client that sent no readOnly flag gets none back
            frame = (len(frame) - 5).to_bytes(4, "big") + frame[4:-1]
        conn.send(frame)

    def disconnected(self, conn: Connection) -> None:
        """The socket is gone; the session lives on until it expires or the client returns."""
        self.watches.remove_watcher(conn)
        if self.connections.get(conn.session_id) is conn:
            del self.connections[conn.session_id]

    def _drop_connection(self, conn: Connection) -> None:
        self.disconnected(conn)
        conn.close()

    def tick(self) -> None:
        """Expire the sessions whose deadline has passed: each gets a closeSession txn."""
        for session_id in self.sessions.expired(self._now()):
            log.info("Expiring session 0x%x", session_id)
            self._close_session(session_id, 0, self._deliver)
            conn = self.connections.get(session_id)
            if conn is not None:
                self._drop_connection(conn)

    def reap(self) -> None:
        """Delete empty containers that once had children, and TTL znodes left unchanged and
        childless for longer than their TTL, as ZooKeeper's ContainerManager does each
        ``znode.container.checkIntervalMs``."""
        for path in sorted(self._reap_candidates(self._now())):
            node = self.tree.get(path)
            if node is None or node.children:
                continue
            log.debug("Reaping %s", path)
            header = self._header(0, 0, OpCode.deleteContainer)
            self._commit(header, R.DeleteTxn(path), self._deliver)

    def _reap_candidates(self, now: int) -> set[str]:
        candidates = set()
        never_used = self.settings.container_max_never_used_ms
        for path in self.tree.containers():
            node = self.tree.get(path)
            if node is None or node.children:
                continue
            if node.cversion > 0 or (never_used and now - node.mtime > never_used):
                candidates.add(path)
        for path in self.tree.ttls():
            node = self.tree.get(path)
            if node is not None and not node.children:
                ttl = owner_ttl(node.ephemeralOwner)
                if ttl and now - node.mtime > ttl:
                    candidates.add(path)
        return candidates

    def _close_session(
        self, session_id: int, xid: int, done: Callable[[ApplyResult], None]
    ) -> None:
        """Log a closeSession txn; the session takes no more requests from now on."""
        paths = self.tree.ephemerals(session_id)
        self.sessions.set_closing(session_id)

        def closed(result: ApplyResult) -> None:
            self.sessions.remove(session_id)
            done(result)

        header = self._header(session_id, xid, OpCode.closeSession)
        self._commit(header, R.CloseSessionTxn(paths), closed)

    # --- requests ---------------------------------------------------------------------------

    def handle(self, conn: Connection, payload: bytes) -> bool:
        """Process one request frame from an established session; False when the connection
        must close after what was sent. Malformed bodies raise JuteError."""
        header, offset = R.RequestHeader.decode(payload)
        xid, op = header
        session_id = conn.session_id
        if not self.sessions.touch(session_id, self._now()):
            self._reply(conn, xid, Err.SessionExpired)
            return False
        read = _READS.get(op)
        if read is not None:  # the common case first, by plain int
            conn.last_op = op
            record = REQUEST_RECORDS.get(op)
            request = record.decode(payload, offset)[0] if record is not None else None
            self._in_order(session_id, self._answer_read, conn, xid, read, request)
        elif op in _WRITES:
            conn.last_op = op
            self._write(conn, xid, op, REQUEST_RECORDS[op].decode(payload, offset)[0])
        elif op == OpCode.ping:
            self._in_order(session_id, self._pong, conn, op)
        elif op == OpCode.closeSession:
            conn.last_op = op
            step = self._enqueue(session_id)

            def closed(result: ApplyResult) -> None:
                self._deliver(result)
                step.ready(partial(self._answer_close, conn, xid))

            self._close_session(session_id, xid, closed)
        elif op == OpCode.auth:
            packet = R.AuthPacket.decode(payload, offset)[0]
            self._in_order(session_id, self._auth, conn, xid, packet)
        elif op == OpCode.sasl:
            conn.last_op = op
            request = R.GetSASLRequest.decode(payload, offset)[0]
            self._in_order(session_id, self._sasl, conn, xid, request)
        elif op in (OpCode.setWatches, OpCode.setWatches2):
            conn.last_op = op
            request = REQUEST_RECORDS[op].decode(payload, offset)[0]
            self._in_order(session_id, self._answer_set_watches, conn, xid, request)
        elif op == OpCode.deleteContainer:
            # ZooKeeper takes the path from the request's whole buffer, header included, so a
            # client's deleteContainer is always refused, whatever its body.
            conn.last_op = op
            self._write_error(conn, xid, Err.BadArguments)
        elif op == OpCode.multi:
            conn.last_op = op
            try:
                ops = decode_multi(payload, offset)
            except JuteError as error:
                log.warning("Malformed multi from 0x%x: %s", session_id, error)
                ops = None
            if ops is None or any(op not in MULTI_WRITE_OPS for op, _ in ops):
                # Prep fails such a multi after taking its zxid: an error txn, MarshallingError.
                self._write_error(conn, xid, Err.MarshallingError)
            else:
                self._multi(conn, xid, ops)
        elif op == OpCode.multiRead:
            conn.last_op = op
            try:
                ops = decode_multi(payload, offset)
            except JuteError as error:
                log.warning("Malformed multiRead from 0x%x: %s", session_id, error)
                self._in_order(session_id, self._reply, conn, xid, Err.MarshallingError)
            else:
                self._in_order(session_id, self._multi_read, conn, xid, ops)
        else:
            log.warning("Received packet at server of unknown type %d", op)
            self._reply(conn, xid, Err.Unimplemented, zxid=-1)
            return False
        return True

    # --- per-session order --------------------------------------------------------------------

    def _enqueue(self, session_id: int) -> _Step:
        """A place in the session's reply order for an answer that waits on a commit."""
        step = _Step(self, session_id)
        queue = self._queues.get(session_id)
        if queue is None:  # not setdefault: that would build a deque on every write
            queue = self._queues[session_id] = deque()
        queue.append(step)
        return step

    def _in_order(self, session_id: int, answer: Callable[..., None], *args: Any) -> None:
        """``answer(*args)`` now, or after the session's earlier requests that still wait on
        commits (the common case, nothing waiting, allocates nothing)."""
        queue = self._queues.get(session_id)
        if not queue:
            answer(*args)
            return
        step = _Step(self, session_id)
        step.answer = partial(answer, *args)
        queue.append(step)

    def _drain(self, session_id: int) -> None:
        queue = self._queues.get(session_id)
        while queue and queue[0].answer is not None:
            queue.popleft().answer()
        if queue is not None and not queue:
            del self._queues[session_id]

    # --- answers ------------------------------------------------------------------------------

    def _pong(self, conn: Connection, op: int) -> None:
        zxid = self.tree.last_processed_zxid
        conn.send(_HEADER_FRAME.encode((R.ReplyHeader(PING_XID, zxid, 0),)))
        conn.last_op = op
        conn.answered(PING_XID, zxid)

    def _answer_close(self, conn: Connection, xid: int) -> None:
        self._reply(conn, xid, Err.Ok)
        self.disconnected(conn)
        conn.close()

    def _answer_set_watches(self, conn: Connection, xid: int, request: Any) -> None:
        self._set_watches(conn, request)
        self._reply(conn, xid, Err.Ok)  # clients send xid -8; the server echoes any

    def _answer_read(
        self, conn: Connection, xid: int, read: Callable[..., Any], request: Any
    ) -> None:
        try:
            body = read(self, conn, request)
        except KeeperError as error:
            self._reply(conn, xid, error.code)
        else:
            self._reply(conn, xid, Err.Ok, body)

    def _reply(
        self, conn: Connection, xid: int, err: int, body: Any = None, zxid: int | None = None
    ) -> None:
        if zxid is None:
            zxid = self.tree.last_processed_zxid
        header = R.ReplyHeader(xid, zxid, err)
        if body is None:
            conn.send(_HEADER_FRAME.encode((header,)))
        elif isinstance(body, bytes):
            payload = header.encode() + body
            conn.send(len(payload).to_bytes(4, "big") + payload)
        else:
            conn.send(_reply_frame(type(body)).encode((header, body)))
        conn.answered(xid, zxid)

    def _auth(self, conn: Connection, xid: int, packet: Any) -> None:
        try:
            identities = authenticate(
                packet.scheme,
                packet.auth,
                self.settings.super_digest,
                remote_address=conn.remote[0],
                providers=self.providers,
            )
        except AuthFailed:
            conn.send(_HEADER_FRAME.encode((R.ReplyHeader(xid, 0, Err.AuthFailed),)))
            conn.close()
            return
        for identity in identities:
            conn.identities.add(identity)
        conn.send(_HEADER_FRAME.encode((R.ReplyHeader(xid, 0, Err.Ok),)))

    def _sasl(self, conn: Connection, xid: int, request: Any) -> None:
        """One step of a SASL login (DIGEST-MD5 against the JAAS ``Server`` section). Replies
        carry zxid 0, as in ZooKeeper; a failed login is answered AuthFailed and closed. With
        SASL not configured every step is answered Ok with a null token."""
        config = self.settings.sasl
        if config is None:
            self._send_sasl(conn, xid, Err.Ok, None)
            return
        if conn.sasl is None:
            conn.sasl = config.new_server()
        try:
            token, complete = conn.sasl.step(request.token or b"")
        except SaslFailed as failure:
            log.warning("SASL authentication failed from %s: %s", conn.remote[0], failure)
            if failure.reply:
                self._send_sasl(conn, xid, Err.AuthFailed, None)
            conn.close()
            return
        if complete:
            for identity in config.identities(conn.sasl.authorization_id):
                conn.identities.add(identity)
        self._send_sasl(conn, xid, Err.Ok, token)

    @staticmethod
    def _send_sasl(conn: Connection, xid: int, err: int, token: bytes | None) -> None:
        conn.send(_SASL_FRAME.encode((R.ReplyHeader(xid, 0, err), R.SetSASLResponse(token))))

    def _caller(self, conn: Connection) -> Caller:
        return Caller(conn.session_id, conn.identities)

    def _write(self, conn: Connection, xid: int, op: int, request: Any) -> None:
        if op == OpCode.reconfig:
            code = Err.Unimplemented if self.settings.reconfig_enabled else Err.ReconfigDisabled
            self._write_error(conn, xid, code)
            return
        zxid = self._next_zxid()
        try:
            txn_type, txn = self.prep.txn(op, request, self._caller(conn), zxid)
        except KeeperError as error:
            txn_type, txn = OpCode.error, R.ErrorTxn(error.code)
        self._log_write(conn, xid, op, txn_type, txn, zxid)

    def _write_error(self, conn: Connection, xid: int, code: int) -> None:
        """A write that prep refuses after taking a zxid: logged as an error txn with ``code``,
        answered with it once committed."""
        zxid = self._next_zxid()
        self._log_write(conn, xid, OpCode.error, OpCode.error, R.ErrorTxn(code), zxid)

    def _log_write(
        self, conn: Connection, xid: int, op: int, txn_type: int, txn: Any, zxid: int
    ) -> None:
        step = self._enqueue(conn.session_id)

        def applied(result: ApplyResult) -> None:
            self._deliver(result)
            step.ready(partial(self._answer_write, conn, xid, op, result))

        self._commit(self._header(conn.session_id, xid, txn_type, zxid), txn, applied)

    def _answer_write(self, conn: Connection, xid: int, op: int, result: ApplyResult) -> None:
        if result.err:  # not Ok (0)
            conn.last_op = OpCode.error  # cons shows an error txn's request as "NA"
            self._reply(conn, xid, result.err)
        else:
            self._reply(conn, xid, Err.Ok, _write_response(op, result, self.tree, in_multi=False))

    def _multi(self, conn: Connection, xid: int, ops: list[tuple[int, Any]]) -> None:
        zxid = self._next_zxid()
        txn = self.prep.multi(ops, self._caller(conn), zxid)
        step = self._enqueue(conn.session_id)

        def applied(result: ApplyResult) -> None:
            self._deliver(result)
            step.ready(partial(self._answer_multi, conn, xid, ops, result))

        self._commit(self._header(conn.session_id, xid, OpCode.multi, zxid), txn, applied)

    def _answer_multi(
        self, conn: Connection, xid: int, ops: list[tuple[int, Any]], result: ApplyResult
    ) -> None:
        body = []
        for (op, _), sub in zip(ops, result.results, strict=True):
            if sub.op == OpCode.error:
                body.append((OpCode.error, int(sub.err), None))
            else:  # as in 3.8: create2 is answered as a plain create, createTTL and
                # createContainer as create2
                op = _MULTI_RESULT_TYPES.get(op, op)
                body.append((op, Err.Ok, _write_response(op, sub, self.tree, in_multi=True)))
        self._reply(conn, xid, Err.Ok, encode_multi_results(body))

    def _multi_read(self, conn: Connection, xid: int, ops: list[tuple[int, Any]]) -> None:
        """Each read op answered in place, failures as error results. At the first op that is
        not a read, ZooKeeper stops with MarshallingError and the results so far."""
        body = []
        err = Err.Ok
        for op, request in ops:
            if op not in MULTI_READ_OPS:
                err = Err.MarshallingError
                break
            try:  # 3.8 sets no watches for a multiRead's ops, whatever their flag says
                body.append(
                    (op, Err.Ok, reads.READS[op](self, conn, request._replace(watch=False)))
                )
            except KeeperError as error:
                body.append((OpCode.error, int(error.code), None))
        self._reply(conn, xid, err, encode_multi_results(body))

    # --- commit --------------------------------------------------------------------------------

    def _next_zxid(self) -> int:
        """Zxids are handed out at prep, in request order, failed writes included."""
        self.zxid += 1
        return self.zxid

    def _header(self, session_id: int, xid: int, txn_type: int, zxid: int | None = None) -> Any:
        if zxid is None:
            zxid = self._next_zxid()
        return R.TxnHeader(session_id, xid, zxid, int(self._clock() * 1000), txn_type)

    def _commit(self, header: Any, txn: Any, done: Callable[[ApplyResult], None]) -> None:
        """Log the txn; ``done`` runs once it is durable and applied, in zxid order."""
        self.committer.submit(header, txn, done)
        if self.database is not None:
            self.database.logged(self.tree)

    def _apply(self, header: Any, txn: Any) -> ApplyResult:
        result = self.tree.apply(header, txn)
        self.prep.applied(header.zxid)
        return result

    def _deliver(self, result: ApplyResult) -> None:
        """Send the watch events a txn triggered, before any reply that reveals it, to the
        watchers that may READ the node (ZooKeeper's fix for CVE-2024-23944, in Debian's
        3.8.0 build): a filtered watcher's one-time watch is used up all the same."""
        skip_acl, providers = self.skip_acl, self.providers
        for path, event, acl in result.events:
            for watcher, event_type, event_path in self.watches.trigger(path, event):
                if acl is OPEN_ACL_UNSAFE or check_acl(
                    acl, Perms.READ, watcher.identities, skip_acl=skip_acl, providers=providers
                ):
                    _send_event(watcher, event_type, event_path)

    def _set_watches(self, conn: Connection, request: Any) -> None:
        """Re-register a reconnecting client's watches, firing at once the events it missed
        since ``relativeZxid`` (``DataTree.setWatches``)."""
        relative = request.relativeZxid
        missed: list[tuple[EventType, str]] = []
        for path in request.dataWatches or ():
            node = self.tree.get(path)
            if node is None:
                missed.append((EventType.NodeDeleted, path))
            elif node.mzxid > relative:
                missed.append((EventType.NodeDataChanged, path))
            else:
                self.watches.add_data_watch(path, conn)
        for path in request.existWatches or ():
            if self.tree.get(path) is not None:
                missed.append((EventType.NodeCreated, path))
            else:
                self.watches.add_data_watch(path, conn)
        for path in request.childWatches or ():
            node = self.tree.get(path)
            if node is None:
                missed.append((EventType.NodeDeleted, path))
            elif node.pzxid > relative:
                missed.append((EventType.NodeChildrenChanged, path))
            else:
                self.watches.add_child_watch(path, conn)
        for recursive, paths in (
            (False, getattr(request, "persistentWatches", None)),
            (True, getattr(request, "persistentRecursiveWatches", None)),
        ):
            for path in paths or ():
                self.watches.add_persistent(path, conn, recursive=recursive)
        for event_type, path in missed:
            _send_event(conn, event_type, path)


class _Step:
    """One answer in a session's reply order; ``answer`` is set once it can be sent."""

    __slots__ = ("answer", "server", "session_id")

    def __init__(self, server: ZooKeeperServer, session_id: int) -> None:
        self.server = server
        self.session_id = session_id
        self.answer: Callable[[], None] | None = None

    def ready(self, answer: Callable[[], None]) -> None:
        self.answer = answer
        self.server._drain(self.session_id)


# reads.READS by plain int: an IntEnum key costs a hash through the enum on every request.
_READS: dict[int, Callable[..., Any]] = {int(op): read for op, read in reads.READS.items()}

_MULTI_RESULT_TYPES = {
    OpCode.create2: OpCode.create,
    OpCode.createTTL: OpCode.create2,
    OpCode.createContainer: OpCode.create2,
}


_REPLY_FRAMES: dict[type, Any] = {}


def _reply_frame(body_type: type) -> Any:
    """The frame codec of a reply header and a ``body_type`` body, made once per type: every
    reply with a body needs one, and building the lookup key each time showed in profiles."""
    codec = _REPLY_FRAMES.get(body_type)
    if codec is None:
        codec = _REPLY_FRAMES[body_type] = R.frame(R.ReplyHeader, body_type)
    return codec


def _send_event(conn: Connection, event_type: EventType, path: str) -> None:
    event = R.WatcherEvent(event_type, KeeperState.SyncConnected, path)
    conn.send(_EVENT_FRAME.encode((_NOTIFICATION, event)))


def _write_response(op: int, result: ApplyResult, tree: DataTree, *, in_multi: bool) -> Any:
    """The reply body of a successful write, by the request's opcode. Inside a multi a check
    has no body (CheckResult); on its own it answers with the node's stat."""
    if op == _SET_DATA:
        return R.SetDataResponse(result.stat)
    if op == _CREATE:
        return R.CreateResponse(result.path)
    if op in _CREATE2_LIKE:
        return R.Create2Response(result.path, result.stat)
    if op == _SET_ACL:
        return R.SetACLResponse(result.stat)
    if op == _CHECK and not in_multi:
        return R.SetDataResponse(tree.stat(result.path))
    return None


# Opcodes as plain ints for the write path: comparing with an IntEnum member costs an
# attribute lookup through the enum class each time.
_SET_DATA, _CREATE, _SET_ACL, _CHECK = map(
    int, (OpCode.setData, OpCode.create, OpCode.setACL, OpCode.check)
)
_CREATE2_LIKE = frozenset(map(int, (OpCode.create2, OpCode.createContainer, OpCode.createTTL)))
