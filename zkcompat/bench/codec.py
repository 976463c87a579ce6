"""``make bench-codec``: our Jute codec against kazoo's hand-written serializer.

Each row is one message a ZooKeeper client and server exchange on the hot path, timed both
ways in the same process, as records per second, best of several repeats. Definitions:

* encode: from records the caller already holds to the bytes written to the socket, length
  prefix included. Our request header is built inside the timed loop, because kazoo packs the
  header from plain ints.
* decode: from a frame's payload to record objects.

kazoo only encodes requests and only decodes responses. For the other directions the kazoo
column composes kazoo's own primitives (``write_buffer``, ``read_string``, ``stat_struct``,
``reply_header_struct``) the way kazoo composes them; those rows are marked "kazoo primitives".
"""

from __future__ import annotations

import argparse
import json
import struct
import sys
import timeit
from dataclasses import asdict, dataclass

from kazoo.protocol import serialization as K

from jute import records as R

TARGET = 1.5
_INT = struct.Struct("!i")
_INT_INT = struct.Struct("!ii")

PATH = "/bench/some/znode-0000000042"
DATA = b"v" * 100
STAT = R.Stat(0x100000003, 0x100000007, 1700000000000, 1700000001000, 4, 0, 0, 0, 100, 0, 3)


@dataclass
class Row:
    record: str
    direction: str
    ours: float
    kazoo: float
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.ours / self.kazoo


def _rate(expression: str, namespace: dict, seconds: float) -> float:
    """Records per second for one expression: the best of five repeats of about
    ``seconds`` / 5 each. timeit runs the expression inline, so no wrapper call is counted."""
    timer = timeit.Timer(expression, globals=namespace)
    number, elapsed = timer.autorange()
    number = max(1, int(number * (seconds / 5) / max(elapsed, 1e-9)))
    return number / min(timer.repeat(repeat=5, number=number))


def _kazoo_frame(xid: int, request) -> bytes:
    """What kazoo's ``ConnectionHandler._submit`` writes for a request."""
    b = bytearray()
    b.extend(_INT.pack(xid))
    b.extend(_INT.pack(request.type))
    b += request.serialize()
    return _INT.pack(len(b)) + b


def _kazoo_reply(header: tuple, body: bytes) -> bytes:
    """A reply framed from kazoo's primitives, as kazoo would write one if it wrote replies."""
    b = K.reply_header_struct.pack(*header) + body
    return _INT.pack(len(b)) + b


def _kazoo_decode_request(payload: bytes):
    xid, op = _INT_INT.unpack_from(payload, 0)
    path, offset = K.read_string(payload, 8)
    return xid, op, K.GetData(path, payload[offset] == 1)


def _kazoo_decode_reply(payload: bytes, body):
    header, offset = K.ReplyHeader.deserialize(payload, 0)
    return header, body.deserialize(payload, offset)


def _namespace() -> dict:
    """The values every timed expression works on."""
    ns = {"R": R, "K": K, "STAT": STAT, "DATA": DATA, "PATH": PATH, "_INT_INT": _INT_INT}
    ns |= {"kazoo_frame": _kazoo_frame, "kazoo_reply": _kazoo_reply}
    ns |= {"kazoo_decode_request": _kazoo_decode_request, "kazoo_decode_reply": _kazoo_decode_reply}
    ns["get_request"] = R.GetDataRequest(PATH, True)
    ns["kazoo_get"] = K.GetData(PATH, True)
    ns["request_codec"] = R.frame(R.RequestHeader, R.GetDataRequest)
    ns["header"] = R.ReplyHeader(9, 0x100000007, 0)
    ns["get_reply"] = R.GetDataResponse(DATA, STAT)
    ns["get_codec"] = R.frame(R.ReplyHeader, R.GetDataResponse)
    ns["set_reply"] = R.SetDataResponse(STAT)
    ns["set_codec"] = R.frame(R.ReplyHeader, R.SetDataResponse)
    ns["notification"] = R.ReplyHeader(-1, -1, 0)
    ns["event"] = R.WatcherEvent(3, 3, PATH)
    ns["event_codec"] = R.frame(R.ReplyHeader, R.WatcherEvent)
    for name, expression in [
        ("request_payload", "request_codec.encode((R.RequestHeader(9, 4), get_request))[4:]"),
        ("get_payload", "get_codec.encode((header, get_reply))[4:]"),
        ("set_payload", "set_codec.encode((header, set_reply))[4:]"),
        ("event_payload", "event_codec.encode((notification, event))[4:]"),
    ]:
        ns[name] = eval(expression, ns)
    return ns


PRIMITIVES = "kazoo primitives"

# (record, direction, our expression, kazoo's expression, note)
CASES = [
    (
        "RequestHeader+GetDataRequest", "encode",
        "request_codec.encode((R.RequestHeader(9, 4), get_request))",
        "kazoo_frame(9, kazoo_get)", "",
    ),
    (
        "RequestHeader+GetDataRequest", "decode",
        "request_codec.decode(request_payload)",
        "kazoo_decode_request(request_payload)", PRIMITIVES,
    ),
    (
        "ReplyHeader+GetDataResponse", "encode",
        "get_codec.encode((header, get_reply))",
        "kazoo_reply(header, K.write_buffer(DATA) + K.stat_struct.pack(*STAT))", PRIMITIVES,
    ),
    (
        "ReplyHeader+GetDataResponse", "decode",
        "get_codec.decode(get_payload)",
        "kazoo_decode_reply(get_payload, K.GetData)", "",
    ),
    (
        "ReplyHeader+SetDataResponse", "encode",
        "set_codec.encode((header, set_reply))",
        "kazoo_reply(header, K.stat_struct.pack(*STAT))", PRIMITIVES,
    ),
    (
        "ReplyHeader+SetDataResponse", "decode",
        "set_codec.decode(set_payload)",
        "kazoo_decode_reply(set_payload, K.SetData)", "",
    ),
    (
        "ReplyHeader+WatcherEvent", "encode",
        "event_codec.encode((notification, event))",
        "kazoo_reply(notification, _INT_INT.pack(3, 3) + K.write_string(PATH))", PRIMITIVES,
    ),
    (
        "ReplyHeader+WatcherEvent", "decode",
        "event_codec.decode(event_payload)",
        "kazoo_decode_reply(event_payload, K.Watch)", "",
    ),
]  # fmt: skip


def run(seconds: float) -> list[Row]:
    ns = _namespace()
    rows = []
    for i, (record, direction, ours, kazoo, note) in enumerate(CASES, 1):
        if direction == "encode" and bytes(eval(ours, ns)) != bytes(eval(kazoo, ns)):
            raise SystemExit(f"{record}: our bytes differ from kazoo's, so the race is unfair")
        print(f"\r[{i}/{len(CASES)}] {record} {direction}...".ljust(60), end="", file=sys.stderr)
        rows.append(
            Row(record, direction, _rate(ours, ns, seconds), _rate(kazoo, ns, seconds), note)
        )
    print("\r".ljust(60), file=sys.stderr)
    return rows


def report(rows: list[Row]) -> str:
    lines = [
        f"{'record':30} {'dir':6} {'zkcompat/s':>12} {'kazoo/s':>12} {'ratio':>6}  note",
        "-" * 80,
    ]
    for row in rows:
        flag = "" if row.ratio >= TARGET else f" below {TARGET}x"
        lines.append(
            f"{row.record:30} {row.direction:6} {row.ours:12,.0f} {row.kazoo:12,.0f} "
            f"{row.ratio:5.2f}x  {row.note}{flag}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time per measurement")
    parser.add_argument("--json", help="also write the rows to this file")
    args = parser.parse_args(argv)
    rows = run(args.seconds)
    print(f"zkcompat's codec engine: {R.ENGINE}")
    print(report(rows))
    if args.json:
        with open(args.json, "w") as out:
            json.dump([asdict(row) | {"ratio": row.ratio} for row in rows], out, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
