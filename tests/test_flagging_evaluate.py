"""scripts/evaluate_flags.py: its measures, and a clean skip without ../shared/data."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "evaluate_flags.py"


@pytest.fixture(scope="module")
def ev():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("evaluate_flags", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_precision_recall_f1_and_auc(ev) -> None:  # type: ignore[no-untyped-def]
    figures = ev.prf([True, True, False, False], [True, False, True, False])
    assert figures["precision"] == 0.5 and figures["recall"] == 0.5 and figures["f1"] == 0.5
    assert ev.roc_auc([0.9, 0.8, 0.1], [True, True, False]) == 1.0
    assert ev.roc_auc([0.5, 0.5], [True, False]) == 0.5
    assert ev.roc_auc([0.5], [True]) is None


def test_skips_cleanly_without_data(ev, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert ev.main(["--data-dir", str(tmp_path / "absent")]) == 0
    assert "nothing to evaluate" in capsys.readouterr().out
