"""The frame reader: reassembly across arbitrary splits and the jute.maxbuffer limit."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jute import DEFAULT_MAX_BUFFER, FrameReader, JuteError, frame


def test_default_limit_is_zookeepers() -> None:
    assert DEFAULT_MAX_BUFFER == 1048575
    assert FrameReader().max_buffer == 1048575


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=300), max_size=10), st.data())
def test_frames_survive_any_split(payloads: list[bytes], data) -> None:
    stream = b"".join(frame(p) for p in payloads)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=8)))
    reader = FrameReader()
    out: list[bytes] = []
    start = 0
    for cut in [*cuts, len(stream)]:
        out += reader.feed(stream[start:cut])
        start = cut
    assert out == payloads
    assert reader.buffered == 0


def test_a_partial_frame_waits_for_the_rest() -> None:
    reader = FrameReader()
    assert reader.feed(b"\x00\x00\x00\x05ab") == []
    assert reader.buffered == 6
    assert reader.feed(b"cde\x00\x00") == [b"abcde"]
    assert reader.buffered == 2


def test_exactly_max_buffer_is_accepted_one_more_is_refused() -> None:
    reader = FrameReader(max_buffer=10)
    assert reader.feed(frame(b"x" * 10)) == [b"x" * 10]
    with pytest.raises(JuteError, match=r"exceeds jute\.maxbuffer=10"):
        reader.feed(frame(b"x" * 11))


def test_a_10mb_length_prefix_is_refused_before_any_payload_arrives() -> None:
    reader = FrameReader()
    with pytest.raises(JuteError, match="10000000"):
        reader.feed((10_000_000).to_bytes(4, "big"))


def test_negative_length_is_refused_and_the_reader_stays_failed() -> None:
    reader = FrameReader()
    with pytest.raises(JuteError, match="-5"):
        reader.feed(b"\xff\xff\xff\xfb")
    with pytest.raises(JuteError):
        reader.feed(frame(b"ok"))


def test_frames_before_a_bad_length_are_still_lost_with_the_connection() -> None:
    # ZooKeeper closes the connection on a bad length; what came before in the same read was
    # valid, but the reader reports the failure rather than half a batch.
    reader = FrameReader(max_buffer=4)
    with pytest.raises(JuteError):
        reader.feed(frame(b"ok") + frame(b"too long"))
