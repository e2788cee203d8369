"""One exception hierarchy; every message says what was wrong and, where it helps, what is valid."""

from __future__ import annotations


class QAError(Exception):
    """Base class for every error qa_toolkit raises on purpose."""


class UnknownNameError(QAError, KeyError):
    """A registry lookup for a name that is not registered."""

    def __init__(self, kind: str, name: str, valid: list[str]) -> None:
        self.kind, self.name, self.valid = kind, name, valid
        super().__init__(f"unknown {kind} {name!r}; valid: {', '.join(valid)}")

    def __str__(self) -> str:  # KeyError would otherwise repr() the message
        return self.args[0]

    def __reduce__(self):  # type: ignore[no-untyped-def]  # picklable (errors cross the import worker's queue)
        return (type(self), (self.kind, self.name, self.valid))


class ImportFileError(QAError):
    """A file that cannot be imported at all, or a record in it that is invalid.

    ``location`` is ``path`` or ``path:line`` (``path:record N`` where a format has no lines).
    """

    def __init__(self, location: str, reason: str) -> None:
        self.location, self.reason = location, reason
        super().__init__(f"{location}: {reason}")

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (type(self), (self.location, self.reason))


class StoreError(QAError):
    """The database could not be opened or written."""
