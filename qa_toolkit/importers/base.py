"""What every importer shares: options, rejected records, the registry, sniffing and safe file reading."""

from __future__ import annotations

import codecs
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

from pydantic import ValidationError

from qa_toolkit.errors import ImportFileError, UnknownNameError
from qa_toolkit.schema import ConversationIn

FIELD_LIMIT = 16 * 1024 * 1024  # the largest CSV field we accept (a cut-off quote would otherwise eat the file)


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


_MAGIC = {b"BZh": "bz2", b"\x1f\x8b": "gzip", b"\xfd7zXZ\x00": "xz"}


def open_binary(path: Path) -> IO[bytes]:
    """Open ``path`` for reading bytes, decompressing .bz2, .gz and .xz files (sniffed by their magic)."""
    fh = open(path, "rb")  # noqa: SIM115
    magic = fh.read(6)
    fh.seek(0)
    for prefix, kind in _MAGIC.items():
        if magic.startswith(prefix):
            fh.close()
            if kind == "bz2":
                import bz2

                return bz2.open(path, "rb")
            if kind == "gzip":
                import gzip

                return gzip.open(path, "rb")
            import lzma

            return lzma.open(path, "rb")
    return fh


def read_head(path: Path, size: int = 65536) -> bytes:
    """The first ``size`` bytes of a file (decompressed); ImportFileError when it cannot be read."""
    try:
        with open_binary(path) as fh:
            return fh.read(size)
    except FileNotFoundError:
        raise ImportFileError(str(path), "no such file") from None
    except IsADirectoryError:
        raise ImportFileError(str(path), "is a directory, not a file") from None
    except EOFError:
        raise ImportFileError(str(path), "the compressed file is truncated") from None
    except OSError as exc:
        raise ImportFileError(str(path), f"cannot be read ({exc.strerror or exc})") from None


def sniff_format(path: Path) -> Importer:
    """The importer most likely to read ``path``; a clear error when none recognises it."""
    _load_builtin()
    if path.is_dir():  # a folder of files (e-mail): only importers that read folders say yes
        head = b""
    else:
        head = read_head(path)
        if not head.strip():
            raise ImportFileError(str(path), "the file is empty")
    scored = sorted(
        ((imp.sniff(path, head), name) for name, imp in _REGISTRY.items() if ".v" not in name),
        reverse=True,
    )
    best_score, best = scored[0]
    if best_score < 0.3:
        if path.is_dir():
            raise ImportFileError(str(path), "is a directory, and no format reads it (name one with --format)")
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


def open_text(path: Path, *, encoding: str | None = None, newline: str | None = "") -> io.TextIOWrapper:
    """Open a text file for streaming (decompressing .gz/.bz2/.xz): UTF-8 (a BOM is skipped), else the
    encoding ``detect_encoding`` finds. Undecodable bytes later in the file raise UnicodeDecodeError
    while reading: callers turn it into ImportFileError naming the line (``iter_lines`` does)."""
    head = read_head(path)
    if encoding is None:
        encoding = detect_encoding(path, head)
    return io.TextIOWrapper(open_binary(path), encoding=encoding, newline=newline, errors="strict")


def detect_encoding(path: Path, head: bytes) -> str:
    """UTF-8 (with or without BOM) or UTF-16 by BOM; else Windows-1252, the usual encoding of
    spreadsheet and helpdesk exports that are not UTF-8 (short samples fool statistical detectors);
    else what charset-normalizer finds; ImportFileError when nothing fits."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 4 and len(head) >= 65536:  # a character cut by the head's end
            return "utf-8"
    if b"\x00" in head:
        raise ImportFileError(str(path), "not a text file (it contains NUL bytes)")
    decoded = head.decode("utf-8", errors="replace")
    if any(ord(c) > 127 and c != "\ufffd" for c in decoded):
        return "utf-8"  # UTF-8 text with a stray invalid byte: read as UTF-8 so that line is reported
    try:
        head.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(head).best()
    if best is None or best.encoding is None:
        raise ImportFileError(str(path), "not a text file (no text encoding fits its bytes)")
    return best.encoding


def iter_lines(path: Path, *, encoding: str | None = None) -> Iterator[tuple[int, str]]:
    """(line number, line) for a text file, streaming; a decoding error names its line.

    ASCII-compatible encodings are decoded line by line from bytes (so the error is on the right line);
    others (UTF-16) through a text stream."""
    head = read_head(path)
    encoding = encoding or detect_encoding(path, head)
    lineno = 0
    try:
        if codecs.lookup(encoding).name in _ASCII_COMPATIBLE:
            with open_binary(path) as fh:
                for lineno, raw in enumerate(fh, start=1):  # noqa: B007
                    try:
                        yield lineno, raw.decode(encoding)
                    except UnicodeDecodeError as exc:
                        raise ImportFileError(
                            f"{path}:{lineno}", f"bytes that are not valid {exc.encoding} text ({exc.reason})"
                        ) from None
            return
        with open_text(path, encoding=encoding) as text:
            for lineno, line in enumerate(text, start=1):  # noqa: B007
                yield lineno, line
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            f"{path}:{lineno + 1}", f"bytes that are not valid {exc.encoding} text ({exc.reason})"
        ) from None
    except (EOFError, OSError) as exc:  # truncated or corrupt compressed stream
        raise ImportFileError(f"{path}:{lineno + 1}", f"the file is truncated or corrupt ({exc})") from None


_ASCII_COMPATIBLE = frozenset({"utf-8", "utf-8-sig", "cp1252", "latin-1", "iso8859-1", "ascii", "iso8859-15"})
