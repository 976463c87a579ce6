"""Storage interoperability: Apache ZooKeeper 3.8 and zkcompat share one data directory.

``python -m conformance.interop`` writes a data directory with zkcompat (znodes of every
create mode, digest and world ACLs, binary and null data, sequential counters, a deleted node,
a multi, and a session still open when the server stops), then starts Apache ZooKeeper on it
and checks that every znode's data, stat, ACL and children read back exactly as zkcompat
served them; ZooKeeper then writes on top, and zkcompat, started again, must read all of it.
It needs Debian's ``zookeeper`` package (``make conformance`` installs it) and exits non-zero
on any difference, printing each one.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, NamedTuple

from kazoo.client import KazooClient
from kazoo.security import OPEN_ACL_UNSAFE, make_digest_acl

from conformance.zookeeper import ApacheZooKeeper, free_port
from jute import records as R

SUPER_DIGEST = "super:D/InIHSb7yEEbrWz8b9l71RjZJU="  # super:test
PROPERTIES = {
    "zookeeper.extendedTypesEnabled": "true",
    "zookeeper.DigestAuthenticationProvider.superDigest": SUPER_DIGEST,
}
TTL_MS = 3_600_000


def _acl(acl: list[Any]) -> list[Any]:
    return [R.ACL(a.perms, R.Id(a.id.scheme, a.id.id)) for a in acl]


class CreateContainer(NamedTuple):
    """kazoo has no containers: a createContainer request (opcode 19) kazoo can send."""

    path: str
    data: bytes
    acl: list[Any]
    type = 19

    def serialize(self) -> bytes:
        return R.CreateRequest(self.path, self.data, _acl(self.acl), 4).encode()

    @classmethod
    def deserialize(cls, buffer: bytes, offset: int) -> str:
        return R.Create2Response.decode(bytes(buffer), offset)[0].path


class CreateTTL(NamedTuple):
    """kazoo has no TTL nodes: a createTTL request (opcode 21) with the TTL flag."""

    path: str
    data: bytes
    acl: list[Any]
    ttl: int
    type = 21

    def serialize(self) -> bytes:
        return R.CreateTTLRequest(self.path, self.data, _acl(self.acl), 5, self.ttl).encode()

    @classmethod
    def deserialize(cls, buffer: bytes, offset: int) -> str:
        return R.Create2Response.decode(bytes(buffer), offset)[0].path


def _send(zk: KazooClient, request: Any) -> Any:
    result = zk.handler.async_result()
    zk._call(request, result)
    return result.get(timeout=30)


def _client(hosts: str) -> KazooClient:
    zk = KazooClient(hosts=hosts, timeout=20)
    zk.start(timeout=30)
    zk.add_auth("digest", "super:test")  # super reads every znode whatever its ACL
    return zk


def _populate(zk: KazooClient) -> None:
    zk.create("/app", b"v1")
    zk.set("/app", b"v2")
    zk.create("/app/binary", bytes(range(256)))
    zk.create("/app/null", None)
    names = [zk.create("/app/seq-", b"s", sequence=True) for _ in range(3)]
    zk.delete(names[1])  # a gap in the sequence, which the parent's counter must keep
    zk.create("/app/secure", b"s", acl=[make_digest_acl("alice", "pw", all=True)])
    zk.set_acls("/app/secure", [make_digest_acl("alice", "pw", read=True)])
    tx = zk.transaction()
    tx.create("/app/m1", b"m")
    tx.set_data("/app", b"v3")
    tx.commit()
    _send(zk, CreateContainer("/box", b"", OPEN_ACL_UNSAFE))
    zk.create("/box/item")
    _send(zk, CreateTTL("/ttl", b"t", OPEN_ACL_UNSAFE, TTL_MS))


def _snapshot(zk: KazooClient) -> dict[str, Any]:
    """Everything a client can see of every znode below /."""
    seen: dict[str, Any] = {}
    pending = ["/"]
    while pending:
        path = pending.pop()
        data, stat = zk.get(path)
        children = sorted(zk.get_children(path))
        acl = [(a.perms, a.id.scheme, a.id.id) for a in zk.get_acls(path)[0]]
        seen[path] = (data, tuple(stat), acl, children)
        pending += [f"{path.rstrip('/')}/{child}" for child in children]
    return seen


def _compare(label: str, expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    problems = []
    for path in sorted(set(expected) | set(actual)):
        if expected.get(path) != actual.get(path):
            problems.append(
                f"{label}: {path}\n  expected {expected.get(path)}\n  actual   {actual.get(path)}"
            )
    return problems


def _serve_zkcompat(data_dir: Path, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    cfg = data_dir.parent / "zoo.cfg"
    cfg.write_text(
        f"tickTime=2000\ndataDir={data_dir}\nclientPort={port}\nclientPortAddress=127.0.0.1\n"
    )
    defines = [f"-D{k}={v}" for k, v in PROPERTIES.items()]
    with open(log, "a") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "zkcompat", "serve", *defines, str(cfg)], stdout=out, stderr=out
        )
    return process, f"127.0.0.1:{port}"


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(timeout=30)


def run() -> int:
    base = Path(tempfile.mkdtemp(prefix="zkcompat-interop-"))
    data_dir = base / "data"
    data_dir.mkdir()
    log = base / "zkcompat.log"
    problems: list[str] = []

    process, hosts = _serve_zkcompat(data_dir, log)
    try:
        time.sleep(1)
        zk = _client(hosts)
        _populate(zk)
        keeper = KazooClient(hosts=hosts, timeout=30)  # a session alive when the server stops
        keeper.start(timeout=30)
        keeper.create("/app/eph", b"e", ephemeral=True)
        written_by_zkcompat = _snapshot(zk)
        zk.stop()
        zk.close()
    finally:
        _stop(process)
    print(f"zkcompat wrote {len(written_by_zkcompat)} znodes to {data_dir}")

    with ApacheZooKeeper(data_dir=data_dir, system_properties=PROPERTIES) as zookeeper:
        zk = _client(zookeeper.hosts)
        problems += _compare(
            "Apache ZooKeeper reading zkcompat's files", written_by_zkcompat, _snapshot(zk)
        )
        zk.create("/from-zookeeper", b"zk")
        zk.set("/app", b"v4")
        zk.delete("/app/m1")
        written_by_zookeeper = _snapshot(zk)
        zk.stop()
        zk.close()
    keeper.stop()
    keeper.close()
    print(f"Apache ZooKeeper read them and wrote on top: {len(written_by_zookeeper)} znodes")

    process, hosts = _serve_zkcompat(data_dir, log)
    try:
        time.sleep(1)
        zk = _client(hosts)
        problems += _compare(
            "zkcompat reading ZooKeeper's files", written_by_zookeeper, _snapshot(zk)
        )
        zk.stop()
        zk.close()
    finally:
        _stop(process)

    for problem in problems:
        print(problem)
    verdict = "FAILED" if problems else "PASSED"
    print(f"{verdict}: storage interoperability in both directions ({len(problems)} differences)")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(run())
