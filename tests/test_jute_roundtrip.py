"""Every record round-trips, and both codec engines agree byte for byte with construct."""

from __future__ import annotations

import copy
import math
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jute import JuteError
from jute import records as R
from jute.codecs import Codecs
from jute.declare import Declarations
from jute.idl import parse_idl
from jute.shape import describe
from tests.jute_support import by_engine, frame_and_records, from_container, record_values, to_plain

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
EXOTIC = by_engine(EXOTIC_DECLARATIONS)
RECORDS = by_engine(R.DECLARATIONS)


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


@pytest.mark.parametrize("engine", sorted(RECORDS))
@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_record_round_trips_and_matches_construct(engine: str, name: str, data) -> None:
    codecs = RECORDS[engine]
    value = data.draw(record_values(name, R.DECLARATIONS, codecs))
    check_agreement(name, value, R.DECLARATIONS, codecs)


@pytest.mark.parametrize("engine", sorted(EXOTIC))
@pytest.mark.parametrize("name", sorted(EXOTIC["c"].classes))
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_every_jute_type_round_trips(engine: str, name: str, data) -> None:
    value = data.draw(record_values(name, EXOTIC_DECLARATIONS, EXOTIC[engine]))
    check_agreement(name, value, EXOTIC_DECLARATIONS, EXOTIC[engine])


def test_the_compiled_engine_serves_jute_records() -> None:
    """make test builds jute._accel (a C compiler is part of the set-up); the Python engine is
    only the fallback for an install without one."""
    assert R.ENGINE == "c"


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


@pytest.fixture(params=sorted(RECORDS))
def codecs(request) -> Codecs:
    """The records of zookeeper.jute served by each engine in turn."""
    return RECORDS[request.param]


def test_null_and_empty_are_different_on_the_wire(codecs: Codecs) -> None:
    sync, children = codecs.classes["SyncRequest"], codecs.classes["GetChildrenResponse"]
    assert sync(None).encode() == b"\xff\xff\xff\xff"
    assert sync("").encode() == b"\x00\x00\x00\x00"
    assert children(None).encode() == b"\xff\xff\xff\xff"
    assert children([]).encode() == b"\x00\x00\x00\x00"
    assert sync.decode(b"\xff\xff\xff\xff") == (sync(None), 4)


def test_any_nonzero_byte_reads_as_true_like_javas_readBoolean(codecs: Codecs) -> None:
    get = codecs.classes["GetDataRequest"]
    assert get.decode(b"\x00\x00\x00\x01/\x07")[0].watch is True
    assert get("/", True).encode()[-1:] == b"\x01"


def test_invalid_utf8_is_replaced_as_java_does(codecs: Codecs) -> None:
    record, _ = codecs.classes["SyncRequest"].decode(b"\x00\x00\x00\x02/\xff")
    assert record.path == "/\ufffd"


@pytest.mark.parametrize(
    ("name", "fields"),
    [
        ("RequestHeader", (2**31, 1)),  # int out of range
        ("SyncRequest", (b"/bytes",)),  # a ustring given bytes
        ("SyncRequest", ("/\ud800",)),  # not encodable as UTF-8
        ("SetDataResponse", (None,)),  # a nested record may not be null
        ("GetChildrenResponse", (iter(["a"]),)),  # a vector must be a sequence
        ("GetDataResponse", ("text", R.Stat(*range(11)))),  # a buffer given str
    ],
)
def test_unencodable_values_raise_jute_error(codecs: Codecs, name: str, fields: tuple) -> None:
    with pytest.raises(JuteError, match=name):
        codecs.classes[name](*fields).encode()


def test_decoding_outside_the_input_raises_jute_error(codecs: Codecs) -> None:
    header = codecs.classes["RequestHeader"]
    with pytest.raises(JuteError, match="RequestHeader"):
        header.decode(b"\x00" * 8, 9)
    with pytest.raises(JuteError, match="truncated"):
        header.decode(b"\x00" * 8, 1)


def test_frame_codec_fuses_header_and_body(codecs: Codecs) -> None:
    reply, response = codecs.classes["ReplyHeader"], codecs.classes["GetDataResponse"]
    codec = codecs.frame(reply, response)
    header = reply(5, 0x100000002, 0)
    body = response(b"payload", codecs.classes["Stat"](*range(11)))
    data = codec.encode((header, body))
    payload = header.encode() + body.encode()
    assert data == len(payload).to_bytes(4, "big") + payload
    assert codec.decode(payload) == ((header, body), len(payload))
    assert codecs.frame(reply, response) is codec


@pytest.mark.parametrize("engine", sorted(RECORDS))
@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_frame_codecs_agree_with_their_records(engine: str, data) -> None:
    codec, records = frame_and_records(data, RECORDS[engine])
    payload = records[0].encode() + records[1].encode()
    assert codec.encode(records) == len(payload).to_bytes(4, "big") + payload
    assert codec.decode(payload) == (records, len(payload))


def test_records_are_built_like_named_tuples(codecs: Codecs) -> None:
    """The compiled engine builds records with a constructor of its own; it must take what a
    named tuple takes, refuse what it refuses, and leave _make, _replace and copying intact."""
    header = codecs.classes["ReplyHeader"]
    assert header(1, 2, 3) == header(1, err=3, zxid=2) == header(xid=1, zxid=2, err=3)
    assert type(header(1, 2, 3)) is header
    for args, kwargs in [((1, 2), {}), ((1, 2, 3, 4), {}), ((1, 2), {"xid": 3}), ((), {"x": 1})]:
        with pytest.raises(TypeError):
            header(*args, **kwargs)
    stat = codecs.classes["Stat"](*range(11))
    assert stat._replace(version=9).version == 9
    assert codecs.classes["Stat"]._make(range(11)) == stat
    assert copy.copy(stat) == stat
    assert pickle.loads(pickle.dumps(R.Stat(*range(11)))) == R.Stat(*range(11))
