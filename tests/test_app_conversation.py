"""The conversation view (AppTest): the thread with labels, evidence, metrics, flags and scores; message
text always shown as text; saving a review (labels, categories, comments, done) and what that does to the
queue; drafts; several reviewers; a stale save refused."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import pytest
from store_builder import app_store
from streamlit.testing.v1 import AppTest

from qa_toolkit.db import results

APP = str(Path(__file__).resolve().parent.parent / "app_streamlit.py")
PAGE = "qa_toolkit/app/pages/conversation.py"


def open_conversation(cid: int | None, *, reviewer: str | None = "ann") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if reviewer is not None:
        at.session_state["reviewer"] = reviewer
    if cid is not None:
        at.session_state["conversation_id"] = cid
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def page_html(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown) + "\n".join(c.value for c in at.caption)


def shown(elements: Any) -> list[str]:
    """What the reader sees of markdown elements (character references decoded)."""
    return [html.unescape(e.value) for e in elements]


def widget(at: AppTest, kind: str, suffix: str) -> Any:
    """The review form's widget whose key ends with ``suffix`` (keys carry the form's generation)."""
    found = [w for w in getattr(at, kind) if w.key and w.key.endswith(suffix)]
    assert len(found) == 1, [w.key for w in getattr(at, kind)]
    return found[0]


def click(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, at.exception
    return at


def test_the_thread_with_labels_flags_metrics_and_scores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, ids = app_store(tmp_path, monkeypatch)
    at = open_conversation(ids["c-2"])
    assert at.title[0].value == f"Conversation #{ids['c-2']}"
    html = page_html(at)
    # customer left, agent right; the auto-reply and the internal note marked; waits between messages
    assert html.count("qa-msg qa-customer") == 2 and html.count("qa-msg qa-agent") == 3
    assert "qa-kind-auto-reply" in html and "qa-kind-internal-note" in html
    assert ">auto&#45;reply</span>" in html and ">internal note</span>" in html
    assert "30 min later" in html and "1 h 30 min later" in html
    # the reply's four labels with confidence, its evidence highlighted in the text
    assert "tone: <b>unfriendly</b> 90%" in html and "resolution: <b>none</b> 70%" in html
    assert '<mark class="ev ev-apology" title="apology">Sorry for any inconvenience</mark>' in html
    assert '<mark class="ev ev-personalisation" title="personalisation">1002</mark>' in html
    # flags with reasons (escaped) and the message they point at
    assert "templated apology &lt;b&gt;twice&lt;/b&gt;" in html and "<b>twice</b>" not in html
    assert "flag: templated&#95;apology&#46;v1" in html
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Exchanges"] == "1" and metrics["First response"] == "2h00"
    scores = at.dataframe[0].value
    assert list(scores.columns) == ["automatic"] and scores.loc["score", "automatic"] == "0.0"
    assert scores.loc["resolution", "automatic"] == "0.0"
    assert [s.label for s in at.selectbox][:4] == ["tone", "personalisation", "apology", "resolution"]


def test_html_and_script_in_a_message_show_as_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, ids = app_store(tmp_path, monkeypatch)
    at = open_conversation(ids["c-1"])
    html = page_html(at)
    assert "<script" not in html and "<img" not in html and "<b>not bold</b>" not in html
    assert "&lt;script&gt;alert(" not in html  # parentheses too are character references
    assert "&lt;script&gt;alert&#40;&quot;x&quot;&#41;&lt;/script&gt;" in html
    assert "&lt;img src&#61;x onerror&#61;&quot;alert&#40;1&#41;&quot;&gt;" in html
    assert "&#42;&#42;bold&#42;&#42;" in html and "&#36;x&#94;2&#36;" in html and "&#58;red&#91;red&#93;" in html
    body = next(m.value for m in at.markdown if "onerror" in m.value)
    assert "\n" not in body and "<br><br>second paragraph" in body  # one line: no markdown block can start
    assert not at.get("html")


def test_saving_a_review_stores_it_and_the_conversation_leaves_the_queue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, ids = app_store(tmp_path, monkeypatch)
    cid = ids["c-2"]
    at = open_conversation(cid)
    widget(at, "selectbox", "-2-4-resolution").set_value("solution")
    widget(at, "selectbox", "-cat-apology").set_value("N/A")
    widget(at, "text_input", "-2-4-comment").input("say when it ships")
    widget(at, "text_area", "-comment").input("<b>solved</b> in the end")
    click(at, "Save and mark done")
    assert any("marked done" in s for s in shown(at.success))

    view = results.load_conversation(engine, conversation_id=cid)
    assert view is not None
    review = view.review_by("ann")
    assert review is not None and review.status == "done" and review.version == 1
    assert review.labels[("2-4", "resolution")].reviewer_label == "solution"
    assert review.labels[("2-4", "resolution")].model_label == "none"
    assert review.labels[("2-4", "tone")].reviewer_label == "unfriendly"  # confirmed
    assert review.categories["apology"].overridden and review.categories["apology"].reviewer_value is None
    assert not review.categories["tone"].overridden
    assert [(c.text, c.message_external_id) for c in view.comments] == [
        ("<b>solved</b> in the end", None),
        ("say when it ships", "2-4"),
    ]
    # tone 0 (weight 2), resolution 100 (3), apology N/A: 60; the automatic score stays 0
    assert view.reviewed[0].value == 60.0 and view.automatic is not None and view.automatic.value == 0.0
    assert cid not in [i.conversation_id for i in results.list_queue(engine)]

    # the page now shows the saved review: widgets from it, the reviewed score beside the automatic one
    scores = at.dataframe[0].value
    assert list(scores.columns) == ["automatic", "reviewed by ann"] and scores.loc["score", "reviewed by ann"] == "60.0"
    assert widget(at, "selectbox", "-2-4-resolution").value == "solution"
    assert widget(at, "selectbox", "-cat-apology").value == "N/A"
    assert widget(at, "text_area", "-comment").value == ""
    assert "&lt;b&gt;solved&lt;/b&gt;" in page_html(at)

    at.button(key="conv_next").click().run()  # on to the next conversation in the queue
    assert at.title[0].value == f"Conversation #{ids['c-11']}"


def test_a_draft_stays_in_the_queue_and_another_reviewer_keeps_their_own_review(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, ids = app_store(tmp_path, monkeypatch)
    cid = ids["c-4"]
    at = open_conversation(cid, reviewer="ann")
    widget(at, "selectbox", "-4-4-tone").set_value("friendly")
    click(at, "Save draft")
    assert any("Draft saved" in s for s in shown(at.success))
    assert [i.in_review_by for i in results.list_queue(engine) if i.conversation_id == cid] == [("ann",)]

    bob = open_conversation(cid, reviewer="bob")
    assert widget(bob, "selectbox", "-4-4-tone").value == "neutral"  # the model's label, not ann's
    assert any("ann: in progress" in c for c in shown(bob.caption))
    click(bob, "Save and mark done")
    view = results.load_conversation(engine, conversation_id=cid)
    assert view is not None
    assert {r.reviewer: (r.status, r.labels[("4-4", "tone")].reviewer_label) for r in view.reviews} == {
        "ann": ("in_progress", "friendly"),
        "bob": ("done", "neutral"),
    }


def test_a_stale_save_is_refused_and_the_form_shows_the_saved_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, ids = app_store(tmp_path, monkeypatch)
    cid = ids["c-5"]
    at = open_conversation(cid)
    # meanwhile ann saves this review from another tab
    from qa_toolkit.db.results import LabelVerdict

    results.save_review(
        engine,
        conversation_id=cid,
        reviewer="ann",
        expected_version=None,
        labels=[LabelVerdict("5-4", "tone", "neutral", model_label="unfriendly")],
    )
    widget(at, "selectbox", "-5-4-tone").set_value("friendly")
    click(at, "Save and mark done")
    assert any("saved elsewhere" in e for e in shown(at.error))
    view = results.load_conversation(engine, conversation_id=cid)
    assert view is not None and view.reviews[0].version == 1 and view.reviews[0].status == "in_progress"
    assert view.reviews[0].labels[("5-4", "tone")].reviewer_label == "neutral"
    assert widget(at, "selectbox", "-5-4-tone").value == "neutral"
    # saving again now starts from the saved version
    click(at, "Save and mark done")
    assert any("marked done" in s for s in shown(at.success))
    view = results.load_conversation(engine, conversation_id=cid)
    assert view is not None and view.reviews[0].version == 2 and view.reviews[0].status == "done"


def test_without_a_reviewer_name_nothing_can_be_saved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, ids = app_store(tmp_path, monkeypatch)
    at = open_conversation(ids["c-2"], reviewer=None)
    assert any("Enter your name" in w for w in shown(at.warning))
    assert all(b.disabled for b in at.button if b.label.startswith("Save"))


def test_no_or_unknown_conversation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app_store(tmp_path, monkeypatch, n=2)
    at = open_conversation(None)
    assert any("Open a conversation" in i for i in shown(at.info))
    at = open_conversation(999_999)
    assert any("no conversation with id 999999" in e for e in shown(at.error))


def test_an_unscored_conversation_shows_its_thread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, ids = app_store(tmp_path, monkeypatch, n=2, scored=False)
    at = open_conversation(ids["c-2"])
    assert any("Not scored yet" in c for c in shown(at.caption))
    assert page_html(at).count("class='qa-msg ") == 5
    assert all("-cat-" in s.key for s in at.selectbox)  # no labels to review; the categories can be set by hand
