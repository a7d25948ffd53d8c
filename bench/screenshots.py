"""Screenshots of every page, as a listener first sees them, for docs/ and the README.

Run:  .venv/bin/python -m bench.screenshots            (writes docs/screenshots/*.png and
                                                        docs/screenshot.png, the Recommend page)

Starts ``streamlit run app.py`` on a free loopback port with a fresh data folder (so no one's
labels show), drives Debian's /usr/bin/chromium with Playwright, and waits on each page being
ready (its text shown, the script idle, charts drawn), never on a fixed time. Recommend is shown
after pasting three popular tracks and pressing "Get recommendations"; Playlist with twelve
tracks pasted; Taste after loading the demo labels and training.
"""
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bench.ui_speed import CHROMIUM, SEEDS, launch_browser, streamlit_server, wait_idle

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
LONG = 240_000  # ms: the first visit of a page fits its models on a busy machine
VIEWPORT = {"width": 1440, "height": 1200}


def _ready(page, text: str, *, charts: int = 0) -> None:  # noqa: ANN001
    """Wait for ``text``, the script idle, no skeleton left and at least ``charts`` charts drawn."""
    page.get_by_text(text).first.wait_for(timeout=LONG)
    wait_idle(page, LONG)
    # Lazily loaded widgets and charts show grey skeletons first, and Plotly draws after the
    # script is idle: wait until no skeleton is left and every chart (at least ``charts``) has
    # its SVG layer.
    page.wait_for_function(
        """(n) => {
            const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
            return !document.querySelector('[data-testid="stSkeleton"]')
                && charts.length >= n && charts.every(c => c.querySelector('.main-svg'));
        }""",
        arg=charts,
        timeout=LONG,
    )


def _scroll_to(page, text: str, block: str = "start") -> None:  # noqa: ANN001
    """Scroll so ``text`` sits at the top (or centre) of the window; the pointer moved off buttons."""
    page.get_by_text(text, exact=True).first.evaluate(f"e => e.scrollIntoView({{block: '{block}'}})")
    page.mouse.move(5, 5)


def _playlist_ids(count: int = 12) -> list[str]:
    from recommender.catalog import load_default_catalog

    tracks = load_default_catalog().tracks
    return tracks.dropna(subset=["popularity"]).nlargest(400, "popularity").drop_duplicates("artists")[
        "track_id"].head(count).tolist()


def take(out: Path = OUT) -> list[Path]:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    shots: list[Path] = []
    with tempfile.TemporaryDirectory() as data_dir, sync_playwright() as p, \
            streamlit_server("app.py", timeout=120, env={"TASTEMAP_DATA_DIR": data_dir}) as (url, _):
        browser = launch_browser(p)
        page = browser.new_context(viewport=VIEWPORT).new_page()

        def shot(name: str) -> None:
            path = out / f"{name}.png"
            page.screenshot(path=str(path))
            shots.append(path)
            print(f"{path.relative_to(ROOT)}")

        page.goto(url, timeout=LONG)
        _ready(page, "Catalog in use")
        shot("home")
        page.goto(url + "/Explore", timeout=LONG)
        _ready(page, "Explore the catalog", charts=1)
        shot("explore")
        page.goto(url + "/Clusters", timeout=LONG)
        _ready(page, "groups of tracks that sound alike", charts=1)
        shot("clusters")
        page.goto(url + "/Recommend", timeout=LONG)
        _ready(page, "1. Seed tracks")
        page.locator('[data-testid="stTextArea"] textarea').first.fill("\n".join(SEEDS))
        page.get_by_role("button", name="Get recommendations").click()
        _ready(page, "tracks by the hybrid method")
        page.locator('[data-testid="stDataFrame"]').last.wait_for(timeout=LONG)
        _scroll_to(page, "3. Recommendations")
        shot("recommend")
        page.goto(url + "/Playlist", timeout=LONG)
        _ready(page, "Playlist")
        page.locator('[data-testid="stTextArea"] textarea').first.fill("\n".join(_playlist_ids()))
        page.locator('[data-testid="stTextArea"] textarea').first.press("Control+Enter")
        _ready(page, "Open ↗", charts=1)
        _scroll_to(page, "2. Sort and filter")
        shot("playlist")
        page.goto(url + "/Taste", timeout=LONG)
        _ready(page, "Taste")
        page.get_by_role("button", name="Load the demo labels").click()
        wait_idle(page, LONG)
        page.get_by_role("button", name="Train", exact=True).click()
        _ready(page, "on artists it has not seen")
        _scroll_to(page, "Model")
        shot("taste")
        page.goto(url + "/Spotify", timeout=LONG)
        _ready(page, "Spotify")
        shot("spotify")
        browser.close()
    readme = ROOT / "docs" / "screenshot.png"
    readme.write_bytes((out / "recommend.png").read_bytes())
    return shots


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help="folder for the PNG files")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: run `make browser` first.")
        return 2
    take(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
