"""Sign-in in a real browser against a real OpenID Connect provider the test starts on 127.0.0.1
(``oidc-provider-mock``, tests/support/oidc.py): sign in, label, sign out, a second person who
cannot see the first one's labels, and a session whose sign-in is gone or has ended going back
to the sign-in screen.

``streamlit run app.py`` gets a secrets.toml in a temporary folder (STREAMLIT_SECRETS_FILES, so
no secrets file of the project is read) and a temporary data folder. Waits are on the page.
"""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from bench.ui_speed import launch_browser, streamlit_server, wait_idle
from recommender.label_store import LabelStore
from tests.support.oidc import running_provider, write_secrets

playwright_api = pytest.importorskip("playwright.sync_api")
pytest.importorskip("authlib")  # st.login needs it

LONG = 180_000  # ms; only guards a hang
DEMO = "Loaded 2,009 demo labels"


def sign_in_screen(page) -> None:  # noqa: ANN001
    page.get_by_text("Sign in to use Tastemap").first.wait_for(timeout=LONG)
    wait_idle(page, LONG)
    assert page.get_by_role("button", name="Sign out").count() == 0
    assert page.get_by_text("Your taste").count() == 0


def sign_in(page, sub: str, name: str) -> None:  # noqa: ANN001
    """From the sign-in screen through the provider's form, back to the app signed in."""
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.locator('input[name="sub"]').wait_for(timeout=LONG)  # the provider's authorization form
    page.locator('input[name="sub"]').fill(sub)
    page.get_by_role("button", name="Authorize").click()
    page.get_by_text(f"Signed in as {name}").first.wait_for(timeout=LONG)
    wait_idle(page, LONG)


def open_taste(page, url: str) -> str:  # noqa: ANN001
    page.goto(url + "/Taste", timeout=LONG)
    page.get_by_text("Your taste").first.wait_for(timeout=LONG)
    page.get_by_text(re.compile(r"labels in profile")).first.wait_for(timeout=LONG)
    wait_idle(page, LONG)
    return page.get_by_text(re.compile(r"labels in profile")).first.inner_text()


def test_each_person_signs_in_sees_only_their_labels_and_signs_out(tmp_path):
    with running_provider() as provider:
        provider.add_user("alice", email="alice@example.com", name="Alice Example")
        provider.add_user("bob", email="bob@example.com", name="Bob Example")
        secrets = write_secrets(tmp_path / "secrets", provider)
        env = {"TASTEMAP_DATA_DIR": str(tmp_path / "data"), "STREAMLIT_SECRETS_FILES": str(secrets)}
        with playwright_api.sync_playwright() as p, streamlit_server("app.py", timeout=120, env=env) as (url, _):
            browser = launch_browser(p)
            context = browser.new_context(viewport={"width": 1440, "height": 1000})
            page = context.new_page()
            try:
                page.goto(url + "/Taste", timeout=LONG)  # a link to a page: the sign-in screen first
                sign_in_screen(page)
                sign_in(page, "alice", "Alice Example")

                assert open_taste(page, url).startswith("0 labels")
                page.get_by_role("button", name="Load the demo labels").click()
                page.get_by_text(DEMO).first.wait_for(timeout=LONG)
                wait_idle(page, LONG)
                store = tmp_path / "data" / "labels.sqlite3"
                assert LabelStore(store, owner=provider.owner_of("alice")).count("default") == 2009
                assert LabelStore(store).count("default") == 0  # not the anonymous owner's

                page.get_by_role("button", name="Sign out").click()
                page.get_by_role("button", name="End session").click()  # the provider's own page
                sign_in_screen(page)
                page.goto(url + "/Taste", timeout=LONG)  # signed out means out, on every page
                sign_in_screen(page)

                sign_in(page, "bob", "Bob Example")
                assert open_taste(page, url).startswith("0 labels")  # not Alice's 2,009
                assert page.get_by_text("No labels yet").count() == 1
                assert LabelStore(store, owner=provider.owner_of("bob")).count("default") == 0

                # The sign-in is gone (the auth cookie expired or was removed): back to sign-in.
                context.clear_cookies()
                page.reload(timeout=LONG)
                sign_in_screen(page)
                # A forged identity cookie is not a sign-in either.
                context.add_cookies([{"name": "_streamlit_user", "url": url,
                                      "value": '{"is_logged_in": true, "sub": "alice"}'}])
                page.reload(timeout=LONG)
                sign_in_screen(page)
                assert page.locator('[data-testid="stException"]').count() == 0
            finally:
                context.close()
                browser.close()


def test_a_sign_in_the_provider_has_ended_goes_back_to_sign_in(tmp_path):
    """The provider's ID token says how long the sign-in holds; past that the app asks again
    (here the provider issues tokens already past their end, which the sign-in still accepts
    within Authlib's two minutes of clock leeway, so nothing waits on the clock)."""
    with running_provider(token_max_age=timedelta(seconds=-30)) as provider:
        provider.add_user("alice", email="alice@example.com", name="Alice Example")
        secrets = write_secrets(tmp_path / "secrets", provider)
        env = {"TASTEMAP_DATA_DIR": str(tmp_path / "data"), "STREAMLIT_SECRETS_FILES": str(secrets)}
        with playwright_api.sync_playwright() as p, streamlit_server("app.py", timeout=120, env=env) as (url, _):
            browser = launch_browser(p)
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            try:
                page.goto(url, timeout=LONG)
                sign_in_screen(page)
                page.get_by_role("button", name="Sign in", exact=True).click()
                page.locator('input[name="sub"]').fill("alice")
                page.get_by_role("button", name="Authorize").click()
                page.get_by_text("Your sign-in has ended").first.wait_for(timeout=LONG)
                sign_in_screen(page)
                page.goto(url + "/Taste", timeout=LONG)
                page.get_by_text("Your sign-in has ended").first.wait_for(timeout=LONG)
                sign_in_screen(page)
            finally:
                browser.close()
