"""Reading exports into clean conversations (any format, rejects handled) and importing them into the store
in one transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import orjson
from sqlalchemy.engine import Engine

from qa_toolkit.db import crud
from qa_toolkit.db.engine import get_engine
from qa_toolkit.errors import ImportFileError
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
    for path in paths:
        path = Path(path)
        importer = resolve_importer(path, fmt)
        if on_file is not None:
            on_file(path, importer)
        for item in importer.read(path, options):
            if isinstance(item, Rejected):
                on_reject(item)
            else:
                yield item


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
) -> ImportSummary:
    """Import files into the store in ONE transaction: any error (without ``skip_invalid``) leaves the
    database exactly as it was. Re-importing unchanged conversations changes nothing.

    ``progress`` is called with the number of conversations read after every batch."""
    engine = db if isinstance(db, Engine) else get_engine(db)
    summary = ImportSummary()
    rejects_file = open(rejects_path, "wb") if (skip_invalid and rejects_path) else None  # noqa: SIM115
    sink = RejectSink(skip_invalid=skip_invalid, out=rejects_file)

    def on_file(path: Path, importer: Importer) -> None:
        summary.files.append(str(path))
        summary.formats.append(importer.name)

    try:
        with engine.begin() as conn:
            buf: list[ConversationIn] = []

            def flush() -> None:
                # a conversation repeated within a batch: the last one wins (a repeat in a later batch is
                # compared with the stored one like any re-import; no set of every key is kept, so memory
                # stays flat)
                unique: dict[tuple[str, str], ConversationIn] = {}
                for conv in buf:
                    key = (conv.source, conv.id)
                    if key in unique:
                        summary.duplicates_in_input += 1
                    unique[key] = conv
                enrich(list(unique.values()))  # the digest covers what is stored, so enrich first
                stored = crud.existing(conn, keys=list(unique))
                new, changed = [], []
                for key, conv in unique.items():
                    digest = crud.content_hash(conv)
                    if key not in stored:
                        new.append((conv, digest))
                    elif stored[key].content_hash != digest:
                        changed.append((conv, digest, stored[key].id))
                counts = crud.write_conversations(conn, new=new, changed=changed)
                counts.unchanged = len(unique) - len(new) - len(changed)
                summary.counts.add(counts)
                summary.read += len(buf)
                buf.clear()
                if progress is not None:
                    progress(summary.read)

            for conv in read_conversations(paths, fmt=fmt, options=options, on_reject=sink, on_file=on_file):
                buf.append(conv)
                if len(buf) >= batch:
                    flush()
            if buf:
                flush()
    finally:
        if rejects_file is not None:
            rejects_file.close()
    summary.rejected = sink.count
    return summary
