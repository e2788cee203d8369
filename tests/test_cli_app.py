"""The command line around the app: `import --score`, `score-store`, `train --with-reviews` and `app`."""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path
from typing import Any

import orjson
import pytest
from store_builder import SCORECARD_TOML, conversation_records
from typer.testing import CliRunner

from qa_toolkit import cli
from qa_toolkit.cli import app
from qa_toolkit.db import results
from qa_toolkit.db.engine import get_engine
from qa_toolkit.settings import ROOT

runner = CliRunner()


def run(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args))


@pytest.fixture
def convs_file(tmp_path: Path) -> Path:
    path = tmp_path / "convs.jsonl"
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in conversation_records(9)))
    return path


def _counts(db: str) -> results.QueueCounts:
    engine = get_engine(db)
    try:
        return results.queue_counts(engine)
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- import --score, score-store


def test_import_score_fills_the_queue_and_a_second_run_has_nothing_to_do(convs_file: Path, tmp_path: Path) -> None:
    db = str(tmp_path / "qa.db")
    first = run("import", str(convs_file), "--db", db, "--score", "--no-models")
    assert first.exit_code == 0, first.output
    assert "9 new" in first.output
    assert "scored 9 conversations with scorecard default.v3: no models (--no-models)" in first.output
    counts = _counts(db)
    assert counts.not_scored == 0 and f"review queue: {counts.waiting:,} waiting" in first.output
    engine = get_engine(db)
    assert results.unscored_conversations(engine) == []
    engine.dispose()

    again = run("import", str(convs_file), "--db", db, "--score", "--no-models")
    assert again.exit_code == 0, again.output
    assert "0 new, 0 updated, 9 unchanged" in again.output
    assert "nothing to score" in again.output


def test_import_score_with_the_models_labels_every_reply(convs_file: Path, tmp_path: Path) -> None:
    db = str(tmp_path / "qa.db")
    result = run("import", str(convs_file), "--db", db, "--score")
    assert result.exit_code == 0, result.output
    assert "scored 9 conversations with scorecard default.v3: " in result.output
    assert "agent replies labelled" in result.output
    engine = get_engine(db)
    view = results.load_conversation(engine, conversation_id=1)
    engine.dispose()
    assert view is not None and view.automatic is not None and view.automatic.scorecard == "default.v3"
    assert set(view.labels["1-4"]) == {"tone", "personalisation", "apology", "resolution"}
    assert view.labels["1-4"]["tone"].model_version  # which classifier gave it


def test_score_store_scores_an_earlier_import_and_loads_no_model_when_done(
    convs_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = str(tmp_path / "qa.db")
    assert run("import", str(convs_file), "--db", db).exit_code == 0
    assert _counts(db).not_scored == 9
    cards = tmp_path / "cards"
    cards.mkdir()
    (cards / "mine.toml").write_text(SCORECARD_TOML)
    first = run("score-store", "--db", db, "--scorecard", str(cards / "mine.toml"), "--no-models")
    assert first.exit_code == 0, first.output
    assert "scored 9 conversations with scorecard test.v1" in first.output
    assert _counts(db).not_scored == 0

    def no_models(**_: Any) -> None:
        raise AssertionError("the models were loaded with nothing to score")

    monkeypatch.setattr(cli, "_load_scorer", no_models)
    again = run("score-store", "--db", db)
    assert again.exit_code == 0, again.output
    assert "nothing to score" in again.output
    monkeypatch.undo()

    # another scorecard: only --rescore-stale scores the 9 again (with the models), then finds nothing
    refused = run("score-store", "--db", db, "--no-models", "--rescore-stale")
    assert refused.exit_code == 2 and "needs the reply models" in refused.output.replace("\n", " ")
    stale = run("score-store", "--db", db, "--rescore-stale")
    assert stale.exit_code == 0, stale.output
    assert "scored 9 conversations with scorecard default.v3" in stale.output
    stale_again = run("score-store", "--db", db, "--rescore-stale")
    assert "nothing to score: every stored conversation has its automatic results, made with these" in (
        stale_again.output.replace("\n", " ")
    )


def test_a_bad_scorecard_fails_before_anything_is_imported(convs_file: Path, tmp_path: Path) -> None:
    db = str(tmp_path / "qa.db")
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "bad"\nversion = 1\n[categories.tone]\naggregate = "avg"\n')
    result = run("import", str(convs_file), "--db", db, "--score", "--scorecard", str(bad))
    assert result.exit_code == 2
    assert "bad.toml" in result.output and "Traceback" not in result.output
    assert "imported" not in result.output
    assert run("score-store", "--db", db, "--scorecard", str(tmp_path / "missing.toml")).exit_code == 2
    engine = get_engine(db)
    assert results.unscored_conversations(engine) == []  # nothing was imported
    engine.dispose()


def test_models_that_do_not_load_are_one_clear_error(convs_file: Path, tmp_path: Path) -> None:
    db = str(tmp_path / "qa.db")
    result = run("import", str(convs_file), "--db", db, "--score", "--models-dir", str(tmp_path / "nowhere"))
    assert result.exit_code == 2
    assert "the reply models could not be loaded" in result.output and "--no-models" in result.output
    assert "Traceback" not in result.output
    assert "9 new" in result.output  # the import stands; `score-store --no-models` goes on from here
    assert run("score-store", "--db", db, "--no-models").exit_code == 0
    assert _counts(db).not_scored == 0


# --------------------------------------------------------------------------- app


@pytest.fixture
def launched(monkeypatch: pytest.MonkeyPatch) -> list[tuple[list[str], dict[str, str]]]:
    calls: list[tuple[list[str], dict[str, str]]] = []
    monkeypatch.setattr(cli, "_exec", lambda cmd, env: calls.append((cmd, env)))
    return calls


def test_app_runs_streamlit_on_the_entry_with_the_database(
    launched: list[Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("app", "--db", "var/demo.db", "--port", "8599", "--server.address", "0.0.0.0")
    assert result.exit_code == 0, result.output
    [(cmd, env)] = launched
    assert cmd[:5] == [sys.executable, "-m", "streamlit", "run", str(ROOT / "app_streamlit.py")]
    assert cmd[cmd.index("--server.port") + 1] == "8599"
    assert cmd[cmd.index("--server.headless") + 1] == "true"
    assert cmd[cmd.index("--browser.gatherUsageStats") + 1] == "false"
    assert cmd[-2:] == ["--server.address", "0.0.0.0"]  # extra streamlit options come last and win
    assert env["QA_TOOLKIT_DB"] == f"sqlite:///{tmp_path / 'var' / 'demo.db'}"  # made absolute
    assert "starting the app on sqlite:///" in result.output


def test_app_keeps_urls_and_hides_passwords(launched: list[Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_TOOLKIT_DB", "postgresql+psycopg://qa:secret@db.example/qa")
    result = run("app")
    assert result.exit_code == 0, result.output
    [(cmd, env)] = launched
    assert env["QA_TOOLKIT_DB"] == "postgresql+psycopg://qa:secret@db.example/qa"
    assert "--server.port" not in cmd  # streamlit's default, or the next free port
    assert "secret" not in result.output and "postgresql+psycopg://qa@db.example/qa" in result.output


def test_app_database_paths() -> None:
    assert cli.app_database("sqlite:////abs/x.db") == "sqlite:////abs/x.db"
    assert cli.app_database("/abs/y.db") == "sqlite:////abs/y.db"
    assert cli.app_database("sqlite:///:memory:") == "sqlite:///:memory:"
    assert cli.app_database("rel.db") == f"sqlite:///{Path('rel.db').resolve()}"


# --------------------------------------------------------------------------- train --with-reviews


def test_train_with_reviews_without_the_learning_module_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import qa_toolkit

    monkeypatch.delattr(qa_toolkit, "learning", raising=False)
    monkeypatch.setitem(sys.modules, "qa_toolkit.learning", None)
    result = run("train", "--with-reviews", "--db", str(tmp_path / "qa.db"))
    assert result.exit_code == 2
    assert "needs qa_toolkit.learning" in result.output and "Traceback" not in result.output


def test_activate_needs_with_reviews() -> None:
    result = run("train", "--activate")
    assert result.exit_code == 2 and "--activate goes with --with-reviews" in result.output


@pytest.fixture
def learning_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """Tiny active models in a temporary folder, candidates and kept models in another, no shared data, and
    tiny new models (the CLI's wiring is tested here; tests/test_learning.py tests the learning)."""
    learning = pytest.importorskip("qa_toolkit.learning")
    import review_builder as rb

    models = rb.tiny_models(tmp_path / "models")
    work = tmp_path / "retrain"
    monkeypatch.setenv("QA_MODELS_DIR", str(models))
    monkeypatch.setenv("QA_RETRAIN_DIR", str(work))
    monkeypatch.setattr("qa_toolkit.datasets.shared_data_dir", lambda: None)
    monkeypatch.setattr(
        learning, "retrain_with_reviews", partial(learning.retrain_with_reviews, pipeline_params=rb.TINY)
    )
    return models, work


def _reviewed_store(tmp_path: Path, n: int = 20) -> str:
    """A store whose conversations all have a finished review confirming or correcting every reply label."""
    import review_builder as rb

    url = f"sqlite:///{tmp_path / 'reviewed.db'}"
    engine, ids = rb.build(url, tmp_path, n=n)
    for ext, cid in ids.items():
        rb.review(engine, cid, int(ext.split("-")[1]), reviewer="ann")
    engine.dispose()
    return url


def test_train_with_reviews_shows_before_and_after_and_keeps_the_active_models(
    tmp_path: Path, learning_dirs: tuple[Path, Path]
) -> None:
    models, work = learning_dirs
    url = _reviewed_store(tmp_path)
    before = (models / "tone-v1" / "model.joblib").read_bytes()
    result = run("train", "--with-reviews", "--db", url)
    assert result.exit_code == 0, result.output
    assert "before -> after, on the review examples (cross-validated)" in result.output
    for name in ("tone", "personalisation", "apology", "resolution"):
        assert name in result.output
    assert "trained on 0 committed and 20 reviewed replies" in result.output
    assert "the active models are unchanged" in result.output
    [candidate] = (work / "candidates").iterdir()
    assert (candidate / "retrain.json").is_file() and (candidate / "tone-v1" / "model.joblib").is_file()
    assert (models / "tone-v1" / "model.joblib").read_bytes() == before


def test_train_with_reviews_activate_switches_and_keeps_the_old_models(
    tmp_path: Path, learning_dirs: tuple[Path, Path]
) -> None:
    models, work = learning_dirs
    url = _reviewed_store(tmp_path)
    before = (models / "tone-v1" / "model.joblib").read_bytes()
    result = run("train", "--with-reviews", "--db", url, "--activate")
    assert result.exit_code == 0, result.output
    assert "the new models are active" in result.output
    [candidate] = (work / "candidates").iterdir()
    assert (models / "tone-v1" / "model.joblib").read_bytes() == (candidate / "tone-v1" / "model.joblib").read_bytes()
    [kept] = (work / "previous").iterdir()
    assert (kept / "tone-v1" / "model.joblib").read_bytes() == before


def test_train_with_reviews_and_no_reviews_says_there_is_nothing_to_learn(
    tmp_path: Path, learning_dirs: tuple[Path, Path]
) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    result = run("train", "--with-reviews", "--db", url)
    assert result.exit_code == 2
    assert "nothing to learn from" in result.output and "Traceback" not in result.output
