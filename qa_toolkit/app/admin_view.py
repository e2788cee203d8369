"""The admin page: the active reply classifiers, retraining them with the reviewers' labels (a background job
in the app's process: it goes on when the page is left), the before/after figures, and switching to the new
models or back to earlier ones (every replaced set is kept).

The work is done by qa_toolkit.learning; the models folder is $QA_MODELS_DIR (else models/), candidates
and kept sets live under $QA_RETRAIN_DIR (else var/retrain/)."""

from __future__ import annotations

import json
import os
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from qa_toolkit import learning, store_scoring
from qa_toolkit.app import common
from qa_toolkit.classifiers.artefacts import model_dir
from qa_toolkit.classifiers.models import LABEL_SETS
from qa_toolkit.db import results
from qa_toolkit.db.engine import get_engine
from qa_toolkit.errors import QAError
from qa_toolkit.store_scoring import scored_with

FLASH = "admin_flash"
LOG_LINES = 40


@dataclass
class BackgroundJob:
    """One long task (retraining, rescoring the store) running in a thread of the app's process, shared by
    every session: ``work`` gets a log function and returns the result."""

    work: Callable[[Callable[[str], None]], Any]
    started_by: str
    lines: list[str] = field(default_factory=list)
    result: Any = None
    error: str | None = None
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    finished: datetime | None = None

    @property
    def running(self) -> bool:
        return self.finished is None

    def start(self) -> None:
        threading.Thread(target=self._run, name="qa-admin-job", daemon=True).start()

    def _run(self) -> None:
        try:
            self.result = self.work(self.lines.append)
        except QAError as exc:
            self.error = str(exc)
        except Exception as exc:  # noqa: BLE001 - shown on the page; the app goes on
            self.error = f"{type(exc).__name__}: {exc}"
            self.lines.append(traceback.format_exc())
        finally:
            self.finished = datetime.now(UTC)


@dataclass
class JobBoard:
    """Background jobs by what they work on (one retraining per models folder, one rescoring per database),
    shared across sessions; starting one is atomic, so two admins pressing at once start one job."""

    jobs: dict[str, BackgroundJob] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, key: str) -> BackgroundJob | None:
        return self.jobs.get(key)

    def running(self, prefix: str) -> bool:
        """Whether any job whose key starts with ``prefix`` is running."""
        return any(k.startswith(prefix) and j.running for k, j in list(self.jobs.items()))

    def start(self, key: str, job: BackgroundJob) -> bool:
        """Start ``job`` unless one with this key is running (then False: nothing started)."""
        with self.lock:
            current = self.jobs.get(key)
            if current is not None and current.running:
                return False
            self.jobs[key] = job
            job.start()
            return True


@st.cache_resource(show_spinner=False)
def _jobs() -> JobBoard:
    return JobBoard()


RETRAIN, RESCORE = "retrain:", "rescore:"


def pipeline_params() -> dict[str, Any]:
    """Classifier parameters for the retraining: $QA_RETRAIN_PARAMS (JSON, e.g. ``{"n_features": 4096}`` for
    quick trials and tests), else the defaults ``qa-toolkit train`` uses."""
    raw = os.environ.get("QA_RETRAIN_PARAMS")
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise QAError(f"QA_RETRAIN_PARAMS is not JSON ({exc})") from None
    if not isinstance(value, dict):
        raise QAError("QA_RETRAIN_PARAMS must be a JSON object of make_pipeline_for parameters")
    return value


def active_models_frame(models_dir: Path) -> pd.DataFrame:
    """One row per active classifier, from its card."""
    rows = []
    for name in LABEL_SETS:
        path = model_dir(name, models_dir) / "card.json"
        try:
            card = json.loads(path.read_text())
        except (OSError, ValueError):
            rows.append({"label": name, "model": "missing", "created": None})
            continue
        training = card.get("training_data", {})
        metrics = card.get("metrics") or {}
        rows.append(
            {
                "label": name,
                "model": card.get("name", name),
                "created": card.get("created"),
                "trained on": training.get("replies"),
                "of which from reviews": (training.get("review_examples") or {}).get("replies", 0),
                "macro-F1 (evaluation set)": None if "macro_f1" not in metrics else round(metrics["macro_f1"], 3),
                "95% interval": _interval((metrics.get("bootstrap") or {}).get("macro_f1")),
                "evaluated on": metrics.get("n"),
            }
        )
    return pd.DataFrame(rows)


def _interval(bounds: list[float] | None) -> str | None:
    """A card's bootstrap interval as "0.650-0.745" (cards written before intervals have none)."""
    return None if not bounds else f"{bounds[0]:.3f}-{bounds[1]:.3f}"


def render() -> None:
    st.title("Admin: classifiers")
    flash = st.session_state.pop(FLASH, None)
    if flash is not None:
        kind, message = flash
        (st.success if kind == "ok" else st.error)(common.safe(message))
    models_dir = learning.active_models_dir()
    work = learning.retrain_dir()
    backups_dir = work / "previous"

    st.subheader("Active models")
    st.caption(f"In {common.safe(models_dir)}", unsafe_allow_html=True)
    st.dataframe(active_models_frame(models_dir), hide_index=True, width="stretch")
    if not common.is_admin():
        st.info(
            common.safe(
                f"Only admins ({', '.join(sorted(common.admins()))}: $QA_ADMINS) can retrain, switch models or "
                f"score the store again; you are {common.reviewer() or 'not named yet'}."
            )
        )

    _retrain_section(models_dir, work)
    _candidate_section(models_dir, work, backups_dir)
    _rollback_section(models_dir, backups_dir)
    _rescore_section()


# --------------------------------------------------------------------------- retraining


def _retrain_section(models_dir: Path, work: Path) -> None:
    st.subheader("Retrain with the reviewers' labels")
    url = common.db_url()
    replies, corrected = learning.review_counts(common.engine())
    data_dir = learning.research_data_dir()
    st.write(
        f"Finished reviews confirm or correct the labels of **{replies:,}** replies "
        f"(**{corrected:,}** with a correction). Only finished reviews count; where reviewers disagree, the "
        "latest finished review wins."
    )
    if data_dir is not None:
        st.caption(
            "The new models learn from the committed training labels (texts from ../shared/data) plus these "
            "replies, and old and new are evaluated on the hand-labelled evaluation set (independent of the "
            "training). With the full models this takes several minutes; it goes on if you leave the page."
        )
    else:
        st.warning(
            "../shared/data is not there, so no independent evaluation is possible: the new models would learn "
            "from the reviewed replies alone, and their figures are cross-validated on those same replies."
        )
    try:
        params = pipeline_params()
    except QAError as exc:
        st.error(common.safe(str(exc)))
        return
    jobs = _jobs()
    allowed = common.is_admin()
    key = f"{RETRAIN}{models_dir.resolve()}"
    job = jobs.get(key)
    running = job is not None and job.running
    if st.button(
        "Retrain with reviews", type="primary", disabled=running or replies == 0 or not allowed, key="admin_retrain"
    ):
        out_dir = learning.new_candidate_dir(work)
        job = BackgroundJob(
            work=lambda log: learning.retrain_with_reviews(
                get_engine(url),
                data_dir=data_dir,
                models_dir=models_dir,
                out_dir=out_dir,
                pipeline_params=params,
                log=log,
            ),
            started_by=common.reviewer() or "?",
        )
        jobs.start(key, job)
        st.rerun()
    if replies == 0:
        st.caption("Nothing to learn from yet: mark reviews done first.")
    if job is not None:
        _job_status(job, "Retraining")


def _job_status(job: BackgroundJob, what: str) -> None:
    if job.running:
        _job_running(job, what)
        return
    took = (job.finished - job.started).total_seconds() if job.finished else 0
    if job.error:
        with st.status(f"{what} failed", state="error", expanded=True):
            st.text(job.error)
            st.text("\n".join(job.lines[-LOG_LINES:]))
    else:
        with st.status(f"{what} finished in {took:,.0f} s", state="complete", expanded=False):
            st.text("\n".join(job.lines[-LOG_LINES:]))


@st.fragment(run_every=2.0)
def _job_running(job: BackgroundJob, what: str) -> None:
    """The running job's progress, refreshed every two seconds; the whole page is drawn again when it ends."""
    if not job.running:
        st.rerun()
    with st.status(f"{what} (started by {common.safe(job.started_by)}) …", state="running", expanded=True):
        st.text("\n".join(job.lines[-LOG_LINES:]) or "starting")
        st.caption("This goes on in the app's process if you leave the page.")


# --------------------------------------------------------------------------- new models: read, switch


def _candidate_section(models_dir: Path, work: Path, backups_dir: Path) -> None:
    candidates = learning.list_candidates(work)
    if not candidates:
        return
    st.subheader("New models: before and after")
    candidate = st.selectbox(
        "Retraining", candidates, format_func=lambda p: _describe_candidate(p), key="admin_candidate"
    )
    if candidate is None:
        return
    try:
        result = learning.read_result(candidate)
    except QAError as exc:
        st.error(common.safe(str(exc)))
        return
    (st.info if result.independent else st.warning)(common.safe(result.evaluation_note))
    table = pd.DataFrame(result.table())
    st.dataframe(table, hide_index=True, width="stretch", key="admin_before_after")
    st.caption(
        f"Trained on {result.base_examples:,} committed labelled replies and {result.review_examples:,} "
        "reviewed replies. macro-F1 and accuracy: higher is better; ECE (calibration error): lower is better."
    )
    for note in result.notes:
        st.caption(common.safe(note), unsafe_allow_html=True)
    worse = [row["label"] for row in result.table() if (row["macro_f1 change"] or 0) < 0]
    if worse:
        st.warning(common.safe(f"Worse on macro-F1 than the active models: {', '.join(worse)}."))
    done = learning.activation(candidate)
    if done is not None:
        st.success(common.safe(f"Made active on {done.get('activated')} by {done.get('by') or '?'}."))
        return
    confirm = st.checkbox(
        "I have read the figures: make these the active models (the current ones are kept for going back)",
        key="admin_confirm",
    )
    rescoring = _jobs().running(RESCORE)
    if rescoring:
        st.caption("The store is being scored again with the active models: switch when that has finished.")
    if st.button(
        "Switch to the new models", disabled=not confirm or not common.is_admin() or rescoring, key="admin_activate"
    ):
        try:
            backup = learning.activate_models(
                candidate, models_dir=models_dir, backups_dir=backups_dir, by=common.reviewer() or None
            )
        except QAError as exc:
            st.session_state[FLASH] = ("error", f"Not switched: {exc}")
        else:
            st.session_state[FLASH] = (
                "ok",
                f"The new models are active. The previous ones are kept ({backup.name}): go back to them below. "
                "Conversations scored earlier keep their labels until you score them again (below); new imports "
                "are scored with the new models.",
            )
        st.session_state.pop("admin_confirm", None)
        st.rerun()


def _describe_candidate(path: Path) -> str:
    try:
        result = learning.read_result(path)
    except QAError:
        return path.name
    kind = "evaluation set" if result.independent else "cross-validated on reviews"
    active = " · made active" if learning.activation(path) else ""
    return f"{result.created} · {result.review_examples} reviewed replies · {kind}{active}"


def _rollback_section(models_dir: Path, backups_dir: Path) -> None:
    kept = learning.list_backups(backups_dir)
    if not kept:
        return
    st.subheader("Go back to earlier models")

    def describe(path: Path) -> str:
        try:
            info = json.loads((path / learning.BACKUP_FILE).read_text())
        except (OSError, ValueError):
            return path.name
        return f"{info.get('created', path.name)} · {info.get('reason', '')}"

    chosen = st.selectbox("Kept models (newest first)", kept, format_func=describe, key="admin_backup")
    confirm = st.checkbox("Make these the active models again", key="admin_confirm_rollback")
    rescoring = _jobs().running(RESCORE)
    if st.button(
        "Go back",
        disabled=not confirm or chosen is None or not common.is_admin() or rescoring,
        key="admin_rollback",
    ):
        try:
            learning.rollback_models(models_dir=models_dir, backups_dir=backups_dir, backup=chosen)
        except QAError as exc:
            st.session_state[FLASH] = ("error", f"Not switched: {exc}")
        else:
            st.session_state[FLASH] = ("ok", f"The models kept as {chosen.name} are active again.")
        st.session_state.pop("admin_confirm_rollback", None)
        st.rerun()


# --------------------------------------------------------------------------- the store's scores after a switch


def _rescore_section() -> None:
    """How many stored conversations carry labels from other models (or another scorecard), and a job that
    scores them again with the active ones; reviews are kept."""
    st.subheader("Stored scores")
    url = common.db_url()
    card = common.scorecard_for(None)
    scorer, why = common.load_scorer()
    if scorer is None:
        st.warning(common.safe(f"The active models cannot be loaded ({why}), so the store cannot be scored again."))
        return
    now = scored_with(scorer, card)
    stale = results.count_stale(common.engine(), now)
    jobs = _jobs()
    key = f"{RESCORE}{url}"
    job = jobs.get(key)
    running = job is not None and job.running
    if stale:
        st.write(
            f"**{stale:,}** stored conversations were scored with other models or another scorecard than the "
            f"active ones ({common.safe(card.key if card else 'no scorecard')}). Score them again to fill the "
            "queue with the active models' labels, flags and scores; reviews are kept as they are."
        )
    else:
        st.write("Every stored conversation is scored with the active models and scorecard.")
    if st.button(
        "Score them again",
        disabled=running or not stale or not common.is_admin(),
        key="admin_rescore",
    ):
        engine = common.engine()

        def work(log: Callable[[str], None]) -> store_scoring.ScoreStoreSummary:
            summary = store_scoring.score_store(
                engine,
                scorer=scorer,
                card=card,
                rescore_stale=True,
                progress=lambda n: log(f"{n:,} of {stale:,} conversations scored"),
            )
            log(f"done: {summary.conversations:,} conversations, {summary.replies:,} replies")
            return summary

        jobs.start(key, BackgroundJob(work=work, started_by=common.reviewer() or "?"))
        st.rerun()
    if job is not None:
        _job_status(job, "Scoring again")
