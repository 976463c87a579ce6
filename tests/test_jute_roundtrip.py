"""Every record round-trips, and the generated codec agrees byte for byte with construct."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jute import JuteError
from jute import records as R
from jute.declare import Declarations
from jute.fastcodec import Codecs, describe
from jute.idl import parse_idl
from tests.jute_support import from_container, record_values, to_plain

NAMES = sorted(R.RECORDS)

# A made-up IDL that uses every type the generator knows, including ones ZooKeeper's IDL
# does not (byte, float, double, vectors of scalars and of vectors, deep nesting).
EXOTIC_IDL = """
module test.exotic {
    class Inner { byte b; float f; double d; }
    class Pair { ustring name; Inner inner; }
    class Everything {
        boolean flag;
        Inner fixedInner;
        vector<int> ints;
        vector<vector<ustring>> grid;
        vector<Pair> pairs;
        buffer blob;
        long tail;
    }
}
"""
EXOTIC_DECLARATIONS = Declarations(parse_idl(EXOTIC_IDL))
EXOTIC = Codecs(EXOTIC_DECLARATIONS)


def check_agreement(name: str, value, declarations: Declarations, codecs: Codecs) -> None:
    cls = codecs.classes[name]
    struct = declarations.structs[name]
    fast = cls.encode(value)
    assert struct.build(to_plain(value)) == fast
    decoded, end = cls.decode(fast)
    assert end == len(fast)
    assert decoded.encode() == fast  # compares through bytes, so NaN floats compare too
    parsed = from_container(describe(struct, declarations), struct.parse(fast), codecs.classes)
    assert parsed.encode() == fast
    if not _has_nan(value):
        assert decoded == value
        assert parsed == value
    # Decoding at an offset inside a larger buffer reads the same record and stops at its end.
    padded = b"\xaa" * 3 + fast + b"\xbb" * 5
    at_offset, end = cls.decode(padded, 3)
    assert (at_offset.encode(), end) == (fast, 3 + len(fast))


def _has_nan(value) -> bool:
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, tuple | list):
        return any(_has_nan(v) for v in value)
    return False


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_record_round_trips_and_matches_construct(name: str, data) -> None:
    value = data.draw(record_values(name, R.DECLARATIONS, R._CODECS))
    check_agreement(name, value, R.DECLARATIONS, R._CODECS)


@pytest.mark.parametrize("name", sorted(EXOTIC.classes))
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_every_jute_type_round_trips(name: str, data) -> None:
    value = data.draw(record_values(name, EXOTIC_DECLARATIONS, EXOTIC))
    check_agreement(name, value, EXOTIC_DECLARATIONS, EXOTIC)


def test_the_idl_declares_every_record_zookeeper_puts_on_the_wire_or_disk() -> None:
    expected = {
        "Id", "ACL", "Stat", "StatPersisted", "ClientInfo", "ConnectRequest", "ConnectResponse",
        "SetWatches", "SetWatches2", "RequestHeader", "MultiHeader", "AuthPacket", "ReplyHeader",
        "GetDataRequest", "SetDataRequest", "ReconfigRequest", "SetDataResponse",
        "GetSASLRequest", "SetSASLRequest", "SetSASLResponse", "CreateRequest",
        "CreateTTLRequest", "DeleteRequest", "GetChildrenRequest", "GetAllChildrenNumberRequest",
        "GetChildren2Request", "CheckVersionRequest", "GetMaxChildrenRequest",
        "GetMaxChildrenResponse", "SetMaxChildrenRequest", "SyncRequest", "SyncResponse",
        "GetACLRequest", "SetACLRequest", "SetACLResponse", "AddWatchRequest", "WatcherEvent",
        "ErrorResponse", "CreateResponse", "Create2Response", "ExistsRequest", "ExistsResponse",
        "GetDataResponse", "GetChildrenResponse", "GetAllChildrenNumberResponse",
        "GetChildren2Response", "GetACLResponse", "CheckWatchesRequest", "RemoveWatchesRequest",
        "GetEphemeralsRequest", "GetEphemeralsResponse", "WhoAmIResponse", "LearnerInfo",
        "QuorumPacket", "QuorumAuthPacket", "FileHeader", "TxnDigest", "TxnHeader",
        "CreateTxnV0", "CreateTxn", "CreateTTLTxn", "CreateContainerTxn", "DeleteTxn",
        "SetDataTxn", "CheckVersionTxn", "SetACLTxn", "SetMaxChildrenTxn", "CreateSessionTxn",
        "CloseSessionTxn", "ErrorTxn", "Txn", "MultiTxn",
    }  # fmt: skip
    assert set(R.RECORDS) == expected


def test_stat_has_zookeepers_field_order_and_width() -> None:
    stat = R.Stat(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
    assert stat.encode() == bytes.fromhex(
        "0000000000000001" "0000000000000002" "0000000000000003" "0000000000000004"
        "00000005" "00000006" "00000007" "0000000000000008" "00000009" "0000000a"
        "000000000000000b"
    )  # fmt: skip


def test_null_and_empty_are_different_on_the_wire() -> None:
    assert R.SyncRequest(None).encode() == b"\xff\xff\xff\xff"
    assert R.SyncRequest("").encode() == b"\x00\x00\x00\x00"
    assert R.GetChildrenResponse(None).encode() == b"\xff\xff\xff\xff"
    assert R.GetChildrenResponse([]).encode() == b"\x00\x00\x00\x00"
    assert R.SyncRequest.decode(b"\xff\xff\xff\xff") == (R.SyncRequest(None), 4)


def test_any_nonzero_byte_reads_as_true_like_javas_readBoolean() -> None:
    assert R.GetDataRequest.decode(b"\x00\x00\x00\x01/\x07")[0].watch is True
    assert R.GetDataRequest("/", True).encode()[-1:] == b"\x01"


def test_invalid_utf8_is_replaced_as_java_does() -> None:
    record, _ = R.SyncRequest.decode(b"\x00\x00\x00\x02/\xff")
    assert record.path == "/\ufffd"


@pytest.mark.parametrize(
    "value",
    [
        R.RequestHeader(2**31, 1),  # int out of range
        R.SyncRequest(b"/bytes"),  # a ustring given bytes
        R.SyncRequest("/\ud800"),  # not encodable as UTF-8
        R.SetDataResponse(None),  # a nested record may not be null
    ],
)
def test_unencodable_values_raise_jute_error(value) -> None:
    with pytest.raises(JuteError):
        value.encode()


def test_frame_codec_fuses_header_and_body() -> None:
    codec = R.frame(R.ReplyHeader, R.GetDataResponse)
    header = R.ReplyHeader(5, 0x100000002, 0)
    body = R.GetDataResponse(b"payload", R.Stat(*range(11)))
    data = codec.encode((header, body))
    payload = header.encode() + body.encode()
    assert data == len(payload).to_bytes(4, "big") + payload
    assert codec.decode(payload) == ((header, body), len(payload))
    assert R.frame(R.ReplyHeader, R.GetDataResponse) is codec


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_frame_codecs_agree_with_their_records(data) -> None:
    first = data.draw(st.sampled_from(["ReplyHeader", "RequestHeader", "MultiHeader"]))
    second = data.draw(st.sampled_from(NAMES))
    records = tuple(
        data.draw(record_values(name, R.DECLARATIONS, R._CODECS)) for name in (first, second)
    )
    codec = R.frame(R.RECORDS[first], R.RECORDS[second])
    payload = records[0].encode() + records[1].encode()
    assert codec.encode(records) == len(payload).to_bytes(4, "big") + payload
    assert codec.decode(payload) == (records, len(payload))
