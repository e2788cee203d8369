"""IBM's Twitter customer-care document-prediction set (Ganhotra et al. 2020): a JSON list of
conversations with dialogHeader, dialogContent turns (keyed client / client1 / agent) and the final
agent turn in agentURL (no timestamp). The final turn gets its tweet_ID as id and an unknown time.
Customer handles in this set are real screen names: they are stored as given (treat them as personal data).
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ijson

from qa_toolkit.errors import ImportFileError
from qa_toolkit.importers.base import (
    ImportOptions,
    Item,
    Rejected,
    build_conversation,
    open_binary,
    register_importer,
)


@register_importer("ibm-cdp.v1")
class IbmCdpImporter:
    name = "ibm-cdp"
    description = "IBM Twitter customer-care JSON (dialogHeader, dialogContent, agentURL)"

    def sniff(self, path: Path, head: bytes) -> float:
        text = head.lstrip()
        if text.startswith(b"[") and b'"dialogContent"' in head and b'"dialogHeader"' in head:
            return 0.95
        return 0.0

    def read(self, path: Path, options: ImportOptions) -> Iterator[Item]:
        n = 0
        try:
            with open_binary(path) as fh:
                for n, record in enumerate(ijson.items(fh, "item", use_float=True), start=1):
                    yield self._conversation(record, f"{path}:record {n}", options)
        except ijson.common.IncompleteJSONError as exc:
            raise ImportFileError(f"{path}:record {n + 1}", f"invalid or truncated JSON ({exc})") from None
        except ijson.JSONError as exc:
            raise ImportFileError(f"{path}:record {n + 1}", f"invalid JSON ({exc})") from None
        except (EOFError, OSError) as exc:
            raise ImportFileError(str(path), f"cannot be read ({exc})") from None

    def _conversation(self, record: Any, location: str, options: ImportOptions) -> Item:
        if not isinstance(record, dict):
            return Rejected(location, f"expected a conversation object, got {type(record).__name__}")
        header, content, final = (
            record.get("dialogHeader"),
            record.get("dialogContent"),
            record.get("agentURL"),
        )
        if not isinstance(header, dict) or not header.get("sessionID"):
            return Rejected(location, "dialogHeader.sessionID is missing")
        if not isinstance(content, list):
            return Rejected(location, "dialogContent must be a list of turns")
        company = str(header.get("company") or "") or None
        messages: list[dict[str, Any]] = []
        customer = None
        for i, turn in enumerate(content):
            if not isinstance(turn, dict):
                return Rejected(location, f"dialogContent[{i}] must be an object")
            who = next((k for k in turn if k == "agent" or k.startswith("client")), None)
            if who is None or not turn.get("tweet_ID"):
                return Rejected(location, f"dialogContent[{i}] has no client/agent key or no tweet_ID")
            role = "agent" if who == "agent" else "customer"
            if role == "customer" and customer is None:
                customer = turn[who]
            messages.append({
                "id": str(turn["tweet_ID"]), "role": role, "author": turn[who],
                "sent_at": turn.get("datetime"), "text": html.unescape(turn.get("message") or ""),
                "raw_text": turn.get("message") or "",
            })  # fmt: skip
        if isinstance(final, dict) and final.get("tweet_ID"):
            messages.append({
                "id": str(final["tweet_ID"]), "role": "agent", "author": company, "sent_at": None,
                "text": html.unescape(final.get("url_utterance") or ""), "raw_text": final.get("url_utterance") or "",
            })  # fmt: skip
        return build_conversation(
            {
                "id": str(header["sessionID"]),
                "source": options.source or self.name,
                "channel": "twitter",
                "created_at": header.get("conversationDateTime"),
                "customer": {"id": customer},
                "team": company,
                "assignee": {"id": company} if company else None,
                "messages": messages,
            },
            location,
        )
