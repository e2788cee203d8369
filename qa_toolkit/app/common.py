"""What every page shares: the cached engine and scorecards, the sidebar (reviewer name, queue filters),
navigation between pages, and safe rendering of user text (always escaped: see qa_toolkit.review)."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import streamlit as st
from sqlalchemy.engine import Engine

from qa_toolkit.db import results
from qa_toolkit.db.engine import get_engine
from qa_toolkit.errors import QAError
from qa_toolkit.review import escape_text
from qa_toolkit.scorecard import Scorecard, list_scorecards, load_scorecard, scorecards_dir
from qa_toolkit.settings import database_url

REVIEWER = "reviewer"
CONVERSATION = "conversation_id"
FILTER_KEYS = {
    "rules": "f_rules",
    "agents": "f_agents",
    "teams": "f_teams",
    "channels": "f_channels",
    "languages": "f_languages",
    "dates": "f_dates",
    "score": "f_score",
    "severity": "f_severity",
}
SCORE_RANGE = (0.0, 100.0)

CSS = """
<style>
.qa-msg {border-radius: 0.6rem; padding: 0.5rem 0.8rem; margin: 0.35rem 0; max-width: 80%;
         border: 1px solid rgba(128,128,128,0.25); overflow-wrap: anywhere;}
.qa-customer {margin-right: 20%; background: rgba(90,140,230,0.10);}
.qa-agent {margin-left: 20%; background: rgba(60,170,110,0.10);}
.qa-kind-internal-note {background: rgba(240,190,40,0.15); border-style: dashed;}
.qa-kind-auto-reply, .qa-kind-bot, .qa-kind-system {background: rgba(128,128,128,0.10); border-style: dotted;}
.qa-head {font-size: 0.8rem; opacity: 0.8; margin-bottom: 0.2rem;}
.qa-badge {font-size: 0.7rem; padding: 0 0.35rem; border-radius: 0.5rem; margin-left: 0.3rem;
           background: rgba(128,128,128,0.2);}
.qa-wait {font-size: 0.75rem; opacity: 0.7; text-align: center; margin: 0.1rem 0;}
.qa-labels {font-size: 0.8rem; margin-top: 0.35rem;}
.qa-chip {display: inline-block; padding: 0 0.4rem; margin: 0.1rem 0.2rem 0.1rem 0; border-radius: 0.5rem;}
mark.ev {padding: 0 0.15rem; border-radius: 0.2rem;}
.ev-tone {background: rgba(255,170,60,0.45);}
.ev-personalisation {background: rgba(90,160,255,0.40);}
.ev-apology {background: rgba(230,90,160,0.35);}
.ev-resolution {background: rgba(80,200,120,0.40);}
</style>
"""


# --------------------------------------------------------------------------- resources


def db_url() -> str:
    """The database: $QA_TOOLKIT_DB (a SQLite file or a PostgreSQL URL), else ./qa_toolkit.db."""
    return database_url()


@st.cache_resource(show_spinner=False)
def _engine(url: str) -> Engine:
    return get_engine(url)


def engine() -> Engine:
    return _engine(db_url())


@st.cache_data(ttl=60, max_entries=8, show_spinner=False)
def filter_options(url: str) -> results.FilterOptions:
    return results.filter_options(_engine(url))


@st.cache_resource(show_spinner=False)
def _scorecards(folder: str) -> dict[str, Scorecard]:
    cards: dict[str, Scorecard] = {}
    for name in list_scorecards(Path(folder)):
        try:
            card = load_scorecard(Path(folder) / f"{name}.toml")
        except QAError:
            continue  # a broken file is reported by the CLI; the app uses the others
        cards[card.key] = card
    return cards


def scorecard_for(key: str | None) -> Scorecard | None:
    """The scorecard with this key (``default.v3``), else the default one, else any; None if there is none."""
    cards = _scorecards(str(scorecards_dir()))
    if key and key in cards:
        return cards[key]
    return next((c for c in cards.values() if c.name == "default"), next(iter(cards.values()), None))


@st.cache_resource(show_spinner=False, max_entries=2)
def _scorer(models_dir: str, signature: tuple) -> Any:  # the signature changes when models are switched
    from qa_toolkit.scoring import ReplyScorer

    return ReplyScorer.load(Path(models_dir))


def load_scorer() -> tuple[Any, str | None]:
    """The active classifiers (cached until an admin switches models), or None and why."""
    from qa_toolkit.learning import active_models_dir, model_signature

    folder = active_models_dir()
    try:
        return _scorer(str(folder), model_signature(folder)), None
    except (QAError, OSError, ValueError) as exc:
        return None, str(exc)


# --------------------------------------------------------------------------- safe text


def safe(text: Any) -> str:
    """Any user-supplied value as inert HTML/markdown (see qa_toolkit.review.escape_text)."""
    return escape_text("" if text is None else str(text))


def html_block(body: str) -> None:
    """Render HTML built only from escaped values and our own tags (one line: no markdown inside)."""
    st.markdown(body.replace("\n", " "), unsafe_allow_html=True)


def inject_css() -> None:
    st.markdown(CSS, unsafe_allow_html=True)


# --------------------------------------------------------------------------- sidebar


KEPT = "_kept"


def _keep(key: str, default: Any) -> dict[str, Any]:
    """Give the sidebar widget ``key`` its value from the session's own copy, before it is drawn.

    The sidebar is drawn by the entry script on every page, but Streamlit ties widget state to the page it
    was drawn on: without this copy (kept up to date by ``_remember``) the reviewer's name and the filters
    would be lost on every page switch."""
    kept: dict[str, Any] = st.session_state.setdefault(KEPT, {})
    if key not in kept:
        kept[key] = st.session_state.get(key, default)
    st.session_state[key] = kept[key]
    return {"key": key, "on_change": _remember, "args": (key,)}


def _remember(key: str) -> None:
    st.session_state.setdefault(KEPT, {})[key] = st.session_state[key]


def _value(key: str, default: Any = None) -> Any:
    kept = st.session_state.get(KEPT, {})
    return kept[key] if key in kept else st.session_state.get(key, default)


class SecretsError(QAError):
    """.streamlit/secrets.toml exists but cannot be read: the app stops rather than open without login."""


def login_configured() -> bool:
    """True when .streamlit/secrets.toml has an ``[auth]`` section: then reviewers sign in with the team's
    identity provider (Streamlit's built-in login, docs/app.md) instead of typing a name. A secrets file
    that exists but cannot be read raises SecretsError (fail closed: never open the app without its login)."""
    try:
        return "auth" in st.secrets
    except FileNotFoundError as exc:  # Streamlit's StreamlitSecretNotFoundError: missing or unreadable file
        if any(Path(path).is_file() for path in st.get_option("secrets.files") or ()):
            raise SecretsError(f"the secrets file cannot be read: {exc}") from None
        return False


def signed_in_identity() -> str:
    """Who the provider says signed in, as stored with every action: the e-mail address unless the provider
    says it is unverified, else ``<issuer>#<subject>``; "" when not signed in. The display name is never the
    identity (anyone can usually change theirs)."""
    user = st.user
    if not user.get("is_logged_in"):
        return ""
    email = str(user.get("email") or "").strip()
    if email and user.get("email_verified") is not False:
        return email.lower()
    sub = str(user.get("sub") or "").strip()
    return f"{user.get('iss') or 'provider'}#{sub}" if sub else ""


def require_sign_in() -> bool:
    """With login switched on, a signed-out visitor sees only a sign-in button; False means stop the page.
    An unreadable secrets file stops every page with the reason."""
    try:
        configured = login_configured()
    except SecretsError as exc:
        st.error(safe(f"{exc}. Fix .streamlit/secrets.toml (docs/app.md); the app stays closed until then."))
        return False
    if not configured or signed_in_identity():
        return True
    st.title("qa_toolkit")
    if st.user.get("is_logged_in"):  # signed in, but without a verified e-mail or a subject to name them by
        st.error("Your account gives no verified e-mail address: ask the admin to check the identity provider.")
        st.button("Sign out", key="logout_unverified", on_click=st.logout)
        return False
    st.write("Sign in with your team's account to review conversations.")
    if not authlib_installed():
        st.error(
            "Login is switched on (.streamlit/secrets.toml has an [auth] section) but Authlib is not installed: "
            "pip install 'qa-toolkit[login]' (docs/app.md)."
        )
        return False
    providers = [k for k, v in st.secrets["auth"].items() if isinstance(v, Mapping)]
    if providers:
        for provider in providers:
            st.button(f"Sign in with {provider}", key=f"login_{provider}", on_click=st.login, args=(provider,))
    else:
        st.button("Sign in", key="login", type="primary", on_click=st.login)
    return False


def authlib_installed() -> bool:
    return importlib.util.find_spec("authlib") is not None


def reviewer() -> str:
    """Who is acting: the signed-in identity when login is on, else the name typed in the sidebar."""
    if login_configured():  # pages only run after require_sign_in, so the secrets file is readable here
        return signed_in_identity()
    return (_value(REVIEWER) or "").strip()


def admins() -> frozenset[str]:
    """Reviewers allowed to retrain, switch and rescore (the admin page): $QA_ADMINS, comma-separated names or
    (with login) verified e-mail addresses, compared without case. Empty (the default) lets everyone."""
    raw = os.environ.get("QA_ADMINS", "")
    return frozenset(part.strip().casefold() for part in raw.split(",") if part.strip())


def is_admin() -> bool:
    allowed = admins()
    return not allowed or reviewer().casefold() in allowed


def sidebar() -> None:
    """The reviewer's identity and the shared queue filters."""
    url = db_url()
    with st.sidebar:
        if login_configured():
            name = st.user.get("name")
            st.write(f"Signed in as **{safe(reviewer())}**" + (f" ({safe(name)})" if name else ""))
            st.button("Sign out", key="logout", on_click=st.logout)
        else:
            st.text_input(
                "Your name (stored with every review)", placeholder="e.g. Alex", max_chars=128, **_keep(REVIEWER, "")
            )
            if not reviewer():
                st.caption("Enter your name to review conversations.")
        st.subheader("Filters")
        try:
            opts = filter_options(url)
        except QAError as exc:
            st.error(str(exc))
            return
        agent_names = dict(opts.agents)
        choices = {
            "rules": ("Flag", opts.rules),
            "agents": ("Agent", list(agent_names)),
            "teams": ("Team", opts.teams),
            "channels": ("Channel", opts.channels),
            "languages": ("Language", opts.languages),
        }
        for name, (label, options) in choices.items():
            key = FILTER_KEYS[name]
            kept = [v for v in _value(key, []) or [] if v in options]  # values that no longer exist dropped
            st.session_state.setdefault(KEPT, {})[key] = kept
            st.multiselect(
                label,
                options,
                format_func=(lambda a: agent_names.get(a, a)) if name == "agents" else str,
                **_keep(key, []),
            )
        if opts.first_day is not None and opts.last_day is not None:
            st.date_input(
                "Created between", min_value=opts.first_day, max_value=opts.last_day, **_keep(FILTER_KEYS["dates"], ())
            )
        st.slider("Automatic score", 0.0, 100.0, step=1.0, **_keep(FILTER_KEYS["score"], SCORE_RANGE))
        st.slider("Lowest flag score", 0.0, 1.0, step=0.05, **_keep(FILTER_KEYS["severity"], 0.0))
        st.caption(f"Database: {safe(_display_url(url))}")


def _display_url(url: str) -> str:
    """The URL without a password."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':', 1)[0]}@{host}"
    return url


def current_filters() -> results.QueueFilters:
    """The sidebar's filters as QueueFilters."""
    dates = _value(FILTER_KEYS["dates"]) or ()
    date_from: date | None = dates[0] if len(dates) >= 1 else None
    date_to: date | None = dates[1] if len(dates) >= 2 else date_from
    low, high = _value(FILTER_KEYS["score"]) or SCORE_RANGE
    severity = _value(FILTER_KEYS["severity"]) or 0.0
    return results.QueueFilters(
        rules=tuple(_value(FILTER_KEYS["rules"]) or ()),
        agents=tuple(_value(FILTER_KEYS["agents"]) or ()),
        teams=tuple(_value(FILTER_KEYS["teams"]) or ()),
        channels=tuple(_value(FILTER_KEYS["channels"]) or ()),
        languages=tuple(_value(FILTER_KEYS["languages"]) or ()),
        date_from=date_from,
        date_to=date_to,
        score_min=low if low > SCORE_RANGE[0] else None,
        score_max=high if high < SCORE_RANGE[1] else None,
        min_severity=severity if severity > 0 else None,
    )


# --------------------------------------------------------------------------- navigation


def open_conversation(conversation_id: int) -> None:
    """Go to the conversation view for this conversation."""
    from qa_toolkit.app import CONVERSATION_PAGE

    st.session_state[CONVERSATION] = int(conversation_id)
    st.switch_page(CONVERSATION_PAGE)


def open_queue() -> None:
    from qa_toolkit.app import QUEUE_PAGE

    st.switch_page(QUEUE_PAGE)
