"""A plain-words glossary of the audio features, for every page that shows them.

Call :func:`glossary_popover` where a page shows feature names (Explore, Clusters, Recommend,
Taste): it draws a small "What do these words mean?" button that opens the glossary.
"""
from __future__ import annotations

from collections.abc import Iterable

import streamlit as st

__all__ = ["GLOSSARY", "glossary_markdown", "glossary_popover"]

# feature -> (the word on the charts, what it means to a listener). Values come from Spotify's
# audio analysis; most run from 0 to 1.
GLOSSARY: dict[str, tuple[str, str]] = {
    "energy": ("Energy", "How intense and busy a track feels: fast, loud and noisy scores high (metal), "
               "a quiet piano piece low."),
    "danceability": ("Danceability", "How easy it is to dance to: a steady beat, a regular rhythm and a "
                     "strong pulse score high."),
    "valence": ("Valence (mood)", "How happy the track sounds: cheerful and euphoric near 1, sad, tense or "
                "angry near 0."),
    "acousticness": ("Acousticness", "How sure it is that the track is acoustic (real guitars, piano, "
                     "voice) rather than electric or electronic."),
    "instrumentalness": ("Instrumentalness", "How likely the track has no singing or rapping: near 1 for "
                         "instrumentals, near 0 for songs with vocals."),
    "speechiness": ("Speechiness", "How much of the track is spoken words: rap and talk score higher, "
                    "audiobooks and podcasts near 1; most sung music stays low."),
    "liveness": ("Liveness", "How likely the track was recorded in front of an audience: crowd noise and "
                 "room sound push it up."),
    "tempo": ("Tempo (BPM)", "The speed of the beat in beats per minute: 60 is slow, 120 a brisk walk, "
              "170 fast."),
    "loudness": ("Loudness (dB)", "How loud the track is on average, in decibels below full volume: "
                 "-5 dB is loud, -20 dB quiet."),
    "key": ("Key", "The note the track is built around: 0 is C, 1 C♯, … 11 B. A category, not an amount."),
    "mode": ("Mode", "Major (1) or minor (0): major often sounds brighter, minor darker."),
    "duration_ms": ("Duration", "How long the track lasts."),
    "popularity": ("Popularity", "How much the track is played on Spotify now, from 0 to 100."),
}


def glossary_markdown(features: Iterable[str] | None = None) -> str:
    """The glossary as Markdown: every entry, or those of ``features`` (in glossary order)."""
    wanted = set(features) if features is not None else None
    lines = [f"**{label}**: {text}" for name, (label, text) in GLOSSARY.items()
             if wanted is None or name in wanted]
    return "\n\n".join(lines)


def glossary_popover(features: Iterable[str] | None = None, *, label: str = "What do these words mean?") -> None:
    """A button opening the glossary of the audio features (``features`` limits the entries)."""
    with st.popover(label, icon=":material/menu_book:"):
        st.markdown(glossary_markdown(features))
