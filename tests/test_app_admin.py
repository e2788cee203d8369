"""The admin page (AppTest): the active models, the retrain button (a background job, tiny models) and its
before/after table, switching to the new models only when confirmed, and going back."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

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
