"""Recommend: seeds in (paste, search, Explore/Clusters selection), filtered recommendations out."""
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from recommender.errors import FilterError, SeedError, TastemapError
from recommender.ids import parse_track_ids
from recommender.recommend import METHODS
from recommender.store import to_safe_csv
from ui import charts
from ui.data import (
    LAST_RECOMMENDATIONS_KEY,
    active_catalog,
    catalog_key,
    catalog_summary,
    genre_list,
    plot_frame,
    recommender_for,
    search_tracks,
    track_labels,
)
from ui.query import (
    FEATURES,
    STATE_DEFAULTS,
    feature_bounds,
    filters_from_state,
    query_to_state,
    seeds_for_query,
    state_to_query,
)
from ui.taste import taste_filter_widget
from ui.text import hover_labels, md_escape
from ui.widgets import bound, in_options, show_error, spotify_player, subset_of, track_table, within

st.set_page_config(page_title="Recommend · Tastemap", page_icon=":material/recommend:", layout="wide")
st.title("Get recommendations")

METHOD_HELP = {
    "hybrid": "Hybrid: sound, shared playlists and era together (recommended)",
    "similar": "Similar: closest in sound (audio features) only",
    "cluster": "Cluster: popular tracks from the seeds' sound cluster",
    "popular": "Popular: the most popular tracks that pass your filters",
}
APPLIED_QUERY = "rec_applied_query"  # the query string this session last applied or wrote

catalog = active_catalog()
summary = catalog_summary(catalog)
bounds = feature_bounds(summary)
genres = genre_list(catalog)
year_range = tuple(summary["year_range"]) if summary["year_range"] else None

# ---------------------------------------------------------------- restore a shared link
incoming = st.query_params.to_dict()
if incoming and incoming != st.session_state.get(APPLIED_QUERY):
    restored, notes = query_to_state(incoming, methods=METHODS, bounds=bounds, genres=genres, year_range=year_range)
    for key, value in {**STATE_DEFAULTS, **restored}.items():  # a link is a whole setting
        st.session_state[key] = value
    st.session_state[APPLIED_QUERY] = incoming
    st.session_state["rec_link_notes"] = notes
    st.session_state["rec_link_first_out"] = None
    if restored:
        st.toast("Seeds and filters restored from the link.", icon="🔗")
for note in st.session_state.get("rec_link_notes", []):
    st.warning("From the link: " + md_escape(note))

if not catalog.has_features:
    st.info("This catalog has no audio features. Load a catalog with features on the Home page to get recommendations.")
    st.stop()

# ---------------------------------------------------------------- seeds
left, right = st.columns([3, 2], gap="large")
with left:
    st.subheader("1. Seed tracks")
    seed_text = bound(
        st.text_area,
        "Paste Spotify track IDs, spotify:track: URIs or open.spotify.com links (mixed is fine)",
        "seed_text",
        "",
        height=130,
        max_chars=200_000,
        placeholder="https://open.spotify.com/track/6f807x0ima9a1j3VPbc7VN\nspotify:track:0r7CVbZTWZgbTCYdfa2P31",
        help="One per line, or separated by commas, semicolons or spaces.",
    )
    query = st.text_input("…or search the catalog by title or artist", key="rec_search_q", placeholder="e.g. Dua Lipa")
    chosen_ids = [t for t in st.session_state.get("rec_search_ids", []) if t in catalog]
    hits = search_tracks(catalog, query) if query else None
    options = list(dict.fromkeys(chosen_ids + (hits["track_id"].tolist() if hits is not None else [])))
    labels = track_labels(catalog, options)
    search_ids = bound(
        st.multiselect,
        "Tracks from the search",
        "rec_search_ids",
        [],
        valid=subset_of(options),
        options=options,
        format_func=lambda t: labels.get(t, t),
        placeholder="Type above, then pick tracks here",
    )
    if query and hits is not None and hits.empty:
        st.caption("No title or artist in this catalog contains that text.")
    if not seed_text.strip() and not search_ids:
        if st.button("Try three example seeds", icon=":material/auto_awesome:",
                     help="Fills the box with three popular tracks of the catalog"):
            top = catalog.tracks.dropna(subset=["popularity"]).nlargest(200, "popularity")
            picks = top.drop_duplicates("artists").head(3)["track_id"].tolist()
            st.session_state["seed_text"] = "\n".join(picks)
            st.rerun()

# ---------------------------------------------------------------- parse and check seeds
parsed = parse_track_ids(seed_text)
pasted = list(parsed.ids)
positions = catalog.positions(pasted) if pasted else []
found = [t for t, p in zip(pasted, positions) if p >= 0]
missing = [t for t, p in zip(pasted, positions) if p < 0]
seed_ids = list(dict.fromkeys(found + [t for t in search_ids if t in catalog]))

if parsed.invalid or missing:
    with right:
        problems = [{"you pasted": t.token[:200], "problem": t.reason} for t in parsed.invalid]
        problems += [{"you pasted": t, "problem": f"a valid track ID, but not in the catalog in use "
                      f"({catalog.name}); load a catalog that has it, or look it up on the Spotify page"}
                     for t in missing]
        st.warning(f"{len(problems)} of the items you pasted cannot be used as seeds; each one and why:")
        st.dataframe(pd.DataFrame(problems), hide_index=True, column_config={
            "you pasted": st.column_config.TextColumn("You pasted"),
            "problem": st.column_config.TextColumn("Why it cannot be used", width="large")})
if parsed.duplicates:
    with right:
        st.caption(f"{parsed.duplicates} repeated item(s) were counted once.")
if seed_ids:
    with right:
        st.subheader("Seeds in use")
        seeds_frame = catalog.tracks.iloc[catalog.positions(seed_ids)]
        track_table(seeds_frame, columns=["track_name", "artists", "popularity", "genres"],
                    height=min(38 + 35 * len(seed_ids), 250))

def current_state() -> dict:
    """The page's settings as stored under their plain session keys (see ui.query.STATE_DEFAULTS)."""
    state = {key: st.session_state.get(key, default) for key, default in STATE_DEFAULTS.items()}
    for f in FEATURES:
        for key in (f"rec_range_{f}", f"rec_target_on_{f}", f"rec_target_{f}"):
            if key in st.session_state:
                state[key] = st.session_state[key]
    return state


def advanced_filters(state: dict, bounds: dict, year_range: tuple | None) -> dict:
    """The filters set in the advanced panel (everything but the popularity range)."""
    flat = filters_from_state(state, bounds, year_range)
    return {k: v for k, v in flat.items() if k not in ("min_popularity", "max_popularity")}


# ---------------------------------------------------------------- method, filters, results
# One fragment: changing the method, a slider or a filter reruns and redraws only this part of
# the page, not the seed box, the search and the seeds table above it (issue 4: < 300 ms).
@st.fragment
def recommendations(seed_text: str, search_ids: list[str], seed_ids: list[str], missing: list[str],
                    any_invalid: bool) -> None:
    st.subheader("2. How to recommend")
    how_left, how_right = st.columns([3, 2], gap="large")
    with how_left:
        method = bound(st.radio, "Method", "rec_method", "hybrid", valid=in_options(METHODS, "hybrid"),
                       options=list(METHODS), format_func=lambda m: METHOD_HELP.get(m, m))
    with how_right:
        k = bound(st.slider, "Number of recommendations", "rec_k", 20, valid=within(5, 100, pair=False),
                  min_value=5, max_value=100, step=5)
        bound(st.slider, "Popularity range (0 = obscure, 100 = a hit)", "rec_pop", (0, 100),
                    valid=within(0, 100), min_value=0, max_value=100)

    # The advanced widgets are drawn only while the panel is open: closed, they cost the browser
    # nothing on each rerun. Their values live under plain session keys either way.
    active = len(advanced_filters(current_state(), bounds, year_range))
    advanced = st.expander("Advanced filters: audio features, genres, years, artists"
                           + (f" ({active} active)" if active else ""),
                           key="rec_advanced", on_change="rerun")
    if advanced.open:
        with advanced:
            feat_options = [f for f in FEATURES if f in bounds]
            chosen_features = bound(
                st.multiselect, "Audio features to limit or aim at", "rec_features", [],
                valid=subset_of(feat_options), options=feat_options, format_func=charts.feature_label,
                help="For each feature: a min-max range, and optionally a target value the ranking is pulled towards.",
            )
            for f in chosen_features:
                lo, hi, step = bounds[f]
                c1, c2, c3 = st.columns([3, 1, 2])
                bound(c1.slider, f"{charts.feature_label(f)}: allowed range", f"rec_range_{f}", (lo, hi),
                      valid=within(lo, hi), min_value=lo, max_value=hi, step=step)
                on = bound(c2.toggle, "target", f"rec_target_on_{f}", False)
                if on:
                    bound(c3.slider, f"{charts.feature_label(f)}: target", f"rec_target_{f}", (lo + hi) / 2,
                          valid=within(lo, hi, pair=False), min_value=lo, max_value=hi, step=step)
            g1, g2 = st.columns(2)
            bound(g1.multiselect, "Only these genres", "rec_genres_in", [], valid=subset_of(genres), options=genres,
                  placeholder="any genre")
            bound(g2.multiselect, "Never these genres", "rec_genres_out", [], valid=subset_of(genres), options=genres,
                  placeholder="none excluded")
            a1, a2, a3 = st.columns(3)
            if year_range and year_range[1] > year_range[0]:
                year_lo, year_hi = int(year_range[0]), int(year_range[1])
                bound(a1.slider, "Release years", "rec_years", (year_lo, year_hi),
                      valid=lambda v: within(year_lo, year_hi)(v or (year_lo, year_hi)),
                      min_value=year_lo, max_value=year_hi)
            bound(a2.checkbox, "Leave out the seeds' artists", "rec_excl_artists", False,
                  help="Discover other artists than the ones you pasted")
            bound(a3.number_input, "Max tracks per artist in the list (0 = no limit)", "rec_max_per_artist", 0,
                  valid=lambda v: int(v) if isinstance(v, (int, float)) and 0 <= v <= 100 else 0,
                  help="Without a limit, each page of 10 results still holds at most 2 tracks of one artist.",
                  min_value=0, max_value=100, step=1)

    # ---------------------------------------------------------------- filters and the shareable link
    flat_filters = filters_from_state(current_state(), bounds, year_range)
    outgoing = state_to_query(seeds_for_query(seed_text, search_ids), method, k, flat_filters)
    if outgoing != st.query_params.to_dict():
        st.query_params.from_dict(outgoing)
    st.session_state[APPLIED_QUERY] = outgoing
    if st.session_state.get("rec_link_notes"):  # notes about a link last until the user changes something
        first = st.session_state.get("rec_link_first_out")
        if first is None:
            st.session_state["rec_link_first_out"] = outgoing
        elif first != outgoing:
            st.session_state["rec_link_notes"] = []

    # ---------------------------------------------------------------- recommend
    st.subheader("3. Recommendations")
    if not seed_ids and method != "popular":
        if missing or any_invalid:
            st.error("None of the items you pasted is a usable seed: fix the ones listed above, or search by title or artist.")
        else:
            st.info("Paste at least one track, search for one, or choose **Popular** to start.")
        return

    memo_key = (catalog_key(catalog), method, tuple(seed_ids), k, repr(sorted(flat_filters.items())))
    memo = st.session_state.get("rec_memo")
    if memo is not None and memo[0] == memo_key:
        result = memo[1]
    else:
        try:
            model = recommender_for(method, catalog)
            with st.spinner("Finding tracks…"):
                result = model.recommend(seed_ids, k=int(k), filters=flat_filters)
        except (SeedError, FilterError) as exc:
            show_error(exc)
            return
        except TastemapError as exc:
            show_error(exc, prefix="The recommender could not answer:")
            return
        st.session_state["rec_memo"] = (memo_key, result)

    recs = result.recommendations
    # The listener's taste model (trained on the Taste page) can score, hide or re-rank these.
    recs = taste_filter_widget(recs)
    st.session_state[LAST_RECOMMENDATIONS_KEY] = recs

    if result.message:
        st.warning(md_escape(result.message))
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
        + ". Click a row to play it below; “Open ↗” opens it on Spotify."
    )
    shown = ["rank", "track_name", "artists", "popularity", "score"]
    shown += ["like_probability"] if "like_probability" in recs else []
    table = track_table(recs, columns=shown + ["why"], key="rec_table",
                        select="single-row")
    rows = table.selection.rows if table is not None and hasattr(table, "selection") else []
    row = rows[0] if rows and rows[0] < len(recs) else None

    # The plot is drawn only when its tab is open: redrawing it costs more than the rest of the page.
    tab_listen, tab_plot = st.tabs(["Listen and share", "Plot: seeds and results"], key="rec_view", on_change="rerun")
    with tab_listen:
        col_player, col_share = st.columns([2, 3], gap="large")
        with col_player:
            # The player loads only for a row the listener picks: an embed per rerun would reload
            # Spotify's page in the browser each time the list changes.
            if row is None:
                st.caption("Click a row of the table to play that track here.")
            else:
                st.text(f"{recs['track_name'].iat[row]} — {recs['artists'].iat[row]}")
                spotify_player(str(recs["track_id"].iat[row]))
        with col_share:
            st.download_button(
                "Download these recommendations (CSV)",
                # Built when clicked, not on every rerun (the table changes with each setting).
                data=lambda: to_safe_csv(recs.drop(columns=[c for c in recs.columns if c in FEATURES],
                                                   errors="ignore")),
                file_name="tastemap_recommendations.csv",
                mime="text/csv",
                icon=":material/download:",
                help="Cells that a spreadsheet would run as a formula are neutralised.",
            )
            st.markdown("**Share**: the address bar now holds these seeds and filters; copy it, or this link:")
            try:
                base = st.context.url.split("?")[0] if st.context.url else ""
            except Exception:  # no browser context (tests, bare mode)
                base = ""
            if outgoing:
                st.code(base + "?" + urlencode(outgoing, safe=",:"), language=None, wrap_lines=True)

    if tab_plot.open:
        with tab_plot:
            plot_feats = [f for f in ("energy", "valence", "danceability", "acousticness", "tempo", "loudness",
                                      "popularity", "release_year", "speechiness", "instrumentalness", "liveness",
                                      "duration_ms") if f in recs]
            p1, p2 = st.columns(2)
            x = bound(p1.selectbox, "X", "rec_plot_x", plot_feats[0], valid=in_options(plot_feats, plot_feats[0]),
                      options=plot_feats, format_func=charts.feature_label)
            y = bound(p2.selectbox, "Y", "rec_plot_y", plot_feats[1 % len(plot_feats)],
                      valid=in_options(plot_feats, plot_feats[0]), options=plot_feats, format_func=charts.feature_label)
            background = plot_frame(catalog)  # a fixed random sample of the catalog
            shown_seeds = catalog.tracks.iloc[catalog.positions(seed_ids)] if seed_ids else catalog.tracks.iloc[:0]
            shown_seeds = shown_seeds.assign(label=hover_labels(shown_seeds["track_name"], shown_seeds["artists"]))
            shown_recs = recs.assign(label=hover_labels(recs["track_name"], recs["artists"]))
            st.plotly_chart(charts.seeds_vs_results(shown_seeds, shown_recs, background, x, y), key="rec_plot",
                            config=charts.WEBGL_CONFIG)


recommendations(seed_text, search_ids, seed_ids, missing, bool(parsed.invalid))
