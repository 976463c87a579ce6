"""The shapes the engines treat specially still agree with construct, at any offset.

The Python engine cuts a run of fixed-width fields into one ``unpack_from`` per flat record,
reading each at its offset inside the run, and fuses a frame's records into one function; the
compiled engine walks nested records and frames itself. These tests aim at exactly those paths,
in both engines: adjacent flat records with scalars between them, and frames read from the
middle of a larger buffer.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jute import records as R
from jute.codecs import FrameCodec
from jute.declare import Declarations
from jute.idl import parse_idl
from tests.jute_support import by_engine, frame_and_records, record_values
from tests.test_jute_roundtrip import RECORDS, check_agreement

# Flat records back to back, a scalar between two of them, one before a string and one after.
ADJACENT_IDL = """
module test.adjacent {
    class Point { int x; long y; }
    class Flags { boolean on; byte level; }
    class Run {
        Point first;
        Point second;
        int between;
        Flags flags;
        Point third;
        ustring label;
        Point last;
        Flags lastFlags;
    }
}
"""
ADJACENT_DECLARATIONS = Declarations(parse_idl(ADJACENT_IDL))
ADJACENT = by_engine(ADJACENT_DECLARATIONS)
ENGINES = pytest.mark.parametrize("engine", sorted(ADJACENT))


@ENGINES
@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_adjacent_flat_records_round_trip_and_match_construct(engine: str, data) -> None:
    value = data.draw(record_values("Run", ADJACENT_DECLARATIONS, ADJACENT[engine]))
    check_agreement("Run", value, ADJACENT_DECLARATIONS, ADJACENT[engine])


@ENGINES
def test_adjacent_flat_records_are_read_at_their_own_offsets(engine: str) -> None:
    classes = ADJACENT[engine].classes
    run, point, flags = classes["Run"], classes["Point"], classes["Flags"]
    value = run(
        point(1, 2),
        point(3, 4),
        5,
        flags(True, 6),
        point(7, 8),
        "é",
        point(9, 10),
        flags(False, -1),
    )
    data = value.encode()
    assert run.decode(b"\x00" * 7 + data, 7) == (value, 7 + len(data))


@ENGINES
@settings(max_examples=200, deadline=None)
@given(data=st.data(), junk=st.binary(max_size=9))
def test_frames_decode_from_the_middle_of_a_buffer(engine: str, data, junk: bytes) -> None:
    codec, records = frame_and_records(data, RECORDS[engine])
    frame = codec.encode(records)
    assert codec.decode(junk + frame[4:] + b"\xee", len(junk)) == (
        records,
        len(junk) + len(frame) - 4,
    )


def test_a_frame_codec_is_made_once_and_knows_its_parts() -> None:
    codec = R.frame(R.ReplyHeader, R.SetDataResponse)
    assert isinstance(codec, FrameCodec)
    assert codec.parts == (R.ReplyHeader, R.SetDataResponse)
    assert R.frame(R.ReplyHeader, R.SetDataResponse) is codec


def test_the_python_engine_keeps_its_generated_source() -> None:
    source = RECORDS["python"].engine.source
    assert "def _dec_Stat(buf, off=0):" in source
    assert "def _enc_Stat(rec):" in source
