"""Static word vectors for the reply classifiers: every entry of the vocabulary of the sentence model
all-MiniLM-L6-v2 (Apache-2.0) embedded on its own and reduced by PCA. ``scripts/build_word_vectors.py`` builds
the table once (it needs torch and the model, the ``vectors`` extra); ``models/word-vectors-v1/`` ships it
(``vectors.npz`` and a ``card.json``). Scoring only looks words up in the table: no torch, nothing downloaded.

A word outside the vocabulary is split into the vocabulary's word pieces (WordPiece: the longest known
prefix, then the longest known ``##`` continuation, and so on), as the model itself reads it. A text's vector
is the weighted mean of its pieces' vectors; the weights (smooth inverse frequency, fitted on the training
replies by ``ReplyFeaturizer``) let rare, telling pieces count more than "the" or "to"."""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from qa_toolkit.errors import QAError
from qa_toolkit.settings import ROOT

VECTORS_NAME = "word-vectors-v1"
VECTORS_PATH = ROOT / "models" / VECTORS_NAME / "vectors.npz"
LOOKUP_VERSION = 2  # how words become pieces; a fitted featurizer refuses another version (retrain)
_MAX_WORD = 100  # the model reads a longer word as unknown ([UNK]); so do we
CACHED_WORDS = 100_000  # the words whose pieces are remembered (then all forgotten, and found again when met)
_SKIPPED = frozenset({"URL", "HANDLE", "SIGNOFF"})  # clean_for_model's placeholders say nothing of the topic
_DIGIT = re.compile(r"\d")
# CJK ideographs: the model reads each one as a word of its own (BERT's basic tokenizer)
_CJK = re.compile("([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f])")


def normalise(word: str) -> str:
    """A word as the (uncased) model's vocabulary spells it: lower case, accents stripped ("désolé" ->
    "desole"), as BERT's basic tokenizer does before looking words up."""
    word = word.lower()
    if word.isascii():
        return word
    return "".join(ch for ch in unicodedata.normalize("NFD", word) if unicodedata.category(ch) != "Mn")


@dataclass
class WordVectors:
    """The table: ``words[i]`` (a vocabulary entry; ``##`` marks a continuation piece) has vector
    ``table[i]``."""

    words: list[str]
    table: np.ndarray  # float32, one row per word
    digest: str  # of the file it was read from: the fitted featurizer checks it
    index: dict[str, int] = field(init=False, repr=False)
    _as_written: dict[str, tuple[int, ...]] = field(init=False, repr=False, default_factory=dict)  # piece_counts

    def __post_init__(self) -> None:
        self.index = {w: i for i, w in enumerate(self.words)}

    @property
    def dims(self) -> int:
        return int(self.table.shape[1])

    def pieces(self, word: str) -> tuple[int, ...]:
        """The rows of a word as the model reads it (``normalise``d; CJK ideographs one by one): itself when
        known, else its word pieces; () when it cannot be split into known pieces."""
        found: tuple[int, ...] = ()
        for part in _CJK.split(normalise(word)):
            if part:
                row = self.index.get(part)
                found += (row,) if row is not None else () if len(part) > _MAX_WORD else self._word_pieces(part)
        return found

    def _word_pieces(self, word: str) -> tuple[int, ...]:
        rows: list[int] = []
        start = 0
        while start < len(word):
            end = len(word)
            while end > start:
                row = self.index.get(word[start:end] if start == 0 else "##" + word[start:end])
                if row is not None:
                    rows.append(row)
                    break
                end -= 1
            else:
                return ()
            start = end
        return tuple(rows)

    def piece_counts(self, texts_words: Sequence[Sequence[str]]) -> sp.csr_matrix:
        """Each text's pieces (a row per text, a column per table row) from its words as written: a word
        counts once, shared among its pieces (so a name cut into five pieces does not count five times).
        Words with digits (order numbers, times, prices) and the placeholders are left out: they say
        nothing of what the reply is about, and as pieces ("48", "##21") they would say something wrong.
        Each word's pieces are cached as written (bounded: forgotten and found again past ``CACHED_WORDS``)."""
        cached = self._as_written
        batch: dict[str, int] = {}  # each distinct word of the batch -> its number
        ids = [batch.setdefault(word, len(batch)) for words in texts_words for word in words]
        found: list[tuple[int, ...]] = []
        for word in batch:
            pieces = cached.get(word)
            if pieces is None:
                if len(cached) > CACHED_WORDS:
                    cached.clear()
                skip = word in _SKIPPED or _DIGIT.search(word) is not None
                pieces = cached[word] = () if skip else self.pieces(word)
            found.append(pieces)
        # every word's pieces in the batch's order, without a Python step per word: the distinct words'
        # pieces laid end to end, then picked out by where each word's run starts
        sizes = np.fromiter(map(len, found), dtype=np.int64, count=len(found))
        flat = np.fromiter((row for pieces in found for row in pieces), dtype=np.int64, count=int(sizes.sum()))
        first = np.cumsum(sizes) - sizes
        word_ids = np.asarray(ids, dtype=np.int64)
        k = sizes[word_ids]
        n_words = np.fromiter(map(len, texts_words), dtype=np.int64, count=len(texts_words))
        rows = np.repeat(np.repeat(np.arange(len(texts_words)), n_words), k)
        cols = flat[np.repeat(first[word_ids] - (np.cumsum(k) - k), k) + np.arange(int(k.sum()))]
        data = np.repeat(1.0 / np.maximum(k, 1), k)
        counts = sp.csr_matrix((data, (rows, cols)), shape=(len(texts_words), len(self.words)))
        counts.sum_duplicates()
        return counts

    def means(self, counts: sp.csr_matrix, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each text's weighted mean vector (zeros for a text with no known piece), and which texts had
        one."""
        weighted = counts @ sp.diags(weights)
        total = np.asarray(weighted.sum(axis=1)).ravel()
        out = np.asarray(weighted @ self.table, dtype=np.float64)
        known = total > 0
        out[known] /= total[known, None]
        return out, known


def load_word_vectors(path: Path | None = None) -> WordVectors:
    """The table at ``path`` (default: the shipped one), read once per process; QAError naming the file
    when it is missing or broken."""
    return _load(Path(path or VECTORS_PATH).resolve())


@lru_cache(maxsize=4)
def _load(path: Path) -> WordVectors:
    if not path.exists():
        raise QAError(
            f"{path}: the word vectors the reply classifiers use are missing; they ship with the project "
            "(models/word-vectors-v1/), or rebuild them with scripts/build_word_vectors.py"
        )
    raw = path.read_bytes()  # read once: the digest is of exactly what is loaded
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as data:
            words = [str(w) for w in data["words"].tolist()]
            table = data["vectors"].astype(np.float32)
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        raise QAError(f"{path}: not a word-vector table ({exc or type(exc).__name__})") from exc
    if table.ndim != 2 or len(words) != table.shape[0]:
        raise QAError(f"{path}: {len(words)} words but a table of shape {table.shape}")
    return WordVectors(words, table, hashlib.sha256(raw).hexdigest())
