"""Recommend: seeds in (paste, search, Explore/Clusters selection), filtered recommendations out."""
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from recommender.errors import FilterError, SeedError, TastemapError
from recommender.seeds import SeedSet
from ui import auth, charts, state
from ui.data import (
    SEARCH_LIMIT,
    active_catalog,
    catalog_key,
    catalog_summary,
    check_seeds,
    example_seeds,
    genre_list,
    pick_labels,
    plot_frame,
    search_tracks,
)
from ui.fitted import recommender_for
from ui.glossary import glossary_popover
from ui.query import (
    FEATURES,
    advanced_filter_count,
    feature_bounds,
    filters_from_state,
    offered_methods,
    page_state,
    query_to_state,
    state_to_query,
)
from ui.results import (
    PANEL_HEIGHT,
    is_library,
    recommendations_csv,
    recommendations_json,
    renumbered,
    results_table,
    row_panel,
    sound_tags,
    spotify_links,
    with_file_paths,
)
from ui.taste import taste_filter_widget
from ui.text import hover_labels, md_escape
from ui.widgets import (
    bound,
    form_bound,
    in_options,
    show_error,
    submit_form,
    subset_of,
    track_table,
    widget_key,
    within,
)

auth.require_sign_in()  # a fresh server's first request for this address skips the navigation's gate

st.set_page_config(page_title="Recommend · Tastemap", page_icon=":material/recommend:", layout="wide")
st.title("Get recommendations")

METHOD_HELP = {
    "sound": "Sound: sounds alike to a pretrained music network (recommended)",
    "hybrid": "Hybrid: sound, shared playlists and era together (recommended)",
    "learned": "Learned: the hybrid's picks re-ordered by what this catalog's playlists teach (learns once, about a minute)",
    "similar": "Similar: closest in sound (audio features) only",
    "cluster": "Cluster: popular tracks from the seeds' sound cluster",
    "popular": "Popular: the most popular tracks that pass your filters",
}

catalog = active_catalog()
summary = catalog_summary(catalog)
bounds = feature_bounds(summary)
genres = genre_list(catalog)
year_range = tuple(summary["year_range"]) if summary["year_range"] else None
library = is_library(catalog)  # the listener's own music files: played here, never on Spotify
methods = offered_methods(summary, catalog.has_sound)  # what gives a sensible list here, the default first
tags = sound_tags(catalog)  # the network's tags heard in this catalog (libraries only)
popularity_known = bool(summary.get("popularity_known"))
method_help = dict(METHOD_HELP)
if "sound" in methods:
    method_help["hybrid"] = "Hybrid: measured sound, shared playlists and era together"
    method_help["similar"] = "Similar: closest in measured tempo, loudness, key and length"


def feature_label(f: str) -> str:
    # A library's loudness is measured as in broadcasting (EBU R 128), in LUFS.
    return "Loudness (LUFS)" if library and f == "loudness" else charts.feature_label(f)


# ---------------------------------------------------------------- restore a shared link
incoming = st.query_params.to_dict()
if incoming and incoming != st.session_state.get(state.REC_APPLIED_QUERY):
    restored, notes = query_to_state(incoming, methods=methods, bounds=bounds, genres=genres, year_range=year_range,
                                     tags=tags)
    for key, value in {**state.RECOMMEND_DEFAULTS, **restored}.items():  # a link is a whole setting
        st.session_state[key] = value
    st.session_state[state.REC_APPLIED_QUERY] = incoming
    st.session_state[state.REC_LINK_NOTES] = notes
    st.session_state[state.REC_LINK_FIRST_OUT] = None
    if restored:
        st.toast("Seeds and filters restored from the link.", icon="🔗")
for note in st.session_state.get(state.REC_LINK_NOTES, []):
    st.warning("From the link: " + md_escape(note))

if not catalog.has_features:
    st.info("This catalog has no audio features. Load a catalog with features on the Home page to get recommendations.")
    st.stop()

# ---------------------------------------------------------------- seeds
# The seeds apply when the listener presses "Get recommendations" (or Ctrl+Enter in the box):
# until then the box and the search hold a draft. Other pages, links and "more like this" set
# the applied seeds directly.
left, right = st.columns([2, 1], gap="large")
with left:
    st.subheader("1. Seed tracks")
    # Search by title or artist as the listener types (after a pause); the matches are offered in the
    # pick box. The search runs here and only its matches (up to 50) and the picks are sent:
    # offering every track in one box cost ~15 ms and 1.75 MB on every rerun (28k labels). Not in a
    # fragment: on this page the form's button then sent nothing after a pick (Streamlit 1.67,
    # Chromium; a small app did not show it), so a pause in typing reruns the page.
    query = st.text_input(
        "Find tracks by title or artist",
        key="rec_search_q", type="search", live="300ms", placeholder="e.g. Dua Lipa",
        help="Type part of a title or an artist; the matches, most popular first, are in the box below.")
    hits = search_tracks(catalog, query) if query.strip() else None
    matched = hits is not None and not hits.empty
    # The picks stay offered while the search changes: the applied ones and the draft.
    picked = [*st.session_state.get(state.REC_SEARCH_IDS, []),
              *st.session_state.get(widget_key(state.REC_SEARCH_IDS), [])]
    options = [t for t in dict.fromkeys(picked + (hits["track_id"].tolist() if hits is not None else []))
               if t in catalog]
    labels = pick_labels(catalog, options)
    if hits is not None and not matched:
        st.caption("No title or artist in this catalog contains that text.")
    form_bound(
        st.multiselect,
        f"Pick from the {len(hits)}{'+' if len(hits) == SEARCH_LIMIT else ''} matches" if matched else "Picked tracks",
        state.REC_SEARCH_IDS,
        [],
        valid=subset_of(options),
        options=options,
        format_func=labels.__getitem__,
        filter_mode="contains",
        select_all=False,
        placeholder="Choose tracks" if matched else "Search above, then pick tracks here",
    )
    with st.form("rec_seed_form", border=False):
        seed_text = form_bound(
            st.text_area,
            "…or paste track IDs of your library (from its CSV export)" if library else
            "…or paste Spotify track IDs, spotify:track: URIs or open.spotify.com links (mixed is fine)",
            state.SEED_TEXT,
            "",
            height=130,
            max_chars=200_000,
            placeholder=("\n".join(catalog.tracks["track_id"].head(2).astype(str)) if library else
                         "https://open.spotify.com/track/6f807x0ima9a1j3VPbc7VN\nspotify:track:0r7CVbZTWZgbTCYdfa2P31"),
            help="One per line, or separated by commas, semicolons or spaces.",
        )
        st.form_submit_button("Get recommendations", type="primary", icon=":material/play_arrow:",
                              key="rec_get", on_click=submit_form, args=(state.SEED_TEXT, state.REC_SEARCH_IDS))
    search_ids = st.session_state.get(state.REC_SEARCH_IDS, [])
    if not seed_text.strip() and not search_ids and popularity_known:
        if st.button("Try three example seeds", icon=":material/auto_awesome:",
                     help="Recommends from three popular tracks of the catalog"):
            st.session_state[state.SEED_TEXT] = "\n".join(example_seeds(catalog))
            st.rerun()

# ---------------------------------------------------------------- check the seeds
check = check_seeds(catalog, seed_text, search_ids)
seed_ids = check.seed_ids
if len(check.problems):
    with right:
        st.warning(f"{len(check.problems)} of the items you pasted cannot be used as seeds; each one and why:")
        st.dataframe(check.problems, hide_index=True, column_config={
            "you pasted": st.column_config.TextColumn("You pasted"),
            "problem": st.column_config.TextColumn("Why it cannot be used", width="large")})
if check.seeds.duplicates:
    with right:
        st.caption(f"{check.seeds.duplicates} repeated item(s) were counted once.")
if seed_ids:
    st.markdown(f"**Seeds in use** ({len(seed_ids)})")
    seed_columns = (["track_name", "artists", "album_name", "file_path"] if library
                    else ["track_name", "artists", "album_name", "release_year", "popularity"])
    # Only the columns the table reads (the ID and any file path, for the link): a row take of
    # every column costs more.
    shown_columns = [c for c in dict.fromkeys(["track_id", *seed_columns, "file_path"]) if c in catalog.tracks]
    track_table(catalog.tracks.iloc[check.seeds.positions, catalog.tracks.columns.get_indexer(shown_columns)],
                columns=seed_columns,
                height=min(38 + 35 * len(seed_ids), 250), wide=True)


# ---------------------------------------------------------------- method, filters, results
# One fragment: changing the method, a slider or a filter reruns and redraws only this part of
# the page, not the seed box, the search and the seeds table above it (issue 4: < 300 ms).
@st.fragment
def recommendations(seeds: SeedSet) -> None:
    seed_ids = list(seeds.found)
    title_col, glossary_col = st.columns([4, 1], vertical_alignment="bottom")
    title_col.subheader("2. How to recommend")
    with glossary_col:
        glossary_popover()  # the audio features the filters, the why and the CSV name
    how_left, how_right = st.columns([3, 2], gap="large")
    with how_left:
        method = bound(st.radio, "Method", state.REC_METHOD, methods[0], valid=in_options(methods, methods[0]),
                       options=list(methods), format_func=lambda m: method_help.get(m, m))
        bound(st.checkbox, "Leave out the seeds' artists", "rec_excl_artists", False,
              help="Discover other artists than the ones you chose")
        bound(st.checkbox, "Include other versions and remixes of my seed songs", "rec_include_versions", False,
              help="Left out by default: a remaster or remix of a seed sounds like the seed you already know")
    with how_right:
        k = bound(st.slider, "Number of recommendations", "rec_k", 20, valid=within(5, 100, pair=False),
                  min_value=5, max_value=100, step=5)
        if popularity_known:
            bound(st.slider, "Popularity range (0 = obscure, 100 = a hit)", "rec_pop", (0, 100),
                  valid=within(0, 100), min_value=0, max_value=100)
        else:
            st.session_state["rec_pop"] = (0, 100)  # no track has a popularity: nothing to filter on
        if tags:
            bound(st.multiselect, "Sounds like these tags", "rec_tags", [], valid=subset_of(tags), options=tags,
                  placeholder="any sound",
                  help="Only tracks in which the music network heard every tag you choose (e.g. guitar, slow)")
        else:
            st.session_state["rec_tags"] = []

    # The advanced widgets are drawn only while the panel is open: closed, they cost the browser
    # nothing on each rerun. Their values live under plain session keys either way. The label
    # never changes (a new label would be a new expander, which Streamlit draws closed).
    advanced = st.expander("Advanced filters: audio features, genres, years, artists",
                           key="rec_advanced", on_change="rerun")
    if advanced.open:
        with advanced:
            feat_options = [f for f in FEATURES if f in bounds]
            chosen_features = bound(
                st.multiselect, "Audio features to limit or aim at", "rec_features", [],
                valid=subset_of(feat_options), options=feat_options, format_func=feature_label,
                help="For each feature: a min-max range, and optionally a target value the ranking is pulled towards.",
            )
            for f in chosen_features:
                lo, hi, step = bounds[f]
                c1, c2, c3 = st.columns([3, 1, 2])
                bound(c1.slider, f"{feature_label(f)}: allowed range", f"rec_range_{f}", (lo, hi),
                      valid=within(lo, hi), min_value=lo, max_value=hi, step=step)
                on = bound(c2.toggle, "target", f"rec_target_on_{f}", False)
                if on:
                    bound(c3.slider, f"{feature_label(f)}: target", f"rec_target_{f}", (lo + hi) / 2,
                          valid=within(lo, hi, pair=False), min_value=lo, max_value=hi, step=step)
            if genres:  # a library's files mostly have no genre tag
                g1, g2 = st.columns(2)
                bound(g1.multiselect, "Only these genres", "rec_genres_in", [], valid=subset_of(genres),
                      options=genres, placeholder="any genre")
                bound(g2.multiselect, "Never these genres", "rec_genres_out", [], valid=subset_of(genres),
                      options=genres, placeholder="none excluded")
            a1, a2 = st.columns(2)
            if year_range and year_range[1] > year_range[0]:
                year_lo, year_hi = int(year_range[0]), int(year_range[1])
                bound(a1.slider, "Release years", "rec_years", (year_lo, year_hi),
                      valid=lambda v: within(year_lo, year_hi)(v or (year_lo, year_hi)),
                      min_value=year_lo, max_value=year_hi)
            bound(a2.number_input, "Max tracks per artist in the list (0 = no limit)", "rec_max_per_artist", 0,
                  valid=lambda v: int(v) if isinstance(v, (int, float)) and 0 <= v <= 100 else 0,
                  help="Without a limit, each page of 10 results still holds at most 2 tracks of one artist.",
                  min_value=0, max_value=100, step=1)

    # ---------------------------------------------------------------- filters and the shareable link
    flat_filters = filters_from_state(page_state(st.session_state), bounds, year_range)
    active = advanced_filter_count(flat_filters)
    st.caption(f"Advanced filters: {active} set." if active else "No advanced filter set.")
    # Only seeds the catalog resolved go into the link: a rejected ID would be rejected again.
    outgoing = state_to_query(seed_ids, method, k, flat_filters)
    if outgoing != st.query_params.to_dict():
        st.query_params.from_dict(outgoing)
    st.session_state[state.REC_APPLIED_QUERY] = outgoing
    if st.session_state.get(state.REC_LINK_NOTES):  # notes about a link last until the user changes something
        first = st.session_state.get(state.REC_LINK_FIRST_OUT)
        if first is None:
            st.session_state[state.REC_LINK_FIRST_OUT] = outgoing
        elif first != outgoing:
            st.session_state[state.REC_LINK_NOTES] = []

    # ---------------------------------------------------------------- recommend
    st.subheader("3. Recommendations")
    if not seed_ids and method != "popular":
        if seeds.not_in_catalog or seeds.invalid:
            st.error("None of the items you pasted is a usable seed: fix the ones listed above, or search by title or artist.")
        else:
            st.info("Paste at least one track or search for one, then press **Get recommendations**"
                    + ("; or choose **Popular** to start." if "popular" in methods else "."))
        return

    memo_key = (catalog_key(catalog), method, tuple(seed_ids), k, repr(sorted(flat_filters.items())))
    memo = st.session_state.get(state.REC_MEMO)
    if memo is not None and memo[0] == memo_key:
        result = memo[1]
    else:
        try:
            model = recommender_for(method, catalog)
            with st.spinner("Finding tracks…"):
                result = model.recommend(seeds, k=int(k), filters=flat_filters)
        except (SeedError, FilterError) as exc:
            show_error(exc)
            return
        except TastemapError as exc:
            show_error(exc, prefix="The recommender could not answer:")
            return
        st.session_state[state.REC_MEMO] = (memo_key, result)

    if result.message:
        st.warning(md_escape(result.message))
    for note in getattr(result, "notes", None) or []:
        st.info(md_escape(note), icon=":material/info:")
    # The listener's taste model (trained on the Taste page) can score, hide or re-rank these;
    # ranks then follow the order shown.
    def more(n: int) -> pd.DataFrame:  # the same request, deeper: refills a list the taste filter thinned
        return recommender_for(method, catalog).recommend(seeds, k=n, filters=flat_filters).recommendations

    recs = with_file_paths(renumbered(taste_filter_widget(result.recommendations, more=more)), catalog)
    st.session_state[state.LAST_RECOMMENDATIONS] = recs
    if recs.empty and not result.recommendations.empty:
        st.warning("The taste filter hid every recommendation: lower its threshold, or choose “Show score”.")
        return
    if recs.empty:
        if not result.message:
            st.warning("No track passes these filters: widen the popularity range or the advanced filters.")
        return

    st.caption(
        f"{len(recs)} tracks by the {method} method"
        + (f" for {len(seed_ids)} seed(s)" if seed_ids and method != "popular" else "")
        + (". Click a row to play its file just above the table." if library
           else ". Click a row to play it just above the table; “Open ↗” opens it on Spotify.")
    )
    panel = st.container(height=PANEL_HEIGHT)  # filled once the table says which row is chosen
    row = results_table(recs)
    with panel:
        more_like = row_panel(recs, row, catalog)
    if more_like is not None:
        st.session_state[state.SEED_TEXT] = more_like
        st.session_state[state.REC_SEARCH_IDS] = []
        st.rerun()  # the whole page: the seed box and "Seeds in use" show the new seed

    # The plot is drawn only when its tab is open: redrawing it costs more than the rest of the page.
    tab_share, tab_plot = st.tabs(["Share and export", "Plot: seeds and results"], key="rec_view",
                                  on_change="rerun")
    with tab_share:
        col_files, col_links = st.columns(2, gap="large")
        with col_files:
            st.download_button(
                "Download these recommendations (CSV)",
                data=lambda: recommendations_csv(recs),  # built when clicked, not on every rerun
                file_name="tastemap_recommendations.csv",
                mime="text/csv",
                icon=":material/download:",
                help=("File paths, measured features and the reasons" if library else
                      "Spotify links, audio features and the reasons")
                + "; cells a spreadsheet would run as a formula are neutralised.",
            )
            st.download_button(
                "Download them as JSON",
                data=lambda: recommendations_json(recs),
                file_name="tastemap_recommendations.json",
                mime="application/json",
                icon=":material/data_object:",
                help="The same columns as the CSV, one record per track, for other programs.",
            )
            st.markdown("**Share**: the address bar now holds these seeds and filters; copy it, or this link:")
            try:
                base = st.context.url.split("?")[0] if st.context.url else ""
            except Exception:  # no browser context (tests, bare mode)
                base = ""
            if outgoing:
                st.code(base + "?" + urlencode(outgoing, safe=",:"), language=None, wrap_lines=True)
        links = spotify_links(recs)
        if links:  # none for a library's own files
            with col_links:
                st.markdown("**Copy as Spotify links** (one a line; paste them into a Spotify playlist):")
                st.code(links, language=None, height=200)

    if tab_plot.open:
        with tab_plot:
            plot_feats = [f for f in ("energy", "valence", "danceability", "acousticness", "tempo", "loudness",
                                      "popularity", "release_year", "speechiness", "instrumentalness", "liveness",
                                      "duration_ms") if f in recs and recs[f].notna().any()]
            p1, p2 = st.columns(2)
            x = bound(p1.selectbox, "X", "rec_plot_x", plot_feats[0], valid=in_options(plot_feats, plot_feats[0]),
                      options=plot_feats, format_func=feature_label)
            y = bound(p2.selectbox, "Y", "rec_plot_y", plot_feats[1 % len(plot_feats)],
                      valid=in_options(plot_feats, plot_feats[0]), options=plot_feats, format_func=feature_label)
            background = plot_frame(catalog)  # a fixed random sample of the catalog
            shown_seeds = catalog.tracks.iloc[seeds.positions]
            shown_seeds = shown_seeds.assign(label=hover_labels(shown_seeds["track_name"], shown_seeds["artists"]))
            shown_recs = recs.assign(label=hover_labels(recs["track_name"], recs["artists"]))
            st.plotly_chart(charts.seeds_vs_results(shown_seeds, shown_recs, background, x, y), key="rec_plot",
                            config=charts.WEBGL_CONFIG)


recommendations(check.seeds)
