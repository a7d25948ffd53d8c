"""ui.run_secrets: a secret is read once per script run, and an edited value counts from the next run."""
from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _script() -> None:
    import streamlit as st

    import ui.run_secrets as run_secrets

    reads = st.session_state.setdefault("reads", [])
    real = run_secrets._read

    def counting(name: str) -> object:
        reads.append(name)
        return real(name)

    run_secrets._read = counting
    try:
        first, again = run_secrets.secret("auth"), run_secrets.secret("auth")
        missing = run_secrets.secret("no_such_key")
    finally:
        run_secrets._read = real
    st.markdown(f"value={first!r} again={again!r} missing={missing!r} reads={len(reads)}")


def _shown(at: AppTest) -> str:
    return at.markdown[0].value


def test_a_secret_is_read_once_per_run_and_an_edit_counts_from_the_next_run():
    at = AppTest.from_function(_script)
    at.secrets = {"auth": {"client_id": "one"}}
    at.run()
    assert not at.exception
    assert _shown(at) == "value={'client_id': 'one'} again={'client_id': 'one'} missing=None reads=2"
    at.secrets = {"auth": {"client_id": "two"}}
    at.run()
    assert _shown(at) == "value={'client_id': 'two'} again={'client_id': 'two'} missing=None reads=4"


def test_outside_a_script_run_the_secret_is_read_directly():
    from ui.run_secrets import secret

    assert secret("surely_not_configured_here") is None
