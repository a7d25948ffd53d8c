"""Song identity: which tracks are versions of the same song.

A listener rejects a list that gives back the song they pasted ("Bohemian Rhapsody -
Remastered 2011" for "Bohemian Rhapsody - 2011 Mix") or holds one song twice. Two tracks are
the same song when they share their first-listed artist and their title once version marks
are set aside: remaster notes, "2011 Mix", "Radio Edit", "Mono", "Live", "Acoustic",
"feat. ...", "(with ...)", and remixes ("R3HAB Remix"), which count as versions of the song.
Parts of a title that are not version marks stay ("Pt. 2", "(I Can't Get No) Satisfaction").

Everything runs as Arrow string kernels (RE2), so a million titles take about a second, not
a Python loop per track.

>>> song_title("Bohemian Rhapsody - Remastered 2011")
'bohemian rhapsody'
>>> song_title("Don't Start Now (feat. Someone) - R3HAB Remix")
'don t start now'
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .catalog import LIST_SEP, Catalog

__all__ = ["VERSION_WORDS", "song_title", "song_titles", "song_codes", "catalog_song_codes"]

# Words that mark a version of a song inside brackets or after " - " (lower case, accents
# removed). English plus the Spanish / Portuguese / French marks common in the catalog.
VERSION_WORDS = (
    r"remaster\w*|remasteris\w*|remasteriz\w*|mix|mixed|remix\w*|rmx|edit|edited|version|versao|"
    r"live|ao vivo|en vivo|en directo|mono|stereo|acoustic|acustic\w*|unplugged|demo|"
    r"instrumental|explicit|clean|bonus|deluxe|single|radio|extended|re-?recorded|recorded|"
    r"feat|ft|featuring|with|prod|original|session|sessions|rework|bootleg|vip|dub|"
    r"mashup|cover|anniversary|\d{4}"
)
_BRACKETED = rf"\s*[\(\[][^\)\]]*\b({VERSION_WORDS})\b[^\)\]]*[\)\]]"
_DASHED = rf"\s+[-–—]\s+.*\b({VERSION_WORDS})\b.*$"


def _normalize(text: pa.Array) -> pa.Array:
    """Lower case, accents removed (NFKD, combining marks dropped)."""
    text = pc.utf8_normalize(pc.utf8_lower(text), form="NFKD")
    return pc.replace_substring_regex(text, pattern=r"\p{Mn}+", replacement="")


def _words_only(text: pa.Array) -> pa.Array:
    text = pc.replace_substring_regex(text, pattern=r"[^\pL\pN]+", replacement=" ")
    return pc.utf8_trim_whitespace(text)


def _song_titles_arrow(titles: pa.Array) -> pa.Array:
    norm = _normalize(titles)
    base = pc.replace_substring_regex(norm, pattern=_BRACKETED, replacement="")
    base = pc.replace_substring_regex(base, pattern=_DASHED, replacement="")
    base = _words_only(base)
    # A title that is nothing but a version mark ("Live", "(Intro)") keeps its words.
    base = pc.if_else(pc.equal(pc.utf8_length(base), 0), _words_only(norm), base)
    return pc.fill_null(base, "")


def _distinct_apply(values: pd.Series | np.ndarray | list, fn) -> pa.Array:  # noqa: ANN001
    """``fn`` over the distinct values only (titles and artists repeat), taken back per row."""
    codes, uniques = pd.factorize(pd.Series(values, dtype="string"), use_na_sentinel=True)
    done = fn(pa.array(pd.Series(uniques, dtype="string").array))
    done = pa.concat_arrays([done, pa.array([""], type=done.type)])  # the sentinel -1 -> ''
    return done.take(pa.array(np.where(codes < 0, len(uniques), codes)))


def song_titles(titles: pd.Series | list) -> np.ndarray:
    """The song part of each title (object array of str; '' where the title is unknown)."""
    out = _distinct_apply(titles, _song_titles_arrow)
    return np.asarray(out.to_numpy(zero_copy_only=False), dtype=object)


def song_title(title: str) -> str:
    """The song part of one title (see the module doc)."""
    return str(song_titles([title])[0])


def song_codes(titles: pd.Series, primary_artists: pd.Series | np.ndarray) -> np.ndarray:
    """One int64 code per track; equal codes = the same song (same first artist, same song
    title). A track without a title or artist gets a code of its own."""
    title = _distinct_apply(titles, _song_titles_arrow)
    artist = _distinct_apply(primary_artists, lambda a: pc.fill_null(_words_only(_normalize(a)), ""))
    key = pc.binary_join_element_wise(artist, title, pa.scalar("\x1f", type=title.type))
    codes = key.dictionary_encode().indices.to_numpy(zero_copy_only=False).astype(np.int64)
    unknown = (pc.equal(pc.utf8_length(title), 0).to_numpy(zero_copy_only=False)
               | pc.equal(pc.utf8_length(artist), 0).to_numpy(zero_copy_only=False))
    if unknown.any():
        codes[unknown] = int(codes.max()) + 1 + np.arange(int(unknown.sum()))
    return codes


def catalog_song_codes(catalog: Catalog) -> np.ndarray:
    """:func:`song_codes` of a catalog's tracks (first-listed artist), computed once per
    catalog object: every fitted method shares them (about 2.5 s at a million tracks)."""
    codes = catalog.__dict__.get("_song_codes")
    if codes is None or len(codes) != len(catalog.tracks):
        t = catalog.tracks
        first_artist = t["artists"].astype("string").str.split(LIST_SEP, n=1).str[0]
        codes = song_codes(t["track_name"], first_artist)
        del first_artist
        # Arrow's allocator keeps the freed text temporaries otherwise, under the fit's own arrays
        # (hybrid fit at 1M tracks: peak RSS 1,449-1,473 MiB without this, 1,404-1,427 with it).
        from .catalog.read import _release_arrow_memory

        _release_arrow_memory()
        codes.flags.writeable = False
        catalog.__dict__["_song_codes"] = codes
    return codes
