"""Canonical JSONL: one conversation per line, exactly the ConversationIn model (docs/canonical-format.md)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson

from qa_toolkit.importers.base import (
    ImportOptions,
    Item,
    Rejected,
    build_conversation,
    iter_lines,
    register_importer,
)


@register_importer("jsonl.v1")
class JsonlImporter:
    name = "jsonl"
    description = "canonical JSONL, one conversation per line (the export format)"

    def sniff(self, path: Path, head: bytes) -> float:
        first = head.lstrip(b"\xef\xbb\xbf \t\r\n").split(b"\n", 1)[0]
        if not first.startswith(b"{"):
            return 0.0
        try:
            record = orjson.loads(first)
        except orjson.JSONDecodeError:
            return 0.2 if b'"messages"' in first else 0.0
        if isinstance(record, dict) and isinstance(record.get("messages"), list):
            return 0.95
        return 0.1

    def read(self, path: Path, options: ImportOptions) -> Iterator[Item]:
        for lineno, line in iter_lines(path):
            if not line.strip():
                continue
            location = f"{path}:{lineno}"
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                yield Rejected(location, f"not valid JSON ({exc})")
                continue
            if not isinstance(record, dict):
                yield Rejected(location, f"expected a JSON object, got {type(record).__name__}")
                continue
            if options.source:
                record["source"] = options.source
            yield build_conversation(record, location)
