"""Every key this app keeps in ``st.session_state`` beyond a widget's own value, in one place.

A page's widget keys (``rec_k``, ``explore_x`` ...) are the widgets' identities and stay with
the widget; the keys here are read or written by more than one place, or hold work a rerun
must not redo. Values a widget mirrors across pages (``ui.widgets.bound``) live under these
plain keys too; the Recommend page's settings and their defaults are :data:`RECOMMEND_DEFAULTS`.
"""
from __future__ import annotations

from typing import Any

# ----------------------------------------------------------------------------- shared by pages
CATALOG = "catalog"  # the Catalog in use (Home sets it; every page reads it)
SEED_TEXT = "seed_text"  # pasted seeds: Explore, Clusters, Playlist, Taste and Spotify send tracks here
LAST_RECOMMENDATIONS = "last_recommendations"  # the list Recommend showed last (Spotify saves it)
PENDING_LIKES = "pending_likes"  # track IDs the Spotify page found, waiting to be labelled on Taste

# ----------------------------------------------------------------------------- Home
UPLOAD_SERIAL = "home_upload_serial"  # bumping it gives a fresh, empty uploader
UPLOAD_DONE = "home_upload_done"  # file_id of the upload already handled (no reload on reruns)
UPLOAD_NOTE = "home_upload_note"  # (kind, text, kept catalog name) shown under the uploader
AUDIO_JOB = "home_audio_job"  # the music scan asked for (ui.audio_library.ScanJob): runs on each rerun until done
AUDIO_RESULT = "home_audio_result"  # the last finished music scan as shown (ui.audio_library.ScanOutcome)
AUDIO_UPLOAD_SERIAL = "home_audio_upload_serial"  # bumping it gives a fresh, empty music uploader

# ----------------------------------------------------------------------------- Recommend
REC_SEARCH_IDS = "rec_search_ids"  # tracks picked in the search box
REC_METHOD = "rec_method"
REC_APPLIED_QUERY = "rec_applied_query"  # the query string this session last applied or wrote
REC_LINK_NOTES = "rec_link_notes"  # what a shared link asked for that could not be restored
REC_LINK_FIRST_OUT = "rec_link_first_out"  # the page's first own query after a link (notes end after it)
REC_MEMO = "rec_memo"  # (settings, result) of the last request: reruns do not ask the engine again
DEFAULT_K = 20
# The Recommend page's settings (also what a shared link restores) and their defaults.
RECOMMEND_DEFAULTS: dict[str, Any] = {
    SEED_TEXT: "",
    REC_SEARCH_IDS: [],
    REC_METHOD: "hybrid",
    "rec_k": DEFAULT_K,
    "rec_pop": (0, 100),
    "rec_features": [],
    "rec_genres_in": [],
    "rec_genres_out": [],
    "rec_tags": [],  # audio libraries: only tracks in which the network heard every one of these tags
    "rec_years": None,  # (lo, hi) or None for the catalog's whole range
    "rec_excl_artists": False,
    "rec_include_versions": False,  # other versions/remixes of the seed songs may appear
    "rec_max_per_artist": 0,  # 0 = no hard cap (the engine still varies artists per page of 10)
}

# ----------------------------------------------------------------------------- Clusters
CLUSTERS_SCORES_ON = "clusters_scores_on"  # the elbow chart was asked for (kept across reruns)

# ----------------------------------------------------------------------------- Playlist
PLAYLIST_FILE = "pl_file"  # (file_id, file name, loaded Catalog or None, error text or None)
PLAYLIST_SIGNATURE = "pl_signature"  # which playlist the filter sliders were set for
PLAYLIST_RANGE_PREFIX = "pl_range_"  # + feature: a filter slider's range

# ----------------------------------------------------------------------------- Spotify
SPOTIFY_CLIENT = "spotify_client"
SPOTIFY_TOKENS = "spotify_tokens"
SPOTIFY_PROFILE = "spotify_profile"
SPOTIFY_LOGIN_STATE = "spotify_login_state"
SPOTIFY_LOOKUP = "spotify_lookup"
SPOTIFY_IMPORT = "spotify_import"
SPOTIFY_MY_PLAYLISTS = "spotify_my_playlists"
SPOTIFY_SAVED = "spotify_saved"
