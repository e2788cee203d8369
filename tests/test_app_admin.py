"""The admin page (AppTest): the active models, the retrain button (a background job, tiny models) and its
before/after table, switching to the new models only when confirmed, and going back."""

from __future__ import annotations

import html
import json
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest
import review_builder as rb
from store_builder import write_scorecards
from streamlit.testing.v1 import AppTest

from qa_toolkit import learning
from qa_toolkit.classifiers.artefacts import model_dir
from qa_toolkit.classifiers.models import LABEL_SETS

APP = str(Path(__file__).resolve().parent.parent / "app_streamlit.py")
PAGE = "qa_toolkit/app/pages/admin.py"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return rb.tiny_models(tmp_path_factory.mktemp("tiny") / "models")


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tiny: Path) -> tuple[Path, Path]:
    """A store, the tiny models as the active ones, no ../shared/data; (models folder, retrain folder)."""
    url = f"sqlite:///{tmp_path / 'admin.db'}"
    monkeypatch.setenv("QA_TOOLKIT_DB", url)
    monkeypatch.setenv("QA_SCORECARDS_DIR", str(write_scorecards(tmp_path / "scorecards")))
    models = Path(shutil.copytree(tiny, tmp_path / "models"))
    monkeypatch.setenv("QA_MODELS_DIR", str(models))
    monkeypatch.setenv("QA_RETRAIN_DIR", str(tmp_path / "retrain"))
    monkeypatch.setenv("QA_SHARED_DATA", str(tmp_path / "no-shared-data"))
    monkeypatch.setenv("QA_RETRAIN_PARAMS", json.dumps(rb.TINY))
    rb.build(url, tmp_path, n=15)
    return models, tmp_path / "retrain"


def review_all(n: int = 15) -> None:
    from qa_toolkit.db.engine import get_engine
    from qa_toolkit.settings import database_url

    engine = get_engine(database_url())
    for i in range(n):
        rb.review(engine, i + 1, i, reviewer="ann")  # conversation ids follow the import order


def open_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["reviewer"] = "ann"
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def button(at: AppTest, label: str):  # type: ignore[no-untyped-def]
    return next(b for b in at.button if b.label == label)


def digests(folder: Path) -> dict[str, bytes]:
    return {name: (model_dir(name, folder) / "model.joblib").read_bytes() for name in LABEL_SETS}


def test_the_page_shows_the_active_models_and_waits_for_reviews(env: tuple[Path, Path]) -> None:
    at = open_page()
    assert at.title[0].value == "Admin: classifiers"
    active = at.dataframe[0].value
    assert active["label"].tolist() == list(LABEL_SETS) and active["trained on"].tolist() == [20] * 4
    assert any("no independent evaluation is possible" in w.value for w in at.warning)
    assert button(at, "Retrain with reviews").disabled
    assert any("Nothing to learn from yet" in c.value for c in at.caption)


def test_retrain_then_switch_then_go_back(env: tuple[Path, Path]) -> None:
    models, work = env
    review_all()
    old = digests(models)
    at = open_page()
    assert any("**15** replies (**7** with a correction)" in m.value for m in at.markdown)
    button(at, "Retrain with reviews").click().run()
    deadline = time.monotonic() + 240
    while not learning.list_candidates(work) or any(s.proto.label.startswith("Retraining (") for s in at.status):
        assert time.monotonic() < deadline, "the retraining did not finish"
        time.sleep(0.5)
        at.run()
    at.run()
    assert not at.exception, at.exception
    assert any(s.proto.label.startswith("Retraining finished") for s in at.status)
    assert any("No independent evaluation is possible" in w.value for w in at.warning)
    table = at.dataframe[1].value
    assert table["label"].tolist() == list(LABEL_SETS)
    assert table["evaluated on"].tolist() == [15] * 4 and table["review examples"].tolist() == [15] * 4
    assert (
        table.set_index("label").loc["tone", "macro_f1 after"] > table.set_index("label").loc["tone", "macro_f1 before"]
    )
    assert digests(models) == old  # nothing switched yet

    switch = button(at, "Switch to the new models")
    assert switch.disabled  # not before the admin confirms
    at.checkbox(key="admin_confirm").check().run()
    button(at, "Switch to the new models").click().run()
    assert not at.exception, at.exception
    assert at.success[0].value.startswith("The new models are active")
    [candidate] = learning.list_candidates(work)
    assert digests(models) == digests(candidate)
    assert any(s.value.startswith("Made active on") for s in at.success)

    at.checkbox(key="admin_confirm_rollback").check().run()
    button(at, "Go back").click().run()
    assert not at.exception, at.exception
    assert "are active again" in at.success[0].value
    assert digests(models) == old


def test_scoring_the_store_again_with_the_active_models(env: tuple[Path, Path]) -> None:
    from qa_toolkit.db import results
    from qa_toolkit.db.engine import get_engine
    from qa_toolkit.settings import database_url

    at = open_page()
    # the builder's results name no models and no scorecard: all 15 are stale for the active models
    assert any("**15** stored conversations were scored with other models" in m.value for m in at.markdown)
    button(at, "Score them again").click().run()
    deadline = time.monotonic() + 120
    while any(s.proto.label.startswith("Scoring again (") for s in at.status) or not at.status:
        assert time.monotonic() < deadline, "the rescoring did not finish"
        time.sleep(0.3)
        at.run()
    assert not at.exception, at.exception
    assert any(s.proto.label.startswith("Scoring again finished") for s in at.status)
    assert any("Every stored conversation is scored with the active models" in m.value for m in at.markdown)
    engine = get_engine(database_url())
    with engine.connect() as conn:
        versions = {v for (v,) in conn.execute(results.select(results.RESULT.c.model_version))}
    [version] = versions
    assert all(f"{name}-v1@" in version for name in LABEL_SETS), version


def test_only_admins_may_retrain_switch_or_rescore(env: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    review_all()
    monkeypatch.setenv("QA_ADMINS", "Bob, lead@example.com")
    at = open_page()  # as ann
    said = [html.unescape(i.value) for i in at.info]  # the page escapes names (shown as text)
    assert any("Only admins (bob, lead@example.com: $QA_ADMINS)" in i and "you are ann" in i for i in said), said
    assert button(at, "Retrain with reviews").disabled and button(at, "Score them again").disabled
    at.session_state["reviewer"] = "bob"
    at.session_state["_kept"] = {"reviewer": "bob"}
    at.run()
    assert not at.info and not button(at, "Retrain with reviews").disabled
    assert not button(at, "Score them again").disabled


def test_the_models_table_shows_each_cards_bootstrap_interval(tmp_path: Path) -> None:
    from qa_toolkit.app.admin_view import active_models_frame

    for name in LABEL_SETS:
        folder = model_dir(name, tmp_path)
        folder.mkdir(parents=True)
        metrics = {"macro_f1": 0.7, "n": 1177}  # as in cards written before the intervals: none
        if name == "tone":
            metrics["bootstrap"] = {"level": 0.95, "resamples": 2000, "macro_f1": [0.6504, 0.7449], "f1": {}}
        (folder / "card.json").write_text(json.dumps({"name": f"{name}-v1", "metrics": metrics}))
    table = active_models_frame(tmp_path).set_index("label")
    assert table.loc["tone", "95% interval"] == "0.650-0.745"
    assert pd.isna(table.loc["apology", "95% interval"])
    assert table.loc["tone", "macro-F1 (evaluation set)"] == 0.7
