"""Every rule's params model: registered, strict (unknown keys and bad values are errors that name the key)."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from qa_toolkit.errors import QAError, UnknownNameError
from qa_toolkit.rules import PARAMS, get_rule, registered_rules, validate_params

EXPECTED = {
    "long_back_and_forth.v1",
    "long_back_and_forth.v2",
    "slow_first_response.v1",
    "long_customer_wait.v1",
    "auto_reply_only.v1",
    "templated_apology.v1",
    "unfriendly_reply.v1",
    "generic_reply.v1",
    "unresolved_end.v1",
    "repeated_info_request.v1",
    "process_blame.v1",
    "escalation_request.v1",
    "template_reuse.v1",
}


def test_every_rule_is_registered_with_its_params_model() -> None:
    assert EXPECTED <= set(registered_rules())
    for name in EXPECTED:
        spec = get_rule(name)
        assert spec.params is PARAMS[name]
        assert spec.description
        assert isinstance(spec.params(), BaseModel)  # defaults are valid


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_unknown_key_names_the_rule_the_key_and_what_is_allowed(name: str) -> None:
    with pytest.raises(QAError) as err:
        validate_params(name, {"no_such_threshold": 1})
    message = str(err.value)
    assert f"rules.{name}" in message and "'no_such_threshold'" in message and "allowed:" in message
    for key in PARAMS[name].model_fields:
        assert key in message


@pytest.mark.parametrize(
    ("name", "table", "key"),
    [
        ("long_back_and_forth.v1", {"max_exchanges": 0}, "max_exchanges"),
        ("long_back_and_forth.v1", {"percentile": 120}, "percentile"),
        ("long_back_and_forth.v1", {"group_by": ["agent"]}, "group_by"),
        ("slow_first_response.v1", {"max_seconds": -1}, "max_seconds"),
        ("templated_apology.v1", {"min_confidence": 1.5}, "min_confidence"),
        ("template_reuse.v1", {"min_uses": 1}, "min_uses"),
    ],
)
def test_bad_values_name_the_key(name: str, table: dict, key: str) -> None:
    with pytest.raises(QAError) as err:
        validate_params(name, table)
    assert f"rules.{name}.{key}" in str(err.value)


def test_valid_table_overrides_defaults() -> None:
    params = validate_params("long_back_and_forth.v1", {"max_exchanges": 6, "group_by": ["team"]})
    assert params.max_exchanges == 6 and params.group_by == ["team"] and params.percentile == 90


def test_unknown_rule_lists_the_valid_ones() -> None:
    with pytest.raises(UnknownNameError) as err:
        get_rule("nope.v1")
    assert "long_back_and_forth.v1" in str(err.value)
