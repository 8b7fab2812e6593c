"""The JSON Schema of a stack file (Pulumi.<stack>.yaml), generated from the settings' pydantic models.

    .venv/bin/python -m tools.docs.settings_schema          # writes schema/stack-settings.schema.json
    .venv/bin/python -m tools.docs.settings_schema --check  # exit 1 if the committed file differs

Each committed stack file names it on its first line (`# yaml-language-server: $schema=...`), so an
editor with the YAML language server flags `topics.partitons` or `retention: 7` (a number where a
string with a unit is expected) as it is typed. Each setting's description is the comment next to
its field in components/config/schema.py: one source for the program, the schema and the handbook.
Relational rules (e.g. min ISR at most the replication factor) are the program's: the schema holds
what one value alone must be.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import sys
import tokenize
from pathlib import Path
from typing import Any

from components.config import schema
from components.model.names import NAMESPACE

OUT = Path(__file__).resolve().parents[2] / "schema" / "stack-settings.schema.json"
SECURE = {"type": "object", "properties": {"secure": {"type": "string"}}, "required": ["secure"],
          "additionalProperties": False, "description": "set with `pulumi config set --secret`"}
SECRET_DESCRIPTIONS = {
    "saslPassword": "Pulumi's own SASL password (with cluster.saslUsername); secret",
    "saslJaasConfig": "Pulumi's own login as a JAAS line (the seed's KafkaSaslJaasConfig); secret",
    "principalPasswords": "each principal's SCRAM password, by user name (access.createScramUsers); secret",
}


def field_comments() -> dict[str, dict[str, str]]:
    """Class name -> field name -> the comment on its line (or the comment lines right above it)."""
    source = Path(schema.__file__).read_text()
    found: dict[str, dict[str, str]] = {}
    current, above = None, []
    lines = source.splitlines()
    comments = {tok.start[0]: tok.string.lstrip("#").strip()
                for tok in tokenize.generate_tokens(io.StringIO(source).readline) if tok.type == tokenize.COMMENT}
    for number, line in enumerate(lines, start=1):
        if match := re.match(r"^class (\w+)\(", line):
            current, above = match.group(1), []
        elif current and (match := re.match(r"^    (\w+): ", line)):
            text = comments.get(number) or " ".join(above)
            if text:
                found.setdefault(current, {})[match.group(1)] = text
            above = []
        elif line.strip().startswith("#") and current:
            above.append(comments.get(number, ""))
        elif not line.strip():
            above = []
    return found


def _described(document: dict[str, Any], comments: dict[str, dict[str, str]]) -> None:
    """Put each field's comment into its property as `description`; drop pydantic's generated titles."""
    for name, definition in [*document.get("$defs", {}).items(), (document.get("title"), document)]:
        fields = comments.get(name or "", {})
        model = getattr(schema, name or "", None)
        for prop_name, prop in definition.get("properties", {}).items():
            prop.pop("title", None)
            field = next((f for f, info in (model.model_fields.items() if model else ())
                          if (info.alias or f) == prop_name), None)
            if field and field in fields:
                prop["description"] = fields[field]
        definition.pop("title", None)


def build() -> dict[str, Any]:
    comments = field_comments()
    properties: dict[str, Any] = {}
    defs: dict[str, Any] = {}
    for key, model in schema.SECTIONS.items():
        document = model.model_json_schema(by_alias=True, ref_template="#/$defs/{model}")
        document["title"] = model.__name__
        _described(document, comments)
        defs.update(document.pop("$defs", {}))
        defs[model.__name__] = document
        properties[f"{NAMESPACE}:{key}"] = {"$ref": f"#/$defs/{model.__name__}"}
    for key in schema.SECRET_KEYS:
        value = {"anyOf": [SECURE, {"type": "string"}]}
        if key == "principalPasswords":
            value = {"type": "object", "additionalProperties": {"anyOf": [SECURE, {"type": "string"}]}}
        properties[f"{NAMESPACE}:{key}"] = {**value, "description": SECRET_DESCRIPTIONS[key]}
    known = "|".join(re.escape(k) for k in [*schema.SECTIONS, *schema.SECRET_KEYS])
    config = {"type": "object", "properties": properties,
              # Another package's keys (aws:region, ...) are theirs; in this one, only what the program reads.
              "propertyNames": {"pattern": f"^(?!{re.escape(NAMESPACE)}:)|^{re.escape(NAMESPACE)}:({known})$"}}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "stack-settings.schema.json",
            "title": f"{NAMESPACE} stack settings (Pulumi.<stack>.yaml)",
            "description": "Generated from components/config/schema.py by tools/docs/settings_schema.py: do not edit.",
            "type": "object",
            "properties": {"config": config, "secretsprovider": {"type": "string"},
                           "encryptedkey": {"type": "string"}, "encryptionsalt": {"type": "string"},
                           "environment": {}},
            "additionalProperties": False,
            "$defs": dict(sorted(defs.items()))}


def rendered() -> str:
    return json.dumps(build(), indent=2, sort_keys=False) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed schema differs")
    args = parser.parse_args()
    if args.check:
        if not OUT.exists() or OUT.read_text() != rendered():
            sys.exit(f"{OUT} is not what the models give: run `.venv/bin/python -m tools.docs.settings_schema`")
        return
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(rendered())
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
