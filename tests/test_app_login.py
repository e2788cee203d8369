"""Streamlit's built-in login (AppTest): off by default (a typed reviewer name); switched on by an [auth]
section in the secrets, a signed-out visitor sees only the sign-in button, and a signed-in reviewer's
identity (not a typed name) is stored with their review; signing out ends it."""

from __future__ import annotations

from pathlib import Path

import pytest
from store_builder import app_store
from streamlit.testing.v1 import AppTest

from qa_toolkit.app import common
from qa_toolkit.db import results

APP = str(Path(__file__).resolve().parent.parent / "app_streamlit.py")
CONVERSATION = "qa_toolkit/app/pages/conversation.py"
AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "not-a-real-secret",
    "client_id": "qa-toolkit",
    "client_secret": "not-a-real-secret",
    "server_metadata_url": "https://idp.example.com/.well-known/openid-configuration",
}


def app(user: dict[str, object], auth: dict[str, object] | None = AUTH) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if auth is not None:
        at.secrets["auth"] = auth
    at.user = user
    return at


def test_without_auth_secrets_the_reviewer_types_a_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app_store(tmp_path, monkeypatch)
    at = app({"is_logged_in": False}, auth=None).run()
    assert not at.exception, at.exception
    assert at.sidebar.text_input[0].label.startswith("Your name")
    assert not [b for b in at.button if b.label.startswith("Sign")]


def test_signed_out_visitors_see_only_the_sign_in_button(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app_store(tmp_path, monkeypatch)
    at = app({"is_logged_in": False}).run()
    assert not at.exception, at.exception
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.sidebar.text_input and not at.sidebar.multiselect  # no filters, no queue
    assert at.title[0].value == "qa_toolkit"
    # named providers ([auth.google], [auth.okta]) get one button each
    at = app({"is_logged_in": False}, auth={**AUTH, "google": {"client_id": "g"}, "okta": {"client_id": "o"}}).run()
    assert [b.label for b in at.button] == ["Sign in with google", "Sign in with okta"]


def test_login_without_authlib_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app_store(tmp_path, monkeypatch)
    monkeypatch.setattr(common, "authlib_installed", lambda: False)
    at = app({"is_logged_in": False}).run()
    assert not at.button and any("pip install 'qa-toolkit[login]'" in e.value for e in at.error)


def test_the_signed_in_identity_is_stored_with_the_review(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine, ids = app_store(tmp_path, monkeypatch)
    at = app({"is_logged_in": True, "email": "lead@example.com", "name": "Lea Lead"})
    at.session_state["reviewer"] = "someone else"  # a typed name does not count once login is on
    at.session_state["conversation_id"] = ids["c-2"]
    at.run()
    assert not at.exception, at.exception
    assert not at.sidebar.text_input  # nothing to type
    assert any("Signed in as" in m.value and "lead" in m.value for m in at.sidebar.markdown)
    at.switch_page(CONVERSATION).run()
    next(b for b in at.button if b.label == "Save and mark done").click().run()
    assert not at.exception, at.exception
    view = results.load_conversation(engine, conversation_id=ids["c-2"])
    assert view is not None and view.review_by("lead@example.com") is not None
    assert view.review_by("someone else") is None

    at.button(key="logout").click().run()
    assert [b.label for b in at.button] == ["Sign in"]


@pytest.mark.parametrize(
    ("user", "identity"),
    [
        ({"email": "Lead@Example.com", "email_verified": True, "sub": "1"}, "lead@example.com"),
        ({"email": "boss@example.com", "email_verified": False, "sub": "9", "iss": "https://idp"}, "https://idp#9"),
        ({"name": "boss@example.com", "sub": "attacker-1", "iss": "https://idp"}, "https://idp#attacker-1"),
    ],
)
def test_the_identity_is_a_verified_email_or_the_subject_never_the_display_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, user: dict[str, object], identity: str
) -> None:
    engine, ids = app_store(tmp_path, monkeypatch)
    monkeypatch.setenv("QA_ADMINS", "boss@example.com")
    at = app({"is_logged_in": True, **user})
    at.session_state["conversation_id"] = ids["c-2"]
    at.run()
    at.switch_page(CONVERSATION).run()
    next(b for b in at.button if b.label == "Save and mark done").click().run()
    assert not at.exception, at.exception
    view = results.load_conversation(engine, conversation_id=ids["c-2"])
    assert view is not None and view.review_by(identity) is not None
    at.switch_page("qa_toolkit/app/pages/admin.py").run()
    assert any("Only admins" in i.value for i in at.info)  # a display name or unverified address is no admin


def test_an_unreadable_secrets_file_keeps_the_app_closed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app_store(tmp_path, monkeypatch)

    def broken() -> bool:
        raise common.SecretsError("the secrets file cannot be read: Illegal character (at line 2)")

    monkeypatch.setattr(common, "login_configured", broken)
    at = app({"is_logged_in": False}, auth=None).run()
    assert not at.exception, at.exception
    assert any("the app stays closed" in e.value for e in at.error)
    assert not at.sidebar.text_input and not at.button  # no name field, no queue, no sign-in


def test_login_configured_fails_closed_on_a_broken_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[auth]\nredirect_uri = "unterminated\n')

    class Broken:
        def __contains__(self, key: object) -> bool:
            raise FileNotFoundError("Error parsing secrets file")

    monkeypatch.setattr(common.st, "secrets", Broken())
    monkeypatch.setattr(common.st, "get_option", lambda name: [str(secrets)])
    with pytest.raises(common.SecretsError, match="cannot be read"):
        common.login_configured()
    monkeypatch.setattr(common.st, "get_option", lambda name: [str(tmp_path / "missing.toml")])
    assert common.login_configured() is False  # no file at all: login is simply off
