"""The JSON Schema of the stack files (schema/stack-settings.schema.json): generated from the settings' models,
named by every committed stack file, and every committed stack file valid against it."""

from __future__ import annotations

import copy
import json

import pytest
import yaml
from jsonschema import Draft202012Validator

from mocking import PROJECT
from tools.docs import settings_schema

STACK_FILES = sorted(p for p in PROJECT.glob("Pulumi.*.yaml") if not p.name.startswith("Pulumi.it-"))
LINE = "# yaml-language-server: $schema=./schema/stack-settings.schema.json"


def validator() -> Draft202012Validator:
    schema = json.loads(settings_schema.OUT.read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def problems(document: dict) -> list[str]:
    return sorted(f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in validator().iter_errors(document))


def test_the_committed_schema_is_what_the_models_give():
    assert settings_schema.OUT.read_text() == settings_schema.rendered(), \
        "schema/stack-settings.schema.json is stale: run `.venv/bin/python -m tools.docs.settings_schema`"


def test_there_are_committed_stack_files():
    assert {p.name for p in STACK_FILES} == {"Pulumi.bridge.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml", "Pulumi.staging.yaml",
                                             "Pulumi.local-secure.yaml"}


@pytest.mark.parametrize("path", STACK_FILES, ids=lambda p: p.name)
def test_each_committed_stack_file_names_the_schema_and_is_valid(path):
    assert path.read_text().splitlines()[0] == LINE
    assert problems(yaml.safe_load(path.read_text())) == []


@pytest.mark.parametrize("section,key,value,says", [
    ("topics", "partitons", 3, "Additional properties are not allowed ('partitons' was unexpected)"),
    ("cluster", "securityProtocol", "SASL_SSl", "'SASL_SSl' is not one of"),
    ("topics", "protect", "yes", "'yes' is not of type 'boolean'"),
    ("access", "createScramUsers", 1, "1 is not of type 'boolean'"),
])
def test_an_editor_flags_a_typo_or_a_wrong_type(section, key, value, says):
    document = copy.deepcopy(yaml.safe_load((PROJECT / "Pulumi.staging.yaml").read_text()))
    document["config"][f"evidentsource-kafka:{section}"][key] = value
    assert any(says in p for p in problems(document)), problems(document)


def test_a_retention_without_its_unit_and_an_unknown_key_of_this_project_are_flagged():
    document = copy.deepcopy(yaml.safe_load((PROJECT / "Pulumi.staging.yaml").read_text()))
    document["config"]["evidentsource-kafka:topics"]["perTopic"] = {"databaseEvents": {"retention": 7}}
    document["config"]["evidentsource-kafka:clustr"] = {}
    document["config"]["aws:region"] = "us-east-1"  # another package's key is its own business
    found = problems(document)
    assert any(p.endswith("retention: 7 is not valid under any of the given schemas") for p in found), found
    assert any("'evidentsource-kafka:clustr' does not match" in p for p in found), found
    assert not any("aws:region" in p for p in found)
