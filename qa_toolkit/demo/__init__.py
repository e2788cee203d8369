"""A deterministic demo corpus of support conversations, for the app's first run and for tests."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import orjson

from qa_toolkit.demo.generator import DEFAULT_END, WEEKS, generate_demo
from qa_toolkit.schema import ConversationIn

__all__ = ["DEFAULT_END", "WEEKS", "generate_demo", "write_demo_jsonl"]


def write_demo_jsonl(path: str | Path, *, seed: int = 7, start: date | None = None) -> int:
    """Write the demo corpus as canonical JSONL (one conversation per line); returns the count."""
    convs: list[ConversationIn] = generate_demo(seed=seed, start=start)
    with Path(path).open("wb") as fh:
        for conv in convs:
            fh.write(orjson.dumps(conv.to_canonical()))
            fh.write(b"\n")
    return len(convs)
