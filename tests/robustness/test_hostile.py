"""Hostile data: names carrying HTML, JavaScript, Markdown or spreadsheet formulas, and bombs.

A small real catalog whose track, artist, album, playlist and genre names are hostile is
uploaded on the Home page (AppTest), then Explore, Clusters and Recommend are drawn: no page
may render those names as markup (they reach Markdown only escaped, grids and plain text
verbatim, Plotly hover labels HTML-escaped), and every CSV export neutralises formula cells.
A real browser then checks that no script or image element is injected and no alert fires.
A gzip bomb is refused with a message and the catalog in use stays; an upload over
Streamlit's size limit is refused by the uploader.
"""
from __future__ import annotations

import csv
import gzip
import io
import json
import re
import tomllib
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]

import recommender.catalog as catalog_module  # noqa: E402
from recommender.catalog import load_catalog  # noqa: E402
from recommender.errors import CatalogError  # noqa: E402
from recommender.store import to_safe_csv  # noqa: E402

DEFAULT_DATA = ROOT / "data" / "spotify_songs.csv.gz"
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
MARKDOWN = "**bold** [link](javascript:alert(1))"
HOSTILE = [
    SCRIPT,
    IMG,
    MARKDOWN,
    '=HYPERLINK("http://evil.example","click")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    ":red[colour] $x^2$ <b>bold</b> # heading",
]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Text that would change what a user sees if a page rendered it as Markdown or HTML.
MARKUP = ["<script", "<img", "<b>", "](javascript", "**bold**", ":red["]
MARKDOWN_KINDS = ("markdown", "caption", "title", "header", "subheader", "success", "error", "warning",
                  "info", "toast", "exception", "latex")


# ----------------------------------------------------------------------------- data

def raw_rows(n_rows: int) -> pd.DataFrame:
    with gzip.open(DEFAULT_DATA, "rt", encoding="utf-8") as fh:
        return pd.read_csv(fh, nrows=n_rows, dtype=str, keep_default_na=False)


def hostile_frame(n_rows: int = 200) -> pd.DataFrame:
    """Real rows (TidyTuesday layout); the first tracks carry hostile names everywhere."""
    frame = raw_rows(n_rows)
    first_rows = frame.drop_duplicates("track_id").index[: len(HOSTILE)]
    for row, name in zip(first_rows, HOSTILE):
        for col in ("track_name", "track_artist", "track_album_name", "playlist_name"):
            frame.loc[frame["track_id"] == frame.at[row, "track_id"], col] = name
    frame.loc[frame["playlist_genre"] == frame["playlist_genre"].iloc[0], "playlist_genre"] = IMG
    return frame


def hostile_ids(frame: pd.DataFrame) -> list[str]:
    return frame.drop_duplicates("track_id")["track_id"].head(len(HOSTILE)).tolist()


def csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode("utf-8")


def gzip_bomb(claimed_bytes: int, member: int = 64 << 20) -> bytes:
    """Gzip members of zeros, concatenated: ~1 KB per MB claimed, built without the big buffer."""
    one = gzip.compress(b"\0" * member, compresslevel=9, mtime=0)
    return one * -(-claimed_bytes // member)


# ----------------------------------------------------------------------------- AppTest helpers

def walk(node):
    children = getattr(node, "children", None)
    if children:
        for child in children.values():
            yield from walk(child)
    else:
        yield node


def elements(at: AppTest) -> list:
    return [e for root in (at.main, at.sidebar) for e in walk(root)]


def assert_no_markup_rendered(at: AppTest, where: str) -> None:
    """No Markdown-rendered value or widget label carries hostile markup unescaped."""
    assert not at.exception, f"{where}: {at.exception}"
    assert not at.get("html"), f"{where}: st.html used"
    for element in elements(at):
        texts = []
        if element.type in MARKDOWN_KINDS:
            texts.append(str(getattr(element, "value", "")))
        label = getattr(element, "label", None)
        if isinstance(label, str):  # widget labels render Markdown too
            texts.append(label)
        for text in texts:
            live = re.sub(r"\\[^\w\s]", "", text)  # drop backslash-escaped punctuation: it renders literally
            for bad in MARKUP:
                assert bad not in live, f"{where}: {element.type} renders {bad!r}: {text[:200]!r}"
    for text in plotly_strings(at):  # Plotly renders a subset of HTML in hovers, legends, ticks
        for bad in ("<script", "<img", "<b>bold"):
            assert bad not in text, f"{where}: a Plotly figure holds raw {bad!r}: {text[:200]!r}"


def plotly_strings(at: AppTest) -> list[str]:
    """Every string in the page's Plotly figures (the spec is JSON with <, >, / escaped)."""
    out: list[str] = []

    def collect(value) -> None:
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, dict):
            for v in value.values():
                collect(v)
        elif isinstance(value, list):
            for v in value:
                collect(v)

    for chart in at.get("plotly_chart"):
        collect(json.loads(chart.proto.spec))
    return out


def grid_names(at: AppTest, column: str) -> set[str]:
    return {str(v) for d in at.dataframe if column in d.value.columns for v in d.value[column]}


def assert_csv_safe(data: bytes, name: str) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows, f"{name} is empty"
    for row in rows:
        for cell in row:
            if cell.startswith(FORMULA_START):
                try:
                    float(cell)  # a negative number is data
                except ValueError:
                    pytest.fail(f"{name}: formula cell {cell!r} is not neutralised")
    return rows


def upload_hostile(frame: pd.DataFrame | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    at.file_uploader[0].set_value((f"{SCRIPT}{MARKDOWN}.csv", csv_bytes(frame if frame is not None else hostile_frame()),
                                   "text/csv"))
    return at.run()


# ----------------------------------------------------------------------------- AppTest tests

def test_no_page_or_ui_module_allows_unsafe_html_or_raw_html_elements():
    sources = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "ui").glob("*.py"))]
    assert len(sources) >= 8
    offenders = []
    for path in sources:
        text = path.read_text(encoding="utf-8")
        for pattern in (r"unsafe_allow_html\s*=\s*True", r"\bst\.html\(", r"components\.html\(",
                        r"components\.v1", r"st\.markdown\([^)]*\{[^)]*unsafe"):
            if re.search(pattern, text):
                offenders.append(f"{path.relative_to(ROOT)}: {pattern}")
    assert offenders == []


def test_hostile_names_are_plain_text_on_every_page(downloads):
    frame = hostile_frame()
    at = upload_hostile(frame)
    assert at.success, [e.value for e in at.error]
    assert_no_markup_rendered(at, "Home")
    assert set(HOSTILE) <= grid_names(at, "track_name")  # the preview grid shows them verbatim
    assert set(HOSTILE) <= grid_names(at, "artists")

    at.switch_page("pages/Explore.py").run()
    assert_no_markup_rendered(at, "Explore")
    hovers = " ".join(plotly_strings(at))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in hovers, "hover labels show the name, escaped"

    at.switch_page("pages/Clusters.py").run()
    assert_no_markup_rendered(at, "Clusters")

    at.switch_page("pages/Recommend.py").run()
    at.text_area(key="w_seed_text").input("\n".join(hostile_ids(frame)))
    next(b for b in at.button if b.label == "Get recommendations").click().run()
    assert_no_markup_rendered(at, "Recommend")
    seeds = next(d.value for d in at.dataframe if "track_name" in d.value.columns and "why" not in d.value.columns)
    assert set(seeds["track_name"]) == set(HOSTILE)
    # Search results are widget options: plain text.
    at.text_input(key="rec_search_q").input("alert(1)").run()
    options = at.multiselect(key="w_rec_search_ids").options
    assert any("<script>alert(1)</script>" in o for o in options)
    # The recommendations download: hostile names appear, neutralised.
    exports = [(name, data) for name, data in downloads if name == "tastemap_recommendations.csv"]
    assert exports, "the Recommend page offers its CSV"
    for name, data in exports:
        assert_csv_safe(data, name)


def test_recommendations_export_neutralises_hostile_names_in_results(downloads):
    # Seeds near the hostile tracks so that they come back as results, not only as seeds.
    frame = hostile_frame(120)
    at = upload_hostile(frame)
    at.switch_page("pages/Recommend.py").run()
    others = [t for t in frame["track_id"].drop_duplicates() if t not in hostile_ids(frame)][:5]
    at.radio(key="w_rec_method").set_value("popular").run()
    at.slider(key="w_rec_k").set_value(100).run()
    at.text_area(key="w_seed_text").input("\n".join(others))
    next(b for b in at.button if b.label == "Get recommendations").click().run()
    assert not at.exception
    recs = at.session_state["last_recommendations"]
    shown = set(recs["track_name"]) & set(HOSTILE)
    assert shown, "hostile tracks are among the results"
    data = [d for name, d in downloads if name == "tastemap_recommendations.csv"][-1]
    rows = assert_csv_safe(data, "recommendations")
    cells = {c for row in rows for c in row}
    for name in shown:  # each hostile result is in the file: formulas quoted, other text as it was
        assert ("'" + name if name.startswith(FORMULA_START) else name) in cells, name


def test_safe_csv_neutralises_every_hostile_name():
    frame = pd.DataFrame({"track_name": HOSTILE, "score": [-0.5] * len(HOSTILE), HOSTILE[3]: HOSTILE})
    rows = assert_csv_safe(to_safe_csv(frame), "frame")
    assert rows[0][2].startswith("'=")
    assert {r[0] for r in rows[1:]} >= {"'-2+3", "'@SUM(A1:A9)", "'+cmd|' /C calc'!A0", SCRIPT}
    assert {r[1] for r in rows[1:]} == {"-0.5"}


# ----------------------------------------------------------------------------- bombs and limits

def test_streamlit_refuses_uploads_over_the_configured_size():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    limit_mb = config["server"]["maxUploadSize"]
    assert 1 <= limit_mb <= 1000
    # The loader's own limit on what a compressed upload may unpack to stays above it.
    assert catalog_module.MAX_DECOMPRESSED_BYTES >= limit_mb * 1024**2


def test_gzip_bomb_upload_is_refused_and_the_previous_catalog_stays(monkeypatch):
    # A 5 GiB bomb (~5 MB on disk). Only the limit value is lowered, to 64 MiB, so the test
    # unpacks 64 MiB rather than 2 GiB; the code path is the app's own.
    bomb = gzip_bomb(5 * 1024**3)
    assert len(bomb) < 8 * 1024**2
    monkeypatch.setitem(load_catalog.__kwdefaults__, "max_bytes", 64 * 1024**2)
    at = upload_hostile(hostile_frame(60))
    assert at.success
    kept = at.session_state["catalog"]
    at.file_uploader[0].set_value(("bomb.csv.gz", bomb, "application/gzip"))
    at.run()
    assert not at.exception
    assert at.error, "the bomb must be refused with a message"
    message = at.error[0].value.replace("\\", "")
    assert "bomb.csv.gz" in message and "compression bomb" in message and "did not change" in message
    assert at.session_state["catalog"] is kept


@pytest.mark.slow
def test_gzip_bomb_is_refused_at_the_real_limit():
    bomb = gzip_bomb(catalog_module.MAX_DECOMPRESSED_BYTES + (64 << 20))
    with pytest.raises(CatalogError, match="compression bomb"):
        load_catalog(bomb, name="bomb.csv.gz")


# ----------------------------------------------------------------------------- Taste page

@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("TASTEMAP_DATA_DIR", str(tmp_path))
    return tmp_path


def test_taste_page_labels_and_exports_of_hostile_tracks(data_dir, downloads):
    frame = hostile_frame()
    at = upload_hostile(frame)
    at.switch_page("pages/Taste.py").run()
    assert_no_markup_rendered(at, "Taste")
    # Label the hostile tracks through the catalog search, then export the labels.
    at.text_input(key="taste_search").input("alert(1)").run()
    pick = at.multiselect(key="taste_search_pick")
    assert any(SCRIPT in o for o in pick.options)  # options are plain text
    pick.set_value([t for t in hostile_ids(frame)[:3]]).run()
    at.button(key="taste_search_1").click().run()
    assert_no_markup_rendered(at, "Taste after labelling")
    exports = [d for name, d in downloads if name.startswith("tastemap_labels_")]
    assert exports, "the label export is offered"
    rows = assert_csv_safe(exports[-1], "label export")
    assert any(SCRIPT in c or IMG in c for row in rows for c in row)

    # Train on the demo labels, then clean a playlist of hostile tracks and download it.
    at.button(key="taste_demo").click().run()
    at.selectbox(key="taste_model_choice").set_value("logreg").run()
    at.button(key="taste_train").click().run()
    assert not at.exception, at.exception
    at.text_area(key="taste_clean_text").input("\n".join(hostile_ids(frame))).run()
    assert_no_markup_rendered(at, "Taste clean")
    cleaned = [d for name, d in downloads if name == "cleaned_playlist.csv"]
    assert cleaned, "the cleaned playlist is offered"
    for data in cleaned:
        assert_csv_safe(data, "cleaned playlist")


def test_taste_messages_about_a_hostile_label_file_are_escaped(data_dir):
    at = AppTest.from_file(str(ROOT / "pages" / "Taste.py"), default_timeout=180).run()
    bad = f"{MARKDOWN},{SCRIPT}\n1,2\n".encode()  # no label column: the message lists the columns
    at.file_uploader(key="taste_upload").set_value((f"{IMG}.csv", bad, "text/csv")).run()
    at.button(key="taste_import").click().run()
    assert at.error, "the import is refused with a message"
    assert_no_markup_rendered(at, "Taste import error")
    at.text_input(key="taste_new_profile").input(MARKDOWN[:30]).run()
    assert_no_markup_rendered(at, "Taste hostile profile name")


# ----------------------------------------------------------------------------- real browser

INJECTED_JS = """() => ({
    scripts: [...document.querySelectorAll('script')].filter(s => s.textContent.includes('alert(1)')).length,
    images: document.querySelectorAll('img[src="x"], img[onerror]').length,
    handlers: [...document.querySelectorAll('*')].filter(e => e.hasAttribute('onerror')).length,
    js_links: document.querySelectorAll('a[href^="javascript:" i]').length,
    bold: [...document.querySelectorAll('strong, b')].filter(e => e.textContent.trim() === 'bold').length,
})"""


@pytest.fixture(scope="module")
def hostile_browser(tmp_path_factory):
    from bench.ui_speed import CHROMIUM, launch_browser, streamlit_server

    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} missing: run `make browser`")
    playwright_api = pytest.importorskip("playwright.sync_api")
    env = {"TASTEMAP_DATA_DIR": str(tmp_path_factory.mktemp("data")),
           "STREAMLIT_SERVER_MAX_UPLOAD_SIZE": "1"}  # 1 MB, so an over-size upload stays small
    with playwright_api.sync_playwright() as p, streamlit_server("app.py", timeout=90, env=env) as (url, _):
        browser = launch_browser(p)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        yield url, page, dialogs
        context.close()
        browser.close()


def _assert_nothing_injected(page, dialogs, where: str) -> None:
    found = page.evaluate(INJECTED_JS)
    assert found == {"scripts": 0, "images": 0, "handlers": 0, "js_links": 0, "bold": 0}, f"{where}: {found}"
    assert dialogs == [], f"{where}: an alert fired: {dialogs}"
    assert page.locator('[data-testid="stException"]').count() == 0, f"{where}: a stack trace is shown"


@pytest.mark.browser
def test_browser_hostile_names_inject_nothing(hostile_browser):
    from bench.ui_speed import fill_seeds, wait_idle

    url, page, dialogs = hostile_browser
    long = 180_000
    page.goto(url, timeout=long)
    page.get_by_text("Catalog in use").first.wait_for(timeout=long)
    wait_idle(page, long)
    frame = hostile_frame()
    page.get_by_role("region", name="Catalog file").locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        {"name": f"{SCRIPT}{IMG}.csv", "mimeType": "text/csv", "buffer": csv_bytes(frame)})
    page.get_by_text("The other pages now work on this catalog").first.wait_for(timeout=long)
    wait_idle(page, long)
    # The file name is shown as the literal text it is.
    assert page.get_by_text(f"{SCRIPT}{IMG}.csv", exact=False).count() >= 1
    _assert_nothing_injected(page, dialogs, "Home")

    page.locator('[data-testid="stSidebarNav"] a', has_text="Explore").first.click()
    page.locator(".js-plotly-plot").first.wait_for(timeout=long)
    wait_idle(page, long)
    box = page.locator(".js-plotly-plot .nsewdrag").first.bounding_box()
    for i in range(12):  # hover across the scatter so hover labels are drawn
        page.mouse.move(box["x"] + box["width"] * (i + 0.5) / 12, box["y"] + box["height"] / 2)
        page.wait_for_timeout(50)
    # The hostile genre is a legend entry: drawn as SVG text, literally.
    svg_text = page.evaluate("() => [...document.querySelectorAll('.js-plotly-plot text')].map(t => t.textContent)")
    assert IMG in svg_text, svg_text[:40]
    _assert_nothing_injected(page, dialogs, "Explore")

    page.locator('[data-testid="stSidebarNav"] a', has_text="Recommend").first.click()
    page.get_by_text("Get recommendations").first.wait_for(timeout=long)
    wait_idle(page, long)
    fill_seeds(page, "\n".join(hostile_ids(frame)))
    page.get_by_text(re.compile(r"\d+ tracks by the hybrid method")).first.wait_for(timeout=long)
    wait_idle(page, long)
    _assert_nothing_injected(page, dialogs, "Recommend")


@pytest.mark.browser
def test_browser_upload_over_the_size_limit_is_refused_and_the_catalog_stays(hostile_browser):
    from bench.ui_speed import wait_idle

    url, page, dialogs = hostile_browser
    long = 180_000
    page.goto(url, timeout=long)
    page.get_by_text("Catalog in use").first.wait_for(timeout=long)
    wait_idle(page, long)
    big = b"track_id,track_name\n" + b"x" * (2 * 1024**2)  # 2 MB, over the 1 MB limit of this server
    page.get_by_role("region", name="Catalog file").locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        {"name": "big.csv", "mimeType": "text/csv", "buffer": big})
    page.get_by_text(re.compile(r"File must be 1(\.0)?\s?MB or smaller")).first.wait_for(timeout=60_000)
    wait_idle(page, long)
    assert page.locator('[data-testid="stMetricValue"]', has_text="28,356").count() == 1
    assert page.get_by_text("The other pages now work on this catalog").count() == 0
