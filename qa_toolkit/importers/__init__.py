"""Importers: one module per export format, each file -> Iterator[ConversationIn | Rejected],
registered by name (``jsonl``, ``csv``, ``twcs`` ...) and found by ``--format auto`` sniffing."""

from __future__ import annotations

import importlib

from qa_toolkit.importers.base import (
    Importer,
    ImportOptions,
    Item,
    Rejected,
    get_importer,
    importer_names,
    sniff_format,
)

BUILTIN_MODULES = (
    "jsonl",
    "csv_generic",
    "twcs",
    "twcs_airlines",
    "ibm_cdp",
    "zendesk",
    "intercom",
    "freshdesk",
    "helpscout",
    "email",
)

_loaded = False


def load_builtin_importers() -> None:
    """Import the built-in importer modules once (they register themselves)."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    for name in BUILTIN_MODULES:
        try:
            importlib.import_module(f"qa_toolkit.importers.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"qa_toolkit.importers.{name}":
                raise


__all__ = [
    "ImportOptions",
    "Importer",
    "Item",
    "Rejected",
    "get_importer",
    "importer_names",
    "sniff_format",
    "load_builtin_importers",
]
