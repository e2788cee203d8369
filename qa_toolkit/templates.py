"""Template mining: near-duplicate agent replies found over a whole input, in bounded memory.

A reply is reduced to a skeleton (lowercase words; handles, URLs, sign-off initials, numbers, identifiers,
e-mail addresses and the name after a greeting replaced by placeholders), then to the set of its word
bigrams. Replies whose bigram sets have a Jaccard similarity of at least ``min_similarity`` belong to one
template. Candidates are found with MinHash locality-sensitive hashing (8 bands of 3 hashes), so a reply is
compared with a few representatives, never with every earlier reply.

Memory stays bounded: at most ``max_clusters`` candidate templates are kept; when there are more, the
candidates seen only once are dropped (lossy counting), so counts of templates that first appear late in a
very large file can be a little low. A template is named by its representative (first seen) reply.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from qa_toolkit.normalise import SIGN_OFF_TAIL

_URL = re.compile(r"https?://\S+|www\.\S+")
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.]+\b")
_HANDLE = re.compile(r"(?<![\w.])@\w+|__cust__|__company__")
_SIGN_OFF = SIGN_OFF_TAIL  # the sign-off as the models and the rules read it
_GREETING_NAME = re.compile(
    r"\b((?i:hi|hello|hey|dear|thanks|thank you|hiya|morning|afternoon|evening)),?\s+[A-Z][a-z]+"
)
_ID = re.compile(r"\b(?=[A-Za-z0-9]*\d)[A-Za-z0-9-]{3,}\b")
_NUM = re.compile(r"\d+(?:[.,:]\d+)*")
_WORD = re.compile(r"<\w+>|[a-z']+")

BANDS, ROWS = 8, 3
_PRIME = (1 << 61) - 1
_SEEDS = [(0x9E3779B97F4A7C15 * (i + 1)) % _PRIME | 1 for i in range(BANDS * ROWS)]
_OFFSETS = [(0xC2B2AE3D27D4EB4F * (i + 7)) % _PRIME for i in range(BANDS * ROWS)]


def skeleton(text: str) -> list[str]:
    """The words of a reply with everything that varies from customer to customer replaced."""
    text = text.replace("\u2019", "'")
    text = _URL.sub(" <url> ", text)
    text = _EMAIL.sub(" <email> ", text)
    text = _HANDLE.sub(" ", text)
    text = _SIGN_OFF.sub(" ", text.rstrip())
    text = _GREETING_NAME.sub(lambda m: f"{m.group(1)} <name>", text)
    text = _ID.sub(" <id> ", text)
    text = _NUM.sub(" <num> ", text)
    return _WORD.findall(text.lower())


def shingles(words: list[str]) -> frozenset[str]:
    if len(words) < 2:
        return frozenset(words)
    return frozenset(f"{a} {b}" for a, b in zip(words, words[1:], strict=False))


def _minhash(items: frozenset[str]) -> list[int]:
    hashes = [zlib.crc32(s.encode()) for s in items]
    return [min(((a * h + b) % _PRIME) for h in hashes) for a, b in zip(_SEEDS, _OFFSETS, strict=True)]


def _bands(items: frozenset[str]) -> list[tuple[int, ...]]:
    sig = _minhash(items)
    return [(i, *sig[i * ROWS : (i + 1) * ROWS]) for i in range(BANDS)]


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


@dataclass
class Template:
    """One mined template: a representative reply, how often it was used and by whom."""

    id: int
    name: str
    uses: int = 0
    agents: Counter[str] = field(default_factory=Counter)
    shingles: frozenset[str] = frozenset()

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "uses": self.uses, "agents": dict(self.agents.most_common())}


class _Store:
    """Templates with a band index for candidate lookup."""

    def __init__(self, min_similarity: float, min_words: int) -> None:
        self.min_similarity = min_similarity
        self.min_words = min_words
        self.templates: dict[int, Template] = {}
        self.index: dict[tuple[int, ...], list[int]] = {}
        self._bands: dict[int, list[tuple[int, ...]]] = {}

    def _prepare(self, text: str) -> tuple[frozenset[str], list[tuple[int, ...]]] | None:
        words = skeleton(text)
        if len(words) < self.min_words:
            return None
        items = shingles(words)
        return items, _bands(items)

    def _find(self, items: frozenset[str], bands: list[tuple[int, ...]]) -> Template | None:
        best, best_sim = None, self.min_similarity
        seen: set[int] = set()
        for band in bands:
            for tid in self.index.get(band, ()):
                if tid in seen:
                    continue
                seen.add(tid)
                sim = jaccard(items, self.templates[tid].shingles)
                if sim >= best_sim:
                    best, best_sim = self.templates[tid], sim
        return best


def representative(text: str, limit: int = 140) -> str:
    """A template's name: its first reply, cleaned of handles, URLs and sign-off, shortened."""
    text = _HANDLE.sub(" ", text.replace("\u2019", "'"))
    text = _URL.sub("<link>", text)
    text = _SIGN_OFF.sub("", text.rstrip())
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


class TemplateMiner(_Store):
    """First pass: ``add`` every agent reply of the input; ``index(min_uses)`` gives the templates."""

    def __init__(self, *, min_similarity: float = 0.7, min_words: int = 6, max_clusters: int = 20000) -> None:
        super().__init__(min_similarity, min_words)
        self.max_clusters = max_clusters
        self._next_id = 0
        self.replies = 0

    def add(self, text: str, agent: str | None = None) -> None:
        prepared = self._prepare(text)
        if prepared is None:
            return
        self.replies += 1
        items, bands = prepared
        template = self._find(items, bands)
        if template is None:
            if len(self.templates) >= self.max_clusters:
                self._prune()
            template = Template(self._next_id, representative(text), shingles=items)
            self._next_id += 1
            self.templates[template.id] = template
            self._bands[template.id] = bands
            for band in bands:
                self.index.setdefault(band, []).append(template.id)
        template.uses += 1
        template.agents[agent or "-"] += 1

    def _prune(self) -> None:
        """Drop the least used candidates (those used once; if none, the rarest half)."""
        counts = sorted(t.uses for t in self.templates.values())
        cut = 1 if counts[0] <= 1 else counts[len(counts) // 2]
        for tid in [tid for tid, t in self.templates.items() if t.uses <= cut]:
            del self.templates[tid]
            for band in self._bands.pop(tid):
                ids = self.index.get(band)
                if ids is not None:
                    ids.remove(tid)
                    if not ids:
                        del self.index[band]

    def index_templates(self, *, min_uses: int = 5) -> TemplateIndex:
        """The templates used at least ``min_uses`` times, ready for lookup."""
        return TemplateIndex(
            [t for t in self.templates.values() if t.uses >= min_uses],
            min_similarity=self.min_similarity,
            min_words=self.min_words,
        )


class TemplateIndex(_Store):
    """Second pass: which template (if any) a reply is."""

    def __init__(self, templates: Iterable[Template], *, min_similarity: float, min_words: int) -> None:
        super().__init__(min_similarity, min_words)
        for template in sorted(templates, key=lambda t: (-t.uses, t.id)):
            self.templates[template.id] = template
            for band in _bands(template.shingles):
                self.index.setdefault(band, []).append(template.id)

    def match(self, text: str) -> Template | None:
        prepared = self._prepare(text)
        if prepared is None:
            return None
        return self._find(*prepared)

    def most_used(self, n: int = 20) -> list[Template]:
        return sorted(self.templates.values(), key=lambda t: (-t.uses, t.id))[:n]

    def __len__(self) -> int:
        return len(self.templates)


def mine_templates(
    replies: Iterable[tuple[str, str | None]],
    *,
    min_similarity: float = 0.7,
    min_words: int = 6,
    min_uses: int = 5,
    max_clusters: int = 20000,
) -> TemplateIndex:
    """Templates among ``(text, agent)`` replies (one pass)."""
    miner = TemplateMiner(min_similarity=min_similarity, min_words=min_words, max_clusters=max_clusters)
    for text, agent in replies:
        miner.add(text, agent)
    return miner.index_templates(min_uses=min_uses)
