"""Clusters: K-means groups of tracks that sound alike, what each group is, and its tracks."""
import numpy as np
import streamlit as st

from ui import charts
from ui.data import PLOT_SAMPLE, active_catalog, cluster_figures, cluster_model, k_scores, percentile_scale
from ui.text import md_escape
from ui.widgets import bound, in_options, send_seeds, subset_of, track_table, within

st.set_page_config(page_title="Clusters · Tastemap", page_icon="🧭", layout="wide")
st.title("Clusters of tracks that sound alike")

catalog = active_catalog()
if not catalog.has_features:
    st.info("This catalog has no audio features to cluster. Load another file on the Home page.")
    st.stop()
if len(catalog) < 20:
    st.info(f"This catalog has only {len(catalog)} tracks: too few to find clusters. Load a larger file on the Home page.")
    st.stop()

RADAR_FEATURES = [f for f in ("energy", "danceability", "valence", "acousticness", "speechiness",
                              "instrumentalness", "liveness", "tempo", "loudness") if f in catalog.feature_names]
MAX_K = min(15, len(catalog) - 1)

c1, c2 = st.columns([1, 2])
mode = bound(c1.radio, "Number of clusters", "clusters_mode", "choose",
             valid=in_options(["choose", "auto"], "choose"), options=["choose", "auto"],
             format_func=lambda m: "I choose k" if m == "choose" else "Automatic (elbow of the inertia curve, k = 2…15)")
if mode == "choose":
    k_value = bound(c2.slider, "k: how many groups", "clusters_k", min(8, MAX_K), valid=within(2, MAX_K, pair=False),
                    min_value=2, max_value=MAX_K)
else:
    c2.caption("Tries every k from 2 to 15 and keeps the elbow: the point where more clusters stop making the groups much tighter. "
               "The first time takes a little while.")
    k_value = "auto"

model = cluster_model(catalog, k_value)
profile = model.profile()
labels = [f"{i}: {name}" for i, name in enumerate(model.cluster_names_)]

m1, m2, m3 = st.columns(3)
m1.metric("Clusters", model.n_clusters_)
m2.metric("Silhouette", "n/a" if model.silhouette_ != model.silhouette_ else f"{model.silhouette_:.3f}",
          help="From -1 to 1: higher means tracks sit closer to their own cluster than to the next one.")
m3.metric("Inertia", f"{model.inertia_:,.0f}", help="Sum of squared distances to the cluster centres (lower is tighter).")

# Only the open tab is drawn (tabs rerun on change), so each view costs only itself.
tab_map, tab_profiles, tab_k, tab_browse = st.tabs(["Map", "Profiles", "Choosing k", "Browse a cluster"],
                                                   key="clusters_tab", on_change="rerun")


def map_section() -> None:
    figures = cluster_figures(catalog, k_value, model)
    st.plotly_chart(figures["map"], key="clusters_map", config=charts.WEBGL_CONFIG)
    st.caption(
        "Each dot is a track, placed by the two directions in which the audio features vary most (PCA). "
        + (f"A fixed random sample of {PLOT_SAMPLE:,} of the {len(catalog):,} tracks is drawn (the same tracks as "
           "on Explore)." if len(catalog) > PLOT_SAMPLE else "")
    )


def profiles_section() -> None:
    table = profile[["cluster", "name", "size", "share", "top_genres"]].copy()
    st.dataframe(
        table,
        hide_index=True,
        column_config={
            "cluster": st.column_config.NumberColumn("Cluster"),
            "name": st.column_config.TextColumn("What it sounds like"),
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


def k_section() -> None:
    scores = getattr(model, "scores_", None)
    if scores is None or not len(scores):
        st.markdown("The elbow chart shows how tight the clusters get as k grows; the silhouette how well separated "
                    "they are. Computing it clusters the catalog 14 times (once per catalog, then it is instant).")
        clicked = st.button("Compute the elbow and silhouette chart", icon=":material/show_chart:")
        if clicked or st.session_state.get("clusters_scores_on"):
            st.session_state["clusters_scores_on"] = True
            scores = k_scores(catalog, model)
    if scores is not None and len(scores):
        st.plotly_chart(charts.k_scores_chart(scores, model.n_clusters_), key="clusters_k_chart")


def browse_section() -> None:
    cluster = bound(st.selectbox, "Cluster", "clusters_browse", 0, valid=in_options(range(model.n_clusters_), 0),
                    options=list(range(model.n_clusters_)),
                    format_func=lambda c: f"{labels[c]} ({int(profile['size'].iat[c]):,} tracks)")
    # Sort only the cluster's popularity column and take 500 rows: copying and sorting every
    # member row of the tracks table took a noticeable part of a second on a million tracks.
    members = np.flatnonzero(model.labels_ == cluster)
    popularity = catalog.tracks["popularity"].to_numpy(dtype="float64", na_value=np.nan)[members]
    top = members[np.argsort(-np.nan_to_num(popularity, nan=-np.inf), kind="stable")[:500]]
    st.caption(md_escape(f"Top genres: {profile['top_genres'].iat[cluster] or 'none'}") +
               f". Showing the {len(top):,} most popular tracks; select rows to use them as seeds.")
    shown = catalog.tracks.iloc[top]
    event = track_table(shown, columns=["track_name", "artists", "popularity", "release_year", "genres"],
                        key="clusters_members", height=360, select="multi-row")
    rows = list(event.selection.rows) if event is not None and hasattr(event, "selection") else []
    if rows:
        seeds = shown["track_id"].astype(str).iloc[rows[:50]].tolist()
        label = f"Recommend from the {len(seeds)} selected track(s)"
    else:
        seeds = shown["track_id"].astype(str).head(5).tolist()
        label = "Recommend from this cluster (its 5 most popular tracks as seeds)"
    if st.button(label, type="primary", icon=":material/recommend:", key="clusters_send"):
        send_seeds(seeds, method="cluster")


for tab, section in [(tab_map, map_section), (tab_profiles, profiles_section), (tab_k, k_section),
                     (tab_browse, browse_section)]:
    if tab.open:
        with tab:
            section()
