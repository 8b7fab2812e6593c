"""Check that our kafka provider's schema matches the installed pulumi_kafka SDK.

Usage (with the project's virtualenv, which has pulumi and pulumi_kafka):

    .venv/bin/python tools/toolchain/kafka-provider/check_schema.py --binary OUTDIR/pulumi-resource-kafka
    .venv/bin/python tools/toolchain/kafka-provider/check_schema.py --schema schema.json

--binary starts the plugin, reads the port it prints, asks it over gRPC for
its plugin info and its schema (so it also proves the binary starts and
answers), then stops it. --schema reads a schema file instead.

What is compared, for the SDK's Topic, Acl, Quota and UserScramCredential
classes, its getTopic/getTopics functions and its Provider class:
  * the resource/function tokens the SDK registers or invokes exist;
  * every input property the SDK sends exists, with the same type, and the
    schema's required inputs are the ones the SDK insists on;
  * every output property the SDK reads exists, with the same type;
  * properties the SDK marks secret are secret in the schema;
  * provider config keys (Provider class and pulumi_kafka.config) exist with
    the same type, and the SDK's client-side defaults match the schema's;
  * package name and version match the SDK's pulumi-plugin.json.
Property names are taken both from the SDK's type annotations and from what
the SDK actually sends when run under Pulumi's mock runtime.

Prints every difference and exits 1 if there is any; exits 0 otherwise.
"""

from __future__ import annotations

import argparse
import collections.abc
import importlib
import inspect
import json
import os
import re
import subprocess
import sys
import tempfile
import types
import typing
from pathlib import Path

import pulumi
import pulumi._types as ptypes
import pulumi_kafka

RESOURCES = {
    # SDK class name -> SDK args class name
    "Topic": "TopicArgs",
    "Acl": "AclArgs",
    "Quota": "QuotaArgs",
    "UserScramCredential": "UserScramCredentialArgs",
}
FUNCTIONS = {
    # SDK module -> (function, result class)
    "get_topic": ("get_topic", "GetTopicResult"),
    "get_topics": ("get_topics", "GetTopicsResult"),
}
PROVIDER_TOKEN = "pulumi:providers:kafka"

SDK_DIR = Path(pulumi_kafka.__file__).parent


class Report:
    def __init__(self) -> None:
        self.diffs: list[str] = []
        self.checked = 0

    def ok(self) -> None:
        self.checked += 1

    def diff(self, msg: str) -> None:
        self.checked += 1
        self.diffs.append(msg)

    def expect(self, cond: bool, msg: str) -> None:
        if cond:
            self.ok()
        else:
            self.diff(msg)


# ---------------------------------------------------------------- schema source


def schema_from_binary(binary: str) -> tuple[dict, str]:
    """Start the plugin, fetch GetPluginInfo + GetSchema over gRPC, stop it."""
    import grpc
    from google.protobuf import empty_pb2
    from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

    home = tempfile.TemporaryDirectory(prefix="kafka-check-home.")
    env = dict(os.environ, PULUMI_HOME=home.name)
    proc = subprocess.Popen(
        [binary],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        line = proc.stdout.readline().strip()
        if not line.isdigit():
            err = proc.stderr.read() if proc.poll() is not None else ""
            raise SystemExit(
                f"check_schema: {binary} did not print a port (got {line!r}) {err}"
            )
        print(f"plugin started, listening on port {line}")
        channel = grpc.insecure_channel(f"127.0.0.1:{line}")
        grpc.channel_ready_future(channel).result(timeout=30)
        stub = provider_pb2_grpc.ResourceProviderStub(channel)
        info = stub.GetPluginInfo(empty_pb2.Empty(), timeout=30)
        resp = stub.GetSchema(provider_pb2.GetSchemaRequest(version=0), timeout=60)
        channel.close()
        return json.loads(resp.schema), info.version
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        home.cleanup()


# ---------------------------------------------------------------- type shapes
#
# Both sides are reduced to a small canonical form:
#   "string" | "integer" | "boolean" | "number" | "any"
#   ("array", inner) | ("map", inner) | ("ref", name)


def schema_shape(spec: dict, schema: dict):
    if "$ref" in spec:
        ref = spec["$ref"]
        if ref.startswith("pulumi.json#/"):
            return "any" if ref.endswith("/Any") else ("ref", ref)
        token = ref.split("/types/", 1)[-1]
        return ("ref", token.rsplit(":", 1)[-1])
    t = spec.get("type")
    if t == "array":
        return ("array", schema_shape(spec.get("items", {}), schema))
    if t == "object":
        return ("map", schema_shape(spec.get("additionalProperties", {"type": "string"}), schema))
    if t in ("string", "integer", "boolean", "number"):
        return t
    return ("unknown", json.dumps(spec, sort_keys=True))


_PRIMS = {str: "string", int: "integer", bool: "boolean", float: "number"}


def py_shape(tp):
    """Reduce an SDK annotation (pulumi.Input[Optional[...]] etc.) to a shape."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is pulumi.Output and args:  # resource output getters
        return py_shape(args[0])
    if origin in (typing.Union, types.UnionType):
        kept = []
        for a in args:
            if a is type(None):
                continue
            o = typing.get_origin(a)
            if o in (collections.abc.Awaitable, pulumi.Output) or a is pulumi.Output:
                continue
            kept.append(a)
        shapes = {repr(py_shape(a)) for a in kept}
        if len(shapes) == 1:
            return py_shape(kept[0])
        return ("unknown", repr(tp))
    if origin in (collections.abc.Sequence, list, tuple, collections.abc.MutableSequence):
        return ("array", py_shape(args[0]) if args else "any")
    if origin in (collections.abc.Mapping, dict, collections.abc.MutableMapping):
        return ("map", py_shape(args[1]) if len(args) == 2 else "any")
    if tp in _PRIMS:
        return _PRIMS[tp]
    if tp is typing.Any:
        return "any"
    if inspect.isclass(tp):
        name = tp.__name__
        for suffix in ("Result", "Args"):
            if name.endswith(suffix) and name != suffix:
                name = name[: -len(suffix)]
        return ("ref", name[0].lower() + name[1:])
    return ("unknown", repr(tp))


def norm_ref(shape):
    """Compare refs by lower-camel type name (schema token vs SDK class)."""
    if isinstance(shape, tuple):
        if shape[0] == "ref":
            n = shape[1]
            return ("ref", n[0].lower() + n[1:])
        return (shape[0], norm_ref(shape[1]))
    return shape


# pulumi.Input[T] refers to "Output[T]" by a forward reference.
_LOCALNS = {"Output": pulumi.Output, "T": typing.TypeVar("T")}


def getter_props(cls) -> dict[str, tuple[str, object]]:
    """pulumi name -> (python name, shape) for the @pulumi.getter properties."""
    out = {}
    module = sys.modules[cls.__module__]
    for py_name, pulumi_name, prop in ptypes._py_properties(cls):
        hints = typing.get_type_hints(prop.fget, globalns=vars(module), localns=_LOCALNS)
        out[pulumi_name] = (py_name, py_shape(hints.get("return", typing.Any)))
    return out


# ---------------------------------------------------------------- mock capture


def sample_value(shape):
    if shape == "string":
        return "x"
    if shape == "integer":
        return 3
    if shape == "boolean":
        return True
    if shape == "number":
        return 1.5
    if isinstance(shape, tuple) and shape[0] == "array":
        v = sample_value(shape[1])
        return None if v is None else [v]
    if isinstance(shape, tuple) and shape[0] == "map":
        v = sample_value(shape[1])
        return None if v is None else {"k": v}
    return None


def capture_with_mocks(sdk_inputs: dict[str, dict]) -> tuple[dict, dict]:
    """Construct every resource (all inputs set) under mocks; return what was sent."""
    sent_resources: dict[str, set[str]] = {}
    sent_calls: dict[str, set[str]] = {}

    class Mocks(pulumi.runtime.Mocks):
        def new_resource(self, args: pulumi.runtime.MockResourceArgs):
            sent_resources.setdefault(args.typ, set()).update(args.inputs.keys())
            return [args.name + "-id", dict(args.inputs)]

        def call(self, args: pulumi.runtime.MockCallArgs):
            sent_calls.setdefault(args.token, set()).update(args.args.keys())
            return {}

    pulumi.runtime.set_mocks(Mocks(), project="check", stack="check", preview=False)

    @pulumi.runtime.test
    def run():
        outs = []
        for cls_name, props in sdk_inputs.items():
            cls = getattr(pulumi_kafka, cls_name)  # resource classes and Provider
            kwargs = {}
            for py_name, shape in props.values():
                v = sample_value(shape)
                if v is not None:
                    kwargs[py_name] = v
            r = cls(f"check-{cls_name.lower()}", **kwargs)
            outs.append(r.urn)
        outs.append(pulumi_kafka.get_topic_output(name="x"))
        outs.append(pulumi_kafka.get_topics_output())
        return pulumi.Output.all(*outs)

    run()
    return sent_resources, sent_calls


# ---------------------------------------------------------------- checks


def compare_props(rep, where, sdk_props, schema_props, schema):
    for name, (py_name, shape) in sorted(sdk_props.items()):
        spec = schema_props.get(name)
        if spec is None:
            rep.diff(f"{where}: SDK property '{name}' ({py_name}) is missing from the schema")
            continue
        got = norm_ref(schema_shape(spec, schema))
        want = norm_ref(shape)
        rep.expect(
            got == want,
            f"{where}: property '{name}' has type {got} in the schema, SDK uses {want}",
        )


def required_by_sdk(cls) -> set[str]:
    """Python names the SDK raises 'Missing required property' for."""
    src = inspect.getsource(cls._internal_init)
    return set(re.findall(r"Missing required property '(\w+)'", src))


def secret_by_sdk(cls) -> set[str]:
    src = inspect.getsource(cls._internal_init)
    names = set()
    for m in re.finditer(r"additional_secret_outputs=\[([^\]]*)\]", src):
        names.update(re.findall(r'"(\w+)"', m.group(1)))
    return names


def sdk_env_defaults(cls) -> dict[str, tuple[list[str], object]]:
    """python name -> (env vars, fallback) from 'if x is None: x = (get_env(..) or v)'."""
    src = inspect.getsource(cls._internal_init)
    out = {}
    pat = re.compile(
        r"if (\w+) is None:\s*\n\s*\1 = \(_utilities\.get_env\w*\(([^)]*)\) or (.+?)\)\s*\n"
    )
    for m in pat.finditer(src):
        envs = re.findall(r"'([^']+)'", m.group(2))
        out[m.group(1)] = (envs, eval(m.group(3), {}))  # literal from generated code
    return out


def resource_token(cls) -> str:
    """The token the SDK registers the class under (@pulumi.type_token)."""
    src = inspect.getsource(importlib.import_module(cls.__module__))
    toks = re.findall(r"type_token\(\"([^\"]+)\"\)", src)
    if len(toks) != 1:
        raise SystemExit(f"check_schema: cannot find the type token of {cls.__name__}")
    return toks[0]


def check(schema: dict, plugin_version: str | None) -> Report:
    rep = Report()
    plugin_json = json.loads((SDK_DIR / "pulumi-plugin.json").read_text())

    rep.expect(schema.get("name") == plugin_json["name"],
               f"package name: schema '{schema.get('name')}', SDK '{plugin_json['name']}'")
    rep.expect(schema.get("version") == plugin_json["version"],
               f"package version: schema '{schema.get('version')}', SDK pulumi-plugin.json '{plugin_json['version']}'")
    if plugin_version is not None:
        rep.expect(plugin_version == plugin_json["version"],
                   f"plugin reports version '{plugin_version}', SDK expects '{plugin_json['version']}'")

    resources = schema.get("resources", {})
    functions = schema.get("functions", {})

    # ---- resources
    sdk_inputs_all = {}
    for cls_name, args_name in RESOURCES.items():
        cls = getattr(pulumi_kafka, cls_name)
        args_cls = getattr(pulumi_kafka, args_name)
        token = resource_token(cls)
        where = f"{cls_name} ({token})"
        res = resources.get(token)
        if res is None:
            rep.diff(f"{where}: resource token missing from the schema")
            continue
        rep.ok()

        sdk_in = getter_props(args_cls)
        sdk_inputs_all[cls_name] = sdk_in
        compare_props(rep, f"{where} input", sdk_in, res.get("inputProperties", {}), schema)
        extra = set(res.get("inputProperties", {})) - set(sdk_in)
        rep.expect(not extra, f"{where}: schema inputs the SDK cannot send: {sorted(extra)}")

        py_to_pulumi = {py: pn for pn, (py, _) in sdk_in.items()}
        req_sdk = {py_to_pulumi.get(p, p) for p in required_by_sdk(cls)}
        req_schema = set(res.get("requiredInputs", []))
        rep.expect(req_sdk == req_schema,
                   f"{where}: required inputs differ: schema {sorted(req_schema)}, SDK {sorted(req_sdk)}")

        sdk_out = getter_props(cls)
        compare_props(rep, f"{where} output", sdk_out, res.get("properties", {}), schema)

        secret_schema = {k for k, v in res.get("inputProperties", {}).items() if v.get("secret")}
        secret_sdk = secret_by_sdk(cls)
        rep.expect(secret_sdk == secret_schema,
                   f"{where}: secret properties differ: schema {sorted(secret_schema)}, SDK {sorted(secret_sdk)}")

    # ---- functions
    for mod_name, (fn_name, result_name) in FUNCTIONS.items():
        mod = importlib.import_module(f"pulumi_kafka.{mod_name}")
        toks = set(re.findall(r"invoke(?:_output)?\('([^']+)'", inspect.getsource(mod)))
        if len(toks) != 1:
            rep.diff(f"{fn_name}: could not find one invoke token in the SDK ({toks})")
            continue
        token = toks.pop()
        fn = functions.get(token)
        where = f"{fn_name} ({token})"
        if fn is None:
            rep.diff(f"{where}: function token missing from the schema")
            continue
        rep.ok()
        src = inspect.getsource(getattr(mod, fn_name))
        sent = re.findall(r"__args__\['(\w+)'\]", src)
        sig = inspect.signature(getattr(mod, fn_name))
        hints = typing.get_type_hints(getattr(mod, fn_name), localns=_LOCALNS)
        in_props = fn.get("inputs", {}).get("properties", {})
        sdk_in = {}
        for name in sent:
            py = next((p for p in sig.parameters if p == name or
                       re.sub(r"_(\w)", lambda m: m.group(1).upper(), p) == name), name)
            sdk_in[name] = (py, py_shape(hints.get(py, typing.Any)))
        compare_props(rep, f"{where} input", sdk_in, in_props, schema)
        req_schema = set(fn.get("inputs", {}).get("required", []))
        # The SDK never enforces function inputs client-side; only check that
        # whatever the schema requires is something the SDK can send.
        rep.expect(req_schema <= set(sdk_in),
                   f"{where}: schema requires inputs the SDK cannot send: {sorted(req_schema - set(sdk_in))}")
        result_cls = getattr(mod, result_name)
        compare_props(rep, f"{where} output", getter_props(result_cls),
                      fn.get("outputs", {}).get("properties", {}), schema)

    # ---- object types referenced by function outputs (e.g. getTopics lists)
    from pulumi_kafka import outputs as sdk_outputs
    for cls_name, cls in inspect.getmembers(sdk_outputs, inspect.isclass):
        if cls.__module__ != sdk_outputs.__name__:
            continue
        short = py_shape(cls)[1]
        matches = [t for t in schema.get("types", {}) if norm_ref(("ref", t.rsplit(":", 1)[-1])) == ("ref", short)]
        if len(matches) != 1:
            rep.diff(f"type {cls_name}: expected one schema type named like '{short}', found {matches}")
            continue
        compare_props(rep, f"type {cls_name} ({matches[0]})", getter_props(cls),
                      schema["types"][matches[0]].get("properties", {}), schema)

    # ---- provider
    prov_cls = pulumi_kafka.Provider
    prov_in = getter_props(pulumi_kafka.ProviderArgs)
    provider = schema.get("provider", {})
    compare_props(rep, "Provider input", prov_in, provider.get("inputProperties", {}), schema)
    config_vars = schema.get("config", {}).get("variables", {})
    compare_props(rep, "config", prov_in, config_vars, schema)
    py_to_pulumi = {py: pn for pn, (py, _) in prov_in.items()}
    req_sdk = {py_to_pulumi.get(p, p) for p in required_by_sdk(prov_cls)}
    req_schema = set(provider.get("requiredInputs", []))
    rep.expect(req_sdk == req_schema,
               f"Provider: required inputs differ: schema {sorted(req_schema)}, SDK {sorted(req_sdk)}")
    for py, (envs, fallback) in sdk_env_defaults(prov_cls).items():
        name = py_to_pulumi.get(py, py)
        spec = provider.get("inputProperties", {}).get(name, {})
        got = (spec.get("defaultInfo", {}).get("environment", []), spec.get("default"))
        rep.expect(got == (envs, fallback),
                   f"Provider: default of '{name}' differs: schema {got}, SDK {(envs, fallback)}")
    # keys read by the default provider (pulumi_kafka.config)
    vars_src = (SDK_DIR / "config" / "vars.py").read_text()
    for key in sorted(set(re.findall(r"__config__\.get\w*\('(\w+)'\)", vars_src))):
        rep.expect(key in config_vars, f"config: key '{key}' read by pulumi_kafka.config is missing from the schema")

    # ---- what the SDK really sends (mock runtime)
    sent_res, sent_calls = capture_with_mocks({**sdk_inputs_all, "Provider": prov_in})
    print("mock runtime captured: " + "; ".join(
        f"{tok} <- {len(keys)} properties" for tok, keys in sorted({**sent_res, **sent_calls}.items())))
    targets = {
        cls_name: (resource_token(getattr(pulumi_kafka, cls_name)),
                   resources.get(resource_token(getattr(pulumi_kafka, cls_name)), {}).get("inputProperties", {}),
                   sdk_inputs_all.get(cls_name, {}))
        for cls_name in RESOURCES
    }
    targets["Provider"] = (PROVIDER_TOKEN, provider.get("inputProperties", {}), prov_in)
    for cls_name, (token, schema_in, annotated) in targets.items():
        keys = sent_res.get(token)
        if keys is None:
            rep.diff(f"{cls_name}: mock runtime saw no registration of {token}")
            continue
        missing = keys - set(schema_in)
        rep.expect(not missing, f"{cls_name}: SDK sent properties missing from the schema: {sorted(missing)}")
        unsent = set(annotated) - keys
        rep.expect(not unsent, f"{cls_name}: annotated inputs the SDK did not send under mocks: {sorted(unsent)}")
    for token, keys in sorted(sent_calls.items()):
        fn = functions.get(token)
        if fn is None:
            rep.diff(f"SDK invoked {token}, which is missing from the schema")
            continue
        missing = keys - set(fn.get("inputs", {}).get("properties", {}))
        rep.expect(not missing, f"{token}: SDK sent arguments missing from the schema: {sorted(missing)}")
    rep.expect(len(sent_calls) == len(FUNCTIONS),
               f"mock runtime saw invokes {sorted(sent_calls)}, expected {len(FUNCTIONS)}")
    return rep


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--binary", help="path to pulumi-resource-kafka (asks it for its schema)")
    src.add_argument("--schema", help="path to a schema JSON file")
    opts = ap.parse_args()

    plugin_version = None
    if opts.binary:
        schema, plugin_version = schema_from_binary(opts.binary)
    else:
        schema = json.loads(Path(opts.schema).read_text())

    rep = check(schema, plugin_version)
    sdk_version = json.loads((SDK_DIR / "pulumi-plugin.json").read_text())["version"]
    print(f"compared schema (version {schema.get('version')}) with pulumi_kafka {sdk_version}: "
          f"{rep.checked} checks")
    for d in rep.diffs:
        print(f"DIFF: {d}")
    if rep.diffs:
        print(f"{len(rep.diffs)} difference(s)")
        return 1
    print("no differences")
    return 0


if __name__ == "__main__":
    sys.exit(main())
