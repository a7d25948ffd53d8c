"""Decode any audio file a listener keeps into float32 samples at the analysis rate.

libsndfile (through ``soundfile``) reads WAV, FLAC, Ogg Vorbis/Opus, MP3 and AIFF; what it
cannot open (M4A/AAC, WMA, WebM, ...) goes to FFmpeg (through PyAV, ``av``). Both are resampled
with ``soxr``. Long files are read as evenly spread excerpts, by seeking, so a 3-hour file costs
no more than a 4-minute one. Every file that cannot be used raises :class:`AudioError` whose
``reason`` is short and plain ("empty file (0 bytes)", "not an audio file (a PNG image)", ...).
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

from recommender.audio.sniff import HEAD_BYTES, sniff
from recommender.errors import AudioError

__all__ = [
    "AUDIO_SUFFIXES",
    "EXCERPTS",
    "EXCERPT_SECONDS",
    "MIN_SECONDS",
    "SAMPLE_RATE",
    "WHOLE_FILE_SECONDS",
    "DecodedAudio",
    "decode_file",
    "is_audio_name",
]

SAMPLE_RATE = 16_000  # musicnn's rate: the analysis runs at it
AUDIO_SUFFIXES: frozenset[str] = frozenset({
    ".mp3", ".ogg", ".oga", ".opus", ".flac", ".wav", ".wave", ".m4a", ".m4b", ".mp4", ".aac",
    ".aif", ".aiff", ".aifc", ".wma", ".webm", ".mka", ".wv", ".ape", ".caf", ".au", ".amr",
})
MIN_SECONDS = 1.0
WHOLE_FILE_SECONDS = 15 * 60
EXCERPTS, EXCERPT_SECONDS = 8, 30.0

_BLOCK_FRAMES = 1 << 16
# A decoder that stops this much short of the length the header promised met damaged data.
_SHORTFALL_S, _SHORTFALL_SHARE = 0.25, 0.01

_ADVICE = {
    "not found": "Check that it was not moved or deleted, then scan again.",
    "cannot be read": "Give your user permission to read it, then scan again.",
    "empty file": "Copy it again from where it came from.",
    "not an audio file": "Only music files (MP3, FLAC, OGG, WAV, M4A, ...) can be analysed.",
    "a folder": "Choose the files inside it, or the folder itself as your library.",
    "damaged or truncated": "Copy or download it again.",
    "unsupported codec": "Convert it to MP3 or FLAC with a music converter.",
    "no audio stream": "It holds no sound; use a file with music in it.",
    "too short": "Only pieces of at least 1 second can be analysed.",
    "could not be decoded": "Convert it to MP3 or FLAC with a music converter.",
}


@dataclass(frozen=True)
class DecodedAudio:
    """Samples of one file. ``duration_s`` is the whole file's length even when only
    ``excerpts`` (``(start_s, length_s)`` pairs) were read; ``damaged`` says the end of the file
    could not be decoded and what decoded (at least ``MIN_SECONDS``) was kept."""

    channels: np.ndarray  # float32, (n_channels <= 2, n_samples)
    sample_rate: int
    duration_s: float
    excerpts: tuple[tuple[float, float], ...]
    damaged: bool = False

    @property
    def mono(self) -> np.ndarray:
        if self.channels.shape[0] == 1:
            return self.channels[0]
        return self.channels.mean(axis=0, dtype=np.float32)

    @property
    def is_excerpt(self) -> bool:
        return not (len(self.excerpts) == 1 and self.excerpts[0][0] == 0.0
                    and self.excerpts[0][1] >= self.duration_s - 1e-6)

    def describe_excerpts(self) -> str:
        """``"8 excerpts of 30 s from a 3 h 0 min file"``; ``""`` when the whole file was read."""
        if not self.is_excerpt:
            return ""
        length = _plain_seconds(self.excerpts[0][1])
        count = len(self.excerpts)
        noun = "excerpt" if count == 1 else "excerpts"
        return f"{count} {noun} of {length} from a {_plain_length(self.duration_s)} file"


def is_audio_name(name: str) -> bool:
    """Whether the file name ends in an audio suffix (case-insensitive)."""
    return os.path.splitext(os.fsdecode(name))[1].lower() in AUDIO_SUFFIXES


def decode_file(path: str | os.PathLike | bytes, *, sample_rate: int = SAMPLE_RATE) -> DecodedAudio:
    """Decode ``path`` to at most two float32 channels at ``sample_rate``.

    Raises :class:`AudioError` (with ``reason``) for anything that cannot be used; never
    anything else. Bytes paths and ``surrogateescape`` names (non-UTF-8 file names) work.
    """
    try:
        return _decode(path, sample_rate)
    except AudioError:
        raise
    except MemoryError:
        raise _error(path, "could not be decoded (too large to hold in memory)") from None
    except Exception as exc:  # a decoder's own bug or surprise must not become a traceback
        raise _error(path, f"could not be decoded ({type(exc).__name__})") from exc


def _decode(path: str | os.PathLike | bytes, sample_rate: int) -> DecodedAudio:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise _error(path, "not found") from None
    except PermissionError:
        raise _error(path, "cannot be read (permission denied)") from None
    if os.path.isdir(path):
        raise _error(path, "a folder, not a file")
    if st.st_size == 0:
        raise _error(path, "empty file (0 bytes)")
    try:
        file = open(path, "rb")  # noqa: SIM115 - closed below; a file object spares every name encoding
    except PermissionError:
        raise _error(path, "cannot be read (permission denied)") from None
    except OSError as exc:
        raise _error(path, f"cannot be read ({exc.strerror or type(exc).__name__})") from None
    with file:
        head = file.read(HEAD_BYTES)
        kind = sniff(head)
        if kind is not None and kind[0] == "other":
            raise _error(path, f"not an audio file ({kind[1]})")
        file.seek(0)
        result = _read_with_soundfile(file, sample_rate)
        if result is None:
            file.seek(0)
            result = _read_with_pyav(path, file, sample_rate, sniffed_audio=kind is not None)
    return _checked(path, result)


def _checked(path, result: DecodedAudio) -> DecodedAudio:
    seconds = result.channels.shape[1] / result.sample_rate
    if seconds < MIN_SECONDS:
        if result.damaged:
            raise _error(path, "damaged or truncated")
        raise _error(path, f"too short ({_short_seconds(seconds)} s; at least {MIN_SECONDS:g} s)")
    if not np.isfinite(result.channels).all():  # float files can hold NaN/inf
        np.nan_to_num(result.channels, copy=False, nan=0.0, posinf=1.0, neginf=-1.0)
    return result


# --- libsndfile -------------------------------------------------------------------------------

def _read_with_soundfile(file: BinaryIO, sample_rate: int) -> DecodedAudio | None:
    """Decoded audio, or ``None`` when libsndfile cannot open the file (PyAV tries next)."""
    import soundfile as sf

    try:
        sound = sf.SoundFile(file)
    except Exception:  # libsndfile's "unknown format" or "malformed": let FFmpeg have a go
        return None
    with sound:
        rate, frames = sound.samplerate, sound.frames
        if frames <= 0 or rate <= 0:
            return None  # length unknown (e.g. a cut Ogg file): FFmpeg reads to the real end
        duration = frames / rate
        if duration > WHOLE_FILE_SECONDS and sound.seekable():
            parts, spans = [], []
            for start in _excerpt_starts(duration):
                sound.seek(int(start * rate))
                out = _Resampled(rate, sample_rate)
                _sf_read(sound, int(EXCERPT_SECONDS * rate), out)
                if out.frames_in:
                    parts.append(out.finish())
                    spans.append((start, out.seconds))
            return _assemble(parts, spans, sample_rate, duration)
        out = _Resampled(rate, sample_rate)
        if _sf_read(sound, frames, out):
            return None  # libsndfile drops the whole block it failed in; FFmpeg keeps up to the fault
        # A file cut short decodes up to the cut: keep that audio when it is long enough to
        # analyse (a listener's slightly damaged file is better analysed than dropped), but
        # mark it and report the length that decoded, not the header's.
        got = out.seconds
        damaged = got < duration - max(_SHORTFALL_S, _SHORTFALL_SHARE * duration)
        return DecodedAudio(out.finish(), sample_rate, got, ((0.0, got),), damaged=damaged)


def _sf_read(sound, frames: int, out: _Resampled) -> bool:
    """Feed up to ``frames`` frames to ``out``; whether the decoder failed on the way."""
    left = frames
    while left > 0:
        try:
            block = sound.read(min(left, _BLOCK_FRAMES), dtype="float32", always_2d=True)
        except Exception:  # "flac decoder lost sync" and friends: damaged data
            return True
        if not len(block):
            break
        out.add(block)
        left -= len(block)
    return False


# --- FFmpeg (PyAV) ----------------------------------------------------------------------------

def _read_with_pyav(path, file: BinaryIO, sample_rate: int, *, sniffed_audio: bool) -> DecodedAudio:
    import av

    try:
        container = av.open(file, mode="r")
    except (av.error.DecoderNotFoundError, av.error.DemuxerNotFoundError, av.error.PatchWelcomeError):
        raise _error(path, "unsupported codec") from None
    except (av.error.InvalidDataError, av.error.EOFError, EOFError) as exc:
        # A file that starts like audio but cannot be opened is broken; anything else never was.
        raise _error(path, "damaged or truncated" if sniffed_audio else "not an audio file") from exc
    with container:
        if not container.streams.audio:
            raise _error(path, "no audio stream")
        stream = container.streams.audio[0]
        if stream.codec_context is None or stream.codec_context.codec is None:
            raise _error(path, "unsupported codec")
        stream.thread_type = "AUTO"
        duration = _stream_seconds(container, stream)
        seekable = duration is not None and duration > WHOLE_FILE_SECONDS
        try:
            if seekable:
                return _pyav_excerpts(container, stream, duration, sample_rate)
            return _pyav_whole(container, stream, duration, sample_rate)
        except (av.error.DecoderNotFoundError, av.error.PatchWelcomeError):
            raise _error(path, "unsupported codec") from None


def _pyav_whole(container, stream, duration: float | None, sample_rate: int) -> DecodedAudio:
    out, failed = _pyav_read(container, stream, sample_rate, None, None)
    got = out.seconds
    damaged = failed or (duration is not None
                         and got < duration - max(_SHORTFALL_S, _SHORTFALL_SHARE * duration))
    return DecodedAudio(out.finish(), sample_rate, got, ((0.0, got),), damaged=damaged)


def _pyav_excerpts(container, stream, duration: float, sample_rate: int) -> DecodedAudio:
    import av

    parts, spans = [], []
    for start in _excerpt_starts(duration):
        container.seek(int(start * av.time_base), backward=True, any_frame=False)
        out, _ = _pyav_read(container, stream, sample_rate, start, EXCERPT_SECONDS)
        if out.frames_in:
            parts.append(out.finish())
            spans.append((start, out.seconds))
    return _assemble(parts, spans, sample_rate, duration)


def _pyav_read(container, stream, sample_rate: int, start: float | None, length: float | None):
    """Decode from the current position (from ``start`` for ``length`` seconds when given)
    into a :class:`_Resampled`; also whether decoding failed on the way."""
    import av

    resampler, out, failed = None, None, False
    try:
        for frame in container.decode(stream):
            if resampler is None:  # FFmpeg folds surround to stereo with proper weights
                layout = "stereo" if frame.layout.nb_channels >= 2 else "mono"
                resampler = av.AudioResampler(format="fltp", layout=layout, rate=frame.sample_rate)
                out = _Resampled(frame.sample_rate, sample_rate)
            for converted in resampler.resample(frame):
                block = converted.to_ndarray().T
                if start is not None and frame.time is not None and frame.time < start:
                    block = block[int(round((start - frame.time) * out.rate)):]
                if length is not None:
                    block = block[: max(0, int(length * out.rate) - out.frames_in)]
                out.add(block)
            if length is not None and out.frames_in >= int(length * out.rate):
                break
    except (av.error.InvalidDataError, av.error.EOFError, EOFError):
        failed = True  # a damaged packet mid-stream: keep what decoded before it
    return out or _Resampled(sample_rate, sample_rate), failed


def _stream_seconds(container, stream) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        import av

        return container.duration / av.time_base
    return None


# --- shared -----------------------------------------------------------------------------------

def _excerpt_starts(duration: float) -> np.ndarray:
    return np.linspace(0.0, max(0.0, duration - EXCERPT_SECONDS), EXCERPTS)


def _to_stereo(block: np.ndarray) -> np.ndarray:
    """(n, channels) -> (n, <=2): more than two channels fold into left (even) and right (odd)."""
    if block.shape[1] <= 2:
        return block
    return np.stack([block[:, 0::2].mean(axis=1), block[:, 1::2].mean(axis=1)], axis=1)


class _Resampled:
    """Blocks of (n, channels) at ``rate``, folded to stereo and resampled with soxr as they
    come (a 15-minute 96 kHz file never sits in memory at its own rate), collected as
    contiguous float32 (channels, m) at ``sample_rate``."""

    def __init__(self, rate: int, sample_rate: int) -> None:
        self.rate, self.sample_rate, self.frames_in = rate, sample_rate, 0
        self._stream = None
        self._blocks: list[np.ndarray] = []

    @property
    def seconds(self) -> float:
        return self.frames_in / self.rate

    def add(self, block: np.ndarray) -> None:
        if not len(block):
            return
        block = np.ascontiguousarray(_to_stereo(block), dtype=np.float32)
        self.frames_in += len(block)
        if self.rate != self.sample_rate:
            if self._stream is None:
                import soxr

                self._stream = soxr.ResampleStream(
                    self.rate, self.sample_rate, block.shape[1], dtype="float32", quality="HQ")
            block = self._stream.resample_chunk(block)
        self._blocks.append(block)

    def finish(self) -> np.ndarray:
        if self._stream is not None:
            width = self._blocks[0].shape[1]
            self._blocks.append(self._stream.resample_chunk(np.zeros((0, width), np.float32), last=True))
            self._stream = None
        if not self._blocks:
            return np.zeros((1, 0), dtype=np.float32)
        return np.ascontiguousarray(np.concatenate(self._blocks).T, dtype=np.float32)


def _assemble(parts, spans, sample_rate: int, duration: float) -> DecodedAudio:
    n_channels = max((p.shape[0] for p in parts), default=1)
    parts = [p if p.shape[0] == n_channels else np.repeat(p, n_channels, axis=0) for p in parts]
    channels = np.concatenate(parts, axis=1) if parts else np.zeros((1, 0), np.float32)
    return DecodedAudio(channels, sample_rate, duration, tuple(spans), damaged=not parts)


def _error(path, reason: str) -> AudioError:
    name = _display_name(path)
    advice = next((text for key, text in _ADVICE.items() if reason.startswith(key)), "")
    return AudioError(f'"{name}" cannot be used: {reason}. {advice}'.strip(), reason)


def _display_name(path) -> str:
    """The file's name as readable text; bytes that are not UTF-8 show as U+FFFD."""
    name = os.path.basename(os.fsdecode(path))
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _short_seconds(seconds: float) -> str:
    if seconds >= 0.1:
        return f"{math.floor(seconds * 10) / 10:g}"
    return f"{math.floor(seconds * 100) / 100:g}"


def _plain_seconds(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else _plain_length(seconds)


def _plain_length(seconds: float) -> str:
    minutes = int(round(seconds / 60))
    if minutes >= 60:
        return f"{minutes // 60} h {minutes % 60} min"
    if minutes >= 1:
        return f"{minutes} min"
    return f"{seconds:.0f} s"
