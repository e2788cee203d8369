"""The agreement page: for each reply label and scorecard category, how often reviewers corrected the model
(accuracy, Cohen's kappa, the confusion matrix) overall, per agent and over time, with the number of reviews
behind each figure; and how far reviewers agree with each other where two reviewed the same conversation.

The figures come from qa_toolkit.agreement (pure); the verdicts from db.results (finished reviews only),
cached for a minute. Names are shown in tables (text only) or escaped."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from qa_toolkit import agreement
from qa_toolkit.app import common
from qa_toolkit.db import results

CACHE = {"ttl": 60, "max_entries": 8, "show_spinner": False}
BASES = {"reviewed_at": "when it was reviewed", "created_at": "when the conversation started"}


@st.cache_data(**CACHE)
def _verdicts(url: str) -> pd.DataFrame:
    engine = common._engine(url)
    return agreement.verdict_frame(results.label_verdict_rows(engine), results.category_verdict_rows(engine))


def display(frame: pd.DataFrame) -> pd.DataFrame:
    """A summary table for reading: shares as percentages, kappa with two decimals, plain names."""
    out = frame.rename(columns={"n": "verdicts", "mean_abs_diff": "mean abs. difference"}).copy()
    for col in ("accuracy", "changed"):
        if col in out:
            out[col] = [None if v is None or pd.isna(v) else round(100 * float(v), 1) for v in out[col]]
    if "kappa" in out:
        out["kappa"] = [None if v is None or pd.isna(v) else round(float(v), 2) for v in out["kappa"]]
    if "mean abs. difference" in out:
        out["mean abs. difference"] = [
            None if v is None or pd.isna(v) else round(float(v), 1) for v in out["mean abs. difference"]
        ]
    if "period" in out:
        out["period"] = out["period"].astype(str)
    return out


COLUMN_CONFIG = {
    "accuracy": st.column_config.NumberColumn("accuracy", format="%.1f%%", help="share the reviewer left as is"),
    "changed": st.column_config.NumberColumn("changed", format="%.1f%%", help="share the reviewer changed"),
    "kappa": st.column_config.NumberColumn("kappa", format="%.2f", help="Cohen's kappa; empty when undefined"),
}


def _table(frame: pd.DataFrame, *, key: str, drop: tuple[str, ...] = ()) -> None:
    shown = display(frame.drop(columns=[c for c in drop if c in frame.columns]))
    st.dataframe(shown, hide_index=True, width="stretch", column_config=COLUMN_CONFIG, key=key)


def _csv(frame: pd.DataFrame) -> bytes:
    return display(frame).to_csv(index=False).encode()


def _target_label(item: tuple[str, str]) -> str:
    kind, target = item
    return f"{target} ({'reply label' if kind == agreement.LABEL else 'scorecard category'})"


def render() -> None:
    st.title("Agreement")
    st.caption(
        "How often reviewers corrected the model, for each reply label and scorecard category: accuracy (share "
        "left as the model had it), Cohen's kappa (agreement beyond chance) and the confusion matrix, from "
        "finished reviews. Categories are compared in bands (N/A, 0-24, 25-49, 50-74, 75-100); *changed* and "
        "the mean absolute difference use their values."
    )
    try:
        frame = _verdicts(common.db_url())
    except Exception as exc:  # noqa: BLE001 - a store that cannot be read is shown, not raised
        st.error(common.safe(f"The reviews could not be read: {exc}"))
        return
    f = common.current_filters()
    frame = agreement.filter_verdicts(
        frame,
        agents=f.agents,
        teams=f.teams,
        channels=f.channels,
        languages=f.languages,
        date_from=f.date_from,
        date_to=f.date_to,
    )
    st.caption("The sidebar's agent, team, channel, language and date filters apply here; flag and score do not.")
    if frame.empty:
        st.info("No finished reviews yet (under these filters): the figures appear once reviews are marked done.")
        return
    cols = st.columns(4)
    cols[0].metric("Finished reviews", int(frame["review_id"].nunique()))
    cols[1].metric("Reviewers", int(frame["reviewer"].nunique()))
    cols[2].metric("Conversations", int(frame["conversation_id"].nunique()))
    labels = frame[frame["kind"] == agreement.LABEL]
    cols[3].metric("Reviewed replies", int(labels[["conversation_id", "item"]].drop_duplicates().shape[0]))

    st.subheader("Model vs reviewers")
    overall = agreement.model_agreement(frame)
    _table(overall, key="agreement_overall")
    st.download_button("Download (CSV)", _csv(overall), "agreement.csv", "text/csv", key="agreement_overall_csv")

    st.subheader("One label or category")
    targets = list(dict.fromkeys(zip(overall["kind"], overall["target"], strict=True)))
    chosen = st.selectbox("Label or category", targets, format_func=_target_label, key="agreement_target")
    if chosen is None:
        return
    kind, target = chosen
    one = frame[(frame["kind"] == kind) & (frame["target"] == target)]
    tab_confusion, tab_agents, tab_time = st.tabs(["Confusion matrix", "By agent", "Over time"])
    with tab_confusion:
        st.caption("Rows: the reviewer's value; columns: the model's. The diagonal is agreement.")
        st.dataframe(agreement.confusion(frame, kind=kind, target=target), width="stretch", key="agreement_confusion")
    with tab_agents:
        by_agent = agreement.model_agreement(one, by="agent").sort_values(["n", "agent"], ascending=[False, True])
        _table(by_agent, key="agreement_agents", drop=("kind", "target"))
        st.download_button("Download (CSV)", _csv(by_agent), f"agreement-{target}-agents.csv", "text/csv",
                           key="agreement_agents_csv")  # fmt: skip
    with tab_time:
        left, right = st.columns(2)
        period = left.radio("Period", agreement.PERIODS, horizontal=True, key="agreement_period")
        basis = right.radio("Time", list(BASES), format_func=BASES.__getitem__, horizontal=True, key="agreement_basis")
        over_time = agreement.model_agreement(one, period=period, time_column=basis)
        if over_time.empty:
            st.caption("No times to group by.")
        else:
            chart = display(over_time).set_index("period")[["accuracy"]]
            st.line_chart(chart, y_label="accuracy (%)")
            _table(over_time, key="agreement_time", drop=("kind", "target"))
            st.download_button("Download (CSV)", _csv(over_time), f"agreement-{target}-{period}.csv", "text/csv",
                               key="agreement_time_csv")  # fmt: skip

    st.subheader("Reviewer vs reviewer")
    between = agreement.reviewer_agreement(frame)
    if between.empty:
        st.caption("No conversation has two finished reviews yet: reviewer agreement appears once one has.")
        return
    st.caption(
        "Where two reviewers finished a review of the same conversation: the share of labels and categories "
        "they gave alike, and Cohen's kappa pooled over reviewer pairs."
    )
    _table(between, key="agreement_between")
    with st.expander("By pair of reviewers"):
        _table(agreement.reviewer_agreement(frame, by_pair=True), key="agreement_pairs")
