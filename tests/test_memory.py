"""Connections come and go without leaving memory behind (measured on a server process)."""

from __future__ import annotations

import socket

from jute import frame
from jute import records as R
from tests.test_cli import free_port, serve, wait_for_port, write_cfg
from tests.wire_client import WireClient
from zkcompat.constants import OpCode


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def churn(port: int, count: int) -> None:
    """Half the connections open a session and close it; half just connect and vanish."""
    for i in range(count):
        if i % 2:
            socket.create_connection(("127.0.0.1", port)).close()
            continue
        client = WireClient(port)
        client.connect()
        client.send_raw(frame(R.RequestHeader(1, OpCode.closeSession).encode()))
        client.read_frame()
        client.close()


def test_a_thousand_connections_leave_no_memory_behind(tmp_path) -> None:
    port = free_port()
    process = serve(tmp_path / "server.log", str(write_cfg(tmp_path, port, "maxClientCnxns=0\n")))
    try:
        wait_for_port(port, process)
        churn(port, 1000)  # warm up: allocator pools, caches, first-use imports
        before = rss_kib(process.pid)
        churn(port, 1000)
        after = rss_kib(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert after - before < 1024, f"RSS grew by {after - before} KiB over 1,000 connections"
