"""Disjoint sets (union-find) over string keys: which keys end up in one group when pairs of them are joined.
Used to thread e-mails (messages joined by references and keys) and to keep a research conversation's
replies in one cross-validation fold (conversations joined by the tweets they share)."""

from __future__ import annotations


class DisjointSets:
    """Groups of keys, joined pairwise. A group is named by its smallest key, so the names do not depend on
    the order of the joins."""

    def __init__(self) -> None:
        self._parent: dict[str, str] = {}

    def find(self, key: str) -> str:
        """The name of ``key``'s group (a key never joined is a group of its own)."""
        parent = self._parent
        parent.setdefault(key, key)
        while parent[key] != key:
            parent[key] = parent[parent[key]]  # path halving
            key = parent[key]
        return key

    def union(self, a: str, b: str) -> None:
        """Joins the groups of ``a`` and ``b``."""
        a, b = self.find(a), self.find(b)
        if a != b:
            self._parent[max(a, b)] = min(a, b)
