"""The bench harness: its bytes, its arithmetic, its output, and tiny runs against a real server.

No timing is asserted anywhere: the figures of a run on a shared machine prove nothing about
the code. What is asserted is that the generator sends what the server expects, counts every
reply, refuses wrong ones, and that medians, ratios, the table and the JSON say what they must.
"""

from __future__ import annotations

import asyncio
import io
import json
import math
import os
import time
from collections import Counter

import pytest

from jute import records as R
from tests.server_support import running_server
from zkcompat.bench import procstat, profile, report, rows, wire
from zkcompat.bench.command import _parser, settings_from
from zkcompat.bench.fanout import run_fanout
from zkcompat.bench.latency import run_latency
from zkcompat.bench.load import Pipeline, Workload, connection_ops, run_load
from zkcompat.bench.progress import Progress
from zkcompat.bench.ready import wait_for_session
from zkcompat.bench.results import REFERENCE, SUBJECT, Metric, Results, median, percentile, ratio
from zkcompat.bench.sessions import run_churn
from zkcompat.bench.targets import ZKCOMPAT
from zkcompat.bench.workers import Window
from zkcompat.constants import CreateMode, Err, OpCode


def _decode_request(data: bytes, body_type):
    length = int.from_bytes(data[:4], "big")
    assert length == len(data) - 4
    header, offset = R.RequestHeader.decode(data[4:])
    body, end = body_type.decode(data[4:], offset)
    assert end == length
    return header, body


# --- the pre-encoded requests -------------------------------------------------------------


def test_pre_encoded_requests_decode_as_the_records_they_claim_to_be() -> None:
    header, body = _decode_request(
        wire.request_frame(7, wire.get_data("/a", True)), R.GetDataRequest
    )
    assert (header.xid, header.type, body.path, body.watch) == (7, OpCode.getData, "/a", True)

    header, body = _decode_request(wire.request_frame(8, wire.exists("/b")), R.ExistsRequest)
    assert (header.type, body.path, body.watch) == (OpCode.exists, "/b", False)

    header, body = _decode_request(
        wire.request_frame(9, wire.set_data("/c", b"v" * 100)), R.SetDataRequest
    )
    assert (header.type, body.path, body.data, body.version) == (
        OpCode.setData, "/c", b"v" * 100, -1
    )  # fmt: skip

    seq = wire.create("/d/n", b"x", CreateMode.PERSISTENT_SEQUENTIAL)
    header, body = _decode_request(wire.request_frame(10, seq), R.CreateRequest)
    assert (header.type, body.path, body.data, body.flags) == (OpCode.create, "/d/n", b"x", 2)
    assert body.acl == wire.OPEN_ACL

    header, body = _decode_request(wire.request_frame(11, wire.delete("/e")), R.DeleteRequest)
    assert (header.type, body.path, body.version) == (OpCode.delete, "/e", -1)


def test_the_connect_and_close_frames() -> None:
    connect, _ = R.ConnectRequest.decode(wire.CONNECT_FRAME[4:])
    assert (connect.sessionId, connect.timeOut) == (0, wire.SESSION_TIMEOUT_MS)
    close, _ = R.RequestHeader.decode(wire.CLOSE_FRAME[4:])
    assert (close.xid, close.type) == (wire.CLOSE_XID, OpCode.closeSession)


def test_a_reply_is_checked_by_one_unpack_of_length_and_header() -> None:
    payload = R.ReplyHeader(5, 0x100000002, Err.NoNode).encode() + b"\0" * 30
    framed = len(payload).to_bytes(4, "big") + payload
    assert wire.REPLY_PREFIX.unpack_from(framed, 0) == (len(payload), 5, 0x100000002, -101)
    assert wire.reply_header(payload) == (5, Err.NoNode)


def test_each_connection_cycles_its_own_workload() -> None:
    assert [op.code for op in connection_ops(Workload("getData"), 0, 4)] == [OpCode.getData]
    mix = Counter(op.code for op in connection_ops(Workload("mix"), 0, 4))
    assert mix == {OpCode.getData: 9, OpCode.setData: 1}

    first = connection_ops(Workload("create-delete"), 0, 4)
    second = connection_ops(Workload("create-delete"), 1, 4)
    assert [op.code for op in first] == [OpCode.create, OpCode.delete]
    assert first[0].body != second[0].body  # one node each: no NodeExists between them


def test_sequential_creates_spread_over_every_parent_once() -> None:
    workload = Workload("create-sequential", path="/bulk", parents=10)
    parents = []
    for connection in range(4):
        for op in connection_ops(workload, connection, 4):
            body, _ = R.CreateRequest.decode(op.body)
            assert body.flags == CreateMode.PERSISTENT_SEQUENTIAL
            parents.append(body.path.rsplit("/", 1)[0])
    assert sorted(parents) == [f"/bulk/p{p:04d}" for p in range(10)]


def test_an_unknown_workload_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown workload"):
        Workload("getChildren")


# --- medians, ratios, targets --------------------------------------------------------------


def test_median_percentile_and_ratio() -> None:
    assert median([3.0, 1.0, 2.0]) == 2.0
    assert median([1.0, math.nan, 3.0]) == 2.0
    assert median([]) is None
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 50), percentile(values, 99), percentile(values, 100)) == (
        50.0, 99.0, 100.0
    )  # fmt: skip
    assert math.isnan(percentile([], 50))
    assert ratio(3.0, 2.0) == 1.5
    assert ratio(1.0, 0.0) is None
    assert ratio(None, 1.0) is None


def test_targets_read_both_ways() -> None:
    throughput = Metric("t", "throughput", "ops/s", higher_is_better=True, target=1.0)
    latency = Metric("l", "latency", "ms", higher_is_better=False, target=1.0)
    assert throughput.met(1.2) and not throughput.met(0.8)
    assert latency.met(0.8) and not latency.met(1.2)
    assert Metric("d", "detail", "µs", detail=True).met(5.0) is None
    assert throughput.met(None) is None


def _results() -> Results:
    results = Results()
    rate = Metric("get.rate", "getData 100 B", "ops/s", True, 1.0)
    cpu = Metric("get.server_cpu", "server CPU per request", "µs", False, detail=True)
    start = Metric("start.seconds", "start-to-ready", "s", False, 0.25)
    for value in (100.0, 300.0, 200.0):
        results.add(rate, SUBJECT, value)
        results.add(rate, REFERENCE, value * 2)
        results.add(cpu, SUBJECT, math.nan)
    results.add(start, SUBJECT, 0.2)
    results.add(start, REFERENCE, 1.0)
    return results


def test_results_keep_samples_in_order_and_judge_medians() -> None:
    results = _results()
    rate = results.metrics[0]
    assert results.samples["get.rate"][SUBJECT] == [100.0, 300.0, 200.0]
    assert results.median(rate, SUBJECT) == 200.0
    assert results.ratio(rate) == 0.5
    assert [m.key for m in results.missed()] == ["get.rate"]  # 0.5 < 1; start 0.2 ≤ 0.25


def test_the_table_shows_medians_ratio_target_and_verdict() -> None:
    text = report.table(_results(), "title line")
    lines = text.splitlines()
    assert lines[0] == "title line"
    get = next(line for line in lines if line.startswith("getData 100 B"))
    assert "200" in get and "400" in get and "0.500" in get and "≥ 1" in get and "MISS" in get
    cpu = next(line for line in lines if "server CPU per request" in line)
    assert cpu.startswith("  ") and cpu.rstrip().endswith("-")
    start = next(line for line in lines if line.startswith("start-to-ready"))
    assert "≤ 0.25" in start and start.endswith("ok")


def test_the_json_keeps_every_sample_and_a_latest_copy(tmp_path) -> None:
    document = report.to_json(_results(), {"started": "now", "settings": {"rounds": 3}})
    path = report.write_json(document, tmp_path / "bench", "20260101T000000")
    assert path.name == "20260101T000000.json"
    loaded = json.loads(path.read_text())
    assert loaded == json.loads((tmp_path / "bench" / "latest.json").read_text())
    get = loaded["metrics"][0]
    assert get["samples"]["zkcompat"] == [100.0, 300.0, 200.0]
    assert get["median"] == {"zkcompat": 200.0, "zookeeper": 400.0}
    assert (get["ratio"], get["met"], get["target"]) == (0.5, False, 1.0)
    assert loaded["metrics"][1]["samples"]["zkcompat"] == [None, None, None]  # NaN is no JSON


def test_a_gain_within_the_rounds_spread_is_noise() -> None:
    results = Results()
    base = Metric("get.rate", "getData", "ops/s", True, 1.0)
    more = Metric("gencheck.rate", "getData +1", "ops/s", True)
    for value in (800.0, 1000.0, 1400.0):  # ±30 % around the median
        results.add(base, SUBJECT, value)
    results.add(more, SUBJECT, 1200.0)  # +20 %
    note = report.generator_note(results, processes=2)
    assert note is not None and "±30%" in note and "not the limit" in note


def test_the_generator_note_says_whether_one_more_process_helped() -> None:
    results = Results()
    base = Metric("get.rate", "getData", "ops/s", True, 1.0)
    more = Metric("gencheck.rate", "getData +1", "ops/s", True)
    for metric, ours, theirs in ((base, 1000.0, 2000.0), (more, 1010.0, 2500.0)):
        results.add(metric, SUBJECT, ours)
        results.add(metric, REFERENCE, theirs)
    note = report.generator_note(results, processes=2)
    assert note is not None and "+1%" in note and "+25%" in note and "may be the limit" in note
    assert report.generator_note(Results(), processes=2) is None


def test_value_formatting() -> None:
    assert report.format_value(36123.4) == "36,123"
    assert report.format_value(422.4) == "422"
    assert report.format_value(33.04) == "33.0"
    assert report.format_value(0.2234) == "0.223"
    assert report.format_value(None) == report.format_value(math.nan) == "-"


# --- the command line and the rows ----------------------------------------------------------


def test_rows_are_selected_by_name_in_table_order() -> None:
    assert [r.name for r in rows.select(["restart", "get"])] == ["get", "restart"]
    assert len(rows.select(None)) == len(rows.ROWS)
    with pytest.raises(ValueError, match="unknown rows"):
        rows.select(["nope"])
    keys = [m.key for row in rows.ROWS for m in row.metrics]
    assert len(keys) == len(set(keys))


def test_quick_settings_take_overrides() -> None:
    settings = settings_from(_parser().parse_args(["--quick", "--rounds", "2", "--profile"]))
    assert (settings.rounds, settings.bulk_znodes, settings.profile) == (2, 20_000, True)
    full = settings_from(_parser().parse_args([]))
    assert (full.rounds, full.bulk_znodes, full.connections * full.processes) == (3, 10**6, 32)


def test_progress_writes_a_line_per_step_when_not_on_a_terminal() -> None:
    stream = io.StringIO()
    progress = Progress(2, stream=stream, quiet_interval=3600)
    progress.step("getData · round 1 · zkcompat")
    progress.update("100 replies")  # too soon after the step: not written
    progress.step("getData · round 1 · ZooKeeper")
    progress.close()
    lines = stream.getvalue().splitlines()
    assert [line.split(" · ")[0].split("] ")[1] for line in lines] == ["getData", "getData"]
    assert lines[0].startswith("[1/2, ") and lines[1].startswith("[2/2, ")


def test_py_spy_stacks_are_summarised_by_self_and_total() -> None:
    raw = (
        "main (app.py:3);loop (server.py:10);handle (server.py:20) 6\n"
        "main (app.py:3);loop (server.py:10);encode (jute.py:5) 3\n"
        "main (app.py:3);loop (server.py:11) 1\n"
    )
    summary = profile.summarise(raw).splitlines()
    assert summary[0] == "10 samples holding the GIL"
    assert summary[2] == " 60.0  handle (server.py)"
    totals = summary[summary.index("total %  function (below the entry chain)") + 1 :]
    assert totals == ["  60.0  handle (server.py)", "  30.0  encode (jute.py)"]  # not main, loop


# --- /proc --------------------------------------------------------------------------------


def test_proc_readings_of_this_process() -> None:
    before = procstat.CpuSample.take(os.getpid(), [os.getpid()])
    deadline = time.process_time() + 0.05
    while time.process_time() < deadline:
        pass
    spent = procstat.CpuSample.take(os.getpid(), [os.getpid()]) - before
    assert spent.server >= 0 and spent.generator >= 0 and spent.machine >= 0
    assert procstat.cpu_seconds(os.getpid()) > 0
    assert procstat.rss_bytes(os.getpid()) > 1_000_000
    assert procstat.total_cpu_seconds([2**22 + 12345]) == 0.0  # no such process


# --- tiny runs against a real server --------------------------------------------------------


def test_a_timed_run_counts_replies_from_every_process() -> None:
    with running_server() as server:
        result = run_load(
            "127.0.0.1", server.server.port, Workload("getData"),
            processes=2, connections=2, window=4, seconds=0.5, warmup=0.2,
        )  # fmt: skip
    assert result.ops > 0 and result.seconds > 0
    assert (result.processes, result.connections, result.window) == (2, 2, 4)


def _children(session: wire.BlockingSession, path: str) -> int:
    request = R.GetChildrenRequest(path, False).encode()
    session.sock.sendall(wire.request_frame(1, wire.Op(OpCode.getChildren, request)))
    reply = session.read_frame()
    header, offset = R.ReplyHeader.decode(reply)
    assert header.err == Err.Ok
    return len(R.GetChildrenResponse.decode(reply, offset)[0].children)


def test_a_counted_run_creates_exactly_that_many_nodes() -> None:
    with running_server() as server:
        port = server.server.port
        workload = Workload("create-sequential", path="/bulk", parents=3)
        result = run_load("127.0.0.1", port, workload, processes=1, connections=4, count=50)
        assert result.ops == 50
        with wire.BlockingSession("127.0.0.1", port) as session:
            children = sum(_children(session, f"/bulk/p{p:04d}") for p in range(3))
        assert children == 50


def test_create_delete_and_mix_get_only_ok_replies() -> None:
    with running_server() as server:
        for kind in ("create-delete", "create-delete", "mix"):  # the 2nd finds no leftovers
            result = run_load(
                "127.0.0.1", server.server.port, Workload(kind),
                processes=1, connections=2, window=4, seconds=0.3, warmup=0.1,
            )  # fmt: skip
            assert result.ops > 0


def test_a_wrong_reply_is_an_error_not_a_number() -> None:
    async def run(port: int) -> Pipeline:
        loop = asyncio.get_running_loop()
        _, pipe = await loop.create_connection(
            lambda: Pipeline([wire.get_data("/missing")], 4, None, None), "127.0.0.1", port
        )
        await pipe.connected
        now = time.monotonic()
        pipe.go(Window(now, now, now + 5))
        await asyncio.wait_for(pipe.finished, 10)
        return pipe

    with running_server() as server:
        pipe = asyncio.run(run(server.server.port))
    assert pipe.error is not None and "err -101" in pipe.error
    assert pipe.counted == 0


def test_session_churn_latency_and_fanout_complete() -> None:
    with running_server() as server:
        port = server.server.port
        churn = run_churn("127.0.0.1", port, processes=1, concurrency=2, seconds=0.3, warmup=0.1)
        assert churn.sessions > 0
        latency = run_latency(
            "127.0.0.1", port, wire.set_data("/lat", b"v"), rate=200, seconds=0.2, warmup=0.05,
            connections=2, node=("/lat", b"v"),
        )  # fmt: skip
        assert latency.samples == 40 and 0 < latency.p50 <= latency.p99 <= latency.worst
        fanout = run_fanout("127.0.0.1", port, sessions=5, processes=2, repeats=2)
        assert len(fanout.times) == 2 and all(t > 0 for t in fanout.times)


def test_a_bench_zkcompat_process_is_ready_when_a_session_connects() -> None:
    server = ZKCOMPAT.server()
    server.start()
    try:
        assert server.alive() and server.start_seconds > 0 and server.rss() > 0
        assert wait_for_session("127.0.0.1", server.port, timeout=10) > server.ready_at
    finally:
        server.stop()
    assert not server.alive()
