"""A pipelined load generator that speaks the wire protocol with pre-encoded requests.

Every connection keeps ``--window`` requests in flight and answers each batch of replies with
as many new requests in one write, so the generator costs little per request; several
processes each run several connections on uvloop. It works against any ZooKeeper endpoint, so
zkcompat and Apache ZooKeeper can be measured side by side:

    python -m zkcompat.bench.load --hosts 127.0.0.1:2181 --op getData --seconds 5

It prints requests per second over the measured interval and the generator's own CPU time,
to show whether the generator, rather than the server, is the bottleneck.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import time

import uvloop

from jute import FrameReader, frame
from jute import records as R
from zkcompat.constants import OpCode

OPEN_ACL = [R.ACL(31, R.Id("world", "anyone"))]


def _request(op: str, path: str, size: int) -> bytes:
    if op == "getData":
        body = R.GetDataRequest(path, False)
        code = OpCode.getData
    elif op == "exists":
        body = R.ExistsRequest(path, False)
        code = OpCode.exists
    else:
        body = R.SetDataRequest(path, b"v" * size, -1)
        code = OpCode.setData
    return frame(R.RequestHeader(1, code).encode() + body.encode())


async def _session(host: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(frame(R.ConnectRequest(0, 0, 30000, 0, b"\0" * 16, False).encode()))
    length = int.from_bytes(await reader.readexactly(4), "big")
    await reader.readexactly(length)
    return reader, writer


async def _prepare(host: str, port: int, path: str, size: int) -> None:
    reader, writer = await _session(host, port)
    create = R.CreateRequest(path, b"v" * size, OPEN_ACL, 0)
    writer.write(frame(R.RequestHeader(1, OpCode.create).encode() + create.encode()))
    length = int.from_bytes(await reader.readexactly(4), "big")
    await reader.readexactly(length)  # NodeExists from an earlier run is fine
    writer.close()


async def _connection(host, port, request, window, start, stop, counter) -> None:
    reader, writer = await _session(host, port)
    frames = FrameReader()
    writer.write(request * window)
    while True:
        data = await reader.read(262144)
        if not data:
            return
        replies = len(frames.feed(data))
        now = time.monotonic()
        if start <= now < stop:
            counter[0] += replies
        if now >= stop:
            writer.close()
            return
        writer.write(request * replies)


def _worker(host, port, op, path, size, connections, window, start, stop, out) -> None:
    request = _request(op, path, size)
    counter = [0]

    async def run() -> None:
        await asyncio.gather(
            *(
                _connection(host, port, request, window, start, stop, counter)
                for _ in range(connections)
            )
        )

    uvloop.run(run())
    out.put((counter[0], os.times().user + os.times().system))


def measure(
    host: str,
    port: int,
    op: str,
    *,
    seconds: float = 5.0,
    processes: int = 2,
    connections: int = 16,
    window: int = 16,
    size: int = 100,
) -> tuple[float, float]:
    """(requests per second, generator CPU seconds per second) for one run."""
    path = "/bench-load"
    uvloop.run(_prepare(host, port, path, size))
    warmup = 1.0
    start = time.monotonic() + warmup
    stop = start + seconds
    out: multiprocessing.Queue = multiprocessing.Queue()
    workers = [
        multiprocessing.Process(
            target=_worker,
            args=(host, port, op, path, size, connections, window, start, stop, out),
        )
        for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    results = [out.get(timeout=seconds + 60) for _ in workers]
    for worker in workers:
        worker.join()
    total = sum(count for count, _ in results)
    cpu = sum(cpu for _, cpu in results)
    return total / seconds, cpu / (seconds + warmup)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", default="127.0.0.1:2181")
    parser.add_argument("--op", choices=["getData", "exists", "setData"], default="getData")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--window", type=int, default=16)
    args = parser.parse_args(argv)
    host, port = args.hosts.rsplit(":", 1)
    rate, cpu = measure(
        host,
        int(port),
        args.op,
        seconds=args.seconds,
        processes=args.processes,
        connections=args.connections,
        window=args.window,
    )
    print(f"{args.op}: {rate:,.0f} requests/s; generator CPU {cpu:.2f} cores")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
