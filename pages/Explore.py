"""Explore: look at the catalog's sound. Heatmap, pairs, genres, years and a free scatter; for a
listener's own music library, what the network hears (tags) and the measured features."""
import streamlit as st

from ui import auth, charts, library_charts
from ui.data import active_catalog, figure, plot_frame
from ui.glossary import glossary_popover
from ui.library_data import library_frame, tag_columns, tag_means
from ui.text import md_escape
from ui.widgets import bound, in_options, selected_track_ids, send_seeds, subset_of, track_table

auth.require_sign_in()  # a fresh server's first request for this address skips the navigation's gate

st.set_page_config(page_title="Explore · Tastemap", page_icon="📊", layout="wide")
st.title("Explore the catalog")

SEED_LIMIT = 50  # the most seed tracks a recommendation takes


def library_page(catalog) -> None:
    """Explore for an analysed music library: the network's tags and the measured features."""
    frame = library_frame(catalog)
    means = tag_means(catalog)
    tags = tag_columns(frame, means)
    st.caption(
        f"{md_escape(catalog.name)}: your music library, {len(catalog):,} analysed tracks. "
        + (f"Plots of single tracks show a fixed random sample of {len(frame):,} tracks." if len(frame) < len(catalog)
           else "Every track is plotted.") + " One colour per album on every chart."
    )
    st.info(
        "**Tags are a network's estimates.** A pretrained network (musicnn) listened to each file and "
        "guessed how likely each tag is (guitar, slow, electronic…). They are educated guesses from the sound "
        "alone, not Spotify's audio features and not facts about the music. Tempo, loudness, key and length "
        "are measured from the audio itself.",
        icon=":material/hearing:",
    )
    tab_tags, tab_scatter, tab_measured = st.tabs(["What the network hears", "Tags against each other",
                                                   "Tempo, loudness, key and length"],
                                                  key="explore_library_tab", on_change="rerun")
    if tab_tags.open:
        with tab_tags:
            st.plotly_chart(library_charts.tag_bars(means), key="explore_tag_bars")
            st.caption("Each bar: the network's average estimate over all your tracks. Music it was not trained "
                       "on (rare instruments, field recordings) gets vaguer, lower estimates.")
    if tab_scatter.open:
        with tab_scatter:
            library_scatter(frame, tags)
    if tab_measured.open:
        with tab_measured:
            column = bound(st.radio, "Measure", "explore_library_measure", "tempo",
                           valid=in_options(library_charts.MEASURED, "tempo"), options=list(library_charts.MEASURED),
                           format_func=library_charts.library_label, horizontal=True)
            st.plotly_chart(library_charts.measured_histogram(frame, column), key="explore_measured_chart")
            st.caption("Tempo in beats per minute, loudness in LUFS (as streaming services measure it: about "
                       "-14 for loud modern masters, -25 or lower for quiet recordings), key as the analysis "
                       "heard it, length in minutes.")


def library_scatter(frame, tags: list[str]) -> None:
    axes = [*tags, "tempo", "loudness", "length_min"]
    c1, c2 = st.columns(2)
    x = bound(c1.selectbox, "X axis", "explore_library_x", "tempo", valid=in_options(axes, "tempo"),
              options=axes, format_func=library_charts.library_label)
    y = bound(c2.selectbox, "Y axis", "explore_library_y", tags[0] if tags else "loudness",
              valid=in_options(axes, axes[0]), options=axes, format_func=library_charts.library_label)
    event = st.plotly_chart(library_charts.tag_scatter(frame, x, y), key="explore_tag_scatter", on_select="rerun",
                            selection_mode=("box", "lasso"), config=charts.WEBGL_CONFIG)
    selected = selected_track_ids(event)
    if not selected:
        st.caption("Hover a dot for the track and its file. Draw a box or lasso around tracks to use them as seeds.")
        return
    st.success(f"{len(selected):,} tracks selected.")
    chosen = frame[frame["track_id"].isin(selected)]
    st.dataframe(chosen[["label", "album", "file"]], hide_index=True, height=240,
                 column_config={"label": "Track", "album": "Album", "file": "File"})
    if st.button(f"Recommend from these tracks (at most {SEED_LIMIT})", key="explore_library_send", type="primary",
                 icon=":material/recommend:"):
        send_seeds(selected[:SEED_LIMIT])

catalog = active_catalog()
if catalog.has_sound:  # a listener's own music: measured features and the network's tags
    library_page(catalog)
    st.stop()
if not catalog.has_features:
    st.info("This catalog has no audio features, so there is nothing to plot. Load another file on the Home page.")
    st.stop()

features = list(catalog.feature_names)
frame = plot_frame(catalog)  # the tracks each chart of single tracks draws
points = len(frame)
numeric = [c for c in ("popularity", "release_year", *features) if c in frame and frame[c].notna().any()]
sampled = len(catalog) > points
st.caption(
    f"{md_escape(catalog.name)}: {len(catalog):,} tracks. "
    + (f"Plots of single tracks show a fixed random sample of {points:,} tracks so the page stays fast; "
       "the heatmap and the year chart use every track." if sampled else "Every track is plotted.")
)
glossary_popover()

# Only the open tab is drawn (tabs rerun on change), so each view costs only itself.
TABS = ["Free scatter", "Correlations", "Pairs of features", "By genre", "Over the years"]
tab_scatter, tab_heat, tab_pairs, tab_genre, tab_years = st.tabs(TABS, key="explore_tab", on_change="rerun")


@st.fragment
def free_scatter_section() -> None:
    st.markdown(
        "Pick what goes on each axis, the colour and the size. Hover a point for the track. "
        "Draw a box or a lasso around tracks you like to use them as seeds."
    )
    cols = st.columns(4)
    color_options = ["genre", *numeric]
    size_options = ["(same size)", *numeric]
    x = bound(cols[0].selectbox, "X axis", "explore_x", "energy" if "energy" in numeric else numeric[0],
              valid=in_options(numeric, numeric[0]), options=numeric, format_func=charts.feature_label)
    y = bound(cols[1].selectbox, "Y axis", "explore_y", "valence" if "valence" in numeric else numeric[1 % len(numeric)],
              valid=in_options(numeric, numeric[0]), options=numeric, format_func=charts.feature_label)
    color = bound(cols[2].selectbox, "Colour", "explore_color", "genre",
                  valid=in_options(color_options, "genre"), options=color_options, format_func=charts.feature_label)
    size = bound(cols[3].selectbox, "Size", "explore_size", "(same size)",
                 valid=in_options(size_options, "(same size)"), options=size_options,
                 format_func=lambda s: s if s.startswith("(") else charts.feature_label(s))
    fig = figure("free_scatter", catalog, x, y, color, None if size.startswith("(") else size)
    event = st.plotly_chart(fig, key="explore_scatter", on_select="rerun", selection_mode=("box", "lasso"),
                            config=charts.WEBGL_CONFIG)
    if size and not size.startswith("("):
        st.caption(charts.size_legend_text(frame, size))
    selected = selected_track_ids(event)
    if selected:
        st.success(f"{len(selected):,} tracks selected.")
        chosen = catalog.tracks.iloc[catalog.positions(selected)]
        # Headers in words: the grid shows a column's own name when it has no label of its own.
        extra = [c for c in dict.fromkeys([x, y]) if c not in ("popularity",)]
        shown = chosen.rename(columns={c: charts.feature_label(c) for c in extra})
        track_table(shown, columns=["track_name", "artists", "popularity", *[charts.feature_label(c) for c in extra]],
                    height=240)
        limit = SEED_LIMIT
        label = (f"Recommend from these {len(selected)} tracks" if len(selected) <= limit else
                 f"Recommend from these tracks: the first {limit} of {len(selected):,} (at most {limit} seeds)")
        if len(selected) > limit:
            st.caption(f"Recommend takes at most {limit} seed tracks, so the first {limit} selected are sent.")
        if st.button(key="explore_send", label=label, type="primary", icon=":material/recommend:",
                     help=f"Opens the Recommend page with the selection as seeds (at most {limit})."):
            send_seeds(selected[:limit])
    else:
        st.caption("Tip: use the box or lasso tool in the chart's toolbar to select tracks.")


@st.fragment
def correlation_section() -> None:
    shown = tuple(charts.heatmap_features(["popularity", *features] if "popularity" in catalog.tracks else features))
    st.plotly_chart(figure("correlation_heatmap", catalog, shown, source="tracks"), key="explore_heatmap")
    st.caption("Red: the two features rise together; blue: one rises as the other falls. Key, mode and time "
               "signature are left out: their numbers name categories (C, D…; major or minor), not amounts.")


@st.fragment
def pairs_section() -> None:
    preferred = [f for f in ("energy", "danceability", "valence", "acousticness") if f in features]
    default = preferred if len(preferred) >= 2 else list(features[:4])  # a file with few features
    chosen = bound(st.multiselect, "Features to compare (2 to 6)", "explore_pairs", default,
                   valid=subset_of(numeric), options=numeric, format_func=charts.feature_label, max_selections=6)
    if len(chosen) < 2:
        st.info("Choose at least two features.")
        return
    st.plotly_chart(figure("scatter_matrix", catalog, tuple(chosen)), key="explore_pairs_chart",
                    config=charts.WEBGL_CONFIG)
    st.caption(f"{points:,} tracks shown, coloured by their first genre.")


@st.fragment
def genre_section() -> None:
    if frame["genre"].nunique() < 2:
        st.info("This catalog has no genre information to compare.")
        return
    cols = st.columns([3, 1])
    feature = bound(cols[0].selectbox, "Feature", "explore_genre_feature", "danceability" if "danceability" in numeric else numeric[0],
                    valid=in_options(numeric, numeric[0]), options=numeric, format_func=charts.feature_label)
    kind = bound(cols[1].radio, "Plot", "explore_genre_kind", "box", valid=in_options(["box", "violin"], "box"),
                 options=["box", "violin"], horizontal=True)
    # Box and violin statistics are computed in the browser: the point sample keeps it quick.
    st.plotly_chart(figure("genre_distribution", catalog, feature, kind), key="explore_genre_chart")
    st.caption(f"{points:,} tracks of the sample; each track counted under its first genre.")


@st.fragment
def years_section() -> None:
    if catalog.tracks["release_year"].notna().sum() < 10:
        st.info("This catalog has too few release years to draw a timeline.")
        return
    options = [f for f in ("popularity", *features) if f in catalog.tracks]
    feature = bound(st.selectbox, "Feature", "explore_year_feature", "energy" if "energy" in options else options[0],
                    valid=in_options(options, options[0]), options=options, format_func=charts.feature_label)
    st.plotly_chart(figure("feature_over_years", catalog, feature, source="tracks"), key="explore_year_chart")


for tab, section in [(tab_scatter, free_scatter_section), (tab_heat, correlation_section), (tab_pairs, pairs_section),
                     (tab_genre, genre_section), (tab_years, years_section)]:
    if tab.open:
        with tab:
            section()
