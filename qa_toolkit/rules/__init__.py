"""Thread rules: small registered functions (``<name>.v<N>``) that return a Flag or abstain.

Importing this package registers every built-in rule; ``base`` holds the contract (Flag, ReplyResult,
BusinessHours, RuleContext, the registry) and ``params`` every rule's named thresholds.
"""

from __future__ import annotations

from qa_toolkit.rules import asking, outcome, replies, reuse, timing, volume  # noqa: F401  (registers the rules)
from qa_toolkit.rules.base import (
    BusinessHours,
    Flag,
    LabelResult,
    ReplyResult,
    RuleContext,
    RuleSpec,
    get_rule,
    register_rule,
    registered_rules,
    validate_params,
)
from qa_toolkit.rules.corpus import Corpus, ExchangeBaselines
from qa_toolkit.rules.params import PARAMS, RuleParams

__all__ = [
    "PARAMS",
    "BusinessHours",
    "Corpus",
    "ExchangeBaselines",
    "Flag",
    "LabelResult",
    "ReplyResult",
    "RuleContext",
    "RuleParams",
    "RuleSpec",
    "get_rule",
    "register_rule",
    "registered_rules",
    "validate_params",
]
