"""Show user data (track, artist, file and column names) as plain text, never as markup.

Streamlit renders Markdown in ``st.markdown``, ``st.write``, ``st.error`` and friends, and
Plotly renders a little HTML in hover labels. Names come from uploaded files and Spotify, so
they may carry Markdown, HTML or script text: every name shown outside a data grid goes
through one of these helpers first.
"""
from __future__ import annotations

import html
import re
from collections.abc import Iterable

import pandas as pd

__all__ = ["md_escape", "hover_escape", "hover_labels", "short"]

# Every ASCII punctuation character CommonMark lets us backslash-escape, so no name can open
# emphasis, links, code, headings, tables, HTML, LaTeX ($) or Streamlit directives (:red[..]).
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$&=^\"'%])")


def md_escape(text: object) -> str:
    """Text that renders literally inside Markdown (``st.markdown``, ``st.error``, labels)."""
    value = "" if text is None else str(text)
    value = _MD_SPECIAL.sub(r"\\\1", value)
    # A newline would start a new Markdown block; keep messages on their lines instead.
    return value.replace("\n", "  \n")


def hover_escape(text: object) -> str:
    """Text that Plotly shows literally in hover labels (it interprets a subset of HTML)."""
    if text is None or (isinstance(text, float) and text != text) or text is pd.NA:
        return ""
    return html.escape(str(text), quote=True)


def short(text: object, limit: int = 80) -> str:
    """Trim long names for labels (the full name stays in tables)."""
    value = "" if text is None or text is pd.NA else str(text)
    return value if len(value) <= limit else value[: limit - 1] + "…"


def hover_labels(names: Iterable[object], artists: Iterable[object]) -> list[str]:
    """'Title — Artists' hover labels, escaped for Plotly."""
    out = []
    for name, artist in zip(names, artists):
        name_s = short(name if isinstance(name, str) else "(no title)", 70)
        artist_s = short(artist if isinstance(artist, str) else "(unknown artist)", 50)
        out.append(hover_escape(f"{name_s} — {artist_s}"))
    return out
