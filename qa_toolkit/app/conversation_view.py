"""The conversation view: the whole thread (customer left, agent right, times and waits, auto-replies and
internal notes marked), each reply's four labels with confidence and highlighted evidence, the thread
metrics, the flags, the automatic and reviewed scores, and the reviewer's form.

Every user-supplied string goes through ``common.safe`` (escaped) before it reaches markdown or HTML."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from qa_toolkit.app import coaching_view, common
from qa_toolkit.db import results
from qa_toolkit.db.results import CategoryVerdict, ConversationView, LabelVerdict, NewComment, ReviewConflictError
from qa_toolkit.errors import QAError
from qa_toolkit.review import (
    CATEGORY_AS_SCORED,
    CATEGORY_CHOICES,
    CATEGORY_NA,
    LABEL_NAMES,
    category_choice,
    format_seconds,
    highlight_html,
    reviewed_score,
    thread_rows,
)
from qa_toolkit.scorecard import REPLY_LABELS, Scorecard

FLASH = "conversation_flash"


def _current_id() -> int | None:
    raw = st.query_params.get("id")
    if raw is not None and str(raw).isdigit():
        st.session_state[common.CONVERSATION] = int(raw)
    cid = st.session_state.get(common.CONVERSATION)
    return int(cid) if cid is not None else None


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else "time unknown"


def render() -> None:
    engine = common.engine()
    cid = _current_id()
    if cid is None:
        st.title("Conversation")
        st.info("Open a conversation from the review queue.")
        if st.button("Go to the review queue", key="conv_to_queue"):
            common.open_queue()
        return
    view = results.load_conversation(engine, conversation_id=cid)
    if view is None:
        st.title("Conversation")
        st.error(f"There is no conversation with id {cid}.")
        st.session_state.pop(common.CONVERSATION, None)
        return
    st.query_params["id"] = str(cid)
    common.inject_css()
    _header(view)
    flash = st.session_state.pop(FLASH, None)
    if flash is not None:
        kind, message = flash
        (st.success if kind == "ok" else st.error)(common.safe(message))
    _metrics(view)
    _flags(view)
    card = common.scorecard_for(view.automatic.scorecard if view.automatic else None)
    _scores(view)
    coaching_view.add_panel(view)
    _review_form(view, card)
    _comments(view)


# --------------------------------------------------------------------------- read-only parts


def _header(view: ConversationView) -> None:
    c = view.conv
    st.title(f"Conversation #{view.id}")
    top = st.columns([5, 1, 1])
    agent = c["assignee_name"] or c["assignee_id"] or "–"
    with top[0]:
        common.html_block(
            f"<div><b>{common.safe(c['subject'] or '(no subject)')}</b><br>"
            f"{common.safe(c['source'])}/{common.safe(c['external_id'])} · {common.safe(c['channel'])}"
            f" · team {common.safe(c['team'] or '–')} · agent {common.safe(agent)}"
            f" · language {common.safe(c['language'] or '–')} · created {common.safe(_when(c['created_at']))}"
            f" · status {common.safe(c['status'] or '–')}</div>"
        )
    if top[1].button("Back to queue", key="conv_back", width="stretch"):
        common.open_queue()
    if top[2].button("Next in queue", key="conv_next", type="primary", width="stretch"):
        waiting = results.list_queue(common.engine(), filters=common.current_filters(), limit=2)
        nxt = [item.conversation_id for item in waiting if item.conversation_id != view.id]
        if nxt:
            common.open_conversation(nxt[0])
        else:
            common.open_queue()


def _metrics(view: ConversationView) -> None:
    c = view.conv
    cols = st.columns(6)
    cols[0].metric("Exchanges", c["exchanges"])
    cols[1].metric("First response", format_seconds(c["first_response_seconds"], compact=True))
    cols[2].metric("Longest wait", format_seconds(c["longest_customer_wait_seconds"], compact=True))
    cols[3].metric("Median agent reply", format_seconds(c["median_agent_reply_seconds"], compact=True))
    cols[4].metric("Duration", format_seconds(c["duration_seconds"], compact=True))
    cols[5].metric("Unanswered turns", c["unanswered_customer_turns"])
    if c["csat_score"] is not None:
        st.caption(
            f"CSAT {common.safe(c['csat_score'])} on {common.safe(c['csat_scale'] or '?')}"
            + (f": {common.safe(c['csat_comment'])}" if c["csat_comment"] else ""),
            unsafe_allow_html=True,
        )


def _flags(view: ConversationView) -> None:
    st.subheader("Flags")
    if not view.flags:
        st.caption("No flags." if view.result is not None else "Not scored yet: no flags or labels.")
        return
    parts = []
    for flag in view.flags:
        evidence = ", ".join(common.safe(e) for e in flag.evidence)
        parts.append(
            f"<li><b>{common.safe(flag.rule)}</b> · {flag.score:.2f} · {common.safe(flag.reason)}"
            + (f" <span class='qa-badge'>{evidence}</span>" if evidence else "")
            + "</li>"
        )
    common.html_block("<ul>" + "".join(parts) + "</ul>")


def _scores(view: ConversationView) -> None:
    st.subheader("Scorecard")
    if view.automatic is None and not view.reviewed:
        st.caption("No scorecard result yet.")
        return
    columns: dict[str, dict[str, Any]] = {}
    for label, score in [("automatic", view.automatic)] + [
        (f"reviewed by {s.reviewer or '?'}", s) for s in view.reviewed
    ]:
        if score is None:
            continue
        col: dict[str, Any] = {
            "score": score.value,
            "passed": None if score.passed is None else ("yes" if score.passed else "no"),
        }
        col.update({name: ("N/A" if v is None else v) for name, v in score.categories.items()})
        columns[label] = col
    frame = pd.DataFrame(columns)
    st.dataframe(frame.astype(str).replace({"None": "–", "nan": "–"}), width="stretch")
    keys = {s.scorecard for s in [view.automatic, *view.reviewed] if s is not None}
    st.caption("Scorecard: " + common.safe(", ".join(sorted(keys))), unsafe_allow_html=True)


def _comments(view: ConversationView) -> None:
    st.subheader("Comments")
    if not view.comments:
        st.caption("No comments yet.")
        return
    for c in view.comments:
        target = f"reply {common.safe(c.message_external_id)}" if c.message_external_id else "conversation"
        common.html_block(
            f"<div class='qa-head'><b>{common.safe(c.reviewer)}</b> · {common.safe(_when(c.created_at))}"
            f" · on the {target}</div><div>{common.safe(c.text)}</div>"
        )


def _message_html(row: Any, labels: dict[str, results.StoredLabel], flagged: list[str]) -> str:
    badges = []
    if row.kind not in ("customer", "agent"):
        badges.append(f"<span class='qa-badge'>{common.safe(row.kind)}</span>")
    badges.extend(f"<span class='qa-badge'>flag: {common.safe(rule)}</span>" for rule in flagged)
    head = (
        f"<div class='qa-head'><b>{common.safe(row.author or row.side)}</b> · {common.safe(_when(row.sent_at))}"
        f" · #{common.safe(row.external_id)}{''.join(badges)}</div>"
    )
    evidence = {name: lab.evidence for name, lab in labels.items()}
    body = f"<div class='qa-body'>{highlight_html(row.text, evidence)}</div>"
    chips = ""
    if labels:
        chips = "<div class='qa-labels'>" + "".join(
            f"<span class='qa-chip ev-{name}'>{name}: <b>{common.safe(labels[name].label)}</b>"
            f" {labels[name].confidence:.0%}</span>"
            for name in LABEL_NAMES
            if name in labels
        )
        chips += "</div>"
    kind_class = "qa-kind-" + row.kind.replace(" ", "-")
    return f"<div class='qa-msg qa-{row.side} {kind_class}'>{head}{body}{chips}</div>"


# --------------------------------------------------------------------------- the reviewer's form


def _review_form(view: ConversationView, card: Scorecard | None) -> None:
    who = common.reviewer()
    st.subheader("Thread and review")
    if not who:
        st.warning("Enter your name in the sidebar to review this conversation.")
    mine = view.review_by(who) if who else None
    others = [r for r in view.reviews if r.reviewer != who]
    status = []
    if mine is not None:
        status.append(f"your review: {mine.status.replace('_', ' ')} (saved {_when(mine.updated_at)})")
    status.extend(f"{r.reviewer}: {r.status.replace('_', ' ')}" for r in others)
    if status:
        st.caption(common.safe(" · ".join(status)), unsafe_allow_html=True)

    # Widget keys carry a generation: after a save (or a refused one) the generation moves on, so the form
    # is built afresh from what is stored. ``review_base`` holds the review version the current widgets
    # started from; a save names it, and a review saved elsewhere since then is refused, not overwritten.
    generations: dict[tuple[int, str], int] = st.session_state.setdefault("review_gen", {})
    prefix = f"rv-{view.id}-{who}-{generations.get((view.id, who), 0)}"
    sentinel = f"{prefix}-comment"
    bases: dict[tuple[int, str], int | None] = st.session_state.setdefault("review_base", {})
    if sentinel not in st.session_state:
        bases[(view.id, who)] = mine.version if mine else None

    flagged_by_message: dict[str, list[str]] = {}
    for flag in view.flags:
        for ev in flag.evidence:
            flagged_by_message.setdefault(ev, []).append(flag.rule)

    chosen_labels: dict[tuple[str, str], tuple[str, str]] = {}  # (message, label) -> (reviewer, model)
    reply_comments: dict[str, str] = {}
    with st.form(f"{prefix}-form", border=False):
        for row in thread_rows(view.messages):
            if row.wait_seconds:
                common.html_block(f"<div class='qa-wait'>{format_seconds(row.wait_seconds)} later</div>")
            labels = view.labels.get(row.external_id, {})
            common.html_block(_message_html(row, labels, flagged_by_message.get(row.external_id, [])))
            if not labels:
                continue
            cols = st.columns(5, vertical_alignment="bottom")
            for col, name in zip(cols, LABEL_NAMES, strict=False):
                if name not in labels:
                    continue
                model = labels[name].label
                options = list(REPLY_LABELS[name])
                if model not in options:
                    options.append(model)
                prior = mine.labels.get((row.external_id, name)) if mine else None
                default = prior.reviewer_label if prior and prior.reviewer_label in options else model
                value = col.selectbox(
                    name,
                    options,
                    index=options.index(default),
                    key=f"{prefix}-{row.external_id}-{name}",
                    format_func=lambda label, m=model: f"{label} (model)" if label == m else f"{label} (changed)",
                )
                chosen_labels[(row.external_id, name)] = (value, model)
            reply_comments[row.external_id] = cols[4].text_input(
                "Comment on this reply", key=f"{prefix}-{row.external_id}-comment", placeholder="optional"
            )

        chosen_categories = _category_inputs(view, card, mine, prefix)
        conv_comment = st.text_area("Comment on the conversation", key=sentinel, placeholder="optional", height=80)
        left, right = st.columns(2)
        draft = left.form_submit_button("Save draft", disabled=not who, width="stretch")
        done = right.form_submit_button("Save and mark done", type="primary", disabled=not who, width="stretch")

    if (draft or done) and who:
        _save(view, card, who, chosen_labels, chosen_categories, reply_comments, conv_comment, done=done)


def _category_inputs(
    view: ConversationView, card: Scorecard | None, mine: results.ReviewView | None, prefix: str
) -> dict[str, str]:
    if card is None:
        st.caption("No scorecard found: categories cannot be reviewed (the labels and comments are saved).")
        return {}
    st.markdown("**Scorecard categories**")
    auto = view.automatic.categories if view.automatic else {}
    options = [CATEGORY_AS_SCORED, CATEGORY_NA, *CATEGORY_CHOICES]
    chosen: dict[str, str] = {}
    cols = st.columns(min(4, len(card.categories)))
    for i, (name, cat) in enumerate(card.categories.items()):
        prior = mine.categories.get(name) if mine else None
        default = category_choice(prior.reviewer_value, overridden=prior.overridden) if prior else CATEGORY_AS_SCORED
        auto_value = auto.get(name)
        shown = "N/A" if auto_value is None else f"{auto_value:g}"
        chosen[name] = cols[i % len(cols)].selectbox(
            name + (" (critical)" if cat.critical else ""),
            options,
            index=options.index(default),
            key=f"{prefix}-cat-{name}",
            format_func=lambda o, s=shown: f"as scored (automatic: {s})" if o == CATEGORY_AS_SCORED else o,
            help=cat.description or None,
        )
    st.caption(
        "“as scored” keeps the category as the scorecard computes it from your labels; the reviewed score is "
        "kept apart from the automatic one."
    )
    return chosen


def _save(
    view: ConversationView,
    card: Scorecard | None,
    who: str,
    chosen_labels: dict[tuple[str, str], tuple[str, str]],
    chosen_categories: dict[str, str],
    reply_comments: dict[str, str],
    conv_comment: str,
    *,
    done: bool,
) -> None:
    bases: dict[tuple[int, str], int | None] = st.session_state["review_base"]
    verdicts = {key: reviewer_label for key, (reviewer_label, _) in chosen_labels.items()}
    overrides = {
        name: (None if choice == CATEGORY_NA else CATEGORY_CHOICES[choice])
        for name, choice in chosen_categories.items()
        if choice != CATEGORY_AS_SCORED
    }
    score = None
    if card is not None:
        score = reviewed_score(
            card,
            replies=view.reply_results(),
            flags=view.flags,
            metrics=view.metrics,
            label_verdicts=verdicts,
            category_overrides=overrides,
        )
    auto = view.automatic.categories if view.automatic else {}
    comments = [NewComment(conv_comment)] if conv_comment.strip() else []
    comments += [NewComment(text, message_external_id=mid) for mid, text in reply_comments.items() if text.strip()]
    try:
        results.save_review(
            common.engine(),
            conversation_id=view.id,
            reviewer=who,
            expected_version=bases.get((view.id, who)),
            labels=[
                LabelVerdict(mid, name, reviewer_label, model_label=model)
                for (mid, name), (reviewer_label, model) in chosen_labels.items()
            ],
            categories=[
                CategoryVerdict(
                    name,
                    score.categories.get(name),
                    model_value=auto.get(name),
                    overridden=chosen_categories[name] != CATEGORY_AS_SCORED,
                )
                for name in chosen_categories
            ]
            if score is not None
            else [],
            comments=comments,
            score=score,
            done=done,
        )
    except ReviewConflictError as exc:
        st.session_state[FLASH] = ("error", f"{exc} The form now shows the saved version.")
    except QAError as exc:
        st.session_state[FLASH] = ("error", f"Not saved: {exc}")
        st.rerun()  # keep the reviewer's input
    else:
        value = "" if score is None or score.value is None else f" Reviewed score {score.value:g}."
        st.session_state[FLASH] = (
            "ok",
            ("Review saved and marked done: the conversation has left the queue." if done else "Draft saved.") + value,
        )
    generations: dict[tuple[int, str], int] = st.session_state["review_gen"]
    generations[(view.id, who)] = generations.get((view.id, who), 0) + 1  # a fresh form from what is stored
    st.rerun()
