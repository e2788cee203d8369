"""What every importer shares: options, rejected records, the registry, sniffing and safe file reading."""

from __future__ import annotations

import codecs
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from pydantic import ValidationError

from qa_toolkit.errors import ImportFileError, UnknownNameError
from qa_toolkit.schema import ConversationIn


@dataclass(frozen=True)
class ImportOptions:
    """Per-run settings an importer may use; each importer documents which ones it reads."""

    tz: str = "UTC"  # zone for naive timestamps (CSV)
    support_addresses: tuple[str, ...] = ()  # e-mail: addresses or @domains that are the support side
    column_map: dict[str, str] = field(default_factory=dict)  # CSV: canonical column -> file column
    unknown_role: str = "error"  # CSV: error | customer | skip
    source: str | None = None  # overrides the source name recorded with each conversation


@dataclass(frozen=True)
class Rejected:
    """A record that could not be turned into a conversation: where it is, and why."""

    location: str
    reason: str

    def __str__(self) -> str:
        return f"{self.location}: {self.reason}"


Item = ConversationIn | Rejected


class Importer(Protocol):
    """Reads one export format. ``read`` streams; it yields a ``Rejected`` for a bad record and
    raises ``ImportFileError`` only when the file as a whole cannot be read."""

    name: str
    description: str

    def sniff(self, path: Path, head: bytes) -> float:
        """How likely (0..1) it is that ``path`` (whose first bytes are ``head``) is this format."""
        ...

    def read(self, path: Path, options: ImportOptions) -> Iterator[Item]:
        """Yield conversations (or rejects) from ``path``."""
        ...


_REGISTRY: dict[str, Importer] = {}


def register_importer(versioned_name: str) -> Callable[[type], type]:
    """Class decorator: register an importer as ``<name>.v<N>``; the plain name maps to the newest N."""

    def deco(cls: type) -> type:
        importer = cls()
        _REGISTRY[versioned_name] = importer
        base, _, version = versioned_name.partition(".v")
        current = _REGISTRY.get(base)
        current_version = int(getattr(current, "_version", 0)) if current else 0
        importer._version = int(version or 1)  # type: ignore[attr-defined]
        if current is None or importer._version >= current_version:  # type: ignore[attr-defined]
            _REGISTRY[base] = importer
        return cls

    return deco


def _load_builtin() -> None:
    from qa_toolkit.importers import load_builtin_importers

    load_builtin_importers()


def importer_names(*, versioned: bool = False) -> list[str]:
    """Registered format names (plain names by default)."""
    _load_builtin()
    return sorted(n for n in _REGISTRY if (".v" in n) == versioned)


def get_importer(name: str) -> Importer:
    """The importer registered under ``name``; UnknownNameError lists the valid names."""
    _load_builtin()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownNameError("format", name, ["auto", *importer_names()]) from None


def read_head(path: Path, size: int = 65536) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(size)
    except FileNotFoundError:
        raise ImportFileError(str(path), "no such file") from None
    except IsADirectoryError:
        raise ImportFileError(str(path), "is a directory, not a file") from None
    except OSError as exc:
        raise ImportFileError(str(path), f"cannot be read ({exc.strerror or exc})") from None


def sniff_format(path: Path) -> Importer:
    """The importer most likely to read ``path``; a clear error when none recognises it."""
    head = read_head(path)
    if not head.strip():
        raise ImportFileError(str(path), "the file is empty")
    _load_builtin()
    scored = sorted(
        ((imp.sniff(path, head), name) for name, imp in _REGISTRY.items() if ".v" not in name),
        reverse=True,
    )
    best_score, best = scored[0]
    if best_score < 0.3:
        raise ImportFileError(
            str(path),
            "format not recognised; name one with --format " + "|".join(importer_names()),
        )
    return _REGISTRY[best]


def validation_reason(exc: ValidationError) -> str:
    """A one-line reason from a pydantic error: the field path and what was wrong."""
    parts = []
    for err in exc.errors()[:3]:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "__root__")
        msg = err.get("msg", "invalid").removeprefix("Value error, ")
        parts.append(f"{loc}: {msg}" if loc else msg)
    more = exc.error_count() - len(parts)
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def build_conversation(record: dict[str, Any], location: str) -> Item:
    """Validate a canonical-shaped dict into a ConversationIn, or a Rejected naming why."""
    try:
        return ConversationIn.model_validate(record)
    except ValidationError as exc:
        return Rejected(location, validation_reason(exc))
    except (ValueError, TypeError) as exc:
        return Rejected(location, str(exc))


def open_text(path: Path, *, encoding: str | None = None) -> io.TextIOBase:
    """Open a text file for streaming: UTF-8 (a BOM is skipped); when the start is not valid UTF-8,
    the encoding charset-normalizer detects. Undecodable bytes later raise ImportFileError through
    ``iter_lines``."""
    head = read_head(path)
    if encoding is None:
        encoding = detect_encoding(path, head)
    return open(path, encoding=encoding, newline="", errors="strict")  # noqa: SIM115


def detect_encoding(path: Path, head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 4:  # a character cut by the head's end
            return "utf-8"
    from charset_normalizer import from_bytes

    best = from_bytes(head).best()
    if best is None or best.encoding is None:
        raise ImportFileError(str(path), "not a text file (no text encoding fits its bytes)")
    return best.encoding


def iter_lines(path: Path, *, encoding: str | None = None) -> Iterator[tuple[int, str]]:
    """(line number, line) for a text file, streaming; decoding errors name the line."""
    lineno = 0
    try:
        with open_text(path, encoding=encoding) as fh:
            for lineno, line in enumerate(fh, start=1):  # noqa: B007
                yield lineno, line
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            f"{path}:{lineno + 1}", f"bytes that are not valid {exc.encoding} text ({exc.reason})"
        ) from None
