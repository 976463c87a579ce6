"""`zkcompat serve` as a process: a real zoo.cfg, JVM-style -D options, signals, bad configs."""

from __future__ import annotations

import os
import resource
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from kazoo.client import KazooClient

from tests.server_support import four_letter


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(log_path: Path, *args: str, max_file_size: int | None = None) -> subprocess.Popen:
    """Start `zkcompat serve` with its log in a file: a pipe nobody drains would fill up and
    block the server on its next log line. ``max_file_size`` caps the files the server may
    write (RLIMIT_FSIZE): a write past it fails with EFBIG, a real I/O error on demand."""

    def limit() -> None:
        if max_file_size is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (max_file_size, max_file_size))

    with open(log_path, "w") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "zkcompat", "serve", *args],
            stdout=log,
            stderr=log,
            preexec_fn=limit,
        )


def wait_for_port(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited early"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("the server never listened")


def write_cfg(tmp_path: Path, port: int, extra: str = "") -> Path:
    cfg = tmp_path / "zoo.cfg"
    cfg.write_text(
        f"tickTime=500\ndataDir={tmp_path / 'data'}\nclientPort={port}\n"
        f"clientPortAddress=127.0.0.1\n4lw.commands.whitelist=ruok,conf\n"
        f"serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory\n{extra}"
    )
    return cfg


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_serves_a_real_zoo_cfg_and_stops_cleanly_on_a_signal(tmp_path, signum) -> None:
    port = free_port()
    cfg = write_cfg(tmp_path, port)
    log_path = tmp_path / "server.log"
    process = serve(
        log_path, "-Dlog4j.configuration=file:/etc/zookeeper/log4j.properties", str(cfg)
    )
    try:
        wait_for_port(port, process)
        zk = KazooClient(hosts=f"127.0.0.1:{port}", timeout=10)
        zk.start(timeout=10)
        zk.create("/from-cfg", b"ok")
        assert zk.get("/from-cfg")[0] == b"ok"
        assert zk._session_timeout == 10000  # kazoo asks 10 s, inside [2, 20] x tickTime
        zk.stop()
        zk.close()
        assert four_letter(port, "ruok") == "imok"
        conf = four_letter(port, "conf")
        assert f"clientPort={port}\n" in conf and "tickTime=500\n" in conf
        process.send_signal(signum)
        process.wait(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0
    output = log_path.read_text()
    assert f"binding to port 127.0.0.1:{port}" in output
    assert "shutting down" in output
    assert "serverCnxnFactory" in output  # a JVM-only key is logged, not fatal


def test_an_invalid_config_is_refused_with_its_reason(tmp_path) -> None:
    cfg = tmp_path / "zoo.cfg"
    cfg.write_text(f"tickTime=fast\ndataDir={tmp_path}\nclientPort=2181\n")
    result = subprocess.run(
        [sys.executable, "-m", "zkcompat", "serve", str(cfg)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "tickTime" in result.stderr and "fast" in result.stderr


def test_a_missing_config_file_is_refused(tmp_path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "zkcompat", "serve", os.fspath(tmp_path / "nope.cfg")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "nope.cfg" in result.stderr


def test_conformance_is_an_alias_of_the_suites_command_line(tmp_path) -> None:
    """`zkcompat conformance ...` is `python -m conformance ...`, against a real endpoint."""
    port = free_port()
    config = write_cfg(tmp_path, port, "4lw.commands.whitelist=*\n")
    server = serve(tmp_path / "server.log", str(config))
    try:
        wait_for_port(port, server)
        done = subprocess.run(
            [sys.executable, "-m", "zkcompat", "conformance", "run", "--hosts",
             f"127.0.0.1:{port}", "--group", "crud", "-k", "hash_set_order"],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    assert done.returncode == 0, done.stderr
    assert "PASSED: 2/2 scenarios passed" in done.stdout
