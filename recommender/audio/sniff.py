"""What kind of file this is, from its first bytes (its "magic"), not from its name.

Used by :mod:`recommender.audio.decode` to tell a listener "not an audio file (a PNG image)"
instead of a decoder's error, and to tell a damaged audio file from a file that was never audio.
"""
from __future__ import annotations

__all__ = ["HEAD_BYTES", "sniff"]

HEAD_BYTES = 4096  # enough for every signature below and for a fair look at text

# (offset, signature, what it is); checked in order, so the more specific come first.
_AUDIO = (
    (0, b"fLaC", "FLAC"),
    (0, b"OggS", "Ogg"),
    (0, b"ID3", "MP3 (ID3 tag)"),
    (0, b"RF64", "WAV (RF64)"),
    (0, b"caff", "CAF"),
    (0, b".snd", "AU"),
    (0, b"MAC ", "Monkey's Audio"),
    (0, b"wvpk", "WavPack"),
    (0, b"#!AMR", "AMR"),
    (0, b"\x1a\x45\xdf\xa3", "Matroska/WebM"),
    (0, b"\x30\x26\xb2\x75\x8e\x66\xcf\x11", "ASF (WMA)"),
)
_OTHER = (
    (0, b"\x89PNG", "a PNG image"),
    (0, b"\xff\xd8\xff", "a JPEG image"),
    (0, b"GIF8", "a GIF image"),
    (0, b"II*\x00", "a TIFF image"),
    (0, b"MM\x00*", "a TIFF image"),
    (0, b"%PDF", "a PDF document"),
    (0, b"PK\x03\x04", "a ZIP archive or office document"),
    (0, b"\x1f\x8b", "a gzip archive"),
    (0, b"7z\xbc\xaf", "a 7-Zip archive"),
    (0, b"Rar!", "a RAR archive"),
    (0, b"\x7fELF", "a program"),
    (0, b"MZ", "a Windows program"),
    (0, b"MThd", "a MIDI file: notes, not recorded sound"),
    (0, b"SQLite format 3", "a database"),
)
# ISO media (MP4/M4A/MOV/HEIC) carry a brand after "ftyp"; these brands are still images.
_IMAGE_BRANDS = {b"heic", b"heix", b"mif1", b"msf1", b"avif", b"avis"}


def sniff(head: bytes) -> tuple[str, str] | None:
    """``("audio", container)`` for an audio (or audio/video) container, ``("other", what)``
    for a file that is certainly not audio ("a PNG image", "a text file"), ``None`` when the
    first bytes do not say (raw AAC/MP3 frames, formats not listed: the decoders decide)."""
    for offset, signature, what in _OTHER:
        if head[offset : offset + len(signature)] == signature:
            return "other", what
    for offset, signature, what in _AUDIO:
        if head[offset : offset + len(signature)] == signature:
            return "audio", what
    if head[:4] == b"RIFF":
        kind = head[8:12]
        if kind == b"WEBP":
            return "other", "a WebP image"
        return "audio", "WAV" if kind == b"WAVE" else "RIFF"
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return "audio", "AIFF"
    if head[4:8] == b"ftyp":
        if head[8:12] in _IMAGE_BRANDS:
            return "other", "a HEIC/AVIF image"
        return "audio", "MP4/M4A"
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        return "audio", "MPEG audio"  # MP3 or ADTS AAC frame sync
    text = _text_kind(head)
    if text:
        return "other", text
    return None


def _text_kind(head: bytes) -> str | None:
    if not head or b"\x00" in head:
        return None
    try:
        # The head may end inside a multi-byte character: drop up to 3 trailing bytes.
        text = head.decode("utf-8", errors="strict") if len(head) < HEAD_BYTES else _decode_cut(head)
    except UnicodeDecodeError:
        return None
    if text is None or sum(ch.isprintable() or ch.isspace() for ch in text) < 0.95 * len(text):
        return None
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("#EXTM3U") or stripped.lower().startswith("[playlist]"):
        return "a playlist: it lists songs but holds no sound"
    if stripped[:1] == "<":
        return "a web page or XML file"
    return "a text file"


def _decode_cut(head: bytes) -> str | None:
    for cut in range(4):
        try:
            return head[: len(head) - cut].decode("utf-8", errors="strict")
        except UnicodeDecodeError:
            continue
    return None
