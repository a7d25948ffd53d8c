"""decode_file on every format a listener keeps, on long files (excerpts), and on every kind of
bad file, each with its plain reason. All audio is generated here with tests/support/synth."""
from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from recommender.audio import decode
from recommender.audio.decode import (
    SAMPLE_RATE,
    DecodedAudio,
    decode_file,
    is_audio_name,
)
from recommender.errors import AudioError
from tests.support.synth import SR, silence, tone, write_audio


def _peak_hz(y: np.ndarray, sr: int) -> float:
    spectrum = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    return float(np.fft.rfftfreq(len(y), 1 / sr)[spectrum.argmax()])


def _stereo(seconds: float = 2.0) -> np.ndarray:
    return np.stack([tone(440, seconds), tone(660, seconds)], axis=1)


def _reason(path) -> str:
    with pytest.raises(AudioError) as caught:
        decode_file(path)
    return caught.value.reason


# --- formats --------------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", [".wav", ".flac", ".ogg", ".opus", ".mp3", ".aiff"])
def test_every_format_decodes_at_the_analysis_rate_and_keeps_stereo(tmp_path, suffix):
    path = tmp_path / f"song{suffix}"
    if suffix == ".aiff":  # synth writes the common formats; AIFF straight through soundfile
        sf.write(path, _stereo(), SR, format="AIFF", subtype="PCM_16")
    else:
        write_audio(path, _stereo())
    audio = decode_file(path)
    assert audio.sample_rate == SAMPLE_RATE == 16_000
    assert audio.channels.dtype == np.float32 and audio.channels.shape[0] == 2
    assert audio.duration_s == pytest.approx(2.0, abs=0.1)
    assert audio.channels.shape[1] / SAMPLE_RATE == pytest.approx(2.0, abs=0.1)
    assert not audio.is_excerpt and audio.describe_excerpts() == "" and not audio.damaged
    middle = slice(4000, 28000)  # away from codec start-up and padding
    assert _peak_hz(audio.channels[0, middle], SAMPLE_RATE) == pytest.approx(440, abs=3)
    assert _peak_hz(audio.channels[1, middle], SAMPLE_RATE) == pytest.approx(660, abs=3)
    assert audio.mono.shape == (audio.channels.shape[1],) and audio.mono.dtype == np.float32


def test_m4a_decodes_through_pyav(tmp_path):
    path = write_audio(tmp_path / "song.m4a", tone(440, 2.0))
    with pytest.raises(sf.LibsndfileError):
        sf.info(str(path))  # libsndfile cannot open AAC: this file really takes the PyAV path
    audio = decode_file(path)
    assert audio.sample_rate == SAMPLE_RATE and audio.channels.shape[0] == 1
    assert audio.duration_s == pytest.approx(2.0, abs=0.1)
    assert _peak_hz(audio.mono[4000:28000], SAMPLE_RATE) == pytest.approx(440, abs=3)


def _write_with_pyav(path: Path, container_format: str, codec: str, y: np.ndarray, sr: int = SR) -> Path:
    import av

    with av.open(str(path), "w", format=container_format) as container:
        stream = container.add_stream(codec, rate=sr)
        stream.layout, stream.bit_rate = "mono", 64_000
        size = stream.codec_context.frame_size or 1024
        for start in range(0, len(y), size):
            frame = av.AudioFrame.from_ndarray(y[None, start : start + size].copy(), format="fltp", layout="mono")
            frame.sample_rate = sr
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


@pytest.mark.parametrize(("name", "container_format", "codec"), [("song.wma", "asf", "wmav2"), ("song.aac", "adts", "aac")])
def test_wma_and_raw_aac_decode_through_pyav(tmp_path, name, container_format, codec):
    audio = decode_file(_write_with_pyav(tmp_path / name, container_format, codec, tone(440, 2.0)))
    assert audio.duration_s == pytest.approx(2.0, abs=0.1) and not audio.damaged
    assert _peak_hz(audio.mono[4000:28000], SAMPLE_RATE) == pytest.approx(440, abs=3)


def test_more_than_two_channels_fold_to_stereo_and_other_rates_work(tmp_path):
    path = tmp_path / "surround.wav"
    sf.write(path, np.stack([tone(440 + 110 * k, 1.5) for k in range(6)], axis=1), SR)
    audio = decode_file(path, sample_rate=22_050)
    assert audio.channels.shape == (2, int(1.5 * 22_050))
    assert audio.sample_rate == 22_050


def test_silence_is_valid_audio(tmp_path):
    audio = decode_file(write_audio(tmp_path / "quiet.flac", silence(3.0)))
    assert audio.duration_s == pytest.approx(3.0, abs=0.1)
    assert not np.any(audio.channels)


def test_a_non_utf8_file_name_decodes_and_is_named_readably(tmp_path):
    name = os.fsencode(tmp_path) + b"/caf\xe9 \xff.wav"
    Path(os.fsdecode(name)).write_bytes(write_audio(tmp_path / "src.wav", tone(440, 1.5)).read_bytes())
    assert decode_file(name).duration_s == pytest.approx(1.5, abs=0.01)
    assert decode_file(os.fsdecode(name)).duration_s == pytest.approx(1.5, abs=0.01)
    empty = os.fsencode(tmp_path) + b"\xfe\xfe.mp3"
    open(empty, "wb").close()
    with pytest.raises(AudioError) as caught:
        decode_file(empty)
    assert caught.value.reason == "empty file (0 bytes)"
    assert "\ufffd\ufffd.mp3" in str(caught.value)
    str(caught.value).encode("utf-8")  # printable anywhere: no lone surrogates


# --- long files ------------------------------------------------------------------------------

def _ramp_tone(seconds: float, sr: int) -> np.ndarray:
    """A tone whose level rises linearly with time, so an excerpt's level says where it is."""
    y = tone(200, seconds, sr=sr, level=1.0)
    return y * np.linspace(0.0, 0.9, len(y), dtype=np.float32)


def _excerpt_levels(audio: DecodedAudio) -> list[float]:
    levels, start = [], 0
    for _, length in audio.excerpts:
        n = int(round(length * audio.sample_rate))
        part = audio.mono[start : start + n]
        levels.append(float(np.sqrt(np.mean(part**2)) * np.sqrt(2)))
        start += n
    return levels


def test_a_20_minute_file_comes_back_as_eight_spread_excerpts(tmp_path):
    path = write_audio(tmp_path / "long.flac", _ramp_tone(20 * 60, 4000), sr=4000)
    audio = decode_file(path)
    assert audio.is_excerpt
    assert audio.duration_s == pytest.approx(1200, abs=0.1)
    assert audio.describe_excerpts() == "8 excerpts of 30 s from a 20 min file"
    starts = [start for start, _ in audio.excerpts]
    assert starts == pytest.approx(np.linspace(0, 1170, 8), abs=0.01)
    assert [length for _, length in audio.excerpts] == pytest.approx([30.0] * 8, abs=0.01)
    assert audio.channels.shape[1] == pytest.approx(8 * 30 * SAMPLE_RATE, abs=8)
    # Each excerpt really comes from its place in the file (the level rises with time).
    expected = [0.9 * (start + 15) / 1200 for start in starts]
    assert _excerpt_levels(audio) == pytest.approx(expected, abs=0.01)


def test_long_files_pyav_can_only_open_are_read_as_excerpts_too(tmp_path, monkeypatch):
    # The same rule at a smaller scale, so an AAC file stays small to write.
    monkeypatch.setattr(decode, "WHOLE_FILE_SECONDS", 20)
    monkeypatch.setattr(decode, "EXCERPT_SECONDS", 3.0)
    path = write_audio(tmp_path / "long.m4a", _ramp_tone(60, 8000), sr=8000)
    audio = decode_file(path)
    assert audio.is_excerpt and len(audio.excerpts) == 8
    # AAC's 1024 samples of encoder priming are 0.128 s at 8 kHz; the file does not trim them.
    assert audio.duration_s == pytest.approx(60, abs=0.15)
    starts = [start for start, _ in audio.excerpts]
    assert starts == pytest.approx(np.linspace(0, audio.duration_s - 3, 8), abs=0.01)
    assert [length for _, length in audio.excerpts] == pytest.approx([3.0] * 8, abs=0.01)
    expected = [0.9 * (start + 1.5) / 60 for start in starts]
    assert _excerpt_levels(audio) == pytest.approx(expected, abs=0.02)


def test_describe_excerpts_of_a_three_hour_file():
    spans = tuple((float(s), 30.0) for s in np.linspace(0, 10_770, 8))
    audio = DecodedAudio(np.zeros((1, 10), np.float32), SAMPLE_RATE, 10_800.0, spans)
    assert audio.describe_excerpts() == "8 excerpts of 30 s from a 3 h 0 min file"


# --- bad files -------------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))


def test_each_bad_file_has_its_plain_reason(tmp_path):
    (tmp_path / "empty.mp3").write_bytes(b"")
    (tmp_path / "cover.mp3").write_bytes(PNG)
    (tmp_path / "notes.wav").write_text("Remember to buy milk.\nAnd to tune the guitar.\n")
    (tmp_path / "junk.ogg").write_bytes(np.random.default_rng(3).integers(0, 256, 5000, dtype=np.uint8).tobytes())
    whole = write_audio(tmp_path / "whole.mp3", tone(440, 5.0)).read_bytes()
    (tmp_path / "cut.mp3").write_bytes(whole[: len(whole) // 10])
    write_audio(tmp_path / "blip.wav", tone(440, 0.5))
    (tmp_path / "folder.flac").mkdir()
    assert _reason(tmp_path / "empty.mp3") == "empty file (0 bytes)"
    assert _reason(tmp_path / "cover.mp3") == "not an audio file (a PNG image)"
    assert _reason(tmp_path / "notes.wav") == "not an audio file (a text file)"
    assert _reason(tmp_path / "junk.ogg") == "not an audio file"
    assert _reason(tmp_path / "cut.mp3") == "damaged or truncated"
    assert _reason(tmp_path / "blip.wav") == "too short (0.5 s; at least 1 s)"
    assert _reason(tmp_path / "missing.mp3") == "not found"
    assert _reason(tmp_path / "folder.flac") == "a folder, not a file"


def test_the_message_names_the_file_and_what_to_do(tmp_path):
    (tmp_path / "cover.mp3").write_bytes(PNG)
    with pytest.raises(AudioError) as caught:
        decode_file(tmp_path / "cover.mp3")
    message = str(caught.value)
    assert '"cover.mp3"' in message and "not an audio file (a PNG image)" in message
    assert "Only music files" in message and str(tmp_path) not in message


def test_a_file_cut_short_keeps_what_decoded_when_that_is_long_enough(tmp_path):
    whole = write_audio(tmp_path / "whole.flac", tone(440, 6.0)).read_bytes()
    (tmp_path / "cut.flac").write_bytes(whole[: len(whole) * 6 // 10])
    audio = decode_file(tmp_path / "cut.flac")
    assert audio.damaged
    assert 2.0 < audio.duration_s < 4.0
    assert audio.duration_s == pytest.approx(audio.channels.shape[1] / SAMPLE_RATE, abs=0.01)


def test_a_codec_no_decoder_knows_is_unsupported(tmp_path):
    data = tone(440, 2.0).tobytes()
    fmt = struct.pack("<HHIIHH", 0x9999, 1, SR, 2 * SR, 2, 16)  # a WAVE format tag nobody registered
    header = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data))
    (tmp_path / "odd.wav").write_bytes(b"RIFF" + struct.pack("<I", len(header) + len(data)) + header + data)
    assert _reason(tmp_path / "odd.wav") == "unsupported codec"


def test_a_video_without_sound_has_no_audio_stream(tmp_path):
    import av

    path = tmp_path / "clip.mp4"
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
        for _ in range(10):
            frame = av.VideoFrame.from_ndarray(np.zeros((32, 32, 3), np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    assert _reason(path) == "no audio stream"


def test_an_unreadable_file_says_permission_denied(tmp_path):
    path = write_audio(tmp_path / "locked.wav", tone(440, 1.5))
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running as a user (root) who can read any file")
        assert _reason(path) == "cannot be read (permission denied)"
    finally:
        path.chmod(0o644)


def test_a_decoders_surprise_becomes_a_reason_not_a_traceback(tmp_path, monkeypatch):
    path = write_audio(tmp_path / "fine.wav", tone(440, 1.5))

    def broken(*args, **kwargs):
        raise ZeroDivisionError("inside a decoder")

    monkeypatch.setattr(decode, "_read_with_soundfile", broken)
    assert _reason(path) == "could not be decoded (ZeroDivisionError)"


def test_audio_names_by_suffix():
    assert is_audio_name("Song.MP3") and is_audio_name("a.flac") and is_audio_name(b"x.m4a")
    assert is_audio_name("b.opus") and is_audio_name("c.WMA") and is_audio_name("d.aiff")
    assert not is_audio_name("cover.jpg") and not is_audio_name("notes.txt") and not is_audio_name("mp3")
