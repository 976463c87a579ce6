"""uses: the eight uses of ZooKeeper the seed lists, end to end, with several concurrent clients.

Configuration publish/subscribe, load balancing, naming, coordination/notification, cluster
membership, master election, distributed locks (the exclusive create-one-node lock and the
ordered ephemeral-sequential lock) and distributed queues, each driven by several sessions
in threads, through kazoo's recipes where kazoo has one and by hand (as the seed describes
them) otherwise.

A session is killed with `kill_session`: the server closes it at once, exactly as it would
on expiry (ephemerals deleted, watches fired), without waiting out a session timeout; the
killed client cannot reconnect and is never told, like a process paused past its timeout.
Mutual exclusion is checked two ways: an `Occupancy` counts holders inside the critical
section, and a counter znode is incremented with an unconditional read-then-write that would
lose updates if two holders overlapped. Every wait is bounded and generous.

Scenarios whose clients race each other are `differential=False`: which client wins a race
differs from run to run on Apache ZooKeeper itself, so only their assertions are compared.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from kazoo.client import KazooClient
from kazoo.exceptions import BadVersionError, LockTimeout, NodeExistsError, NoNodeError
from kazoo.recipe.barrier import Barrier, DoubleBarrier
from kazoo.recipe.counter import Counter
from kazoo.recipe.election import Election
from kazoo.recipe.lock import Lock, ReadLock, Semaphore, WriteLock
from kazoo.recipe.party import Party, ShallowParty
from kazoo.recipe.queue import LockingQueue, Queue
from kazoo.recipe.watchers import ChildrenWatch, DataWatch

from conformance.context import EVENT_WAIT, Context
from conformance.groups._support import Workers, kill_session, run_threads
from conformance.scenario import expect, scenario

GROUP = "uses"
WAIT = 20.0  # for a recipe to react: normally milliseconds


class Occupancy:
    """Who is inside a critical section: how many at most at once, entries, their order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.inside = 0
        self.most = 0
        self.order: list[Any] = []

    @contextmanager
    def enter(self, who: Any = None) -> Iterator[int]:
        """Count one holder in for the block; yields how many entered before this one."""
        with self._lock:
            self.inside += 1
            self.most = max(self.most, self.inside)
            self.order.append(who)
            entry = len(self.order) - 1
        try:
            yield entry
        finally:
            with self._lock:
                self.inside -= 1


def bump(zk: KazooClient, path: str) -> None:
    """Increment the integer in `path` with an unconditional read-then-write.

    Correct only under mutual exclusion: two holders overlapping would lose an update.
    """
    data, _ = zk.get(path)
    time.sleep(0.002)  # widen the window an overlapping holder would need
    zk.set(path, str(int(data) + 1).encode())


def counter_value(zk: KazooClient, path: str) -> int:
    return int(zk.get(path)[0])


def clients(ctx: Context, count: int) -> list[KazooClient]:
    return [ctx.client() for _ in range(count)]


def wait_for(ctx: Context, condition: Callable[[], bool], what: str) -> None:
    ctx.wait_until(condition, what, WAIT)


def suffixes(names: list[str]) -> list[int]:
    return sorted(int(name[-10:]) for name in names)


def data_recorder(log: list[Any], version: bool = True) -> Callable[[Any, Any], None]:
    """A DataWatch function appending (data, version), or data alone, to `log`.

    It takes exactly two arguments so that kazoo does not pass the event as a third.
    """

    def record(data: Any, stat: Any) -> None:
        log.append((data, stat.version if stat else None) if version else data)

    return record


def children_recorder(log: list[list[str]]) -> Callable[[list[str]], None]:
    """A ChildrenWatch function appending the sorted children to `log`."""

    def record(children: list[str]) -> None:
        log.append(sorted(children))

    return record


# --- 1. configuration publish/subscribe -------------------------------------------------------


@scenario(group=GROUP, differential=False)
def config_every_subscriber_sees_final_value(ctx: Context) -> None:
    """Five DataWatch subscribers of a config znode all end on the publisher's final value."""
    publisher, *subscribers = clients(ctx, 6)
    path = ctx.path("config")
    publisher.create(path, b"v0")
    seen: list[list[tuple[bytes, int]]] = [[] for _ in subscribers]
    for zk, log in zip(subscribers, seen, strict=True):
        DataWatch(zk, path, data_recorder(log))
    for version in range(1, 11):
        publisher.set(path, f"v{version}".encode())
    for index, log in enumerate(seen):
        wait_for(ctx, lambda log=log: bool(log) and log[-1][0] == b"v10", "the final value")
        expect(log[-1], (b"v10", 10), f"subscriber {index}'s last (data, version)")
        versions = [version for _, version in log]
        expect(versions, sorted(set(versions)), f"subscriber {index}'s versions, increasing")


@scenario(group=GROUP, differential=False)
def config_watch_and_reread(ctx: Context) -> None:
    """Subscribers using one-time watches and re-reading on each event reach the final value."""
    publisher, *subscribers = clients(ctx, 5)
    path = ctx.path("config")
    publisher.create(path, b"0")
    finals: list[list[bytes]] = [[] for _ in subscribers]
    events: list[list[tuple[str, str]]] = [[] for _ in subscribers]
    ready = threading.Barrier(len(subscribers) + 1)

    def subscribe(zk: KazooClient, reads: list[bytes], got: list[tuple[str, str]]) -> None:
        changed = threading.Event()

        def watcher(event: Any) -> None:
            got.append((event.type, event.path))
            changed.set()

        data, _ = zk.get(path, watch=watcher)
        reads.append(data)
        ready.wait(WAIT)
        while data != b"20":
            changed.wait(WAIT)
            changed.clear()
            data, _ = zk.get(path, watch=watcher)
            reads.append(data)

    workers = Workers()
    for zk, reads, got in zip(subscribers, finals, events, strict=True):
        workers.spawn(lambda zk=zk, reads=reads, got=got: subscribe(zk, reads, got))
    ready.wait(WAIT)
    for value in range(1, 21):
        publisher.set(path, str(value).encode())
    workers.join()
    for index, reads in enumerate(finals):
        expect(reads[-1], b"20", f"subscriber {index}'s last read")
        numbers = [int(data) for data in reads]
        expect(numbers, sorted(set(numbers)), f"subscriber {index}'s reads, increasing")
        kinds = {kind for kind, _ in events[index]}
        expect(kinds, {"CHANGED"}, f"subscriber {index}'s event types")
        expect({where for _, where in events[index]}, {path}, f"subscriber {index}'s paths")


@scenario(group=GROUP, differential=False)
def config_concurrent_publishers(ctx: Context) -> None:
    """Three publishers setting 10 values each: version 30, every subscriber sees the last."""
    *publishers, sub_a, sub_b = clients(ctx, 5)
    path = ctx.path("config")
    publishers[0].create(path, b"start")
    seen: list[list[bytes]] = [[], []]
    for zk, log in zip((sub_a, sub_b), seen, strict=True):
        DataWatch(zk, path, data_recorder(log, version=False))

    def publish(zk: KazooClient, name: str) -> None:
        for index in range(10):
            zk.set(path, f"{name}-{index}".encode())

    run_threads(lambda zk=zk, n=f"p{i}": publish(zk, n) for i, zk in enumerate(publishers))
    final, stat = publishers[0].get(path)
    expect(stat.version, 30, "version after 30 unconditional sets")
    for index, log in enumerate(seen):
        wait_for(ctx, lambda log=log: bool(log) and log[-1] == final, "the final value")
        expect(log[-1], final, f"subscriber {index}'s last value")


@scenario(group=GROUP, differential=False)
def config_versioned_updates_lose_nothing(ctx: Context) -> None:
    """Four clients doing read/modify/setData(version) with BadVersion retries: 40 increments."""
    workers = clients(ctx, 4)
    path = ctx.path("config")
    workers[0].create(path, b"0")

    def increment(zk: KazooClient) -> None:
        for _ in range(10):
            while True:
                data, stat = zk.get(path)
                try:
                    zk.set(path, str(int(data) + 1).encode(), version=stat.version)
                    break
                except BadVersionError:
                    continue  # another client got there first: read again

    run_threads(lambda zk=zk: increment(zk) for zk in workers)
    data, stat = workers[0].get(path)
    expect((data, stat.version), (b"40", 40), "(data, version) after 40 increments")


@scenario(group=GROUP, differential=False)
def config_kazoo_counter(ctx: Context) -> None:
    """kazoo's Counter recipe, incremented 10 times by each of four clients, reaches 40."""
    workers = clients(ctx, 4)
    path = ctx.path("counter")

    def increment(zk: KazooClient) -> None:
        counter = Counter(zk, path)
        for _ in range(10):
            counter += 1

    run_threads(lambda zk=zk: increment(zk) for zk in workers)
    expect(Counter(workers[0], path).value, 40, "counter value")
    expect(workers[0].exists(path).version, 40, "the counter node's version")


@scenario(group=GROUP)
def config_delete_notifies_subscribers(ctx: Context) -> None:
    """Deleting a config znode calls every DataWatch with no data and no stat."""
    publisher, *subscribers = clients(ctx, 4)
    path = ctx.path("config")
    publisher.create(path, b"x")
    seen: list[list[Any]] = [[] for _ in subscribers]
    for zk, log in zip(subscribers, seen, strict=True):
        DataWatch(zk, path, data_recorder(log))
    for log in seen:
        wait_for(ctx, lambda log=log: bool(log), "the first read")
    publisher.delete(path)
    for index, log in enumerate(seen):
        wait_for(ctx, lambda log=log: len(log) >= 2, "the deletion")
        expect(log[-1], (None, None), f"subscriber {index}'s last call")


@scenario(group=GROUP)
def config_subscriber_before_publish(ctx: Context) -> None:
    """A subscriber started before the config exists sees None, then the published data."""
    publisher, *subscribers = clients(ctx, 3)
    path = ctx.path("config")
    seen: list[list[bytes | None]] = [[] for _ in subscribers]
    for zk, log in zip(subscribers, seen, strict=True):
        DataWatch(zk, path, data_recorder(log, version=False))
    for log in seen:
        wait_for(ctx, lambda log=log: bool(log), "the first call")
    publisher.create(path, b"published")
    for index, log in enumerate(seen):
        wait_for(ctx, lambda log=log: len(log) >= 2, "the creation")
        expect(log, [None, b"published"], f"subscriber {index}'s calls")


@scenario(group=GROUP, differential=False)
def config_keys_children_watch(ctx: Context) -> None:
    """ChildrenWatch subscribers of a config directory end with every key two writers added."""
    writer_a, writer_b, *subscribers = clients(ctx, 5)
    path = ctx.path("config")
    writer_a.create(path)
    seen: list[list[list[str]]] = [[] for _ in subscribers]
    for zk, log in zip(subscribers, seen, strict=True):
        ChildrenWatch(zk, path, children_recorder(log))
    keys = [f"k{index}" for index in range(10)]
    run_threads(
        [
            lambda: [writer_a.create(f"{path}/{key}") for key in keys[::2]],
            lambda: [writer_b.create(f"{path}/{key}") for key in keys[1::2]],
        ]
    )
    for index, log in enumerate(seen):
        wait_for(ctx, lambda log=log: bool(log) and log[-1] == keys, "all keys")
        expect(log[-1], keys, f"subscriber {index}'s last children")


# --- 2. load balancing --------------------------------------------------------------------------


def register_providers(ctx: Context, count: int) -> tuple[str, list[KazooClient]]:
    providers = clients(ctx, count)
    root = ctx.path("providers")
    providers[0].create(root)
    run_threads(
        lambda zk=zk, index=index: zk.create(
            f"{root}/p{index}", f"10.0.0.{index}:8080".encode(), ephemeral=True
        )
        for index, zk in enumerate(providers)
    )
    return root, providers


@scenario(group=GROUP, differential=False)
def lb_providers_register(ctx: Context) -> None:
    """Four providers register ephemeral nodes; a consumer sees each address and owner."""
    root, providers = register_providers(ctx, 4)
    consumer = ctx.client()
    expect(sorted(consumer.get_children(root)), ["p0", "p1", "p2", "p3"], "providers")
    for index, provider in enumerate(providers):
        data, stat = consumer.get(f"{root}/p{index}")
        expect(data, f"10.0.0.{index}:8080".encode(), f"p{index}'s address")
        expect(stat.ephemeralOwner, provider.client_id[0], f"p{index}'s ephemeralOwner")


@scenario(group=GROUP)
def lb_dead_provider_disappears(ctx: Context) -> None:
    """A provider whose session dies vanishes from every consumer's ChildrenWatch."""
    root, providers = register_providers(ctx, 4)
    consumers = clients(ctx, 3)
    views: list[list[list[str]]] = [[] for _ in consumers]
    for zk, log in zip(consumers, views, strict=True):
        ChildrenWatch(zk, root, children_recorder(log))
    for log in views:
        wait_for(ctx, lambda log=log: bool(log) and len(log[-1]) == 4, "four providers")
    kill_session(ctx, providers[2])
    for index, log in enumerate(views):
        wait_for(ctx, lambda log=log: log[-1] == ["p0", "p1", "p3"], "the death")
        expect(log[-1], ["p0", "p1", "p3"], f"consumer {index}'s providers")
    expect(consumers[0].exists(f"{root}/p2"), None, "the dead provider's node")


@scenario(group=GROUP)
def lb_stopped_provider_gone_at_once(ctx: Context) -> None:
    """A provider that closes its session is gone for consumers as soon as the close returns."""
    root, providers = register_providers(ctx, 3)
    consumer = ctx.client()
    providers[1].stop()
    expect(sorted(consumer.get_children(root)), ["p0", "p2"], "providers after the close")


@scenario(group=GROUP)
def lb_new_provider_seen(ctx: Context) -> None:
    """Consumers watching the provider list see a provider that joins later."""
    root, _ = register_providers(ctx, 2)
    consumers = clients(ctx, 3)
    views: list[list[list[str]]] = [[] for _ in consumers]
    for zk, log in zip(consumers, views, strict=True):
        ChildrenWatch(zk, root, children_recorder(log))
    for log in views:
        wait_for(ctx, lambda log=log: bool(log), "the first list")
    ctx.client().create(f"{root}/p9", b"10.0.0.9:8080", ephemeral=True)
    for index, log in enumerate(views):
        wait_for(ctx, lambda log=log: log[-1] == ["p0", "p1", "p9"], "the new provider")
        expect(log[-1], ["p0", "p1", "p9"], f"consumer {index}'s providers")


@scenario(group=GROUP, differential=False)
def lb_round_robin_by_sequence(ctx: Context) -> None:
    """Consumers picking providers by a sequential ticket spread 12 picks 3 to each of 4."""
    root, _ = register_providers(ctx, 4)
    consumers = clients(ctx, 3)
    tickets = ctx.path("tickets")
    consumers[0].create(tickets)
    picks: list[str] = []
    lock = threading.Lock()

    def consume(zk: KazooClient) -> None:
        for _ in range(4):
            ticket = int(zk.create(f"{tickets}/t-", sequence=True)[-10:])
            providers = sorted(zk.get_children(root))
            with lock:
                picks.append(providers[ticket % len(providers)])

    run_threads(lambda zk=zk: consume(zk) for zk in consumers)
    counts = {name: picks.count(name) for name in sorted(set(picks))}
    expect(counts, {"p0": 3, "p1": 3, "p2": 3, "p3": 3}, "picks per provider")


@scenario(group=GROUP, differential=False)
def lb_reregistered_provider_gets_new_sequence(ctx: Context) -> None:
    """Providers registering ephemeral-sequential get distinct names; a restart gets a new one."""
    providers = clients(ctx, 3)
    root = ctx.path("providers")
    providers[0].create(root)
    names = run_threads(
        lambda zk=zk: zk.create(f"{root}/provider-", ephemeral=True, sequence=True)
        for zk in providers
    )
    expect(suffixes(names), [0, 1, 2], "sequence numbers of the registrations")
    kill_session(ctx, providers[0])
    again = ctx.client().create(f"{root}/provider-", ephemeral=True, sequence=True)
    expect(again, f"{root}/provider-0000000003", "the restarted provider's name")
    expect(len(providers[1].get_children(root)), 3, "registered providers")


# --- 3. naming service --------------------------------------------------------------------------


@scenario(group=GROUP, differential=False)
def naming_unique_sequential_ids(ctx: Context) -> None:
    """Five clients creating 20 sequential nodes each get ids 0..99, no duplicates."""
    workers = clients(ctx, 5)
    root = ctx.path("ids")
    workers[0].create(root)
    results = run_threads(
        lambda zk=zk: [zk.create(f"{root}/id-", sequence=True) for _ in range(20)] for zk in workers
    )
    names = [name for batch in results for name in batch]
    expect(suffixes(names), list(range(100)), "sequence numbers handed out")
    for batch in results:
        expect(suffixes(batch), [int(name[-10:]) for name in batch], "one client's ids, in order")


@scenario(group=GROUP, differential=False)
def naming_version_as_id(ctx: Context) -> None:
    """setData's returned version is a unique id: 5 clients x 10 sets yield 1..50."""
    workers = clients(ctx, 5)
    path = ctx.path("id")
    workers[0].create(path)
    results = run_threads(
        lambda zk=zk: [zk.set(path, b"").version for _ in range(10)] for zk in workers
    )
    expect(sorted(v for batch in results for v in batch), list(range(1, 51)), "versions")


@scenario(group=GROUP, differential=False)
def naming_prefixes_share_the_counter(ctx: Context) -> None:
    """Different name prefixes under one parent share its counter: suffixes are disjoint."""
    workers = clients(ctx, 4)
    root = ctx.path("ids")
    workers[0].create(root)
    results = run_threads(
        lambda zk=zk, i=i: [zk.create(f"{root}/c{i}-", sequence=True) for _ in range(10)]
        for i, zk in enumerate(workers)
    )
    every = [name for batch in results for name in batch]
    expect(suffixes(every), list(range(40)), "suffixes over all prefixes")
    expect(len(workers[0].get_children(root)), 40, "children")


@scenario(group=GROUP)
def naming_parents_count_separately(ctx: Context) -> None:
    """Each parent has its own counter: two parents filled concurrently both get 0..14."""
    first, second = clients(ctx, 2)
    first.create(ctx.path("a"))
    first.create(ctx.path("b"))
    results = run_threads(
        lambda zk=zk, p=p: [zk.create(ctx.path(p, "n-"), sequence=True) for _ in range(15)]
        for zk, p in ((first, "a"), (second, "b"))
    )
    for parent, batch in zip("ab", results, strict=True):
        expect(suffixes(batch), list(range(15)), f"suffixes under {parent}")


@scenario(group=GROUP)
def naming_ids_not_reused_after_delete(ctx: Context) -> None:
    """Deleting named nodes does not recycle their numbers: the next id continues."""
    zk = ctx.client()
    root = ctx.path("ids")
    zk.create(root)
    names = [zk.create(f"{root}/id-", sequence=True) for _ in range(5)]
    for name in names:
        zk.delete(name)
    expect(zk.create(f"{root}/id-", sequence=True), f"{root}/id-0000000005", "next id")


@scenario(group=GROUP, differential=False)
def naming_ephemeral_ids_unique_across_sessions(ctx: Context) -> None:
    """Ephemeral-sequential ids from five sessions are unique; closed sessions free no id."""
    workers = clients(ctx, 5)
    root = ctx.path("ids")
    workers[0].create(root)
    results = run_threads(
        lambda zk=zk: [zk.create(f"{root}/e-", ephemeral=True, sequence=True) for _ in range(4)]
        for zk in workers
    )
    expect(suffixes([n for batch in results for n in batch]), list(range(20)), "ids")
    for zk in workers[1:]:
        zk.stop()
    expect(len(workers[0].get_children(root)), 4, "ids left after four sessions closed")
    name = workers[0].create(f"{root}/e-", ephemeral=True, sequence=True)
    expect(name, f"{root}/e-0000000020", "next id")


@scenario(group=GROUP, differential=False)
def naming_concurrent_ensure_path(ctx: Context) -> None:
    """Five clients ensuring the same deep name at once all succeed; it exists once."""
    workers = clients(ctx, 5)
    path = ctx.path("a", "b", "c", "d")
    start = threading.Barrier(len(workers))

    def ensure(zk: KazooClient) -> None:
        start.wait(WAIT)
        zk.ensure_path(path)

    run_threads(lambda zk=zk: ensure(zk) for zk in workers)
    expect(workers[0].get_children(ctx.path("a", "b")), ["c"], "children of a/b")
    expect(workers[0].exists(ctx.path("a")).numChildren, 1, "children of a")


# --- 4. coordination / notification -------------------------------------------------------------


@scenario(group=GROUP, differential=False)
def barrier_holds_until_removed(ctx: Context) -> None:
    """kazoo Barrier: four waiters block while the barrier node exists; removing it frees all."""
    coordinator, *waiters = clients(ctx, 5)
    path = ctx.path("barrier")
    Barrier(coordinator, path).create()
    expect(Barrier(waiters[0], path).wait(timeout=0.3), False, "wait while the barrier stands")
    passed: list[bool] = []
    workers = Workers()
    for zk in waiters:
        workers.spawn(lambda zk=zk: passed.append(Barrier(zk, path).wait(timeout=WAIT)))
    expect(passed, [], "waiters through before the removal")
    expect(Barrier(coordinator, path).remove(), True, "remove")
    workers.join()
    expect(passed, [True] * 4, "waiters' results")


@scenario(group=GROUP)
def barrier_absent_does_not_block(ctx: Context) -> None:
    """kazoo Barrier.wait returns True at once when no barrier node exists; remove says False."""
    zk = ctx.client()
    barrier = Barrier(zk, ctx.path("barrier"))
    expect(barrier.wait(timeout=5), True, "wait with no barrier")
    expect(barrier.remove(), False, "remove of a missing barrier")


@scenario(group=GROUP, differential=False)
def double_barrier_enter_waits_for_all(ctx: Context) -> None:
    """kazoo DoubleBarrier of 4: nobody gets through enter until the fourth arrives."""
    members = clients(ctx, 4)
    path = ctx.path("double")
    members[0].create(path)
    entered: list[int] = []
    all_in = threading.Barrier(4)
    left: list[int] = []

    def member(index: int) -> None:
        barrier = DoubleBarrier(members[index], path, 4, identifier=f"m{index}")
        barrier.enter()
        expect(barrier.participating, True, f"m{index} participating")
        entered.append(index)
        all_in.wait(WAIT)
        barrier.leave()
        left.append(index)

    workers = Workers()
    for index in range(3):
        workers.spawn(lambda index=index: member(index))
    wait_for(ctx, lambda: len(members[0].get_children(path)) == 3, "three members in")
    expect(entered, [], "members through enter with 3 of 4 present")
    workers.spawn(lambda: member(3))
    workers.join()
    expect(sorted(entered), [0, 1, 2, 3], "members through enter")
    expect(sorted(left), [0, 1, 2, 3], "members through leave")
    expect(members[0].get_children(path), [], "barrier children after everyone left")


@scenario(group=GROUP, differential=False)
def double_barrier_leave_waits_for_all(ctx: Context) -> None:
    """kazoo DoubleBarrier: members leaving wait until the last member leaves too."""
    members = clients(ctx, 3)
    path = ctx.path("double")
    barriers = [DoubleBarrier(zk, path, 3, identifier=f"m{i}") for i, zk in enumerate(members)]
    run_threads(barrier.enter for barrier in barriers)
    left: list[int] = []
    workers = Workers()
    for index in (0, 1):
        workers.spawn(lambda index=index: (barriers[index].leave(), left.append(index)))
    # The two early leavers get as far as they can: at most one node each is deleted.
    wait_for(
        ctx,
        lambda: (
            "ready" not in members[2].get_children(path) and len(members[2].get_children(path)) <= 2
        ),
        "the early leavers to start leaving",
    )
    expect(left, [], "members through leave while one member is still in")
    barriers[2].leave()
    workers.join()
    expect(sorted(left), [0, 1], "members through leave")
    expect(members[2].get_children(path), [], "barrier children")


@scenario(group=GROUP, differential=False)
def notify_workers_report_done(ctx: Context) -> None:
    """A coordinator's child watch sees every one of five workers' completion nodes."""
    coordinator, *workers = clients(ctx, 6)
    done = ctx.path("done")
    coordinator.create(done)
    views: list[list[str]] = []
    ChildrenWatch(coordinator, done, children_recorder(views))
    run_threads(lambda zk=zk, i=i: zk.create(f"{done}/w{i}") for i, zk in enumerate(workers))
    expected = [f"w{index}" for index in range(5)]
    wait_for(ctx, lambda: bool(views) and views[-1] == expected, "all workers done")
    expect(views[-1], expected, "completion nodes seen")


@scenario(group=GROUP)
def notify_go_signal_and_acks(ctx: Context) -> None:
    """Five workers wait on a 'go' node; once created they all ack; the coordinator sees 5."""
    coordinator, *workers = clients(ctx, 6)
    go, acks = ctx.path("go"), ctx.path("acks")
    coordinator.create(acks)
    armed = threading.Barrier(len(workers) + 1)

    def worker(zk: KazooClient, index: int) -> None:
        started = threading.Event()
        if zk.exists(go, watch=lambda event: started.set()) is None:
            armed.wait(WAIT)
            expect(started.wait(WAIT), True, f"worker {index} notified")
        else:
            armed.wait(WAIT)
        zk.create(f"{acks}/w{index}")

    workers_run = Workers()
    for index, zk in enumerate(workers):
        workers_run.spawn(lambda zk=zk, index=index: worker(zk, index))
    armed.wait(WAIT)
    expect(coordinator.get_children(acks), [], "acks before the signal")
    coordinator.create(go, b"go")
    workers_run.join()
    expect(sorted(coordinator.get_children(acks)), [f"w{i}" for i in range(5)], "acks")


# --- 5. cluster membership -------------------------------------------------------------------


def join_members(ctx: Context, count: int) -> tuple[str, list[KazooClient]]:
    members = clients(ctx, count)
    root = ctx.path("members")
    members[0].create(root)
    run_threads(
        lambda zk=zk, i=i: zk.create(f"{root}/m{i}", ephemeral=True) for i, zk in enumerate(members)
    )
    return root, members


@scenario(group=GROUP, differential=False)
def membership_monitor_sees_joins(ctx: Context) -> None:
    """A monitor's ChildrenWatch sees four members that join concurrently."""
    monitor = ctx.client()
    root = ctx.path("members")
    monitor.create(root)
    views: list[list[str]] = []
    ChildrenWatch(monitor, root, children_recorder(views))
    members = clients(ctx, 4)
    run_threads(
        lambda zk=zk, i=i: zk.create(f"{root}/m{i}", ephemeral=True) for i, zk in enumerate(members)
    )
    expected = ["m0", "m1", "m2", "m3"]
    wait_for(ctx, lambda: bool(views) and views[-1] == expected, "all members")
    expect(views[-1], expected, "members seen")
    expect(views[0], [], "members seen first")


@scenario(group=GROUP, differential=False)
def membership_killed_member_removed(ctx: Context) -> None:
    """A member whose session dies leaves the membership; monitors see it; others stay."""
    root, members = join_members(ctx, 4)
    monitors = clients(ctx, 2)
    views: list[list[list[str]]] = [[], []]
    for zk, log in zip(monitors, views, strict=True):
        ChildrenWatch(zk, root, children_recorder(log))
    kill_session(ctx, members[1])
    for index, log in enumerate(views):
        wait_for(ctx, lambda log=log: log[-1] == ["m0", "m2", "m3"], "the removal")
        expect(log[-1], ["m0", "m2", "m3"], f"monitor {index}'s members")
    for index in (0, 2, 3):
        owner = monitors[0].exists(f"{root}/m{index}").ephemeralOwner
        expect(owner, members[index].client_id[0], f"m{index}'s owner")


@scenario(group=GROUP)
def membership_leave_is_immediate(ctx: Context) -> None:
    """A member that closes its session is out of the list as soon as its close returns."""
    root, members = join_members(ctx, 3)
    monitor = ctx.client()
    members[0].stop()
    members[2].stop()
    expect(monitor.get_children(root), ["m1"], "members after two closes")


@scenario(group=GROUP)
def membership_events_for_each_change(ctx: Context) -> None:
    """A monitor re-arming its child watch gets one ChildrenChanged per join and death."""
    monitor = ctx.client()
    root = ctx.path("members")
    monitor.create(root)
    monitor.get_children(root, watch=lambda event: None)
    member = ctx.client()
    member.create(f"{root}/a", ephemeral=True)
    monitor.wait_for_events(1)
    monitor.get_children(root, watch=lambda event: None)
    kill_session(ctx, member)
    events = [(event.type, event.path) for event in monitor.wait_for_events(2)]
    expect(events, [("CHILD", root), ("CHILD", root)], "monitor's events")
    expect(monitor.get_children(root), [], "members")


@scenario(group=GROUP, differential=False)
def membership_kazoo_party(ctx: Context) -> None:
    """kazoo Party: four join; one leaves and one dies; the party lists the other two."""
    members = clients(ctx, 4)
    path = ctx.path("party")
    parties = [Party(zk, path, f"member-{i}") for i, zk in enumerate(members)]
    run_threads(party.join for party in parties)
    expect(len(parties[0]), 4, "party size")
    expect(sorted(parties[0]), [f"member-{i}" for i in range(4)], "party members")
    parties[1].leave()
    kill_session(ctx, members[2])
    observer = Party(ctx.client(), path)
    expect(sorted(observer), ["member-0", "member-3"], "party members after a leave and a death")


@scenario(group=GROUP, differential=False)
def membership_kazoo_shallow_party(ctx: Context) -> None:
    """kazoo ShallowParty: identifiers are in the node names; a dead member drops out."""
    members = clients(ctx, 3)
    path = ctx.path("party")
    parties = [ShallowParty(zk, path, f"host{i}") for i, zk in enumerate(members)]
    run_threads(party.join for party in parties)
    expect(sorted(parties[0]), ["host0", "host1", "host2"], "party members")
    kill_session(ctx, members[0])
    expect(sorted(ShallowParty(ctx.client(), path)), ["host1", "host2"], "after a death")


@scenario(group=GROUP)
def membership_name_freed_by_death(ctx: Context) -> None:
    """A member name is taken while its session lives (NodeExists) and free once it dies."""
    root, members = join_members(ctx, 2)
    replacement = ctx.client()
    try:
        replacement.create(f"{root}/m0", ephemeral=True)
        taken = "created"
    except NodeExistsError:
        taken = "NodeExists"
    expect(taken, "NodeExists", "registering a live member's name")
    kill_session(ctx, members[0])
    replacement.create(f"{root}/m0", ephemeral=True)
    owner = replacement.exists(f"{root}/m0").ephemeralOwner
    expect(owner, replacement.client_id[0], "the name's new owner")


# --- 6. master election ------------------------------------------------------------------------


class Leadership:
    """Records who leads; a second leader while one leads is a violation."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.current: set[int] = set()
        self.order: list[int] = []
        self.violations: list[tuple[int, set[int]]] = []
        self.release = {index: threading.Event() for index in range(10)}
        self.elected = threading.Condition(self._lock)

    def lead(self, index: int) -> None:
        with self._lock:
            if self.current:
                self.violations.append((index, set(self.current)))
            self.current.add(index)
            self.order.append(index)
            self.elected.notify_all()
        self.release[index].wait(WAIT * 2)
        with self._lock:
            self.current.discard(index)

    def deposed(self, index: int) -> None:
        """`index` no longer leads (its session is about to be killed)."""
        with self._lock:
            self.current.discard(index)

    def wait_for_leaders(self, count: int) -> list[int]:
        with self._lock:
            self.elected.wait_for(lambda: len(self.order) >= count, WAIT)
            return list(self.order)


def contend_in_order(
    ctx: Context,
    path: str,
    count: int,
    leadership: Leadership,
    workers: Workers,
    victim: int | None = None,
) -> tuple[list[KazooClient], list[Election]]:
    """Start contenders 0..count-1 one at a time, each queued before the next starts.

    The `victim`'s thread is not joined: its session will be killed while it leads.
    """
    zks = clients(ctx, count)
    elections = [Election(zk, path, f"c{i}") for i, zk in enumerate(zks)]
    for index, election in enumerate(elections):
        workers.spawn(
            lambda election=election, index=index: election.run(leadership.lead, index),
            joined=index != victim,
        )
        wait_for(ctx, lambda n=index + 1: len(elections[0].contenders()) == n, "queued")
    return zks, elections


@scenario(group=GROUP, differential=False)
def election_exactly_one_leader(ctx: Context) -> None:
    """kazoo Election with four contenders: one leads, contenders lists all, leader first."""
    leadership = Leadership()
    workers = Workers()
    path = ctx.path("election")
    zks = clients(ctx, 4)
    elections = [Election(zk, path, f"c{i}") for i, zk in enumerate(zks)]
    for index, election in enumerate(elections):
        workers.spawn(lambda e=election, i=index: e.run(leadership.lead, i))
    expect(len(leadership.wait_for_leaders(1)), 1, "leaders elected")
    wait_for(ctx, lambda: len(elections[0].contenders()) == 4, "four contenders")
    contenders = elections[0].contenders()
    expect(sorted(contenders), ["c0", "c1", "c2", "c3"], "contenders")
    expect(contenders[0], f"c{leadership.order[0]}", "first contender is the leader")
    expect(leadership.order, leadership.order[:1], "leaders so far")
    for index in range(4):
        leadership.release[index].set()
    workers.join()
    expect(leadership.violations, [], "second leaders while one led")
    expect(sorted(leadership.order), [0, 1, 2, 3], "everyone led in turn")


@scenario(group=GROUP, differential=False)
def election_leader_killed_successor_takes_over(ctx: Context) -> None:
    """Killing the leader's session makes the next contender leader; never two at once."""
    leadership = Leadership()
    workers = Workers()
    zks, elections = contend_in_order(ctx, ctx.path("election"), 4, leadership, workers, victim=0)
    expect(leadership.wait_for_leaders(1), [0], "first leader")
    leadership.deposed(0)
    kill_session(ctx, zks[0])
    expect(leadership.wait_for_leaders(2), [0, 1], "leaders after the kill")
    expect(elections[1].contenders(), ["c1", "c2", "c3"], "contenders after the kill")
    for index in (1, 2, 3):
        leadership.release[index].set()
    workers.join()
    leadership.release[0].set()  # the deposed leader's thread ends when its client closes
    expect(leadership.order, [0, 1, 2, 3], "leaders in order")
    expect(leadership.violations, [], "second leaders while one led")


@scenario(group=GROUP, differential=False)
def election_leaders_follow_join_order(ctx: Context) -> None:
    """Contenders lead in the order they joined as each leader steps down in turn."""
    leadership = Leadership()
    workers = Workers()
    _, elections = contend_in_order(ctx, ctx.path("election"), 4, leadership, workers)
    for index in range(4):
        expect(len(leadership.wait_for_leaders(index + 1)), index + 1, "leaders so far")
        leadership.release[index].set()
    workers.join()
    expect(leadership.order, [0, 1, 2, 3], "order of leadership")
    expect(leadership.violations, [], "second leaders while one led")
    expect(elections[0].contenders(), [], "contenders at the end")


@scenario(group=GROUP, differential=False)
def election_cancelled_contender_never_leads(ctx: Context) -> None:
    """A contender that cancels while waiting leaves the contenders and never leads."""
    leadership = Leadership()
    workers = Workers()
    _, elections = contend_in_order(ctx, ctx.path("election"), 3, leadership, workers)
    leadership.wait_for_leaders(1)
    elections[1].cancel()
    wait_for(ctx, lambda: elections[0].contenders() == ["c0", "c2"], "c1 withdrawn")
    expect(elections[0].contenders(), ["c0", "c2"], "contenders after cancel")
    leadership.release[0].set()
    expect(leadership.wait_for_leaders(2), [0, 2], "leaders")
    leadership.release[2].set()
    workers.join()
    expect(leadership.order, [0, 2], "leaders in all")


@scenario(group=GROUP, differential=False)
def election_create_race_one_master(ctx: Context) -> None:
    """Six clients racing to create /master: one wins, five get NodeExists."""
    racers = clients(ctx, 6)
    path = ctx.path("master")
    start = threading.Barrier(len(racers))

    def race(zk: KazooClient, index: int) -> str:
        start.wait(WAIT)
        try:
            zk.create(path, f"r{index}".encode(), ephemeral=True)
            return "won"
        except NodeExistsError:
            return "NodeExists"

    results = run_threads(lambda zk=zk, i=i: race(zk, i) for i, zk in enumerate(racers))
    expect(sorted(results), ["NodeExists"] * 5 + ["won"], "race results")
    winner = results.index("won")
    expect(racers[0].get(path)[0], f"r{winner}".encode(), "master's data")


@scenario(group=GROUP, differential=False)
def election_master_dies_one_successor(ctx: Context) -> None:
    """When the /master node's session dies, exactly one watching standby becomes master."""
    master, *standbys = clients(ctx, 5)
    path = ctx.path("master")
    master.create(path, b"m", ephemeral=True)
    armed = threading.Barrier(len(standbys) + 1)

    def standby(zk: KazooClient, index: int) -> str:
        gone = threading.Event()
        present = zk.exists(path, watch=lambda event, gone=gone: gone.set()) is not None
        armed.wait(WAIT)
        if present:
            gone.wait(WAIT)
        try:
            zk.create(path, f"s{index}".encode(), ephemeral=True)
            return "master"
        except NodeExistsError:
            return "standby"

    workers = Workers()
    results: list[str] = []
    for index, zk in enumerate(standbys):
        workers.spawn(lambda zk=zk, i=index: results.append(standby(zk, i)))
    armed.wait(WAIT)
    kill_session(ctx, master)
    workers.join()
    expect(sorted(results), ["master"] + ["standby"] * 3, "standbys' outcomes")
    owner = standbys[0].exists(path).ephemeralOwner
    expect(owner in [zk.client_id[0] for zk in standbys], True, "new master is a standby")


# --- 7a. exclusive lock: everyone creates /distribute_lock -----------------------------------


def exclusive_acquire(
    zk: KazooClient, path: str, me: str, waiting: threading.Event | None = None
) -> None:
    """Create the lock node; on NodeExists watch it, wait for it to go, and try again.

    `waiting` is set once the first watch is in place.
    """
    while True:
        try:
            zk.create(path, me.encode(), ephemeral=True)
            return
        except NodeExistsError:
            gone = threading.Event()
            present = zk.exists(path, watch=lambda event, gone=gone: gone.set()) is not None
            if waiting is not None:
                waiting.set()
            if present:
                gone.wait(EVENT_WAIT)


@scenario(group=GROUP, differential=False)
def exclusive_lock_mutual_exclusion(ctx: Context) -> None:
    """Five clients taking a create-the-node lock 4 times each: one holder at a time, 20 bumps."""
    workers = clients(ctx, 5)
    lock_path, counter = ctx.path("distribute_lock"), ctx.path("counter")
    workers[0].create(counter, b"0")
    occupancy = Occupancy()

    def work(zk: KazooClient, index: int) -> None:
        for _ in range(4):
            exclusive_acquire(zk, lock_path, f"w{index}")
            with occupancy.enter(index):
                expect(zk.get(lock_path)[0], f"w{index}".encode(), "lock node's owner data")
                bump(zk, counter)
            zk.delete(lock_path)

    run_threads(lambda zk=zk, i=i: work(zk, i) for i, zk in enumerate(workers))
    expect(occupancy.most, 1, "most holders at once")
    expect(counter_value(workers[0], counter), 20, "counter")
    expect(workers[0].exists(lock_path), None, "lock node at the end")


@scenario(group=GROUP)
def exclusive_lock_holder_dies(ctx: Context) -> None:
    """When the exclusive lock holder's session dies, a waiter creates the node and holds it."""
    holder, waiter = clients(ctx, 2)
    lock_path = ctx.path("distribute_lock")
    holder.create(lock_path, b"holder", ephemeral=True)
    got: list[bool] = []
    waiting = threading.Event()
    workers = Workers()
    workers.spawn(
        lambda: (exclusive_acquire(waiter, lock_path, "waiter", waiting), got.append(True))
    )
    expect(waiting.wait(WAIT), True, "the waiter found the lock taken")
    expect(got, [], "waiter holds while the holder lives")
    kill_session(ctx, holder)
    workers.join()
    data, stat = waiter.get(lock_path)
    expect((data, stat.ephemeralOwner), (b"waiter", waiter.client_id[0]), "lock after the death")


@scenario(group=GROUP)
def exclusive_lock_release_notifies_waiters(ctx: Context) -> None:
    """Every waiter's exists watch on the lock node fires NodeDeleted when it is released."""
    holder, *waiters = clients(ctx, 4)
    lock_path = ctx.path("distribute_lock")
    holder.create(lock_path, ephemeral=True)
    for zk in waiters:
        zk.exists(lock_path, watch=lambda event: None)
    holder.delete(lock_path)
    for index, zk in enumerate(waiters):
        events = [(event.type, event.path) for event in zk.wait_for_events(1)]
        expect(events, [("DELETED", lock_path)], f"waiter {index}'s events")


# --- 7b. ordered lock: ephemeral-sequential children, lowest holds -----------------------------


def ordered_acquire(zk: KazooClient, parent: str, me: str) -> str:
    """Queue an ephemeral-sequential node; hold once it is lowest, watching only the one ahead."""
    node = zk.create(f"{parent}/lock-", me.encode(), ephemeral=True, sequence=True)
    name = node.rsplit("/", 1)[1]
    while True:
        children = sorted(zk.get_children(parent))
        position = children.index(name)
        if position == 0:
            return node
        gone = threading.Event()
        ahead = f"{parent}/{children[position - 1]}"
        if zk.exists(ahead, watch=lambda event, gone=gone: gone.set()) is not None:
            gone.wait(EVENT_WAIT)


@scenario(group=GROUP, differential=False)
def ordered_lock_fifo(ctx: Context) -> None:
    """The ordered lock is granted in sequence order; one holder at a time; counter 5."""
    workers = clients(ctx, 5)
    parent, counter = ctx.path("distribute_lock"), ctx.path("counter")
    workers[0].create(parent)
    workers[0].create(counter, b"0")
    occupancy = Occupancy()
    first = ordered_acquire(workers[0], parent, "w0")
    threads = Workers()

    def work(zk: KazooClient, index: int) -> None:
        node = ordered_acquire(zk, parent, f"w{index}")
        with occupancy.enter(index):
            bump(zk, counter)
        zk.delete(node)

    for index in range(1, 5):
        threads.spawn(lambda zk=workers[index], i=index: work(zk, i))
        wait_for(ctx, lambda n=index + 1: len(workers[0].get_children(parent)) == n, "queued")
    with occupancy.enter(0):
        bump(workers[0], counter)
    workers[0].delete(first)
    threads.join()
    expect(occupancy.order, [0, 1, 2, 3, 4], "order of holders")
    expect(occupancy.most, 1, "most holders at once")
    expect(counter_value(workers[0], counter), 5, "counter")


@scenario(group=GROUP, differential=False)
def ordered_lock_holder_dies_next_takes_over(ctx: Context) -> None:
    """When the ordered lock's holder dies, the next in sequence holds it; the rest still wait."""
    holder, second, third = clients(ctx, 3)
    parent = ctx.path("distribute_lock")
    holder.create(parent)
    ordered_acquire(holder, parent, "h")
    held: list[str] = []
    release = threading.Event()
    threads = Workers()

    def work(zk: KazooClient, me: str) -> None:
        node = ordered_acquire(zk, parent, me)
        held.append(me)
        release.wait(WAIT)
        zk.delete(node)

    threads.spawn(lambda: work(second, "second"))
    wait_for(ctx, lambda: len(holder.get_children(parent)) == 2, "second queued")
    threads.spawn(lambda: work(third, "third"))
    wait_for(ctx, lambda: len(holder.get_children(parent)) == 3, "third queued")
    kill_session(ctx, holder)
    wait_for(ctx, lambda: bool(held), "the next holder")
    expect(held, ["second"], "holders after the death")
    expect(suffixes(second.get_children(parent)), [1, 2], "queued lock nodes")
    release.set()
    threads.join()
    expect(held, ["second", "third"], "holders in all")


# --- 7c. kazoo Lock and friends -------------------------------------------------------------


@scenario(group=GROUP, differential=False)
def kazoo_lock_mutual_exclusion(ctx: Context) -> None:
    """kazoo Lock, five clients x 5 acquisitions: one holder at a time, counter 25."""
    workers = clients(ctx, 5)
    lock_path, counter = ctx.path("lock"), ctx.path("counter")
    workers[0].create(counter, b"0")
    occupancy = Occupancy()

    def work(zk: KazooClient, index: int) -> None:
        lock = Lock(zk, lock_path, f"w{index}")
        for _ in range(5):
            with lock, occupancy.enter(index):
                bump(zk, counter)

    run_threads(lambda zk=zk, i=i: work(zk, i) for i, zk in enumerate(workers))
    expect(occupancy.most, 1, "most holders at once")
    expect(counter_value(workers[0], counter), 25, "counter")
    expect(workers[0].get_children(lock_path), [], "lock nodes left")


@scenario(group=GROUP, differential=False)
def kazoo_lock_holder_dies(ctx: Context) -> None:
    """kazoo Lock: when the holder's session dies one waiter gets the lock, then the next."""
    holder, *waiters = clients(ctx, 4)
    lock_path, counter = ctx.path("lock"), ctx.path("counter")
    holder.create(counter, b"0")
    expect(Lock(holder, lock_path, "holder").acquire(timeout=WAIT), True, "holder acquires")
    occupancy = Occupancy()

    def work(zk: KazooClient, index: int) -> None:
        with Lock(zk, lock_path, f"w{index}"), occupancy.enter(index):
            bump(zk, counter)

    threads = Workers()
    for index, zk in enumerate(waiters):
        threads.spawn(lambda zk=zk, i=index: work(zk, i))
    contenders = Lock(waiters[0], lock_path)
    wait_for(ctx, lambda: len(contenders.contenders()) == 4, "waiters queued")
    expect(occupancy.order, [], "holders while the first holder lives")
    kill_session(ctx, holder)
    threads.join()
    expect(occupancy.most, 1, "most holders at once")
    expect(sorted(occupancy.order), [0, 1, 2], "waiters that held the lock")
    expect(counter_value(waiters[0], counter), 3, "counter")


@scenario(group=GROUP, differential=False)
def kazoo_lock_timeout_leaves_no_node(ctx: Context) -> None:
    """kazoo Lock.acquire(timeout) while another holds it raises LockTimeout, removing its node."""
    holder, other = clients(ctx, 2)
    lock_path = ctx.path("lock")
    Lock(holder, lock_path, "holder").acquire()
    try:
        Lock(other, lock_path, "other").acquire(timeout=0.5)
        outcome = "acquired"
    except LockTimeout:
        outcome = "LockTimeout"
    expect(outcome, "LockTimeout", "acquire with a timeout while held")
    expect(Lock(other, lock_path).contenders(), ["holder"], "contenders after the timeout")


@scenario(group=GROUP, differential=False)
def kazoo_lock_non_blocking(ctx: Context) -> None:
    """kazoo Lock.acquire(blocking=False) is False while held and True once released."""
    holder, other = clients(ctx, 2)
    lock_path = ctx.path("lock")
    held = Lock(holder, lock_path, "holder")
    held.acquire()
    attempt = Lock(other, lock_path, "other")
    expect(attempt.acquire(blocking=False), False, "non-blocking acquire while held")
    held.release()
    expect(attempt.acquire(blocking=False), True, "non-blocking acquire after release")
    expect(attempt.contenders(), ["other"], "contenders")


@scenario(group=GROUP, differential=False)
def kazoo_lock_is_fair(ctx: Context) -> None:
    """kazoo Lock waiters get the lock in the order they queued."""
    holder, *waiters = clients(ctx, 5)
    lock_path = ctx.path("lock")
    first = Lock(holder, lock_path, "holder")
    first.acquire()
    occupancy = Occupancy()
    threads = Workers()
    for index, zk in enumerate(waiters):

        def work(zk: KazooClient = zk, index: int = index) -> None:
            with Lock(zk, lock_path, f"w{index}"), occupancy.enter(index):
                time.sleep(0.01)

        threads.spawn(work)
        wait_for(ctx, lambda n=index + 2: len(first.contenders()) == n, "queued")
    expect(first.contenders(), ["holder", "w0", "w1", "w2", "w3"], "contenders in order")
    first.release()
    threads.join()
    expect(occupancy.order, [0, 1, 2, 3], "order of holders")
    expect(occupancy.most, 1, "most holders at once")


@scenario(group=GROUP, differential=False)
def kazoo_read_write_lock(ctx: Context) -> None:
    """kazoo ReadLock/WriteLock: three readers hold it together; a writer waits for all."""
    readers_zk = clients(ctx, 3)
    writer_zk = ctx.client()
    path = ctx.path("rwlock")
    lock = threading.Lock()
    state = {"readers": 0, "most_readers": 0, "readers_when_writing": -1}
    all_reading = threading.Barrier(3)
    writer_queued = threading.Event()

    def read(zk: KazooClient, index: int) -> None:
        with ReadLock(zk, path, f"r{index}"):
            with lock:
                state["readers"] += 1
                state["most_readers"] = max(state["most_readers"], state["readers"])
            all_reading.wait(WAIT)  # passes only if all three hold the read lock together
            writer_queued.wait(WAIT)
            time.sleep(0.02)
            with lock:
                state["readers"] -= 1

    def write() -> None:
        with WriteLock(writer_zk, path, "w"), lock:
            state["readers_when_writing"] = state["readers"]

    threads = Workers()
    for index, zk in enumerate(readers_zk):
        threads.spawn(lambda zk=zk, i=index: read(zk, i))
    wait_for(ctx, lambda: state["most_readers"] == 3, "three readers in")
    threads.spawn(write)
    contenders = ReadLock(writer_zk, path)
    wait_for(ctx, lambda: len(contenders.contenders()) == 4, "the writer queued")
    writer_queued.set()
    threads.join()
    expect(state["most_readers"], 3, "readers holding the lock together")
    expect(state["readers_when_writing"], 0, "readers inside while the writer held it")
    expect(writer_zk.get_children(path), [], "lock nodes left")


@scenario(group=GROUP, differential=False)
def kazoo_semaphore_two_leases(ctx: Context) -> None:
    """kazoo Semaphore with 2 leases and 5 clients: never more than two holders."""
    workers = clients(ctx, 5)
    path = ctx.path("semaphore")
    workers[0].create(path, b"2")
    occupancy = Occupancy()
    pair = threading.Barrier(2)

    def work(zk: KazooClient, index: int) -> None:
        with Semaphore(zk, path, f"w{index}", max_leases=2), occupancy.enter(index) as entry:
            if entry < 2:
                pair.wait(WAIT)  # passes only if the first two hold leases together
            time.sleep(0.01)

    run_threads(lambda zk=zk, i=i: work(zk, i) for i, zk in enumerate(workers))
    expect(occupancy.most, 2, "most lease holders at once")
    expect(len(occupancy.order), 5, "leases granted in all")
    expect(workers[0].get_children(path), [], "leases left")


# --- 8. queues -------------------------------------------------------------------------------


@scenario(group=GROUP, differential=False)
def queue_producers_consumers(ctx: Context) -> None:
    """kazoo Queue: 3 producers x 20 items, 3 consumers: every item once, none lost."""
    producers = clients(ctx, 3)
    consumers = clients(ctx, 3)
    path = ctx.path("queue")
    items = [f"p{p}-{i}".encode() for p in range(3) for i in range(20)]
    taken: list[bytes] = []
    lock = threading.Lock()
    deadline = time.monotonic() + WAIT

    def produce(zk: KazooClient, index: int) -> None:
        queue = Queue(zk, path)
        for item in range(20):
            queue.put(f"p{index}-{item}".encode())

    def consume(zk: KazooClient) -> None:
        queue = Queue(zk, path)
        while time.monotonic() < deadline:
            with lock:
                if len(taken) >= len(items):
                    return
            item = queue.get()
            if item is None:
                time.sleep(0.01)
                continue
            with lock:
                taken.append(item)

    run_threads(
        [
            *(lambda zk=zk, i=i: produce(zk, i) for i, zk in enumerate(producers)),
            *(lambda zk=zk: consume(zk) for zk in consumers),
        ]
    )
    expect(len(taken), 60, "items consumed")
    expect(sorted(taken), sorted(items), "items consumed, each once")
    expect(len(Queue(producers[0], path)), 0, "queue length at the end")


@scenario(group=GROUP, differential=False)
def queue_fifo_per_producer(ctx: Context) -> None:
    """kazoo Queue: one consumer gets two producers' items in each producer's order."""
    first, second, consumer = clients(ctx, 3)
    path = ctx.path("queue")
    run_threads(
        [
            lambda: [Queue(first, path).put(f"a{i}".encode()) for i in range(10)],
            lambda: [Queue(second, path).put(f"b{i}".encode()) for i in range(10)],
        ]
    )
    queue = Queue(consumer, path)
    got = [queue.get() for _ in range(20)]
    expect(queue.get(), None, "get from the empty queue")
    expect([i for i in got if i.startswith(b"a")], [f"a{i}".encode() for i in range(10)], "a")
    expect([i for i in got if i.startswith(b"b")], [f"b{i}".encode() for i in range(10)], "b")


@scenario(group=GROUP)
def queue_priority_order(ctx: Context) -> None:
    """kazoo Queue: items come out by priority (lower first), then in insertion order."""
    zk = ctx.client()
    queue = Queue(zk, ctx.path("queue"))
    for value, priority in ((b"low-1", 200), (b"high-1", 10), (b"mid", 100), (b"high-2", 10)):
        queue.put(value, priority=priority)
    expect(len(queue), 4, "queue length")
    got = [queue.get() for _ in range(4)]
    expect(got, [b"high-1", b"high-2", b"mid", b"low-1"], "order of items")


@scenario(group=GROUP, differential=False)
def locking_queue_each_item_once(ctx: Context) -> None:
    """kazoo LockingQueue: 2 producers, 3 consumers that get and consume: each item once."""
    producers = clients(ctx, 2)
    consumers = clients(ctx, 3)
    path = ctx.path("lqueue")
    items = [f"p{p}-{i}".encode() for p in range(2) for i in range(15)]
    consumed: list[bytes] = []
    lock = threading.Lock()

    def produce(zk: KazooClient, index: int) -> None:
        queue = LockingQueue(zk, path)
        queue.put_all([f"p{index}-{i}".encode() for i in range(10)])
        for item in range(10, 15):
            queue.put(f"p{index}-{item}".encode())

    def consume(zk: KazooClient) -> None:
        queue = LockingQueue(zk, path)
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            with lock:
                if len(consumed) >= len(items):
                    return
            item = queue.get(timeout=0.2)
            if item is None:
                continue
            expect(queue.consume(), True, "consume of a locked item")
            with lock:
                consumed.append(item)

    run_threads(
        [
            *(lambda zk=zk, i=i: produce(zk, i) for i, zk in enumerate(producers)),
            *(lambda zk=zk: consume(zk) for zk in consumers),
        ]
    )
    expect(sorted(consumed), sorted(items), "items consumed, each once")
    expect(len(LockingQueue(producers[0], path)), 0, "queue length at the end")


@scenario(group=GROUP)
def locking_queue_dead_consumer_item_redelivered(ctx: Context) -> None:
    """kazoo LockingQueue: an item locked by a consumer whose session dies goes to another."""
    producer, doomed, survivor = clients(ctx, 3)
    path = ctx.path("lqueue")
    LockingQueue(producer, path).put(b"job")
    expect(LockingQueue(doomed, path).get(timeout=WAIT), b"job", "first consumer's item")
    other = LockingQueue(survivor, path)
    expect(other.get(timeout=0.3), None, "item while locked by a live consumer")
    kill_session(ctx, doomed)
    expect(LockingQueue(survivor, path).get(timeout=WAIT), b"job", "item after the death")


@scenario(group=GROUP, differential=False)
def locking_queue_release_returns_item(ctx: Context) -> None:
    """kazoo LockingQueue: release() unlocks the item without consuming it; another gets it."""
    first, second = clients(ctx, 2)
    path = ctx.path("lqueue")
    queue = LockingQueue(first, path)
    queue.put(b"job")
    expect(queue.get(timeout=WAIT), b"job", "first get")
    expect(queue.holds_lock(), True, "holds the lock")
    expect(queue.release(), True, "release")
    other = LockingQueue(second, path)
    expect(other.get(timeout=WAIT), b"job", "second consumer's item")
    expect(other.consume(), True, "consume")
    expect(len(other), 0, "queue length")


@scenario(group=GROUP, differential=False)
def manual_queue_claim_by_delete(ctx: Context) -> None:
    """A queue of persistent-sequential nodes claimed by delete: each item claimed once."""
    producer, *consumers = clients(ctx, 4)
    root = ctx.path("queue")
    producer.create(root)
    for index in range(30):
        producer.create(f"{root}/item-", str(index).encode(), sequence=True)
    claimed: list[list[int]] = [[] for _ in consumers]

    def consume(zk: KazooClient, mine: list[int]) -> None:
        while children := sorted(zk.get_children(root)):
            for name in children:
                try:
                    data, _ = zk.get(f"{root}/{name}")
                    zk.delete(f"{root}/{name}")
                except NoNodeError:
                    continue  # another consumer claimed it first
                mine.append(int(data))

    run_threads(
        lambda zk=zk, mine=mine: consume(zk, mine)
        for zk, mine in zip(consumers, claimed, strict=True)
    )
    every = sorted(item for mine in claimed for item in mine)
    expect(every, list(range(30)), "items claimed, each once")
    for index, mine in enumerate(claimed):
        expect(mine, sorted(mine), f"consumer {index}'s items in queue order")
