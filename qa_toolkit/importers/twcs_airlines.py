"""The airline threads of TWCS as released by Perkins & Yang (columns first_tweet_id, tag,
first_utterance, context; turns inline as ``<cust__ ... __cust>`` / ``<rep__ ... __rep>``; no timestamps).

Text: HTML entities are decoded; raw_text keeps the turn as released (whitespace collapsed).
Message ids are ``t0``, ``t1`` ... in thread order (the ids the committed labels use). The one row
with an empty first_tweet_id is keyed by ``zlib.crc32`` of its first utterance. Agents are identified by
the initials they sign with; handles are masked in this data set.
"""

from __future__ import annotations

import csv
import html
import re
import zlib
from collections.abc import Iterator
from pathlib import Path

from qa_toolkit.errors import ImportFileError
from qa_toolkit.importers.base import (
    FIELD_LIMIT,
    ImportOptions,
    Item,
    Rejected,
    build_conversation,
    open_text,
    register_importer,
)
from qa_toolkit.normalise import agent_signature

TURN = re.compile(r"<(cust|rep)__(.*?)__\1>", re.S)
COLUMNS = ("first_tweet_id", "tag", "first_utterance", "context")


def thread_turns(first_utterance: str, context: str) -> list[tuple[str, str]]:
    """(role, text) turns of one row, whitespace collapsed."""
    text = f"{first_utterance} {context}"
    return [("customer" if kind == "cust" else "agent", " ".join(body.split())) for kind, body in TURN.findall(text)]


def thread_id(first_tweet_id: str, first_utterance: str) -> str:
    return first_tweet_id.strip() or str(zlib.crc32(first_utterance.encode()))


@register_importer("twcs-airlines.v1")
class TwcsAirlinesImporter:
    name = "twcs-airlines"
    description = "airline threads of TWCS (first_tweet_id, tag, first_utterance, context with <cust__>/<rep__> turns)"

    def sniff(self, path: Path, head: bytes) -> float:
        first = head.split(b"\n", 1)[0].decode("utf-8", "replace").strip().lower()
        return 0.95 if set(COLUMNS) <= {c.strip('"') for c in first.split(",")} else 0.0

    def read(self, path: Path, options: ImportOptions) -> Iterator[Item]:
        csv.field_size_limit(FIELD_LIMIT)
        with open_text(path) as fh:
            reader = csv.reader(fh)
            try:
                header = [h.strip().lower() for h in next(reader)]
            except StopIteration:
                raise ImportFileError(str(path), "the file is empty") from None
            except (csv.Error, UnicodeDecodeError) as exc:
                raise ImportFileError(f"{path}:1", f"not a readable CSV header ({exc})") from None
            if not set(COLUMNS) <= set(header):
                raise ImportFileError(f"{path}:1", f"expected columns {', '.join(COLUMNS)}; found {', '.join(header)}")
            col = {c: header.index(c) for c in COLUMNS}
            while True:
                start = reader.line_num + 1
                try:
                    row = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    yield Rejected(f"{path}:{start}", f"malformed CSV ({exc})")
                    return
                except UnicodeDecodeError as exc:
                    raise ImportFileError(f"{path}:{start}", f"bytes that are not valid text ({exc.reason})") from None
                location = f"{path}:{start}"
                if len(row) < len(header):
                    yield Rejected(location, f"expected {len(header)} columns, found {len(row)}")
                    continue
                row = [row[col[c]] for c in COLUMNS]
                turns = thread_turns(row[2], row[3])
                if not turns and not (row[2].strip() or row[3].strip()):
                    continue  # an empty record (the real file ends with one): nothing to import
                if not turns:
                    yield Rejected(location, "no <cust__ ... __cust> or <rep__ ... __rep> turns found")
                    continue
                messages = []
                for i, (role, text) in enumerate(turns):
                    sig = agent_signature(text) if role == "agent" else None
                    messages.append({
                        "id": f"t{i}", "role": role, "text": html.unescape(text), "raw_text": text, "sent_at": None,
                        "author": (f"airline/{sig}" if sig else None) if role == "agent" else "__cust__",
                        "author_name": sig,
                    })  # fmt: skip
                yield build_conversation(
                    {
                        "id": thread_id(row[0], row[2]),
                        "source": options.source or self.name,
                        "channel": "twitter",
                        "tags": [row[1]] if row[1].strip() else [],
                        "customer": {"id": "__cust__"},
                        "messages": messages,
                    },
                    location,
                )
