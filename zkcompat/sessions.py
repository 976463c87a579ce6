"""Sessions: ids, passwords, timeouts and expiry, with no clock and no sockets of its own.

Time is passed in as milliseconds, so tests and a simulator can step it. Expiry works as in
ZooKeeper's ``ExpiryQueue``: a session's deadline is rounded up to the next multiple of the
tick, sessions are kept in buckets by that rounded deadline, and each tick expires the bucket
that is due, so one tick costs one dict lookup however many sessions there are.

Passwords are not stored: like ZooKeeper, the password of session ``id`` is 16 bytes of
``java.util.Random(id ^ 0xB3415C00)``, which lets a client reconnect with its password after a
restart, and lets a session written by Apache ZooKeeper reconnect to zkcompat.

What does not live here: closing a session's ephemerals (a closeSession txn does that through
the data tree) and connections (the network layer maps sessions to connections).
"""

from __future__ import annotations

from dataclasses import dataclass

_SUPER_SECRET = 0xB3415C00
_JAVA_MULTIPLIER = 0x5DEECE66D
_JAVA_MASK = (1 << 48) - 1
_LONG_MASK = (1 << 64) - 1
PASSWORD_LENGTH = 16


def _java_random_bytes(seed: int, count: int) -> bytes:
    """``new java.util.Random(seed).nextBytes(byte[count])``, bit for bit."""
    state = (seed ^ _JAVA_MULTIPLIER) & _JAVA_MASK
    out = bytearray()
    while len(out) < count:
        state = (state * _JAVA_MULTIPLIER + 0xB) & _JAVA_MASK
        word = state >> 16  # Random.next(32): the top 32 of the 48 state bits
        for _ in range(min(4, count - len(out))):
            out.append(word & 0xFF)
            word >>= 8
    return bytes(out)


def session_password(session_id: int) -> bytes:
    """The password ZooKeeper gives session ``session_id`` (``ZooKeeperServer.generatePasswd``)."""
    return _java_random_bytes((session_id ^ _SUPER_SECRET) & _LONG_MASK, PASSWORD_LENGTH)


def first_session_id(server_id: int, now_ms: int) -> int:
    """The first session id a server hands out, as ``SessionTrackerImpl.initializeNextSessionId``:
    the clock in the middle bits, the server id in the top byte, as a signed 64-bit value."""
    value = (((now_ms << 24) & _LONG_MASK) >> 8) | ((server_id << 56) & _LONG_MASK)
    if value == 1 << 63:  # the container marker; ZooKeeper steps past it
        value += 1
    return value - (1 << 64) if value >= 1 << 63 else value


@dataclass(slots=True)
class Session:
    session_id: int
    timeout: int
    expires_at: int = 0
    closing: bool = False


class SessionTracker:
    """Live sessions and their expiry buckets."""

    def __init__(self, tick_time: int, server_id: int, now_ms: int) -> None:
        self.tick_time = tick_time
        self.sessions: dict[int, Session] = {}
        self._buckets: dict[int, set[int]] = {}
        self._next_id = first_session_id(server_id, now_ms)
        self._next_expiry = self._round_up(now_ms)

    def _round_up(self, time_ms: int) -> int:
        return (time_ms // self.tick_time + 1) * self.tick_time

    def create(self, timeout: int, now_ms: int) -> Session:
        """A new session with the next id, its deadline set from ``now_ms``."""
        session_id = self._next_id
        self._next_id += 1
        return self.add(session_id, timeout, now_ms)

    def add(self, session_id: int, timeout: int, now_ms: int) -> Session:
        """Track a session by id: a created one, or one restored from disk or a leader."""
        session = self.sessions.get(session_id)
        if session is None:
            session = self.sessions[session_id] = Session(session_id, timeout)
        session.timeout = timeout
        self.touch(session_id, now_ms)
        return session

    def touch(self, session_id: int, now_ms: int) -> bool:
        """Move the session's deadline to ``now_ms + timeout``; False if it is gone or closing."""
        session = self.sessions.get(session_id)
        if session is None or session.closing:
            return False
        deadline = self._round_up(now_ms + session.timeout)
        if deadline != session.expires_at:
            old = self._buckets.get(session.expires_at)
            if old is not None:
                old.discard(session_id)
                if not old:
                    del self._buckets[session.expires_at]
            self._buckets.setdefault(deadline, set()).add(session_id)
            session.expires_at = deadline
        return True

    def check(self, session_id: int, password: bytes) -> bool:
        """Is this a live session and the right password (``ZooKeeperServer.checkPasswd``)?"""
        session = self.sessions.get(session_id)
        return (
            session is not None
            and not session.closing
            and session_id != 0
            and password == session_password(session_id)
        )

    def set_closing(self, session_id: int) -> None:
        """Mark a session whose closeSession is on its way: it accepts no more requests."""
        session = self.sessions.get(session_id)
        if session is not None:
            session.closing = True

    def remove(self, session_id: int) -> None:
        session = self.sessions.pop(session_id, None)
        if session is None:
            return
        bucket = self._buckets.get(session.expires_at)
        if bucket is not None:
            bucket.discard(session_id)
            if not bucket:
                del self._buckets[session.expires_at]

    def expired(self, now_ms: int) -> list[int]:
        """Sessions whose deadline has passed, oldest bucket first; they are marked closing.

        Called on every tick; a bucket is taken only once the clock has reached it.
        """
        due: list[int] = []
        while self._next_expiry <= now_ms:
            for session_id in sorted(self._buckets.pop(self._next_expiry, ())):
                self.sessions[session_id].closing = True
                due.append(session_id)
            self._next_expiry += self.tick_time
        return due
