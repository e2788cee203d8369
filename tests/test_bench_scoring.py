"""scripts/bench_scoring.py: recording a run in the model cards keeps everything else they hold."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

from qa_toolkit.classifiers import LABEL_SETS, artefacts

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "bench_scoring.py"


def test_write_speed_records_the_run_and_keeps_the_rest_of_each_card(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = importlib.util.spec_from_file_location("bench_scoring", SCRIPT)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    shipped_dir = artefacts.MODELS_DIR
    shipped = artefacts.read_card("tone", shipped_dir)
    before = {}
    for name in LABEL_SETS:
        (tmp_path / f"{name}-v1").mkdir()
        shutil.copy(artefacts.MODELS_DIR / f"{name}-v1" / "card.json", tmp_path / f"{name}-v1" / "card.json")
        before[name] = artefacts.read_card(name, tmp_path)
    monkeypatch.setattr(artefacts, "MODELS_DIR", tmp_path)
    run = {"benchmark": "scripts/bench_scoring.py", "ratio": 0.5, "replies_per_second": 1234}
    bench.write_speed(run)
    for name in LABEL_SETS:
        after = artefacts.read_card(name, tmp_path)
        assert after["speed"] == run
        after.pop("speed")
        before[name].pop("speed", None)
        assert after == before[name]
    assert artefacts.read_card("tone", shipped_dir) == shipped  # the shipped cards are not touched
