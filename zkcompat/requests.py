"""Which record each opcode carries, and the multi request and response bodies.

The IDL cannot say that a request's body type depends on its header's opcode, or that a multi
is a run of (MultiHeader, op) pairs ended by a header with ``done`` set; this module does, so
the pipeline can stay ignorant of byte layouts. Decoding errors surface as ``JuteError``.
"""

from __future__ import annotations

from typing import Any

from jute import JuteError
from jute import records as R
from zkcompat.constants import Err, OpCode

#: The request body record of each opcode that has one.
REQUEST_RECORDS: dict[int, type] = {
    OpCode.create: R.CreateRequest,
    OpCode.create2: R.CreateRequest,
    OpCode.createContainer: R.CreateRequest,
    OpCode.createTTL: R.CreateTTLRequest,
    OpCode.delete: R.DeleteRequest,
    OpCode.deleteContainer: R.DeleteRequest,
    OpCode.exists: R.ExistsRequest,
    OpCode.getData: R.GetDataRequest,
    OpCode.setData: R.SetDataRequest,
    OpCode.getACL: R.GetACLRequest,
    OpCode.setACL: R.SetACLRequest,
    OpCode.getChildren: R.GetChildrenRequest,
    OpCode.getChildren2: R.GetChildren2Request,
    OpCode.sync: R.SyncRequest,
    OpCode.check: R.CheckVersionRequest,
    OpCode.reconfig: R.ReconfigRequest,
    OpCode.checkWatches: R.CheckWatchesRequest,
    OpCode.removeWatches: R.RemoveWatchesRequest,
    OpCode.auth: R.AuthPacket,
    OpCode.setWatches: R.SetWatches,
    OpCode.setWatches2: R.SetWatches2,
    OpCode.getEphemerals: R.GetEphemeralsRequest,
    OpCode.getAllChildrenNumber: R.GetAllChildrenNumberRequest,
    OpCode.addWatch: R.AddWatchRequest,
}

#: The ops ZooKeeper 3.8's MultiOperationRecord can decode (deleteContainer is not one), and,
#: of those, the ones a multi may apply and the ones a multiRead may answer.
MULTI_RECORD_OPS = frozenset(
    {
        OpCode.create,
        OpCode.create2,
        OpCode.createContainer,
        OpCode.createTTL,
        OpCode.delete,
        OpCode.setData,
        OpCode.check,
        OpCode.getChildren,
        OpCode.getData,
    }
)
MULTI_READ_OPS = frozenset({OpCode.getChildren, OpCode.getData})
MULTI_WRITE_OPS = MULTI_RECORD_OPS - MULTI_READ_OPS

_END = R.MultiHeader(-1, True, -1)


def decode_multi(
    payload: bytes, offset: int, allowed: frozenset[int] = MULTI_RECORD_OPS
) -> list[tuple[int, Any]]:
    """The (opcode, request) pairs of a multi or multiRead body."""
    ops: list[tuple[int, Any]] = []
    while True:
        header, offset = R.MultiHeader.decode(payload, offset)
        if header.done:
            return ops
        if header.type not in allowed:
            raise JuteError(f"invalid op type {header.type} in a multi")
        request, offset = REQUEST_RECORDS[header.type].decode(payload, offset)
        ops.append((header.type, request))


def encode_multi_results(results: list[tuple[int, int, Any]]) -> bytes:
    """A MultiResponse body from (opcode, err, body record or None) per op; an op that failed
    is reported as type error with an ErrorResponse body, as ``MultiResponse.serialize``."""
    parts = []
    for op, err, body in results:
        if op == OpCode.error:
            parts.append(R.MultiHeader(OpCode.error, False, err).encode())
            parts.append(R.ErrorResponse(err).encode())
            continue
        parts.append(R.MultiHeader(op, False, Err.Ok).encode())
        if body is not None:
            parts.append(body.encode())
    parts.append(_END.encode())
    return b"".join(parts)
