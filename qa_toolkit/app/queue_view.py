"""The review queue: flagged conversations without a finished review, most severe first, with the sidebar's
filters, counts of what is waiting, and a way to open one."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from qa_toolkit.app import common
from qa_toolkit.db import results
from qa_toolkit.review import format_seconds

PAGE_SIZE = 50


def queue_frame(items: list[results.QueueItem]) -> pd.DataFrame:
    """One row per queued conversation (plain values: st.dataframe shows them as text, never as HTML)."""
    return pd.DataFrame(
        {
            "id": [i.conversation_id for i in items],
            "severity": [round(i.severity, 2) for i in items],
            "flags": [", ".join(f"{rule.rsplit('.v', 1)[0]} {score:.2f}" for rule, score in i.flags) for i in items],
            "score": [i.score for i in items],
            "passed": [i.passed for i in items],
            "conversation": [f"{i.source}/{i.external_id}" for i in items],
            "subject": [i.subject or "" for i in items],
            "agent": [i.agent or "" for i in items],
            "team": [i.team or "" for i in items],
            "channel": [i.channel for i in items],
            "language": [i.language or "" for i in items],
            "created": [i.created_at for i in items],
            "exchanges": [i.exchanges for i in items],
            "first response": [format_seconds(i.first_response_seconds) for i in items],
            "in review by": [", ".join(i.in_review_by) for i in items],
        }
    )


def render() -> None:
    st.title("Review queue")
    engine = common.engine()
    filters = common.current_filters()
    counts = results.queue_counts(engine, filters=filters)
    cols = st.columns(4)
    cols[0].metric("Waiting", counts.waiting)
    cols[1].metric("In review", counts.in_progress)
    cols[2].metric("Reviewed", counts.reviewed)
    cols[3].metric("Not scored yet", counts.not_scored)
    if counts.not_scored:
        st.info(
            f"{counts.not_scored} conversations have no automatic results yet, so they cannot be in the queue. "
            "Score them with `qa-toolkit import --score` (see docs/app.md)."
        )
    if counts.by_rule:
        st.caption(
            "Waiting by flag: " + common.safe(" · ".join(f"{rule} {n}" for rule, n in counts.by_rule.items())),
            unsafe_allow_html=True,
        )
    if not counts.waiting:
        st.success("Nothing waiting under these filters.")
        return

    pages = max(1, math.ceil(counts.waiting / PAGE_SIZE))
    page = 1
    if pages > 1:
        page = int(st.number_input(f"Page (of {pages})", min_value=1, max_value=pages, value=1, key="queue_page"))
    items = results.list_queue(engine, filters=filters, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    if not items:  # the filters changed under a page that no longer exists
        st.session_state.pop("queue_page", None)
        st.rerun()
    frame = queue_frame(items)
    event = st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
        key="queue_table",
        column_config={
            "id": st.column_config.NumberColumn("id", format="%d", width="small"),
            "severity": st.column_config.ProgressColumn("severity", min_value=0.0, max_value=1.0, format="%.2f"),
            "score": st.column_config.NumberColumn("score", format="%.1f"),
            "created": st.column_config.DatetimeColumn("created", format="YYYY-MM-DD HH:mm"),
        },
    )
    rows = getattr(getattr(event, "selection", None), "rows", None) or []
    if rows and rows[0] < len(items):
        common.open_conversation(items[rows[0]].conversation_id)

    labels = {
        i.conversation_id: f"#{i.conversation_id} · {i.severity:.2f} · {i.source}/{i.external_id}"
        + (f" · {i.subject}" if i.subject else "")
        for i in items
    }
    left, right = st.columns([4, 1], vertical_alignment="bottom")
    chosen = left.selectbox(
        "Conversation to review (or click a row)", list(labels), format_func=labels.__getitem__, key="queue_pick"
    )
    if right.button("Open", type="primary", key="queue_open", width="stretch") and chosen is not None:
        common.open_conversation(chosen)
