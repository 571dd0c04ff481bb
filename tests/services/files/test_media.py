"""A sound's length read into ``duration`` (milliseconds), on both storage drivers."""

from __future__ import annotations

import io
import wave

import pytest

from file_uploads import chunks, png
from tessera.services.files.media import read_duration

pytestmark = pytest.mark.anyio


def wav(seconds: float) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x00\x00" * int(8000 * seconds))
    return buffer.getvalue()


async def test_a_sound_gets_its_duration_and_an_image_none(files):
    service = files.service()
    sound = await service.upload(chunks(wav(1.25)), filename="beep.wav")
    image = await service.upload(chunks(png()), filename="dot.png")
    assert files.row(sound)["duration"] == 1250
    assert files.row(sound)["width"] is None
    assert files.row(image)["duration"] is None


async def test_new_content_replaces_the_duration(files):
    service = files.service()
    key = await service.upload(chunks(wav(2)), filename="long.wav")
    await service.upload(chunks(png()), filename="dot.png", key=key)
    assert files.row(key)["duration"] is None
    assert files.row(key)["width"] is not None


def test_what_mutagen_cannot_read_has_no_duration():
    assert read_duration(io.BytesIO(b"RIFF\x00\x00\x00\x00WAVEjunk")) is None
    assert read_duration(io.BytesIO(b"")) is None
