"""Reading exports into clean conversations (any format, rejects handled) and importing them into the store
in one transaction."""

from __future__ import annotations

import multiprocessing as mp
import os
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty
from typing import IO

import orjson
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from qa_toolkit.db import crud
from qa_toolkit.db.engine import get_engine
from qa_toolkit.errors import ImportFileError, QAError, StoreError
from qa_toolkit.importers import Importer, ImportOptions, Rejected, get_importer, sniff_format
from qa_toolkit.language import fill_languages
from qa_toolkit.normalise import mark_auto_replies
from qa_toolkit.schema import ConversationIn

BATCH = 1000


def resolve_importer(path: Path, fmt: str = "auto") -> Importer:
    """The importer for ``path``: the named one, or the best sniffed one for ``auto``."""
    if fmt == "auto":
        return sniff_format(path)
    return get_importer(fmt)


def enrich(convs: Sequence[ConversationIn]) -> None:
    """Steps every conversation gets after import, in place: auto-replies marked, languages filled."""
    for conv in convs:
        mark_auto_replies(conv.messages)
    fill_languages(convs)


@dataclass
class RejectSink:
    """Where rejected records go: raise at once (the default), or write them to a JSONL file."""

    skip_invalid: bool = False
    out: IO[bytes] | None = None
    count: int = 0
    first: list[Rejected] = field(default_factory=list)

    def __call__(self, rejected: Rejected) -> None:
        if not self.skip_invalid:
            raise ImportFileError(rejected.location, rejected.reason)
        self.count += 1
        if len(self.first) < 5:
            self.first.append(rejected)
        if self.out is not None:
            self.out.write(orjson.dumps({"location": rejected.location, "reason": rejected.reason}) + b"\n")


def _groups(paths: list[Path], fmt: str) -> list[tuple[Importer, list[Path]]]:
    """Consecutive paths for the same importer that reads several paths as one (``read_many``: e-mail,
    whose threads span files) are read together; every other path alone."""
    groups: list[tuple[Importer, list[Path]]] = []
    for path in paths:
        importer = resolve_importer(path, fmt)
        if groups and groups[-1][0] is importer and hasattr(importer, "read_many"):
            groups[-1][1].append(path)
        else:
            groups.append((importer, [path]))
    return groups


def read_conversations(
    paths: Sequence[Path],
    *,
    fmt: str = "auto",
    options: ImportOptions | None = None,
    on_reject: Callable[[Rejected], None] | None = None,
    on_file: Callable[[Path, Importer], None] | None = None,
) -> Iterator[ConversationIn]:
    """Conversations from every file, as the importer gives them (not enriched).

    A rejected record goes to ``on_reject`` (default: raise ImportFileError ``file:line: reason``)."""
    options = options or ImportOptions()
    on_reject = on_reject or RejectSink()
    for importer, group in _groups([Path(p) for p in paths], fmt):
        if on_file is not None:
            for path in group:
                on_file(path, importer)
        items = importer.read_many(group, options) if len(group) > 1 else importer.read(group[0], options)
        for item in items:
            if isinstance(item, Rejected):
                on_reject(item)
            else:
                yield item


@dataclass
class FirstOfEach:
    """The conversations of a stream, each (source, id) once: its first occurrence (streaming; an import,
    which writes the store, keeps the last). ``repeated`` counts the later occurrences left out."""

    repeated: int = 0

    def __call__(self, convs: Iterable[ConversationIn]) -> Iterator[ConversationIn]:
        seen: set[tuple[str, str]] = set()  # ids only: a few bytes per conversation
        for conv in convs:
            key = (conv.source, conv.id)
            if key in seen:
                self.repeated += 1
                continue
            seen.add(key)
            yield conv


def iter_enriched(convs: Iterator[ConversationIn], *, batch: int = BATCH) -> Iterator[list[ConversationIn]]:
    """Batches of conversations, each enriched (see ``enrich``)."""
    buf: list[ConversationIn] = []
    for conv in convs:
        buf.append(conv)
        if len(buf) >= batch:
            enrich(buf)
            yield buf
            buf = []
    if buf:
        enrich(buf)
        yield buf


@dataclass
class ImportSummary:
    files: list[str] = field(default_factory=list)
    formats: list[str] = field(default_factory=list)
    read: int = 0
    counts: crud.UpsertCounts = field(default_factory=crud.UpsertCounts)
    rejected: int = 0
    duplicates_in_input: int = 0


@dataclass
class _Batch:
    prepared: list[crud.Prepared]
    read: int
    duplicates: int


def _events(
    paths: Sequence[Path], fmt: str, options: ImportOptions | None, batch: int, dialect: str
) -> Iterator[tuple]:
    """The import's pure half, as a stream of events: ("file", path, format), ("reject", Rejected),
    ("batch", _Batch). Conversations are enriched, hashed, measured and turned into rows here."""
    buf: list[ConversationIn] = []

    def flush() -> _Batch:
        # a conversation repeated within a batch: the last one wins (a repeat in a later batch is compared
        # with the stored one like any re-import; no set of every key is kept, so memory stays flat)
        unique: dict[tuple[str, str], ConversationIn] = {(c.source, c.id): c for c in buf}
        enrich(list(unique.values()))  # the digest covers what is stored, so enrich first
        out = _Batch([crud.prepare(c, dialect=dialect) for c in unique.values()], len(buf), len(buf) - len(unique))
        buf.clear()
        return out

    events: list[tuple] = []
    emit = events.append  # reject and file events: collected, then yielded in order with the conversations
    for conv in read_conversations(
        paths, fmt=fmt, options=options,
        on_reject=lambda r: emit(("reject", r)),
        on_file=lambda path, imp: emit(("file", str(path), imp.name)),
    ):  # fmt: skip
        if events:
            yield from events
            events.clear()
        buf.append(conv)
        if len(buf) >= batch:
            yield ("batch", flush())
    yield from events
    if buf:
        yield ("batch", flush())


def _worker(paths: Sequence[Path], fmt: str, options: ImportOptions | None, batch: int, dialect: str, queue) -> None:  # type: ignore[no-untyped-def]
    try:
        for event in _events(paths, fmt, options, batch, dialect):
            queue.put(event)
        queue.put(("done",))
    except QAError as exc:
        queue.put(("error", exc))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which raises it
        queue.put(("crash", f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"))


def _no_native_threads() -> bool:
    """True when every thread of this process is a Python thread (a progress bar's, say). Native thread
    pools (lingua's, after a language detection) are what a fork can catch holding a lock."""
    try:
        return len(os.listdir("/proc/self/task")) == threading.active_count()
    except OSError:
        return False


def _mp_context():  # type: ignore[no-untyped-def]
    """How to start the import worker. A plain fork is the fastest, but forking a process that runs other
    threads (lingua's thread pool after a language detection, say) can copy a held lock into the child and
    hang it; so fork only while this process runs no native threads, else use a fork server (the child is
    forked from a clean server process), else spawn."""
    method = os.environ.get("QA_IMPORT_START_METHOD")  # for benchmarks: fork, forkserver or spawn
    if method:
        return mp.get_context(method)
    methods = mp.get_all_start_methods()
    if "fork" in methods and _no_native_threads():
        return mp.get_context("fork")
    if "forkserver" in methods:
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["qa_toolkit.pipeline"])
        return ctx
    return mp.get_context("spawn")


def _events_in_worker(
    paths: Sequence[Path], fmt: str, options: ImportOptions | None, batch: int, dialect: str
) -> Iterator[tuple]:
    """``_events`` run in a second process, so that preparing the next batch overlaps writing this one
    (the machine's second core does the parsing, validation, language detection and metrics)."""
    ctx = _mp_context()
    queue = ctx.Queue(maxsize=4)  # bounded: memory stays flat whatever the file's size
    proc = ctx.Process(target=_worker, args=(list(paths), fmt, options, batch, dialect, queue), daemon=True)
    proc.start()
    try:
        while True:
            try:
                event = queue.get(timeout=5)
            except Empty:
                if not proc.is_alive():
                    raise QAError(f"the import worker stopped unexpectedly (exit code {proc.exitcode})") from None
                continue
            kind = event[0]
            if kind == "done":
                return
            if kind == "error":
                raise event[1]
            if kind == "crash":
                raise RuntimeError(f"the import worker failed: {event[1]}")
            yield event
    finally:
        if proc.is_alive():
            proc.terminate()
        proc.join(timeout=5)
        queue.close()


def import_files(
    paths: Sequence[Path],
    *,
    fmt: str = "auto",
    db: str | Engine | None = None,
    options: ImportOptions | None = None,
    skip_invalid: bool = False,
    rejects_path: Path | None = None,
    progress: Callable[[int], None] | None = None,
    batch: int = BATCH,
    parallel: bool = True,
) -> ImportSummary:
    """Import files into the store in ONE transaction: any error (without ``skip_invalid``) leaves the
    database exactly as it was. Re-importing unchanged conversations changes nothing.

    With ``parallel`` (the default) a worker process reads and prepares batches while this process writes.
    ``progress`` is called with the number of conversations read after every batch."""
    engine = db if isinstance(db, Engine) else get_engine(db)
    paths = [Path(p) for p in paths]
    for path in paths:  # fail fast, before any work, on a missing file or an unknown format
        resolve_importer(path, fmt)
    summary = ImportSummary()
    try:
        rejects_file = open(rejects_path, "wb") if (skip_invalid and rejects_path) else None  # noqa: SIM115
    except OSError as exc:
        raise QAError(f"{rejects_path}: cannot write the rejects file ({exc.strerror or exc})") from None
    sink = RejectSink(skip_invalid=skip_invalid, out=rejects_file)
    dialect = engine.dialect.name
    source = _events_in_worker if parallel else _events
    try:
        with engine.begin() as conn:
            for event in source(paths, fmt, options, batch, dialect):
                if event[0] == "file":
                    summary.files.append(event[1])
                    summary.formats.append(event[2])
                elif event[0] == "reject":
                    sink(event[1])
                else:
                    prepared: _Batch = event[1]
                    stored = crud.existing(conn, keys=[(p.source, p.external_id) for p in prepared.prepared])
                    new = [p for p in prepared.prepared if (p.source, p.external_id) not in stored]
                    changed = [
                        (p, stored[(p.source, p.external_id)].id)
                        for p in prepared.prepared
                        if (p.source, p.external_id) in stored
                        and stored[(p.source, p.external_id)].content_hash != p.digest
                    ]
                    counts = crud.write_prepared(conn, new=new, changed=changed)
                    counts.unchanged = len(prepared.prepared) - len(new) - len(changed)
                    summary.counts.add(counts)
                    summary.read += prepared.read
                    summary.duplicates_in_input += prepared.duplicates
                    if progress is not None:
                        progress(summary.read)
    except DBAPIError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
        raise StoreError(f"the database refused the import, nothing was written: {reason}") from None
    finally:
        if rejects_file is not None:
            rejects_file.close()
    summary.rejected = sink.count
    return summary
