"""Clusters: groups of tracks that sound alike (K-means), what each group is, and its tracks. A
listener's own music library is grouped by what the network heard, the groups named by tags."""
import numpy as np
import pandas as pd
import streamlit as st

from ui import auth, charts, library_charts, state
from ui.cluster_data import cluster_figures, cluster_labels, cluster_model, k_scores
from ui.data import PLOT_SAMPLE, active_catalog, percentile_scale
from ui.glossary import glossary_popover
from ui.text import md_escape
from ui.widgets import bound, in_options, send_seeds, subset_of, track_table, within

auth.require_sign_in()  # a fresh server's first request for this address skips the navigation's gate

st.set_page_config(page_title="Clusters · Tastemap", page_icon="🧭", layout="wide")
st.title("Clusters of tracks that sound alike")

catalog = active_catalog()
LIBRARY = catalog.has_sound  # a listener's own music, analysed by the network
if not catalog.has_features and not LIBRARY:
    st.info("This catalog has no audio features to cluster. Load another file on the Home page.")
    st.stop()
# A library is grouped by its sound analysis, which tells even a few tracks apart; Spotify's
# features need more tracks before groups mean anything.
MIN_TRACKS = 4 if LIBRARY else 20
if len(catalog) < MIN_TRACKS:
    st.info(f"This catalog has only {len(catalog)} tracks: too few to find clusters. Load a larger file on the Home page.")
    st.stop()

RADAR_FEATURES = [f for f in ("energy", "danceability", "valence", "acousticness", "speechiness",
                              "instrumentalness", "liveness", "tempo", "loudness") if f in catalog.feature_names]
MAX_K = min(15, len(catalog) - 1)
DEFAULT_K = min(8, max(2, len(catalog) // 10)) if LIBRARY else min(8, MAX_K)  # a small library: few groups

c1, c2, c3 = st.columns([1, 2, 1])
mode = bound(c1.radio, "Number of groups", "clusters_mode", "choose",
             valid=in_options(["choose", "auto"], "choose"), options=["choose", "auto"],
             format_func=lambda m: "I choose" if m == "choose" else "Let Tastemap choose")
if mode == "choose":
    k_value = bound(c2.slider, "How many groups", "clusters_k", DEFAULT_K, valid=within(2, MAX_K, pair=False),
                    min_value=2, max_value=MAX_K)
else:
    c2.caption(f"Tastemap tries from 2 to {MAX_K} groups and keeps the number after which more groups stop "
               "making them much tighter.")
    k_value = "auto"
with c3:
    glossary_popover()

model = cluster_model(catalog, k_value)
profile = model.profile()
labels = cluster_labels(model)


def separation_words(silhouette: float) -> str:
    """The silhouette in words, for the headline."""
    if silhouette != silhouette:
        return ""
    if silhouette < 0.25:
        return "The groups blend into each other, as styles of music do: read them as neighbourhoods, not walls."
    if silhouette < 0.5:
        return "The groups are fairly distinct, with some tracks on the borders."
    return "The groups are clearly apart."


biggest = int(np.argmax(profile["size"].to_numpy()))
headline = (f"**{model.n_clusters_} groups** of tracks that sound alike"
            + (" (the number Tastemap chose)" if k_value == "auto" else "")
            + f". The biggest, *{md_escape(profile['name'].iat[biggest])}*, holds "
            + f"{profile['share'].iat[biggest]:.0%} of the tracks. " + separation_words(model.silhouette_))
st.markdown(headline)

m1, m2, m3 = st.columns(3)
m1.metric("Groups", model.n_clusters_)
m2.metric("Biggest group", f"{profile['share'].max():.0%} of tracks")
m3.metric("Smallest group", f"{profile['share'].min():.0%} of tracks")

# Drawn only when open (on_change reruns), like the tabs: the numbers and the k chart cost nothing closed.
details = st.expander("Details: how the groups were made, and the expert numbers", key="clusters_details",
                      on_change="rerun")
if details.open:
    with details:
        d1, d2 = st.columns(2)
        d1.metric("Silhouette", "n/a" if model.silhouette_ != model.silhouette_ else f"{model.silhouette_:.3f}",
                  help="From -1 to 1: higher means tracks sit closer to their own cluster than to the next one.")
        d2.metric("Inertia", f"{model.inertia_:,.0f}",
                  help="Sum of squared distances to the cluster centres (lower is tighter).")
        if LIBRARY:
            st.markdown(
                "K-means on the network's sound embeddings (400 numbers per track), each dimension standardized "
                "to your library, then reduced by PCA to the components holding 90% of the variance. The map "
                "shows the first two principal components; its axis titles name the tags that rise and fall "
                "most along each. *Let Tastemap choose* keeps the elbow of the inertia curve over the k tried. "
                "Names: the three tags each group has most above the rest of your library (the network's "
                "estimates, not facts)."
            )
        else:
            st.markdown(
                "K-means on the standardized, weighted audio features (key and mode barely count). "
                "The map places tracks by the first and second principal components (PCA) of those features. "
                "*Let Tastemap choose* scores k = 2…15 on a fixed random sample of 5,000 tracks "
                "(inertia scaled to the whole catalog, silhouette on 1,000 of them) and keeps the elbow of the "
                "inertia curve (Kneedle); the chosen k is then fitted on every track. "
                "Names: the dominant genre (over 40% of the group's genre mentions and 1.5 times the next), "
                "else the two leading genres (55% together), else *Mixed genres*; then the features where "
                "the group's centre is furthest from the catalog's average."
            )
        scores = getattr(model, "scores_", None)
        if scores is None or not len(scores):
            st.caption(f"The elbow and silhouette chart tries every k from 2 to {MAX_K} (once per catalog).")
            clicked = st.button("Compute the elbow and silhouette chart", icon=":material/show_chart:",
                                key="clusters_scores_button")
            if clicked or st.session_state.get(state.CLUSTERS_SCORES_ON):
                st.session_state[state.CLUSTERS_SCORES_ON] = True
                scores = k_scores(catalog, model)
        if scores is not None and len(scores):
            st.plotly_chart(charts.k_scores_chart(scores, model.n_clusters_), key="clusters_k_chart")

# Only the open tab is drawn (tabs rerun on change), so each view costs only itself.
tab_map, tab_profiles, tab_browse = st.tabs(["Map", "Profiles", "Browse a cluster"],
                                            key="clusters_tab", on_change="rerun")


def map_section() -> None:
    figures = cluster_figures(catalog, k_value, model)
    st.plotly_chart(figures["map"], key="clusters_map", config=charts.WEBGL_CONFIG)
    st.caption(
        "Each dot is a track; tracks that sound alike sit close together. The axis titles say what changes "
        "from one side to the other. "
        + (f"A fixed random sample of {PLOT_SAMPLE:,} of the {len(catalog):,} tracks is drawn (the same tracks as "
           "on Explore)." if len(catalog) > PLOT_SAMPLE else "")
    )


def library_profiles_section() -> None:
    """A library's groups: what the network hears in each, and the measured features in plain units."""
    table = profile[["cluster", "name", "size", "share", "top_tags"]].copy()
    table["tempo"] = profile["tempo"].round(0) if "tempo" in profile else np.nan
    table["loudness"] = profile["loudness"].round(1) if "loudness" in profile else np.nan
    minutes = profile["duration_ms"] / 60_000 if "duration_ms" in profile else pd.Series(np.nan, index=profile.index)
    table["length"] = [f"{int(m)}:{round((m % 1) * 60):02d}" if m == m else "" for m in minutes]
    # The key most tracks of the group are in (a mean of pitch classes means nothing).
    keys = pd.Series(library_charts.key_names(catalog.tracks["key"].to_numpy(dtype="float64", na_value=np.nan),
                                              catalog.tracks["mode"].to_numpy(dtype="float64", na_value=np.nan)))
    table["key"] = [keys[model.labels_ == c].mode().iat[0] if (model.labels_ == c).any() else ""
                    for c in range(model.n_clusters_)]
    st.dataframe(
        table,
        hide_index=True,
        column_config={
            "cluster": st.column_config.NumberColumn("Group"),
            "name": st.column_config.TextColumn("What sets it apart (tags)", width="medium"),
            "size": st.column_config.NumberColumn("Tracks", format="%d"),
            "share": st.column_config.ProgressColumn("Share", format="percent", min_value=0.0, max_value=1.0),
            "top_tags": st.column_config.TextColumn("What the network hears most", width="medium"),
            "tempo": st.column_config.NumberColumn("Tempo (BPM)", format="%d"),
            "loudness": st.column_config.NumberColumn("Loudness (LUFS)", format="%.1f"),
            "length": st.column_config.TextColumn("Average length"),
            "key": st.column_config.TextColumn("Most common key"),
        },
    )
    st.plotly_chart(cluster_figures(catalog, k_value, model)["tags"], key="clusters_tags")
    st.caption("Tags are the network's estimates from the sound, not facts: names use the tags a group has "
               "more of than the rest of your library.")


def profiles_section() -> None:
    if LIBRARY:
        library_profiles_section()
        return
    table = profile[["cluster", "name", "size", "share", "top_genres"]].copy()
    st.dataframe(
        table,
        hide_index=True,
        column_config={
            "cluster": st.column_config.NumberColumn("Group"),
            "name": st.column_config.TextColumn("What it sounds like", width="large"),
            "size": st.column_config.NumberColumn("Tracks", format="%d"),
            "share": st.column_config.ProgressColumn("Share", format="percent", min_value=0.0, max_value=1.0),
            "top_genres": st.column_config.TextColumn("Main genres"),
        },
    )
    default = list(range(min(4, model.n_clusters_)))
    chosen = bound(st.multiselect, "Clusters to compare", "clusters_radar", default,
                   valid=lambda v: subset_of(range(model.n_clusters_))(v) or default,
                   options=list(range(model.n_clusters_)), format_func=lambda c: labels[c])
    left, right = st.columns(2)
    with left:
        if chosen:
            st.plotly_chart(charts.cluster_radar(profile, RADAR_FEATURES, percentile_scale(catalog), chosen),
                            key="clusters_radar_chart")
    with right:
        st.plotly_chart(cluster_figures(catalog, k_value, model)["mix"], key="clusters_mix")


def browse_section() -> None:
    cluster = bound(st.selectbox, "Cluster", "clusters_browse", 0, valid=in_options(range(model.n_clusters_), 0),
                    options=list(range(model.n_clusters_)),
                    format_func=lambda c: f"{labels[c]} ({int(profile['size'].iat[c]):,} tracks)")
    # Sort only the cluster's popularity column and take 500 rows: copying and sorting every
    # member row of the tracks table took a noticeable part of a second on a million tracks.
    members = np.flatnonzero(model.labels_ == cluster)
    if LIBRARY:
        library_members(cluster, members)
        return
    popularity = catalog.tracks["popularity"].to_numpy(dtype="float64", na_value=np.nan)[members]
    top = members[np.argsort(-np.nan_to_num(popularity, nan=-np.inf), kind="stable")[:500]]
    st.caption(md_escape(f"Top genres: {profile['top_genres'].iat[cluster] or 'none'}") +
               f". Showing the {len(top):,} most popular tracks; select rows to use them as seeds (at most 50).")
    shown = catalog.tracks.iloc[top]
    event = track_table(shown, columns=["track_name", "artists", "popularity", "release_year", "genres"],
                        key="clusters_members", height=360, select="multi-row")
    rows = list(event.selection.rows) if event is not None and hasattr(event, "selection") else []
    if rows:
        seeds = shown["track_id"].astype(str).iloc[rows[:50]].tolist()
        label = (f"Recommend from the {len(seeds)} selected track(s)" if len(rows) <= 50 else
                 f"Recommend from the first 50 of the {len(rows)} selected tracks (at most 50 seeds)")
    else:
        seeds = shown["track_id"].astype(str).head(5).tolist()
        label = "Recommend from this cluster (its 5 most popular tracks as seeds)"
    if st.button(label, type="primary", icon=":material/recommend:", key="clusters_send"):
        send_seeds(seeds, method="cluster")


def library_members(cluster: int, members: np.ndarray) -> None:
    """A library group's tracks with their files, in file order; select rows to use them as seeds."""
    st.caption(md_escape(f"What the network hears most: {profile['top_tags'].iat[cluster] or 'nothing clear'}")
               + ". Select rows to use them as seeds (at most 50).")
    shown = catalog.tracks.iloc[members[:500]]
    if "file_path" in shown:
        shown = shown.sort_values("file_path", kind="stable").rename(columns={"file_path": "File"})
    event = track_table(shown, columns=["track_name", "artists", "album_name", "File"], key="clusters_members",
                        height=360, select="multi-row")
    rows = list(event.selection.rows) if event is not None and hasattr(event, "selection") else []
    seeds = shown["track_id"].astype(str).iloc[rows[:50]].tolist() if rows else \
        shown["track_id"].astype(str).head(5).tolist()
    label = (f"Recommend from the {len(seeds)} selected track(s)" if rows else
             "Recommend from this group (its first 5 tracks as seeds)")
    if st.button(label, type="primary", icon=":material/recommend:", key="clusters_send"):
        send_seeds(seeds, method="sound")


for tab, section in [(tab_map, map_section), (tab_profiles, profiles_section), (tab_browse, browse_section)]:
    if tab.open:
        with tab:
            section()
