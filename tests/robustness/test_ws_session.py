"""The websocket load client (bench/ws_session.py) against a small app on a real `streamlit run`.

It must send what the frontend sends and read the page back correctly, or the load test's
checks mean nothing: widget values kept between reruns, one-shot button clicks, the query
string, exceptions seen, cached-message references resolved, a form's draft sent by its
submit button, and sessions kept apart.
"""
from __future__ import annotations

import asyncio
import textwrap

import pytest

from bench.ui_speed import streamlit_process
from bench.ws_session import SessionError, StreamlitSession

APP = textwrap.dedent('''
    import pandas as pd
    import streamlit as st

    name = st.text_input("Name", key="name")
    count = st.slider("Count", 1, 10, 3, key="count")
    picked = st.multiselect("Pick", ["a", "b", "c"], default=["b"], key="pick")
    if st.button("Go", key="go"):
        st.write(f"clicked with {name}")
    st.write(f"name={name} count={count} picked={','.join(picked)}")
    st.query_params["name"] = name
    with st.form("note_form"):
        note = st.text_input("Note", key="note")
        sent = st.form_submit_button("Send", key="send")
    st.write(f"note={note} sent={sent}")
    # Large enough for the server to mark it cacheable (global.minCachedMessageSize, 10 kB).
    st.dataframe(pd.DataFrame({"x": range(3000)}))
    if name == "boom":
        raise ValueError("boom on purpose")
''')

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    script = tmp_path_factory.mktemp("wsapp") / "ws_app.py"
    script.write_text(APP, encoding="utf-8")
    with streamlit_process(script, timeout=120) as (url, _proc, _accepted_at):
        yield url


def line(session: StreamlitSession, prefix: str) -> str:
    return next(t for t in session.page_text().splitlines() if t.startswith(prefix))


def test_widget_values_clicks_query_string_and_exceptions(app_url):
    async def scenario() -> None:
        async with StreamlitSession(app_url, timeout=60) as s:
            first = await s.open_page("")
            assert first.runs == 1 and first.wall_ms > 0
            assert line(s, "name=") == "name= count=3 picked=b"
            await s.set_value("name", "Ann")
            assert line(s, "name=") == "name=Ann count=3 picked=b"  # other widgets keep their values
            assert s.query_string == "name=Ann"
            await s.set_value("count", 7)
            await s.set_value("pick", ["a", "c"])
            assert line(s, "name=") == "name=Ann count=7 picked=a,c"
            assert s.value("pick") == ["a", "c"] and s.value("count") == [7.0]
            await s.click("go")
            assert "clicked with Ann" in s.page_text()
            await s.rerun()  # a click is one-shot
            assert "clicked with" not in s.page_text()
            assert s.exceptions() == []
            await s.set_value("name", "boom")
            assert [e.split(":")[0] for e in s.exceptions()] == ["ValueError"]  # message redacted by default
            await s.set_value("name", "calm")
            assert s.exceptions() == []
            with pytest.raises(SessionError):
                await s.set_value("pick", ["not an option"])
            with pytest.raises(SessionError):
                s.widget("no_such_key")

    asyncio.run(scenario())


def test_form_draft_is_kept_until_the_submit_button_sends_it(app_url):
    async def scenario() -> None:
        async with StreamlitSession(app_url, timeout=60) as s:
            await s.open_page("")
            assert await s.set_value("note", "hello", rerun=False) is None  # no request: a draft
            assert s.value("note") == "hello"
            assert line(s, "note=") == "note= sent=False"
            run = await s.click("send")
            assert run.runs == 1
            assert line(s, "note=") == "note=hello sent=True"
            await s.rerun()  # the submitted value stays, the click was one-shot
            assert line(s, "note=") == "note=hello sent=False"

    asyncio.run(scenario())


def test_cached_messages_are_referenced_and_resolved(app_url):
    async def scenario() -> None:
        async with StreamlitSession(app_url, timeout=60) as s:
            await s.open_page("")
            assert s.cached_refs_used == 0
            await s.set_value("count", 4)  # the same table again: the server sends only its hash
            assert s.cached_refs_used >= 1
            assert [e.kind for e in s.elements.values()].count("dataframe") == 1

    asyncio.run(scenario())


def test_sessions_are_apart(app_url):
    async def scenario() -> None:
        async with StreamlitSession(app_url) as a, StreamlitSession(app_url) as b:
            await asyncio.gather(a.open_page(""), b.open_page(""))
            await asyncio.gather(a.set_value("name", "alice"), b.set_value("count", 9))
            assert line(a, "name=") == "name=alice count=3 picked=b"
            assert line(b, "name=") == "name= count=9 picked=b"

    asyncio.run(scenario())
