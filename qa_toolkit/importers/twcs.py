"""The Twitter customer-support CSV (TWCS, Kaggle): one row per tweet; threads rebuilt from the reply graph.

Columns: tweet_id, author_id, inbound, created_at, text, response_tweet_id, in_response_to_tweet_id (a
leading unnamed index column, as pandas writes it, is ignored). Connected components of the reply graph
are conversations, keyed by their root tweet; tweets are ordered by (created_at, tweet_id). Components
without a customer tweet or without a brand reply are not conversations and are skipped. Agents are the
brand account plus the initials they sign with (``AmericanAir/AB``); the brand is the team.

Text: HTML entities (``&amp;``) are decoded; raw_text keeps the tweet as exported. A bare carriage
return inside a tweet (the real export has some) is read as a space.

Memory: the reply graph needs every row before the first conversation is complete, so this importer
holds the file's rows (about 200 bytes a tweet); it does not stream like the JSONL importer.
"""

from __future__ import annotations

import csv
import html
from collections import Counter, defaultdict
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
from qa_toolkit.normalise import agent_signature, parse_timestamp

REQUIRED = (
    "tweet_id",
    "author_id",
    "inbound",
    "created_at",
    "text",
    "response_tweet_id",
    "in_response_to_tweet_id",
)
_TRUE = {"true", "1", "yes", "t"}
_FALSE = {"false", "0", "no", "f"}


def _tweet_id(value: str) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    if value.endswith(".0"):  # pandas wrote the column as float because of NaN
        value = value[:-2]
    return value


def _find(parent: dict[str, str], x: str) -> str:
    root = x
    while parent[root] != root:
        root = parent[root]
    while parent[x] != root:  # path compression
        parent[x], x = root, parent[x]
    return root


@register_importer("twcs.v1")
class TwcsImporter:
    name = "twcs"
    description = "Twitter customer support CSV (Kaggle TWCS): tweets with reply links, threads rebuilt"

    def sniff(self, path: Path, head: bytes) -> float:
        first = head.split(b"\n", 1)[0].decode("utf-8", "replace").lower()
        cols = {c.strip().strip('"') for c in first.split(",")}
        return 0.95 if set(REQUIRED) <= cols else 0.0

    def read(self, path: Path, options: ImportOptions) -> Iterator[Item]:
        csv.field_size_limit(FIELD_LIMIT)
        rows: dict[str, dict] = {}
        parent: dict[str, str] = {}
        edges: list[tuple[str, str]] = []
        with open_text(path, newline="\n") as fh:
            reader = csv.reader(_bare_cr_as_space(fh))
            try:
                header = next(reader)
            except StopIteration:
                raise ImportFileError(str(path), "the file is empty") from None
            except (csv.Error, UnicodeDecodeError) as exc:
                raise ImportFileError(f"{path}:1", f"not a readable CSV header ({exc})") from None
            names = [h.strip().lower() for h in header]
            missing = [c for c in REQUIRED if c not in names]
            if missing:
                raise ImportFileError(
                    f"{path}:1", f"missing TWCS columns {', '.join(missing)}; found: {', '.join(header)}"
                )
            idx = {c: names.index(c) for c in REQUIRED}
            line = 1
            while True:
                start = reader.line_num + 1
                try:
                    row = next(reader)
                except StopIteration:
                    break
                except csv.Error as exc:
                    yield Rejected(f"{path}:{start}", f"malformed CSV ({exc})")
                    break
                except UnicodeDecodeError as exc:
                    raise ImportFileError(f"{path}:{start}", f"bytes that are not valid text ({exc.reason})") from None
                line = start
                if not any(cell.strip() for cell in row):
                    continue
                location = f"{path}:{line}"
                if len(row) < len(names):
                    yield Rejected(location, f"expected {len(names)} columns, found {len(row)} (truncated row?)")
                    continue
                tid = _tweet_id(row[idx["tweet_id"]])
                if tid is None:
                    yield Rejected(location, "tweet_id is empty")
                    continue
                inbound = row[idx["inbound"]].strip().lower()
                if inbound not in _TRUE | _FALSE:
                    yield Rejected(location, f"inbound must be True or False, got {row[idx['inbound']]!r}")
                    continue
                try:
                    sent_at = parse_timestamp(row[idx["created_at"]])
                except ValueError as exc:
                    yield Rejected(location, f"created_at: {exc}")
                    continue
                if tid in rows:
                    yield Rejected(location, f"tweet_id {tid} occurs twice (first at line {rows[tid]['line']})")
                    continue
                rows[tid] = {
                    "line": line,
                    "author": row[idx["author_id"]].strip(),
                    "inbound": inbound in _TRUE,
                    "sent_at": sent_at,
                    "text": row[idx["text"]],
                    "parent": _tweet_id(row[idx["in_response_to_tweet_id"]]),
                    "replies": [r for r in (_tweet_id(x) for x in row[idx["response_tweet_id"]].split(",")) if r],
                }
                parent[tid] = tid
        for tid, row in rows.items():
            if row["parent"] in rows:
                edges.append((tid, row["parent"]))
            edges.extend((tid, r) for r in row["replies"] if r in rows)
        for a, b in edges:
            ra, rb = _find(parent, a), _find(parent, b)
            if ra != rb:
                parent[max(ra, rb, key=_sort_key)] = min(ra, rb, key=_sort_key)
        components: dict[str, list[str]] = defaultdict(list)
        for tid in rows:
            components[_find(parent, tid)].append(tid)
        for members in sorted(components.values(), key=lambda m: rows[m[0]]["line"]):
            conv = self._conversation(path, rows, members, options)
            if conv is not None:
                yield conv

    def _conversation(
        self, path: Path, rows: dict[str, dict], members: list[str], options: ImportOptions
    ) -> Item | None:
        tweets = sorted(members, key=lambda t: (rows[t]["sent_at"] is None, rows[t]["sent_at"] or 0, _sort_key(t)))
        if not any(rows[t]["inbound"] for t in tweets) or all(rows[t]["inbound"] for t in tweets):
            return None
        roots = [t for t in tweets if rows[t]["parent"] not in rows]
        root = min(roots or tweets, key=_sort_key)
        customer = next((rows[t]["author"] for t in tweets if rows[t]["inbound"]), None)
        if not rows[root]["inbound"]:
            root_customer = customer
        else:
            root_customer = rows[root]["author"]
        brands = Counter(rows[t]["author"] for t in tweets if not rows[t]["inbound"])
        brand = brands.most_common(1)[0][0]
        messages = []
        agents: Counter[str] = Counter()
        for t in tweets:
            row = rows[t]
            author, author_name = row["author"], None
            if not row["inbound"]:
                sig = agent_signature(row["text"])
                if sig:
                    author, author_name = f"{row['author']}/{sig}", sig
                    agents[author] += 1
            messages.append({
                "id": t,
                "role": "customer" if row["inbound"] else "agent",
                "author": author,
                "author_name": author_name if author_name else (row["author"] if not row["inbound"] else None),
                "sent_at": row["sent_at"],
                "text": html.unescape(row["text"]),
                "raw_text": row["text"],
            })  # fmt: skip
        assignee = agents.most_common(1)[0][0] if agents else brand
        record = {
            "id": root,
            "source": options.source or self.name,
            "channel": "twitter",
            "customer": {"id": root_customer},
            "assignee": {"id": assignee, "name": assignee.split("/", 1)[-1] if "/" in assignee else assignee},
            "team": brand,
            "tags": sorted(brands) if len(brands) > 1 else [],
            "messages": messages,
        }
        return build_conversation(record, f"{path}:{rows[root]['line']}")


def _bare_cr_as_space(lines: Iterator[str]) -> Iterator[str]:
    """Real TWCS files hold tweets with a bare carriage return in unquoted text; read it as a space."""
    for line in lines:
        if "\r" in line[:-2]:
            end = "\r\n" if line.endswith("\r\n") else ("\n" if line.endswith("\n") else "")
            line = line[: len(line) - len(end)].replace("\r", " ") + end
        yield line


def _sort_key(tweet_id: str) -> tuple[int, int | str]:
    return (0, int(tweet_id)) if tweet_id.isdigit() else (1, tweet_id)
