"""The import page: upload export files (any format ``qa-toolkit import`` reads, or a .zip of them) with the
same options, watch the progress, read the summary (new, updated, unchanged, rejected) and every rejected
record by file and line, and optionally score and flag what was imported.

The import is one transaction (``pipeline.import_files``): a file with an error writes nothing. Uploads are
written to a temporary folder for the import and removed afterwards; locations are shown with the uploaded
file names, never the temporary paths. Every value from a file is shown escaped or in a table (text only).
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import orjson
import pandas as pd
import streamlit as st

from qa_toolkit.app import common
from qa_toolkit.errors import ImportFileError, QAError
from qa_toolkit.importers import ImportOptions, importer_names

RESULT = "import_result"
UNKNOWN_ROLES = ("error", "customer", "skip")
MAX_UNZIPPED = 2 * 1024**3  # a .zip may hold at most this much (a guard against zip bombs)
MAX_REJECTS_SHOWN = 2000
PARALLEL_FROM = 8 * 1024**2  # uploads this large are read by a worker process while the store is written


# --------------------------------------------------------------------------- pure helpers


def parse_column_map(text: str) -> dict[str, str]:
    """``CANONICAL=HEADER`` lines (as ``--column``) as a dict; blank lines are ignored."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        canonical, sep, header = line.partition("=")
        if not sep or not canonical.strip() or not header.strip():
            raise QAError(f"a column mapping takes CANONICAL=HEADER, got {line.strip()!r}")
        out[canonical.strip()] = header.strip()
    return out


def build_options(*, tz: str, support: str, columns: str, unknown_role: str, source: str) -> ImportOptions:
    """ImportOptions from the form (the options of ``qa-toolkit import``)."""
    if unknown_role not in UNKNOWN_ROLES:
        raise QAError(f"unknown role handling {unknown_role!r}; valid: {', '.join(UNKNOWN_ROLES)}")
    return ImportOptions(
        tz=tz.strip() or "UTC",
        support_addresses=tuple(a.strip() for a in re.split(r"[\s,;]+", support) if a.strip()),
        column_map=parse_column_map(columns),
        unknown_role=unknown_role,
        source=source.strip() or None,
    )


def _safe_name(name: str) -> str:
    base = PurePosixPath(name.replace("\\", "/")).name.strip()
    base = re.sub(r"[\x00-\x1f]", "", base)
    return base if base not in ("", ".", "..") else "upload"


def save_uploads(files: Sequence[tuple[str, bytes]], folder: Path) -> list[Path]:
    """Write uploaded (name, content) pairs into ``folder``; what to import, in upload order.

    A .zip is unpacked into a folder named after it: the folder itself when some format reads folders (a
    Maildir, a folder of .eml files), else its files, in name order. Names keep their extension (format
    sniffing reads it); a repeated name gets a number."""
    out: list[Path] = []
    used: set[str] = set()
    for name, data in files:
        safe = _safe_name(name)
        stem, n = safe, 2
        while safe in used:
            safe = f"{n}-{stem}"
            n += 1
        used.add(safe)
        target = folder / safe
        if safe.lower().endswith(".zip"):
            out.extend(_unzip(data, target, safe))
        else:
            target.write_bytes(data)
            out.append(target)
    return out


def _unzip(data: bytes, target: Path, name: str) -> list[Path]:
    from qa_toolkit.pipeline import resolve_importer

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ImportFileError(name, "not a readable .zip file") from None
    members = [m for m in archive.infolist() if not m.is_dir()]
    if sum(m.file_size for m in members) > MAX_UNZIPPED:
        raise ImportFileError(name, f"unpacks to more than {MAX_UNZIPPED // 1024**3} GB; import its files one by one")
    files: list[Path] = []
    for m in members:
        parts = [p for p in PurePosixPath(m.filename.replace("\\", "/")).parts if p not in ("", ".", "..", "/")]
        if not parts or parts[0] == "__MACOSX" or parts[-1].startswith("."):
            continue
        path = target.joinpath(*(_safe_name(p) for p in parts))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(archive.read(m))
        files.append(path)
    if not files:
        raise ImportFileError(name, "the .zip file holds no files")
    try:
        resolve_importer(target)
        return [target]  # a folder some format reads as a whole (e-mail)
    except QAError:
        return sorted(files)


_LOCATION = re.compile(r"^(?P<file>.+?)(?::(?P<pos>\d+|record \d+))?$", re.S)


def split_location(location: str, folder: Path) -> tuple[str, str]:
    """(uploaded file, "line N" / "record N" / "") for an importer's ``path:line`` location."""
    text = location.replace(f"{folder}/", "")
    match = _LOCATION.match(text)
    if match is None:  # pragma: no cover - the pattern matches any non-empty text
        return text, ""
    pos = match.group("pos") or ""
    return match.group("file"), (f"line {pos}" if pos.isdigit() else pos)


def _strip(text: str, folder: Path) -> str:
    return text.replace(f"{folder}/", "").replace(str(folder), "")


@dataclass
class ImportOutcome:
    """What the page shows after an import (kept in the session so it survives reruns)."""

    ok: bool
    files: list[tuple[str, str]] = field(default_factory=list)  # (file, format)
    read: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    messages: int = 0
    rejected: int = 0
    duplicates: int = 0
    rejects: list[dict[str, str]] = field(default_factory=list)  # file, where, reason
    error: dict[str, str] | None = None  # file, where, reason
    scored: dict[str, int] | None = None
    score_error: str | None = None

    def rejects_csv(self) -> bytes:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=["file", "where", "reason"])
        writer.writeheader()
        writer.writerows(self.rejects)
        return buf.getvalue().encode()


def read_rejects(path: Path, folder: Path, *, limit: int = MAX_REJECTS_SHOWN) -> list[dict[str, str]]:
    """The rejects file ``import_files`` wrote, by file and line (the first ``limit``)."""
    out: list[dict[str, str]] = []
    if not path.exists():
        return out
    with path.open("rb") as fh:
        for line in fh:
            if len(out) >= limit:
                break
            rec = orjson.loads(line)
            file, where = split_location(rec["location"], folder)
            out.append({"file": file, "where": where, "reason": _strip(rec["reason"], folder)})
    return out


# --------------------------------------------------------------------------- running an import


def run_import(
    files: Sequence[tuple[str, bytes]],
    *,
    fmt: str,
    options: ImportOptions,
    skip_invalid: bool,
    progress: Any = None,
) -> ImportOutcome:
    """Import uploaded files into the app's store (one transaction); an ImportOutcome either way."""
    from qa_toolkit.pipeline import import_files

    with tempfile.TemporaryDirectory(prefix="qa-import-") as tmp:
        folder = Path(tmp)
        rejects_path = folder / ".rejects.jsonl"
        base = folder / "files"
        base.mkdir()
        try:
            paths = save_uploads(files, base)
            summary = import_files(
                paths,
                fmt=fmt,
                db=common.engine(),
                options=options,
                skip_invalid=skip_invalid,
                rejects_path=rejects_path if skip_invalid else None,
                progress=progress,
                parallel=sum(len(d) for _, d in files) >= PARALLEL_FROM,
            )
        except ImportFileError as exc:
            file, where = split_location(exc.location, base)
            return ImportOutcome(ok=False, error={"file": file, "where": where, "reason": _strip(exc.reason, base)})
        except QAError as exc:
            return ImportOutcome(ok=False, error={"file": "", "where": "", "reason": _strip(str(exc), folder)})
        c = summary.counts
        return ImportOutcome(
            ok=True,
            files=[(split_location(p, base)[0], f) for p, f in zip(summary.files, summary.formats, strict=True)],
            read=summary.read,
            new=c.new,
            updated=c.updated,
            unchanged=c.unchanged,
            messages=c.messages,
            rejected=summary.rejected,
            duplicates=summary.duplicates_in_input,
            rejects=read_rejects(rejects_path, base),
        )


def run_scoring(outcome: ImportOutcome, *, use_models: bool, status: Any) -> None:
    """Score and flag every stored conversation without results (the imported ones among them)."""
    from qa_toolkit.store_scoring import score_store

    scorer = None
    if use_models:
        scorer, why = common.load_scorer()
        if scorer is None:
            st.warning(common.safe(f"The classifiers could not be loaded ({why}); flags use text evidence only."))
    card = common.scorecard_for(None)
    try:
        summary = score_store(
            common.engine(),
            scorer=scorer,
            card=card,
            progress=lambda n: status.update(label=f"Scoring: {n:,} conversations done"),
        )
    except QAError as exc:
        outcome.score_error = str(exc)
        return
    outcome.scored = {
        "conversations": summary.conversations,
        "replies": summary.replies,
        "flagged": summary.flagged,
        "flags": summary.flags,
    }


# --------------------------------------------------------------------------- the page


def render() -> None:
    st.title("Import")
    st.caption(
        "Upload an export: any format `qa-toolkit import` reads (JSONL, CSV, Zendesk, Intercom, Freshdesk, Help "
        "Scout, e-mail, Twitter), compressed (.gz, .bz2, .xz) or several files in a .zip. The import is one "
        "transaction: a file with an error writes nothing. Importing the same conversations again changes nothing."
    )
    names = ["auto", *importer_names()]
    with st.form("import_form", border=True):
        uploads = st.file_uploader("Export files", accept_multiple_files=True, key="import_files")
        left, right = st.columns(2)
        fmt = left.selectbox(
            "Format", names, key="import_format", help="auto recognises the format from the file's name and content"
        )
        skip_invalid = right.checkbox(
            "Skip invalid records (import the good ones; list the rejected ones below)", key="import_skip"
        )
        score = right.checkbox("Score and flag the imported conversations", value=True, key="import_score")
        use_models = right.checkbox("Label replies with the classifiers", value=True, key="import_models")
        with st.expander("Options (as `qa-toolkit import`)"):
            a, b = st.columns(2)
            tz = a.text_input("Time zone for times without an offset (CSV)", value="UTC", key="import_tz")
            unknown_role = a.selectbox("Unknown role (CSV)", UNKNOWN_ROLES, key="import_unknown_role")
            source = a.text_input("Record conversations under this source name", key="import_source")
            support = b.text_area(
                "Support addresses (e-mail): addresses or @domains, one per line", key="import_support", height=80
            )
            columns = b.text_area(
                "Column mapping (CSV): CANONICAL=HEADER, one per line", key="import_columns", height=80
            )
        submitted = st.form_submit_button("Import", type="primary")

    if submitted:
        if not uploads:
            st.warning("Choose one or more files first.")
        else:
            try:
                options = build_options(tz=tz, support=support, columns=columns, unknown_role=unknown_role,
                                        source=source)  # fmt: skip
            except QAError as exc:
                st.error(common.safe(f"Not imported: {exc}"))
                return
            files = [(u.name, u.getvalue()) for u in uploads]
            with st.status("Importing …", expanded=True) as status:
                counter = st.empty()

                def progress(n: int) -> None:
                    counter.write(f"{n:,} conversations read")

                outcome = run_import(files, fmt=fmt, options=options, skip_invalid=skip_invalid, progress=progress)
                if outcome.ok and score:
                    status.update(label="Scoring and flagging …")
                    run_scoring(outcome, use_models=use_models, status=status)
                status.update(
                    label="Import finished" if outcome.ok else "Import failed: nothing was written",
                    state="complete" if outcome.ok and not outcome.score_error else "error",
                    expanded=False,
                )
            if outcome.ok:
                common.filter_options.clear()  # new agents, teams, days for the sidebar
            st.session_state[RESULT] = outcome
    outcome = st.session_state.get(RESULT)
    if outcome is not None:
        show_outcome(outcome)


def show_outcome(outcome: ImportOutcome) -> None:
    if not outcome.ok:
        err = outcome.error or {}
        where = ", ".join(p for p in (err.get("file"), err.get("where")) if p)
        st.error(
            common.safe((f"{where}: " if where else "") + str(err.get("reason", "")))
            + "  \n"
            + "Nothing was written to the database. Fix the file, or tick *Skip invalid records* to import "
            "the good records and list the rejected ones."
        )
        return
    st.success(
        f"Imported {outcome.read:,} conversations: {outcome.new:,} new, {outcome.updated:,} updated, "
        f"{outcome.unchanged:,} unchanged; {outcome.rejected:,} records rejected."
    )
    cols = st.columns(5)
    cols[0].metric("New", outcome.new)
    cols[1].metric("Updated", outcome.updated)
    cols[2].metric("Unchanged", outcome.unchanged)
    cols[3].metric("Rejected", outcome.rejected)
    cols[4].metric("Messages written", outcome.messages)
    st.dataframe(pd.DataFrame(outcome.files, columns=["file", "read as"]), hide_index=True, width="stretch")
    if outcome.duplicates:
        st.warning(f"{outcome.duplicates:,} conversations occurred twice in the upload; the last occurrence was kept.")
    if outcome.rejects:
        st.subheader("Rejected records")
        shown = f"the first {len(outcome.rejects):,} of " if len(outcome.rejects) < outcome.rejected else ""
        st.caption(f"Showing {shown}{outcome.rejected:,} rejected records, by file and line.")
        st.dataframe(pd.DataFrame(outcome.rejects, columns=["file", "where", "reason"]), hide_index=True,
                     width="stretch")  # fmt: skip
        st.download_button("Download the rejected records (CSV)", outcome.rejects_csv(), "rejected.csv", "text/csv",
                           key="import_rejects_csv")  # fmt: skip
    if outcome.score_error:
        st.error(common.safe(f"Imported, but scoring failed: {outcome.score_error}"))
    elif outcome.scored is not None:
        s = outcome.scored
        st.info(
            f"Scored {s['conversations']:,} conversations ({s['replies']:,} replies labelled); "
            f"{s['flagged']:,} flagged with {s['flags']:,} flags are in the review queue."
        )
        if st.button("Open the review queue", key="import_to_queue"):
            common.open_queue()
