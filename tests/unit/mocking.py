"""Pulumi mocks for the unit tests: no engine, no plugins, no network.

`RecordingMonitor` keeps every resource registration as the engine would see it: type,
name, inputs (secrets still marked secret) and the options that matter here (provider,
parent, protect, delete_before_replace, retain_on_delete). `run_program` runs the program
(components/program.py, as __main__.py does) under these mocks with a given stack config and
returns the exports. The stack's state is read by the program's own reader, through the engine
invoke the mocks answer (an empty state unless a test's mocks give one); the live cluster is a
stub (`not_read` unless a test gives another).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pulumi
import yaml
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc
from pulumi.runtime import settings as pulumi_settings

from components import program
from components.config.schema import SECRET_KEYS
from components.model.names import NAMESPACE
from components.safety import prior_state
from components.safety.check import Readers
from components.safety.live_cluster import LiveCluster

PROJECT = Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"
CLUSTER_ARN = f"arn:aws:kafka:us-east-1:{ACCOUNT}:cluster/evidentsource-prod/6357e0b2-0e6a-4b86-a0b4-70df934c2e31-5"


@dataclass
class Registration:
    type: str
    name: str
    inputs: dict
    provider: str
    parent: str
    protect: bool
    delete_before_replace: bool
    retain_on_delete: bool
    additional_secret_outputs: list[str] = field(default_factory=list)
    dependencies: list[str] = field(default_factory=list)  # URNs the resource depends on

    def secret(self, key: str) -> bool:
        return rpc.is_rpc_secret(self.inputs.get(key))

    def plain(self, key: str) -> Any:
        return rpc.unwrap_rpc_secret(self.inputs.get(key))


class Mocks(pulumi.runtime.Mocks):
    """State = inputs, plus what AWS would compute (policy ARNs); ids like the providers' own."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        state = {k: rpc.unwrap_rpc_secret(v) for k, v in args.inputs.items()}
        if args.typ == "aws:iam/policy:Policy":
            state["arn"] = f"arn:aws:iam::{ACCOUNT}:policy{state.get('path', '/')}{state['namePrefix']}mock"
            return f"{args.name}-id", state
        if args.typ == "aws:msk/topic:Topic":
            return f"{state['clusterArn']},{state['name']}", state
        return f"{args.name}-id", state

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}


class RecordingMonitor(pulumi_mocks.MockMonitor):
    def __init__(self, mocks: Mocks):
        super().__init__(mocks)
        self.registrations: list[Registration] = []

    def RegisterResource(self, request):
        if request.type != "pulumi:pulumi:Stack":
            self.registrations.append(Registration(
                type=request.type, name=request.name,
                inputs=rpc.deserialize_properties(request.object),
                provider=request.provider, parent=request.parent, protect=request.protect,
                delete_before_replace=request.deleteBeforeReplace, retain_on_delete=request.retainOnDelete,
                additional_secret_outputs=list(request.additionalSecretOutputs),
                dependencies=list(request.dependencies)))
        return super().RegisterResource(request)

    def of_type(self, token: str) -> list[Registration]:
        return [r for r in self.registrations if r.type == token]

    def named(self, name: str) -> Registration:
        (found,) = [r for r in self.registrations if r.name == name]
        return found

    def types(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for r in self.registrations:
            counts[r.type] = counts.get(r.type, 0) + 1
        return counts


def fresh_mocks(mocks: Mocks | None = None, monitor: type[RecordingMonitor] = RecordingMonitor,
                preview: bool = False) -> RecordingMonitor:
    """Fresh mocks, root stack and config (the `monitor` fixture calls this for each test): an update
    unless `preview`, answered by `mocks` (state = inputs by default), recorded by `monitor`."""
    mocks = mocks or Mocks()
    pulumi_settings.ROOT.set(None)
    pulumi.runtime.set_all_config({}, [])
    recording = monitor(mocks)
    pulumi.runtime.set_mocks(mocks, project=NAMESPACE, stack="unit", preview=preview, monitor=recording)
    return recording


def set_stack_config(raw: dict[str, Any], secret: tuple[str, ...] = SECRET_KEYS) -> None:
    """What the engine does with Pulumi.<stack>.yaml: objects as JSON, secrets decrypted and listed."""
    values = {f"{NAMESPACE}:{k}": v if isinstance(v, str) else json.dumps(v) for k, v in raw.items()}
    pulumi.runtime.set_all_config(values, [f"{NAMESPACE}:{k}" for k in secret if k in raw])


def deploy(program: Callable[[], Any]) -> Any:
    """Run a Pulumi program under the mocks; return what it returns, every Output resolved.

    The returned Outputs are awaited before this returns (and so are all resource
    registrations), so tests assert on plain values: no assert hides in an apply that
    might never run, and a value that never resolves fails the test with a KeyError.
    """
    result: dict[str, Any] = {}

    @pulumi.runtime.test
    def body():
        return pulumi.Output.from_input(program()).apply(lambda value: result.setdefault("value", value))

    body()
    return result["value"]


@dataclass
class Exports:
    values: dict[str, Any]
    secret: dict[str, bool]


def not_read(config: Any, with_acls: bool, users: tuple = ()) -> LiveCluster:
    """No cluster in unit tests: as for a cluster this program does not read (so neither refused nor offline)."""
    return LiveCluster(False, "not read: the unit tests stub the live cluster", by_design=True)


def run_program(raw: dict[str, Any], live: Callable[[Any, bool], LiveCluster] = not_read) -> Exports:
    """Run the program with this stack config and live-cluster reader; return its exports, resolved."""
    set_stack_config(raw)

    def body():
        program.declare(Readers(live, prior_state.read))
        outputs = dict(pulumi.runtime.get_root_resource().outputs)
        return {"values": outputs, "secret": {k: is_secret(pulumi.Output.from_input(v)) for k, v in outputs.items()}}

    resolved_exports = deploy(body)
    return Exports(resolved_exports["values"], resolved_exports["secret"])


def stack_file(name: str, replacements: dict[str, str] | None = None) -> dict[str, Any]:
    """A real Pulumi.<name>.yaml as raw config (namespace stripped), placeholders replaced."""
    text = (PROJECT / f"Pulumi.{name}.yaml").read_text()
    for placeholder, value in (replacements or {}).items():
        assert placeholder in text, f"{placeholder} no longer in Pulumi.{name}.yaml: update the test"
        text = text.replace(placeholder, value)
    config = yaml.safe_load(text)["config"]
    assert all(k.startswith(f"{NAMESPACE}:") for k in config), "every key of a stack file is namespaced"
    return {k.split(":", 1)[1]: v for k, v in config.items()}


def is_secret(output: pulumi.Output) -> pulumi.Output[bool]:
    return pulumi.Output.from_input(output.is_secret())
