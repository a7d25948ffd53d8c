"""``spotify tracks`` and ``spotify playlist``: name track IDs and read playlists from Spotify.

Credentials come from ``SPOTIPY_CLIENT_ID`` / ``SPOTIPY_CLIENT_SECRET`` (``SPOTIFY_API_BASE``
and ``SPOTIFY_ACCOUNTS_BASE`` point elsewhere). The CLI uses the app's own token: in
development mode Spotify only lets it read playlists through a logged-in user, which the
dashboard's Spotify page provides.
"""
from __future__ import annotations

import argparse
import logging
import sys

from ..errors import SpotifyError
from ..spotify import SpotifyClient, SpotifyConfig, load_credentials
from ._common import add_catalog_option, add_format_option, catalog_from_args, print_json, print_table

NO_CREDENTIALS = (
    "Spotify is not connected: set SPOTIPY_CLIENT_ID and SPOTIPY_CLIENT_SECRET to your app's values "
    "from https://developer.spotify.com/dashboard (see 'Connect Spotify' in the README)."
)


def register(sub: argparse._SubParsersAction) -> None:
    group = sub.add_parser("spotify", help="name tracks and read playlists through the Spotify Web API")
    commands = group.add_subparsers(dest="spotify_command", metavar="SUBCOMMAND", required=True)

    p = commands.add_parser("tracks", help="look up track IDs, URIs or links: title, artists, album, link")
    p.add_argument("text", metavar="TEXT", help="IDs, spotify:track: URIs or open.spotify.com links, separated by spaces, commas or newlines")
    add_format_option(p)
    p.set_defaults(func=tracks)

    p = commands.add_parser("playlist", help="list a playlist's tracks and whether each is in the catalog")
    p.add_argument("link", metavar="LINK", help="playlist link, spotify:playlist: URI or ID")
    add_catalog_option(p)
    add_format_option(p)
    p.set_defaults(func=playlist)


def _client() -> SpotifyClient:
    if not logging.getLogger().isEnabledFor(logging.INFO):
        # spotipy logs every HTTP error it raises; we explain them ourselves.
        logging.getLogger("spotipy").setLevel(logging.CRITICAL)
    credentials = load_credentials()
    if credentials is None:
        raise SpotifyError(NO_CREDENTIALS)
    return SpotifyClient(credentials, config=SpotifyConfig.from_env(), on_wait=_say_wait)


def _say_wait(seconds: float, message: str) -> None:
    print(f"note: {message}", file=sys.stderr, flush=True)


def tracks(args: argparse.Namespace) -> int:
    result = _client().lookup_tracks(args.text)
    for bad in result.invalid:
        print(f"skipped: {bad.reason}", file=sys.stderr)
    found = result.frame()
    if args.format == "json":
        print_json(
            {
                "tracks": found.to_dict(orient="records"),
                "not_found": result.not_found,
                "not_looked_up": result.not_looked_up,
                "invalid": [{"token": b.token, "reason": b.reason} for b in result.invalid],
                "complete": result.complete,
                "error": result.error,
            }
        )
    else:
        print_table(found[["track_id", "track_name", "artists", "album_name", "url"]])
        for track_id in result.not_found:
            print(f"not found on Spotify: {track_id}", file=sys.stderr)
    if result.error:
        print(f"error: {result.error}", file=sys.stderr)
        return 2 if not result.tracks else 1
    if not (result.tracks or result.not_found):
        print("error: the text holds no Spotify track ID, URI or link", file=sys.stderr)
        return 2
    return 0


def playlist(args: argparse.Namespace) -> int:
    client = _client()
    catalog = catalog_from_args(args)
    result = client.import_playlist(args.link)
    frame = result.frame(catalog)
    if args.format == "json":
        print_json(
            {
                "playlist_id": result.playlist_id,
                "total": result.total,
                "tracks": frame.to_dict(orient="records"),
                "in_catalog": int(frame["in_catalog"].sum()),
                "skipped": result.skipped,
                "complete": result.complete,
                "error": result.error,
            }
        )
    else:
        print_table(frame)
        print(f"{result.summary()}; {int(frame['in_catalog'].sum())} in the catalog", file=sys.stderr)
    if result.error:
        print(f"warning: {result.error}", file=sys.stderr)
        return 1
    return 0


__all__ = ["register", "tracks", "playlist"]
