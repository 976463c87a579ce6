"""Hostile input: random and mutated bytes raise JuteError and nothing else.

Mutations start from valid encodings and flip, truncate, splice or overwrite length prefixes
with extreme values, which is where a hand-rolled decoder allocates, loops or crashes.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jute import FrameReader, JuteError
from jute import records as R
from tests.jute_support import record_values
from tests.test_jute_roundtrip import RECORDS

NAMES = sorted(R.RECORDS)
EXTREME_INTS = [-(2**31), -2, -1, 0, 1, 2**31 - 1, 0x7FFFFFF0, 65536]

settings.register_profile(
    "fuzz", max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("fuzz")


def decode_only_raises_jute_error(cls, data: bytes) -> None:
    try:
        record, end = cls.decode(data)
    except JuteError:
        return
    assert 0 <= end <= len(data)
    assert cls.decode(record.encode()) == (record, len(record.encode()))


@st.composite
def mutated(draw, name: str) -> bytes:
    data = bytearray(draw(record_values(name, R.DECLARATIONS, R._CODECS)).encode())
    for _ in range(draw(st.integers(1, 4))):
        action = draw(st.sampled_from(["flip", "truncate", "length", "insert", "delete"]))
        if action == "flip" and data:
            i = draw(st.integers(0, len(data) - 1))
            data[i] ^= draw(st.integers(1, 255))
        elif action == "truncate":
            del data[draw(st.integers(0, len(data))) :]
        elif action == "length" and len(data) >= 4:
            i = draw(st.integers(0, len(data) - 4))
            data[i : i + 4] = draw(st.sampled_from(EXTREME_INTS)).to_bytes(4, "big", signed=True)
        elif action == "insert":
            i = draw(st.integers(0, len(data)))
            data[i:i] = draw(st.binary(min_size=1, max_size=8))
        elif action == "delete" and data:
            i = draw(st.integers(0, len(data) - 1))
            del data[i : i + draw(st.integers(1, 8))]
    return bytes(data)


ENGINES = pytest.mark.parametrize("engine", sorted(RECORDS))


@ENGINES
@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_mutated_encodings_raise_only_jute_error(engine: str, name: str, data) -> None:
    decode_only_raises_jute_error(RECORDS[engine].classes[name], data.draw(mutated(name)))


@ENGINES
@pytest.mark.parametrize("name", NAMES)
@given(st.binary(max_size=120))
def test_random_bytes_raise_only_jute_error(engine: str, name: str, data: bytes) -> None:
    decode_only_raises_jute_error(RECORDS[engine].classes[name], data)


@ENGINES
@given(st.binary(max_size=200))
def test_random_bytes_through_frame_codecs(engine: str, data: bytes) -> None:
    classes = RECORDS[engine].classes
    for names in [("ReplyHeader", "GetDataResponse"), ("RequestHeader", "CreateRequest")]:
        parts = tuple(classes[name] for name in names)
        try:
            records, end = RECORDS[engine].frame(*parts).decode(data)
        except JuteError:
            continue
        assert end <= len(data)
        assert [type(r) for r in records] == list(parts)


@ENGINES
def test_a_huge_vector_count_fails_before_allocating(engine: str) -> None:
    data = (2**31 - 1).to_bytes(4, "big") + b"\x00" * 8
    with pytest.raises(JuteError, match="count"):
        RECORDS[engine].classes["GetChildrenResponse"].decode(data)


@ENGINES
def test_a_length_beyond_the_input_is_reported_with_its_offset(engine: str) -> None:
    with pytest.raises(JuteError, match=r"GetDataRequest: length 100 overruns .* offset 4"):
        RECORDS[engine].classes["GetDataRequest"].decode(b"\x00\x00\x00\x64/ab")


@ENGINES
def test_truncation_is_reported(engine: str) -> None:
    with pytest.raises(JuteError, match="ReplyHeader: truncated"):
        RECORDS[engine].classes["ReplyHeader"].decode(b"\x00\x00\x00\x01\x00")


@given(st.lists(st.binary(max_size=64), max_size=20))
def test_frame_reader_on_random_chunks(chunks: list[bytes]) -> None:
    reader = FrameReader(max_buffer=1000)
    try:
        for chunk in chunks:
            for payload in reader.feed(chunk):
                assert len(payload) <= 1000
    except JuteError:
        with pytest.raises(JuteError):
            reader.feed(b"")
