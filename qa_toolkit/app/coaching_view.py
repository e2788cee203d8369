"""Coaching sets for trainers: create, rename and delete sets; add a conversation or one reply with a note
(here and from the conversation view); browse a set's replies in context with their labels and notes; export
it as Markdown, CSV or JSONL with personal data masked unless the trainer unmasks it for internal use.

Every user-supplied string goes through ``common.safe`` (escaped) before it reaches markdown or HTML."""

from __future__ import annotations

from typing import Any

import streamlit as st

from qa_toolkit import coaching
from qa_toolkit.app import common
from qa_toolkit.coaching import CoachingSetExport, ExportItem, ExportMessage
from qa_toolkit.db import results
from qa_toolkit.db.results import ConversationView
from qa_toolkit.errors import QAError

SET_KEY = "coach_set"
UNMASK_KEY = "coach_unmask"
FLASH = "coach_flash"
PENDING = "cv_coach_pending"
OPEN_KEY = "cv_coach_open"
NEW_SET = -1
WHOLE = "__conversation__"


def _flash(kind: str, message: str) -> None:
    st.session_state[FLASH] = (kind, message)


def _show_flash() -> None:
    flash = st.session_state.pop(FLASH, None)
    if flash is not None:
        kind, message = flash
        {"ok": st.success, "warn": st.warning}.get(kind, st.error)(common.safe(message))


@st.cache_data(ttl=600, max_entries=32, show_spinner="Masking personal data…")
def _masked(export: CoachingSetExport) -> CoachingSetExport:
    return coaching.masked(export)


def _set_label(row: dict[str, Any]) -> str:
    n = row["items"]
    return f"{row['name']} ({n} item{'s' if n != 1 else ''})"


# --------------------------------------------------------------------------- the page


def render() -> None:
    st.title("Coaching sets")
    engine = common.engine()
    common.inject_css()
    who = common.reviewer()
    _show_flash()
    if not who:
        st.warning("Enter your name in the sidebar to create sets or add to them (it is stored with each item).")
    _new_set_form(engine, who)
    sets = results.list_coaching_sets(engine)
    if not sets:
        st.info(
            "No coaching sets yet. Create one above, then add replies or conversations to it here or from the "
            "conversation view (*Add to a coaching set*)."
        )
        return
    by_id = {row["id"]: row for row in sets}
    if st.session_state.get(SET_KEY) not in by_id:
        st.session_state[SET_KEY] = sets[0]["id"]
    set_id = st.selectbox("Coaching set", list(by_id), format_func=lambda i: _set_label(by_id[i]), key=SET_KEY)
    row = by_id[set_id]
    about = [f"created by {row['created_by']}" if row.get("created_by") else ""]
    if row.get("created_at") is not None:
        about.append(f"on {row['created_at']:%Y-%m-%d}")
    st.caption(
        common.safe(" ".join(a for a in about if a))
        + ("<br>" + common.safe(row["description"]) if row["description"] else ""),
        unsafe_allow_html=True,
    )
    _manage(engine, row, who)
    _add_form(engine, set_id, who)

    contents = results.coaching_set_contents(engine, set_id=set_id)
    if contents is None:  # deleted in another session
        st.rerun()
    unmask = st.toggle(
        "Show personal data (internal use only)",
        key=UNMASK_KEY,
        help="Names, e-mail addresses, phone, order, card and IBAN numbers, postcodes and @handles are masked "
        "by default, on this page and in the exports.",
    )
    export = coaching.build_set(contents)
    shown = export if unmask else _masked(export)
    _exports(shown)
    st.subheader(f"Items ({len(shown.items)})")
    if not shown.items:
        st.caption("This set is empty.")
    for n, item in enumerate(shown.items, start=1):
        _item(engine, n, item)


def _new_set_form(engine: Any, who: str) -> None:
    with st.expander("New coaching set"):
        with st.form("coach_new_form", clear_on_submit=True, border=False):
            name = st.text_input("Name", max_chars=200, key="coach_new_name", placeholder="e.g. Specific apologies")
            description = st.text_area("Description (optional)", key="coach_new_description", height=68)
            submitted = st.form_submit_button("Create set", disabled=not who)
    if submitted and who:
        try:
            new_id = results.create_coaching_set(
                engine, name=name, description=description.strip() or None, created_by=who
            )
        except QAError as exc:
            st.error(common.safe(str(exc)))
            return
        st.session_state[SET_KEY] = new_id
        _flash("ok", f"Created the coaching set {name.strip()!r}.")
        st.rerun()


def _manage(engine: Any, row: dict[str, Any], who: str) -> None:
    set_id = row["id"]
    with st.expander("Rename or delete this set"):
        name = st.text_input("Name", value=row["name"], max_chars=200, key=f"coach_rename_{set_id}")
        description = st.text_area(
            "Description", value=row["description"] or "", key=f"coach_describe_{set_id}", height=68
        )
        if st.button("Save name and description", key=f"coach_rename_save_{set_id}", disabled=not who):
            try:
                results.rename_coaching_set(engine, set_id=set_id, name=name, description=description)
            except QAError as exc:
                st.error(common.safe(str(exc)))
            else:
                _flash("ok", f"Saved the set as {name.strip()!r}.")
                st.rerun()
        sure = st.checkbox(
            f"Yes, delete this set and its {row['items']} item{'s' if row['items'] != 1 else ''} "
            "(the conversations stay)",
            key=f"coach_delete_sure_{set_id}",
        )
        if st.button("Delete set", key=f"coach_delete_{set_id}", disabled=not (who and sure)):
            n = results.delete_coaching_set(engine, set_id=set_id)
            _flash("ok", f"Deleted the coaching set {row['name']!r} and its {n} items.")
            st.rerun()


def _targets(replies: list[results.MessageView]) -> dict[str, str]:
    targets = {WHOLE: "The whole conversation"}
    for m in replies:
        text = " ".join(m.text.split())
        targets[m.external_id] = f"Reply #{m.external_id} · {m.author_name or m.author_id or 'agent'}: " + (
            text[:70] + "…" if len(text) > 70 else text
        )
    return targets


def _add_form(engine: Any, set_id: int, who: str) -> None:
    with st.expander("Add a conversation or a reply to this set"):
        ref = st.text_input(
            "Conversation", key="coach_add_ref", placeholder="its id (42), source/external id, or external id"
        )
        if not ref.strip():
            st.caption("Or open a conversation and use *Add to a coaching set* there.")
            return
        cid = results.find_conversation(engine, ref=ref)
        if cid is None:
            st.warning(common.safe(f"No conversation {ref.strip()!r} in the store."))
            return
        targets = _targets(results.agent_replies(engine, conversation_id=cid))
        target = st.selectbox(
            "What to add", list(targets), format_func=targets.__getitem__, key=f"coach_add_target_{cid}"
        )
        note = st.text_input("Note", key=f"coach_add_note_{cid}", placeholder="e.g. missed the order number")
        if st.button("Add to set", key="coach_add", type="primary", disabled=not who):
            _add(
                engine,
                set_id=set_id,
                conversation_id=cid,
                message=None if target == WHOLE else target,
                note=note,
                who=who,
            )
            st.rerun()


def _add(engine: Any, *, set_id: int, conversation_id: int, message: str | None, note: str, who: str) -> bool:
    """Add an item unless the same conversation or reply is in the set already; flashes what happened."""
    existing = results.list_coaching_items(engine, set_id=set_id)
    if any(i["conversation_id"] == conversation_id and i["message_external_id"] == message for i in existing):
        _flash("warn", "That is in the set already; nothing was added.")
        return False
    try:
        results.add_to_coaching_set(
            engine,
            set_id=set_id,
            conversation_id=conversation_id,
            message_external_id=message,
            note=note.strip(),
            added_by=who,
        )
    except QAError as exc:
        _flash("error", f"Not added: {exc}")
        return False
    what = f"reply #{message}" if message else f"conversation #{conversation_id}"
    _flash("ok", f"Added {what} to the set.")
    return True


# --------------------------------------------------------------------------- browsing


def _message_html(msg: ExportMessage) -> str:
    side = "customer" if msg.role == "customer" else "agent"
    kind = "internal-note" if msg.is_internal else "auto-reply" if msg.is_automated else msg.role
    when = msg.sent_at.strftime("%Y-%m-%d %H:%M") if msg.sent_at else "time unknown"
    focus = " <span class='qa-badge'>this reply</span>" if msg.focus else ""
    style = " style='border-width: 2px; border-color: rgba(60,170,110,0.8);'" if msg.focus else ""
    return (
        f"<div class='qa-msg qa-{side} qa-kind-{kind}'{style}><div class='qa-head'><b>{common.safe(msg.speaker)}</b>"
        f" {common.safe(msg.author or '')} · {common.safe(when)} · #{common.safe(msg.external_id)}{focus}</div>"
        f"<div class='qa-body'>{common.safe(msg.text)}</div></div>"
    )


def _labels_html(item: ExportItem) -> str:
    chips = []
    for name in coaching.LABEL_NAMES:
        model, reviewed = item.labels.get(name), item.reviewed_labels.get(name)
        if model is None and reviewed is None:
            continue
        text = f"{name}: <b>{common.safe(reviewed or model)}</b>"
        if model is not None and name in item.confidences:
            text += f" {item.confidences[name]:.0%}"
        if reviewed is not None:
            text += " (model said " + common.safe(model) + ")" if reviewed != model else " ✓ reviewed"
        chips.append(f"<span class='qa-chip ev-{name}'>{text}</span>")
    return "<div class='qa-labels'>" + "".join(chips) + "</div>" if chips else ""


def _item(engine: Any, n: int, item: ExportItem) -> None:
    with st.container(border=True):
        what = "Reply" if item.kind == coaching.KIND_REPLY else "Conversation"
        facts = " · ".join(
            v
            for v in (
                item.conversation,
                item.channel,
                f"team {item.team}" if item.team else "",
                f"agent {item.agent}" if item.agent else "",
            )
            if v
        )
        common.html_block(
            f"<div><b>{n}. {what}</b> · {common.safe(facts)}</div>"
            + (f"<div><b>Note:</b> {common.safe(item.note)}</div>" if item.note else "")
        )
        for msg in item.messages:
            common.html_block(_message_html(msg))
        labels = _labels_html(item)
        if labels:
            common.html_block(labels)
        added = item.added_at.strftime("%Y-%m-%d %H:%M") if item.added_at else "?"
        left, mid, right = st.columns([4, 1, 1], vertical_alignment="center")
        left.caption(common.safe(f"added by {item.added_by or '?'} on {added}"), unsafe_allow_html=True)
        if mid.button("Open", key=f"coach_open_{item.item_id}", width="stretch"):
            common.open_conversation(item.conversation_id)
        if right.button("Remove", key=f"coach_remove_{item.item_id}", width="stretch"):
            results.remove_coaching_item(engine, item_id=item.item_id)
            _flash("ok", f"Removed item {n} from the set.")
            st.rerun()


def _exports(export: CoachingSetExport) -> None:
    stem = coaching.file_stem(export.name) + ("" if export.masked else "-UNMASKED")
    if not export.masked:
        st.warning("Personal data is shown and exported unmasked: for internal use only.")
    cols = st.columns(3)
    cols[0].download_button(
        "Markdown handout",
        coaching.to_markdown(export).encode("utf-8"),
        file_name=f"{stem}.md",
        mime="text/markdown",
        key="coach_dl_md",
        width="stretch",
        on_click="ignore",
    )
    cols[1].download_button(
        "CSV",
        coaching.to_csv(export).encode("utf-8"),
        file_name=f"{stem}.csv",
        mime="text/csv",
        key="coach_dl_csv",
        width="stretch",
        on_click="ignore",
    )
    cols[2].download_button(
        "JSONL",
        coaching.to_jsonl(export).encode("utf-8"),
        file_name=f"{stem}.jsonl",
        mime="application/x-ndjson",
        key="coach_dl_jsonl",
        width="stretch",
        on_click="ignore",
    )
    with st.expander("Preview the handout"):
        st.code(coaching.to_markdown(export), language="markdown", wrap_lines=True)


# --------------------------------------------------------------------------- from the conversation view


def add_panel(view: ConversationView) -> None:
    """'Add to a coaching set' for the conversation view: the whole conversation or one agent reply, an
    existing set or a new one, and a note."""
    engine = common.engine()
    who = common.reviewer()
    pending = st.session_state.pop(PENDING, None)
    if pending is not None:  # after an add: show the set it went to, clear the note (before the widgets exist)
        st.session_state["cv_coach_set"] = pending
        st.session_state.pop(f"cv_coach_note_{view.id}", None)
        st.session_state.pop("cv_coach_new_name", None)
    flash = st.session_state.pop(FLASH, None)
    if flash is not None:
        st.session_state[OPEN_KEY] = True  # show what happened
    panel = st.expander("Add to a coaching set", key=OPEN_KEY, on_change="rerun")
    if not panel.open:  # drawn only when opened: nothing to query or show otherwise
        return
    with panel:
        if flash is not None:
            kind, message = flash
            {"ok": st.success, "warn": st.warning}.get(kind, st.error)(common.safe(message))
        replies = [m for m in view.messages if m.role == "agent" and not m.is_automated and not m.is_internal]
        targets = _targets(replies)
        target = st.selectbox(
            "What to add", list(targets), format_func=targets.__getitem__, key=f"cv_coach_target_{view.id}"
        )
        sets = {row["id"]: row for row in results.list_coaching_sets(engine)}
        choice = st.selectbox(
            "Coaching set",
            [*sets, NEW_SET],
            format_func=lambda i: "New set…" if i == NEW_SET else _set_label(sets[i]),
            key="cv_coach_set",
        )
        new_name = (
            st.text_input("Name of the new set", key="cv_coach_new_name", max_chars=200) if choice == NEW_SET else ""
        )
        note = st.text_input(
            "Note", key=f"cv_coach_note_{view.id}", placeholder="e.g. good example of a specific apology"
        )
        if not who:
            st.caption("Enter your name in the sidebar to add to a coaching set.")
        if st.button("Add to set", key="cv_coach_add", disabled=not who) and who:
            set_id = choice
            if choice == NEW_SET:
                try:
                    set_id = results.create_coaching_set(engine, name=new_name, created_by=who)
                except QAError as exc:
                    _flash("error", f"Not added: {exc}")
                    st.rerun()
            added = _add(
                engine,
                set_id=set_id,
                conversation_id=view.id,
                message=None if target == WHOLE else target,
                note=note,
                who=who,
            )
            if added:
                st.session_state[PENDING] = set_id
            st.rerun()
