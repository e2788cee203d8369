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


def test_reasons_agreement_and_sets(ev) -> None:  # type: ignore[no-untyped-def]
    from qa_toolkit.flagging import ConversationResult
    from qa_toolkit.metrics import compute_metrics
    from qa_toolkit.rules import Flag

    def result(cid: str, *flags: tuple[str, float]) -> ConversationResult:
        return ConversationResult(
            conversation_id=cid,
            metrics=compute_metrics([]),
            flags=[Flag(rule=r, score=s, reason="x") for r, s in flags],
        )

    results = {
        "twcs-sample": {
            "1": result("1", ("templated_apology.v1", 0.8)),
            "2": result("2", ("templated_apology.v1", 0.3)),
            "3": result("3"),
        }
    }
    labels = [
        {"thread": "twcs-sample:1", "review": "yes", "outcome": "unresolved", "reasons": ["templated_apology"]},
        {"thread": "twcs-sample:2", "review": "no", "outcome": "resolved", "reasons": [], "sampling": "random"},
        {"thread": "twcs-sample:3", "review": "yes", "outcome": "unclear", "reasons": ["templated_apology"]},
    ]
    out = ev.evaluate(labels, results, ["templated_apology.v1"])
    agreement = out["per_rule"]["templated_apology.v1"]["vs_reasons"]
    assert agreement["tags"] == ["templated_apology"] and agreement["positives"] == 2
    assert agreement["precision"] == 1.0 and agreement["recall"] == 0.5 and agreement["roc_auc"] == 0.5
    assert out["flags_ge_0.5_vs_review"]["precision"] == 1.0
    subsets = ev.subsets_of("held-out", labels)
    assert list(subsets) == [
        "held-out set, all judged threads",
        "held-out set, random sample only (the natural distribution)",
    ]
    assert len(subsets["held-out set, random sample only (the natural distribution)"]) == 1
