"""The browser tests' shared parts: every test here drives Debian's /usr/bin/chromium (Playwright,
never a browser download) against a `streamlit run app.py` that the tests start themselves on a
free loopback port, with a fresh data folder per module; waits are on the page, never the clock."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from bench.ui_speed import CHROMIUM, launch_browser, streamlit_server
from tests.support.browser import ARTIFACTS

_HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    missing = pytest.mark.skip(reason=f"{CHROMIUM} missing: run `make browser`")
    for item in items:
        if _HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)
            if not Path(CHROMIUM).exists():
                item.add_marker(missing)


@pytest.fixture(scope="module")
def app_server(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[SimpleNamespace]:
    """One server and one Chromium per test module: ``url``, ``browser``, ``data_dir`` (the
    server's label store folder). A module may set ``SERVER_ENV`` for more environment."""
    sync_api = pytest.importorskip("playwright.sync_api")
    data_dir = tmp_path_factory.mktemp("tastemap-data")
    env = {"TASTEMAP_DATA_DIR": str(data_dir), **getattr(request.module, "SERVER_ENV", {})}
    with sync_api.sync_playwright() as p, streamlit_server("app.py", timeout=120, env=env) as (url, _):
        browser = launch_browser(p)
        yield SimpleNamespace(url=url, browser=browser, data_dir=data_dir)
        browser.close()


@pytest.fixture(scope="module")
def app_page(app_server: SimpleNamespace, request: pytest.FixtureRequest) -> Iterator[tuple[str, object, list[str]]]:
    """``(url, page, errors)``: one tab for the module (``VIEWPORT`` may set its size); ``errors``
    collects the page's JavaScript errors."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)  # screenshots for a look (git-ignored)
    viewport = getattr(request.module, "VIEWPORT", {"width": 1440, "height": 1000})
    context = app_server.browser.new_context(viewport=viewport)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield app_server.url, page, errors
    context.close()
