"""Track-ID parsing of pasted text: examples with known answers, then properties."""
from __future__ import annotations

import random
import re
import string

from hypothesis import given
from hypothesis import strategies as st

from recommender.ids import is_track_id, parse_track_ids, track_id_from_token, track_uri, track_url

A = "6f807x0ima9a1j3VPbc7VN"  # real IDs from the default catalog
B = "0r7CVbZTWZgbTCYdfa2P31"
C = "1z1Hg7Vb0AhHDiEmnDE79l"
BASE62 = string.digits + string.ascii_letters
SEPARATORS = re.compile(r"[\s,;]+")


def reasons(text: str) -> dict[str, str]:
    return {bad.token: bad.reason for bad in parse_track_ids(text).invalid}


def test_bare_ids_uris_and_links() -> None:
    text = (
        f"{A}\nspotify:track:{B}\n"
        f"https://open.spotify.com/intl-de/track/{C}?si=4b1c2d3e4f5a6b7c"
    )
    parsed = parse_track_ids(text)
    assert parsed.ids == [A, B, C]
    assert parsed.invalid == [] and parsed.duplicates == 0
    assert bool(parsed)


def test_link_variants() -> None:
    for link in (
        f"https://open.spotify.com/track/{A}",
        f"http://open.spotify.com/track/{A}/",
        f"open.spotify.com/track/{A}?si=abc&context=x",
        f"https://open.spotify.com/intl-pt-BR/track/{A}#top",
        f"https://open.spotify.com/embed/track/{A}",
        f"<https://open.spotify.com/track/{A}>",
        f"SPOTIFY:TRACK:{A}",
        f"'{A}'",
    ):
        assert parse_track_ids(link).ids == [A], link


def test_mixed_separators_keep_order_and_drop_duplicates() -> None:
    text = f"{C}, {A};{B}\t{A}\n\n spotify:track:{C} ;, {B}"
    parsed = parse_track_ids(text)
    assert parsed.ids == [C, A, B]
    assert parsed.duplicates == 3
    assert parsed.invalid == []


def test_other_spotify_objects_are_named() -> None:
    album = f"https://open.spotify.com/album/{A}"
    playlist = f"https://open.spotify.com/intl-fr/playlist/{B}?si=1"
    artist = f"spotify:artist:{C}"
    episode = f"https://open.spotify.com/episode/{A}"
    got = reasons(" ".join([album, playlist, artist, episode, C]))
    assert "album link" in got[album]
    assert "playlist link" in got[playlist]
    assert "artist link" in got[artist]
    assert "podcast episode" in got[episode]
    assert parse_track_ids(album + " " + C).ids == [C]


def test_wrong_length_and_characters() -> None:
    short, long = A[:21], A + "x"
    got = reasons(f"{short} {long} {A[:20]}!! spotify:track: https://example.com/track/{A}")
    assert "21 characters" in got[short] and "exactly 22" in got[short]
    assert "23 characters" in got[long]
    assert "characters a Spotify ID cannot have" in got[f"{A[:20]}!!"]
    assert "no track ID" in got["spotify:track:"]
    assert "not an open.spotify.com link" in got[f"https://example.com/track/{A}"]
    assert "shortened spotify.link" in reasons("https://spotify.link/abc123")["https://spotify.link/abc123"]


def test_empty_and_noise() -> None:
    assert parse_track_ids("").ids == [] and not parse_track_ids(None)
    assert parse_track_ids(" ,;\n\t ").invalid == []
    assert [b.token for b in parse_track_ids("() hello").invalid] == ["()", "hello"]


def test_helpers() -> None:
    assert is_track_id(A) and not is_track_id(A[:-1]) and not is_track_id(None)
    assert track_uri(A) == f"spotify:track:{A}"
    assert track_url(A) == f"https://open.spotify.com/track/{A}"
    assert track_id_from_token(track_url(A)) == (A, None)
    assert parse_track_ids(track_uri(A) + " " + track_url(A)).ids == [A]


# ----------------------------------------------------------------------------- properties

track_ids = st.text(alphabet=BASE62, min_size=22, max_size=22)


def _formats(track_id: str) -> list[str]:
    return [
        track_id,
        track_uri(track_id),
        track_url(track_id),
        f"https://open.spotify.com/intl-ja/track/{track_id}?si=0123abcd",
        f"open.spotify.com/track/{track_id}",
    ]


@given(
    ids=st.lists(track_ids, min_size=1, max_size=20),
    seps=st.lists(st.sampled_from([",", ", ", ";", " ", "\n", "\r\n", "\t", " ;\n", ",,"]), min_size=1),
    seed=st.integers(0, 2**32 - 1),
)
def test_valid_ids_round_trip_in_order_without_duplicates(ids: list[str], seps: list[str], seed: int) -> None:
    rng = random.Random(seed)
    tokens = [rng.choice(_formats(i)) for i in ids]
    text = "".join(tok + seps[n % len(seps)] for n, tok in enumerate(tokens))
    parsed = parse_track_ids(text)
    expected = list(dict.fromkeys(ids))
    assert parsed.ids == expected
    assert parsed.invalid == []
    assert parsed.duplicates == len(ids) - len(expected)


@given(st.text())
def test_random_text_never_raises_and_every_token_is_accounted_for(text: str) -> None:
    parsed = parse_track_ids(text)
    assert all(is_track_id(i) for i in parsed.ids)
    assert len(parsed.ids) == len(set(parsed.ids))
    invalid = [bad.token for bad in parsed.invalid]
    assert all(bad.reason for bad in parsed.invalid)
    tokens = [t for t in SEPARATORS.split(text) if t]
    accepted = 0
    for token in tokens:
        track_id, reason = track_id_from_token(token)
        if track_id is None:
            assert token in invalid, token
        else:
            assert track_id in parsed.ids
            accepted += 1
    assert accepted == len(parsed.ids) + parsed.duplicates
    assert len(invalid) == len(tokens) - accepted


@given(st.lists(st.one_of(track_ids.flatmap(lambda i: st.sampled_from(_formats(i))), st.text(max_size=30)), max_size=15))
def test_mixed_valid_and_junk_tokens(parts: list[str]) -> None:
    text = "\n".join(parts)
    parsed = parse_track_ids(text)
    order = []
    for token in (t for t in SEPARATORS.split(text) if t):
        track_id, _ = track_id_from_token(token)
        if track_id is not None and track_id not in order:
            order.append(track_id)
    assert parsed.ids == order
