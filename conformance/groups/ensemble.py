"""ensemble: elections, failover, catching up and quorum loss in a cluster the suite controls.

Every scenario needs `ctx.cluster` (a `conformance.ensemble.Cluster`, three members running
under one leader when the scenario starts) and may stop, kill and restart its members; the
host starts them all again afterwards. Scenarios about a fresh history or another size (the
election examples of the seed notes) run a cluster of their own from `ctx.cluster.spawn(n)`.

What Apache ZooKeeper 3.8 does, as these scenarios found it:

- Fast Leader Election picks the best (epoch, zxid, server id) among the first members to
  form a quorum, once no better vote has arrived for 200 ms (finalizeWait). A member that
  starts later joins whoever leads, however good its own vote. So "who leads after every
  member restarts" depends on which majority is up first: in the seed's zk1/zk2/zk3 story,
  zk3 leads when zk1 and zk3 come back together (equal epoch and zxid, higher id), but zk1
  leads when zk1 and zk2 are up before zk3; started all at once, either can happen. zk2,
  with the older epoch, never leads.
- A member that is up but in no quorum answers `ruok` with `imok`, `srvr` with "This
  ZooKeeper instance is not currently serving requests", and closes a client's connection
  at the handshake without a ConnectResponse.
- `srvr`'s "Zxid:" is the last transaction the member applied, except that a new leader
  reports `epoch << 32` before its first transaction, and a member that synchronised by
  snapshot reports the leader's value: right after an election the members' zxids differ
  although their data is equal. Scenarios compare zxids after a write in the current epoch.
- A restarted follower reports "Mode: follower" and accepts sessions before it has applied
  the transactions the leader sent it to catch up (they are committed after it starts
  serving), so a fresh session may briefly read old data there: scenarios wait for its zxid
  to meet the leader's, or sync, before reading.
- Every member drops all its client connections when the leader goes, followers included;
  sessions then reconnect and survive if the new leader is up within their timeout.
- The epoch (zxid >> 32) grows by one with each established leader, starting from 1.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from kazoo.client import KazooClient, KazooState
from kazoo.exceptions import ConnectionLoss, NodeExistsError

from conformance.context import Context, close_client
from conformance.ensemble import NOT_SERVING, Cluster
from conformance.groups._support import ConnectionClosed, RawSession, Workers
from conformance.scenario import ENSEMBLE, expect, expect_in, expect_order, scenario

GROUP = "ensemble"
ELECTION_WAIT = 30.0  # an election on loopback takes well under a second; this is a deadline
CATCH_UP_WAIT = 15.0
QUIET_WINDOW = 2.0  # 4 ticks and 10 finalizeWaits: long enough for an election to conclude
WRITES_PER_PHASE = 25
WRITE_TIMEOUT = 5.0

# Reconnect at once and keep trying: kazoo's default backoff grows to a minute between tries,
# longer than anything here takes to come back.
PROMPT_RECONNECT = {"max_tries": -1, "delay": 0.1, "backoff": 1.5, "max_delay": 0.5}


def ensemble(func: Callable[[Context], None]) -> Callable[[Context], None]:
    return scenario(GROUP, needs=ENSEMBLE)(func)


# --- helpers -----------------------------------------------------------------------------------


def cluster_of(ctx: Context) -> Cluster:
    cluster = ctx.cluster
    if not isinstance(cluster, Cluster):
        raise RuntimeError("an ensemble scenario needs ctx.cluster (run it with EnsembleHost)")
    return cluster


def epoch(zxid: int) -> int:
    """The leader epoch a zxid belongs to: its high 32 bits."""
    return zxid >> 32


def connect(ctx: Context, cluster: Cluster, *ids: int, ordered: bool = False) -> KazooClient:
    """A session to the given members (all when none given), closed with the scenario.

    `ordered` connects to the first member listed (kazoo shuffles hosts otherwise).
    """
    return ctx.client(
        hosts=cluster.member_hosts(*ids) if ids else cluster.hosts,
        randomize_hosts=not ordered,
        connection_retry=dict(PROMPT_RECONNECT),
    )


def others(cluster: Cluster, *excluded: int) -> list[int]:
    return [myid for myid in cluster.ids if myid not in excluded]


def children_on(ctx: Context, cluster: Cluster, myid: int, path: str) -> set[str]:
    """The children of `path` as member `myid` has them (after a sync with the leader)."""
    zk = connect(ctx, cluster, myid)
    zk.sync(path)
    return set(zk.get_children(path))


def expect_same_data_everywhere(
    ctx: Context, cluster: Cluster, path: str, acknowledged: set[str]
) -> None:
    """Every member has every acknowledged child of `path`, and all have the same children."""
    found = {myid: children_on(ctx, cluster, myid, path) for myid in cluster.ids}
    first = cluster.ids[0]
    for myid, children in found.items():
        expect(acknowledged - children, set(), f"acknowledged writes missing on member {myid}")
        expect(children ^ found[first], set(), f"children that members {first}, {myid} differ in")


def converge(ctx: Context, cluster: Cluster) -> int:
    """Write once in the current epoch, then wait until every member applied the same zxid.

    The write is needed: before it, a new leader reports `epoch << 32` and its followers their
    last applied transaction, so equal data need not show as equal zxids.
    """
    connect(ctx, cluster).create(ctx.path("converged-"), sequence=True, makepath=True)
    return cluster.wait_for_same_zxid(cluster.ids, CATCH_UP_WAIT)


def expect_quiet(condition: Callable[[], bool], what: str, seconds: float = QUIET_WINDOW) -> None:
    """Fail if `condition` turns false at any point during the next `seconds`.

    For "nothing happens" claims, such as no leader with two of five servers up: the window is
    several election rounds long, so an election that could conclude would have.
    """
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        expect(condition(), True, what)
        time.sleep(0.1)


def wait_connected(ctx: Context, zk: KazooClient, what: str) -> None:
    ctx.wait_until(lambda: zk.state == KazooState.CONNECTED, what, ELECTION_WAIT)
    expect(zk.state, KazooState.CONNECTED, what)


class Writer:
    """Creates `<prefix>000000`, `<prefix>000001`, ... one at a time, each until acknowledged.

    A create whose reply is lost (connection loss, timeout while disconnected) is sent again
    under the same name: NodeExists then means the first attempt was applied, which counts
    as acknowledged, since only this writer uses these names.
    """

    def __init__(self, zk: KazooClient, prefix: str) -> None:
        self.zk = zk
        self.prefix = prefix
        self.session_id = zk.client_id[0]
        self.acknowledged: list[str] = []
        self.retries = 0
        self.states: list[str] = []  # kazoo's session state changes, in order
        self._stop = threading.Event()
        zk.add_listener(self.states.append)

    def run(self) -> None:
        index = 0
        while not self._stop.is_set():
            path = f"{self.prefix}{index:06d}"
            try:
                self.zk.create_async(path, b"w").get(timeout=WRITE_TIMEOUT)
            except NodeExistsError:
                pass
            except (ConnectionLoss, self.zk.handler.timeout_exception):
                self.retries += 1
                self._stop.wait(0.05)
                continue
            self.acknowledged.append(path.rpartition("/")[2])
            index += 1

    def stop(self) -> None:
        self._stop.set()

    def wait_for(self, count: int, what: str) -> None:
        """Wait until at least `count` writes have been acknowledged in all."""
        deadline = time.monotonic() + ELECTION_WAIT
        while len(self.acknowledged) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        expect_order(len(self.acknowledged), ">=", count, what)


def start_writers(ctx: Context, cluster: Cluster, count: int, workers: Workers) -> list[Writer]:
    """`count` writers, each on its own session to every member, writing under the base."""
    writers = [Writer(connect(ctx, cluster), ctx.path(f"w{number}-")) for number in range(count)]
    for writer in writers:
        workers.spawn(writer.run)
    return writers


def stop_writers(writers: list[Writer], workers: Workers) -> set[str]:
    for writer in writers:
        writer.stop()
    workers.join()
    return {name for writer in writers for name in writer.acknowledged}


def progress(writers: list[Writer], more: int, what: str) -> None:
    """Wait until every writer has `more` acknowledged writes beyond what it has now."""
    targets = [len(writer.acknowledged) + more for writer in writers]
    for writer, target in zip(writers, targets, strict=True):
        writer.wait_for(target, what)


# --- a healthy ensemble -----------------------------------------------------------------------


@ensemble
def one_leader_and_followers(ctx: Context) -> None:
    """A running ensemble has exactly one leader; every other member says it is a follower."""
    cluster = cluster_of(ctx)
    modes = sorted(cluster.mode(myid) or "not serving" for myid in cluster.ids)
    expect(modes, ["follower"] * (cluster.size - 1) + ["leader"], "srvr modes of the members")
    leader = cluster.wait_for_quorum()
    mntr = cluster.four_letter(leader, "mntr")
    expect_in("zk_server_state\tleader", mntr.splitlines(), "the leader's mntr")
    expect_in(f"zk_synced_followers\t{cluster.size - 1}", mntr.splitlines(), "the leader's mntr")


@ensemble
def follower_read_after_sync_sees_write(ctx: Context) -> None:
    """A session on a follower that calls sync then reads sees a write just made on the leader."""
    cluster = cluster_of(ctx)
    leader = cluster.wait_for_quorum()
    follower = cluster.followers()[0]
    writer = connect(ctx, cluster, leader)
    reader = connect(ctx, cluster, follower)
    path = ctx.path("value")
    writer.create(path, b"0")
    for round_ in range(1, 21):
        writer.set(path, str(round_).encode())
        reader.sync(path)
        expect(reader.get(path)[0], str(round_).encode(), f"follower's value after sync {round_}")


@ensemble
def follower_write_is_forwarded_to_leader(ctx: Context) -> None:
    """A write through a follower is ordered by the leader: a zxid of the leader's epoch."""
    cluster = cluster_of(ctx)
    leader = cluster.wait_for_quorum()
    follower = cluster.followers()[0]
    leader_epoch = epoch(cluster.zxid(leader) or 0)
    created = connect(ctx, cluster, follower).create(ctx.path("via-follower"), b"f")
    on_leader = connect(ctx, cluster, leader)
    on_leader.sync(created)
    stat = on_leader.exists(created)
    expect(stat is not None, True, "the follower's write is on the leader")
    assert stat is not None
    expect(epoch(stat.czxid), leader_epoch, "epoch of the czxid")


# --- failover ----------------------------------------------------------------------------------


@ensemble
def leader_failover_under_load(ctx: Context) -> None:
    """Killing the leader under writes: a new leader, no acknowledged write lost, all converge."""
    cluster = cluster_of(ctx)
    old = cluster.wait_for_quorum()
    before = connect(ctx, cluster).create(ctx.path("before"), b"")
    old_epoch = epoch(connect(ctx, cluster).exists(before).czxid)
    workers = Workers()
    writers = start_writers(ctx, cluster, 2, workers)
    try:
        progress(writers, WRITES_PER_PHASE, "writes acknowledged before the failover")
        cluster.kill(old)
        new = cluster.wait_for_quorum(others(cluster, old), ELECTION_WAIT)
        progress(writers, WRITES_PER_PHASE, "writes acknowledged after the failover")
    finally:
        acknowledged = stop_writers(writers, workers)
    expect_in(new, others(cluster, old), "the new leader")
    for number, writer in enumerate(writers):
        # Every member drops its clients when the leader goes, followers' clients included.
        expect_in(KazooState.SUSPENDED, writer.states, f"writer {number}'s state changes")
        expect(writer.zk.client_id[0], writer.session_id, f"writer {number}'s session id")
    cluster.start(old)
    expect(cluster.wait_until_serving(old), "follower", "mode of the old leader once back")
    new_epoch = epoch(
        connect(ctx, cluster).create(ctx.path("after"), b"", include_data=True)[1].czxid
    )
    expect(new_epoch, old_epoch + 1, "epoch after one failover")
    converge(ctx, cluster)
    expect_same_data_everywhere(ctx, cluster, ctx.base, acknowledged)


@ensemble
def ephemeral_survives_leader_failover(ctx: Context) -> None:
    """A session on the leader moves to a survivor when the leader dies; its ephemeral stays."""
    cluster = cluster_of(ctx)
    leader = cluster.wait_for_quorum()
    survivors = others(cluster, leader)
    owner = connect(ctx, cluster, leader, *survivors, ordered=True)
    session_id = owner.client_id[0]
    path = owner.create(ctx.path("ephemeral"), b"", ephemeral=True)
    cluster.kill(leader)
    cluster.wait_for_quorum(survivors, ELECTION_WAIT)
    owner.create(ctx.path("alive"), b"")  # waits for the reconnection, in the same session
    expect(owner.client_id[0], session_id, "session id after the failover")
    for myid in survivors:
        zk = connect(ctx, cluster, myid)
        zk.sync(path)
        stat = zk.exists(path)
        expect(stat.ephemeralOwner if stat else None, session_id, f"owner on member {myid}")


@ensemble
def session_moves_between_members(ctx: Context) -> None:
    """A session whose member stops reconnects to another, keeping its id and its ephemerals."""
    cluster = cluster_of(ctx)
    leader = cluster.wait_for_quorum()
    first, second = cluster.followers()[:2]
    owner = connect(ctx, cluster, first, second, ordered=True)
    session_id = owner.client_id[0]
    sid = f"sid=0x{session_id:x}"
    expect_in(sid, cluster.four_letter(first, "cons"), f"cons of member {first}")
    path = owner.create(ctx.path("ephemeral"), b"", ephemeral=True)
    cluster.stop(first)
    moved = ctx.wait_until(lambda: sid in cluster.four_letter(second, "cons"), "move", 30.0)
    expect(moved, True, f"session listed by cons of member {second}")
    wait_connected(ctx, owner, "the session reconnected")
    expect(owner.client_id[0], session_id, "session id after moving")
    observer = connect(ctx, cluster, leader)
    observer.sync(path)
    stat = observer.exists(path)
    expect(stat.ephemeralOwner if stat else None, session_id, "the ephemeral's owner")


@ensemble
def epoch_grows_with_each_new_leader(ctx: Context) -> None:
    """A new leader starts a new epoch: writes after a failover carry zxid >> 32 one higher."""
    cluster = cluster_of(ctx)
    leader = cluster.wait_for_quorum()
    follower = cluster.followers()[0]
    first = connect(ctx, cluster, follower).create(ctx.path("a"), b"", include_data=True)[1]
    cluster.kill(leader)
    new = cluster.wait_for_quorum(others(cluster, leader), ELECTION_WAIT)
    expect(epoch(cluster.zxid(new) or 0), epoch(first.czxid) + 1, "epoch of the new leader")
    survivor = others(cluster, leader, new)[0]
    second = connect(ctx, cluster, survivor).create(ctx.path("b"), b"", include_data=True)[1]
    expect(epoch(second.czxid), epoch(first.czxid) + 1, "epoch of a write after the failover")


# --- restarts ----------------------------------------------------------------------------------


@ensemble
def follower_restart_catches_up(ctx: Context) -> None:
    """A follower stopped while writes happen has them all, at the leader's zxid, once back."""
    cluster = cluster_of(ctx)
    leader = cluster.wait_for_quorum()
    follower = cluster.followers()[0]
    zk = connect(ctx, cluster, leader)
    cluster.stop(follower)
    names = {f"n{index:03d}" for index in range(50)}
    for name in sorted(names):
        zk.create(ctx.path(name), name.encode())
    zk.set(ctx.path("n000"), b"changed")
    zk.delete(ctx.path("n049"))
    written = cluster.zxid(leader) or 0
    cluster.start(follower)
    expect(cluster.wait_until_serving(follower), "follower", "mode of the restarted member")
    # It serves before it has applied what the leader sent it: wait for the zxids to meet.
    caught_up = cluster.wait_for_same_zxid([leader, follower], CATCH_UP_WAIT)
    expect_order(caught_up, ">=", written, "zxid of the restarted member once caught up")
    back = connect(ctx, cluster, follower)  # no sync needed: it has applied every write
    expect(set(back.get_children(ctx.base)), names - {"n049"}, "children on the follower")
    expect(back.get(ctx.path("n000"))[0], b"changed", "data of a node changed while it was down")


@ensemble
def rolling_restart_keeps_clients_working(ctx: Context) -> None:
    """Restarting every member in turn under writes: one session throughout, nothing lost."""
    cluster = cluster_of(ctx)
    cluster.wait_for_quorum()
    workers = Workers()
    writers = start_writers(ctx, cluster, 1, workers)
    session_id = writers[0].session_id
    try:
        for myid in cluster.ids:
            progress(writers, WRITES_PER_PHASE, f"writes acknowledged before restarting {myid}")
            cluster.restart(myid, ELECTION_WAIT)
            cluster.wait_for_quorum(cluster.ids, ELECTION_WAIT)
        progress(writers, WRITES_PER_PHASE, "writes acknowledged after the last restart")
    finally:
        acknowledged = stop_writers(writers, workers)
    expect(writers[0].zk.client_id[0], session_id, "the writer's session id at the end")
    expect(KazooState.LOST in writers[0].states, False, "the writer's session was lost")
    converge(ctx, cluster)
    expect_same_data_everywhere(ctx, cluster, ctx.base, acknowledged)


# --- quorum ------------------------------------------------------------------------------------


@ensemble
def quorum_loss_and_return(ctx: Context) -> None:
    """Without a majority the survivor stops serving; with it back, data is intact and writable."""
    cluster = cluster_of(ctx)
    leader = cluster.wait_for_quorum()
    zk = connect(ctx, cluster, leader)
    kept = zk.create(ctx.path("kept"), b"before")
    cluster.stop(*cluster.followers())
    serving_stopped = ctx.wait_until(lambda: cluster.mode(leader) is None, "abdication", 30.0)
    expect(serving_stopped, True, "the lone leader stops serving")
    expect(cluster.four_letter(leader, "srvr"), NOT_SERVING + "\n", "srvr without a quorum")
    expect(cluster.four_letter(leader, "ruok"), "imok", "ruok without a quorum")
    expect(handshake_answered(cluster, leader), False, "a handshake answered without a quorum")
    with_timeout = KazooClient(hosts=cluster.member_hosts(leader), timeout=10.0)
    try:
        with_timeout.start(timeout=2.0)
        started = True
    except with_timeout.handler.timeout_exception:
        started = False
    finally:
        with_timeout.stop()
        with_timeout.close()
    expect(started, False, "a new session started without a quorum")
    cluster.start(*others(cluster, leader))
    cluster.wait_for_quorum(cluster.ids, ELECTION_WAIT)
    expect(zk.get(kept)[0], b"before", "data written before the loss")
    for myid in cluster.ids:
        connect(ctx, cluster, myid).create(ctx.path(f"after-{myid}"), b"")
    expect_same_data_everywhere(
        ctx, cluster, ctx.base, {"kept", *(f"after-{myid}" for myid in cluster.ids)}
    )


def handshake_answered(cluster: Cluster, myid: int) -> bool:
    """Whether the member answers a ConnectRequest (False: it closes the connection)."""
    raw = RawSession(cluster.member_hosts(myid), io_timeout=5.0)
    try:
        raw.connect(10000)
    except ConnectionClosed:
        return False
    finally:
        raw.close()
    return True


@ensemble
def session_survives_quorum_loss(ctx: Context) -> None:
    """A session kept trying through a short loss of quorum resumes, ephemerals and all."""
    cluster = cluster_of(ctx)
    leader = cluster.wait_for_quorum()
    owner = connect(ctx, cluster)
    session_id = owner.client_id[0]
    path = owner.create(ctx.path("ephemeral"), b"", ephemeral=True)
    cluster.stop(*others(cluster, leader))
    ctx.wait_until(lambda: owner.state != KazooState.CONNECTED, "disconnection", 30.0)
    expect(owner.state, KazooState.SUSPENDED, "kazoo's state without a quorum")
    cluster.start(*others(cluster, leader))
    cluster.wait_for_quorum(cluster.ids, ELECTION_WAIT)
    wait_connected(ctx, owner, "the session reconnected")
    expect(owner.client_id[0], session_id, "session id after the quorum came back")
    stat = owner.exists(path)
    expect(stat.ephemeralOwner if stat else None, session_id, "the ephemeral's owner")


# --- elections from a fresh history (the seed notes' examples) ---------------------------------


def start_in_order(cluster: Cluster, ids: list[int]) -> None:
    """Start members one at a time, each answering four-letter words before the next starts."""
    for myid in ids:
        cluster.start(myid)
        cluster.wait_until_answering(myid)


def nobody_serves(cluster: Cluster, ids: list[int]) -> Callable[[], bool]:
    return lambda: all(cluster.mode(myid) is None for myid in ids)


@ensemble
def five_servers_started_in_order(ctx: Context) -> None:
    """Five servers started in order 1..5: none serves with two up; server 3 leads from then on."""
    five = cluster_of(ctx).spawn(5)
    start_in_order(five, [1, 2])
    expect_quiet(nobody_serves(five, [1, 2]), "no member serves with 2 of 5 up")
    expect(five.four_letter(1, "srvr"), NOT_SERVING + "\n", "srvr of member 1 with 2 of 5 up")
    start_in_order(five, [3])
    expect(five.wait_for_quorum([1, 2, 3], ELECTION_WAIT), 3, "leader once 3 of 5 are up")
    expect(five.zxid(3), 1 << 32, "the first leader's zxid before any write (epoch 1)")
    start_in_order(five, [4, 5])
    for myid in (4, 5):
        expect(five.wait_until_serving(myid), "follower", f"mode of member {myid}")
    expect(five.wait_for_quorum(), 3, "leader with all five up")
    expect([five.mode(myid) for myid in (1, 2)], ["follower", "follower"], "modes of 1 and 2")


@ensemble
def four_servers_started_in_order(ctx: Context) -> None:
    """Four servers started in order: none serves with two up (3 of 4 needed); server 3 leads."""
    four = cluster_of(ctx).spawn(4)
    start_in_order(four, [1, 2])
    expect_quiet(nobody_serves(four, [1, 2]), "no member serves with 2 of 4 up")
    start_in_order(four, [3])
    expect(four.wait_for_quorum([1, 2, 3], ELECTION_WAIT), 3, "leader once 3 of 4 are up")
    start_in_order(four, [4])
    expect(four.wait_until_serving(4), "follower", "mode of member 4")
    expect(four.leader(), 3, "leader with all four up")


class SeedStory:
    """The seed notes' zk1/zk2/zk3 story up to "zk1 and zk3 stop", on a fresh cluster.

    zk1 and zk2 start first, so zk2 leads (equal zxid, higher id); zk3 joins and follows.
    Then zk2 dies, zk1 and zk3 elect zk3, a delete sent to zk1 commits on both, and zk1 and
    zk3 stop. Every member is then down, zk2 with the older epoch and the deleted node.
    """

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.cluster = cluster_of(ctx).spawn(3)
        self.zxid_13 = 0
        self.zxid_2 = 0

    def play(self) -> None:
        cluster = self.cluster
        start_in_order(cluster, [1, 2])
        expect(cluster.wait_for_quorum([1, 2], ELECTION_WAIT), 2, "first leader (zk1, zk2 up)")
        cluster.start(3)
        expect(cluster.wait_until_serving(3), "follower", "mode of zk3 joining")
        zk = connect(self.ctx, cluster)
        zk.create("/seed/doomed", b"", makepath=True)
        self.zxid_2 = converge_on(self.ctx, cluster, [1, 2, 3])
        cluster.kill(2)
        expect(cluster.wait_for_quorum([1, 3], ELECTION_WAIT), 3, "leader after zk2 dies")
        on_zk1 = connect(self.ctx, cluster, 1)
        on_zk1.delete("/seed/doomed")
        self.zxid_13 = cluster.wait_for_same_zxid([1, 3])
        expect_order(epoch(self.zxid_13), ">", epoch(self.zxid_2), "epoch of zk1 and zk3")
        for client in (zk, on_zk1):  # this history's sessions end while zk1 and zk3 serve
            close_client(client)
        self.zxid_13 = cluster.wait_for_same_zxid([1, 3])
        cluster.stop(1, 3)

    def expect_outcome(self, leader: int) -> None:
        """Every member serves under `leader`, the delete survived, all at one zxid."""
        cluster = self.cluster
        for myid in cluster.ids:
            zk = connect(self.ctx, cluster, myid)
            zk.sync("/seed")
            expect(zk.exists("/seed/doomed"), None, f"the deleted node on zk{myid}")
        final = converge_on(self.ctx, cluster, cluster.ids)
        expect(epoch(final), epoch(self.zxid_13) + 1, "epoch under the last leader")
        expect(cluster.leader(), leader, "leader at the end")


def converge_on(ctx: Context, cluster: Cluster, ids: list[int]) -> int:
    """Write once (outside any scenario base), then wait for the members to share a zxid."""
    connect(ctx, cluster, *ids).create("/seed/mark-", b"", sequence=True, makepath=True)
    return cluster.wait_for_same_zxid(ids, CATCH_UP_WAIT)


@ensemble
def seed_story_all_restart_together(ctx: Context) -> None:
    """zk1/zk2/zk3 of the seed notes, all restarted at once: zk1 or zk3 leads, never zk2."""
    story = SeedStory(ctx)
    story.play()
    story.cluster.start(1, 2, 3)
    leader = story.cluster.wait_for_quorum([1, 2, 3], ELECTION_WAIT)
    expect_in(leader, (1, 3), "leader after all three restart")
    story.expect_outcome(leader)


@ensemble
def seed_story_zk1_zk3_back_first(ctx: Context) -> None:
    """zk1/zk2/zk3 of the seed notes, zk1 and zk3 back first: equal zxids, so zk3 (higher id)."""
    story = SeedStory(ctx)
    story.play()
    start_in_order(story.cluster, [1, 3])
    expect(story.cluster.wait_for_quorum([1, 3], ELECTION_WAIT), 3, "leader of zk1 and zk3")
    story.cluster.start(2)
    expect(story.cluster.wait_until_serving(2), "follower", "mode of zk2 once back")
    story.expect_outcome(3)


@ensemble
def seed_story_zk1_zk2_back_first(ctx: Context) -> None:
    """zk1/zk2/zk3 of the seed notes, zk1 and zk2 back first: zk1 leads, and zk3 follows it."""
    story = SeedStory(ctx)
    story.play()
    start_in_order(story.cluster, [2, 1])
    expect(story.cluster.wait_for_quorum([1, 2], ELECTION_WAIT), 1, "leader of zk1 and zk2")
    story.cluster.start(3)
    expect(story.cluster.wait_until_serving(3), "follower", "mode of zk3 once back")
    story.expect_outcome(1)
