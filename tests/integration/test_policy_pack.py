"""The policy pack through the real engine: `pulumi preview --policy-pack policy`, as CI runs it.

Quiet on the real stacks' shapes that can run here (dev, and staging on the secure broker);
each mandatory policy that the program's own settings cannot violate is shown firing on a
small program that does (a wildcard ACL principal), the others on stacks of this program
(protection turned off; a production stack with one replica). The prod shape (MSK, IAM) needs
the aws plugin, which this machine cannot build: tests/unit/test_policy_on_stacks.py runs
every guardrail over the resources the program registers for it instead.
"""

from __future__ import annotations

import json
import re
import textwrap
import uuid

import pytest
import yaml
from pulumi import automation as auto

from components.model.names import NAMESPACE
from tests.support.stack_configs import secure_cluster
from tools.cluster import broker
from test_data_safety_messages import PROJECT, Events

pytestmark = pytest.mark.timeout(600)
POLICY_PACK = str(PROJECT / "policy")
PACK_NAME = "evidentsource-kafka-guardrails"


def stack_file(name: str) -> dict:
    config = yaml.safe_load((PROJECT / f"Pulumi.{name}.yaml").read_text())["config"]
    return {k.split(":", 1)[1]: v for k, v in config.items()}


def dev_shape(bootstrap: str, prefix: str) -> dict:
    config = stack_file("dev")
    config["cluster"]["bootstrapServers"] = [bootstrap]
    config["topics"]["namePrefix"] = prefix
    return config


def violations(stack) -> tuple[list, str]:
    """The policy events of a preview with the pack, and the error text if the preview failed."""
    events = Events()
    try:
        stack.preview(policy_packs=[POLICY_PACK], on_event=events)
        return events.policy, ""
    except auto.CommandError as exc:
        return events.policy, str(exc)


def test_quiet_on_the_dev_shape_and_fires_when_topics_are_unprotected(project, plain_broker, prefix):
    stack = project.stack(dev_shape(plain_broker["bootstrap_servers"], prefix))
    try:
        assert violations(stack) == ([], "")
        unprotected = dev_shape(plain_broker["bootstrap_servers"], prefix)
        unprotected["topics"]["protect"] = False
        stack.set_config(f"{NAMESPACE}:topics", auto.ConfigValue(json.dumps(unprotected["topics"])))
        found, error = violations(stack)
        assert {(v.policy_name, v.enforcement_level) for v in found} == {("topics-protected", "mandatory")}
        assert len(found) == 4 and all(v.policy_pack_name == PACK_NAME for v in found)
        assert "preview failed" in error or "mandatory" in error, error
    finally:
        stack.workspace.remove_stack(stack.name, force=True)


def test_fires_on_a_production_stack_with_one_replica(project, plain_broker, prefix):
    stack = project.stack(dev_shape(plain_broker["bootstrap_servers"], prefix), name=f"prod-{uuid.uuid4().hex[:8]}")
    try:
        found, error = violations(stack)
        assert {v.policy_name for v in found} == {"production-durability"} and len(found) == 8  # RF and min ISR
        assert "replication factor 1 in production stack" in found[0].message + found[1].message
        assert error
    finally:
        stack.workspace.remove_stack(stack.name, force=True)


def test_quiet_on_the_staging_shape(project, secure_broker, prefix):
    config = stack_file("staging")
    config["cluster"] |= secure_cluster(secure_broker["bootstrap_servers"])  # the local broker has no TLS
    config["topics"] |= {"namePrefix": prefix, "replicationFactor": 1}  # and one node
    stack = project.stack(config)
    stack.set_config(f"{NAMESPACE}:saslJaasConfig", auto.ConfigValue(
        broker.jaas(secure_broker["admin_password"]), secret=True))
    for user in ("evidentsource", "evidentsource-streams-lambda", "external-consumer", "external-producer"):
        stack.set_config(f"{NAMESPACE}:principalPasswords.{user}", auto.ConfigValue("pw-" + user, secret=True),
                         path=True)
    try:
        found, error = violations(stack)
        assert (found, error) == ([], "")
    finally:
        stack.workspace.remove_stack(stack.name, force=True)


def small_program(tmp_path, source: str):
    """A throwaway stack of a small program in the project's virtualenv (which has the project installed)."""
    (tmp_path / "Pulumi.yaml").write_text(yaml.safe_dump({
        "name": "wildcard-acl", "runtime": {"name": "python", "options": {"virtualenv": str(PROJECT / ".venv")}}}))
    (tmp_path / "__main__.py").write_text(textwrap.dedent(source))
    return auto.create_stack(stack_name=f"it-{uuid.uuid4().hex[:8]}", work_dir=str(tmp_path))


def test_fires_on_a_wildcard_principal(engine_env, plain_broker, tmp_path):
    """The program refuses User:* in its settings, so a small program declares the ACL directly (the earlier
    shape, one pulumi-kafka Acl per binding, which stacks deployed before the role resources still hold)."""
    stack = small_program(tmp_path, f"""
        import pulumi, pulumi_kafka as kafka
        provider = kafka.Provider("kafka", bootstrap_servers=["{plain_broker['bootstrap_servers']}"],
                                  tls_enabled=False, sasl_mechanism="plain", sasl_username="",
                                  sasl_password=pulumi.Output.secret(""))
        kafka.Acl("everyone-reads", acl_principal="User:*", acl_host="*", acl_operation="Read",
                  acl_permission_type="Allow", acl_resource_type="Topic", acl_resource_name="evidentsource-x",
                  resource_pattern_type_filter="Literal", opts=pulumi.ResourceOptions(provider=provider))
        kafka.Acl("named-reads", acl_principal="User:evidentsource", acl_host="*", acl_operation="Read",
                  acl_permission_type="Allow", acl_resource_type="Topic", acl_resource_name="evidentsource-x",
                  resource_pattern_type_filter="Literal", opts=pulumi.ResourceOptions(provider=provider))
    """)
    try:
        found, error = violations(stack)
        assert [(v.policy_name, v.resource_urn.rsplit("::", 1)[1]) for v in found] == [
            ("no-wildcard-principal", "everyone-reads")]
        assert "User:*, i.e. every user" in found[0].message and error
    finally:
        stack.workspace.remove_stack(stack.name, force=True)


def test_fires_on_each_wildcard_binding_of_a_role_resource(engine_env, plain_broker, tmp_path):
    """The same, in the shape the program declares now: one role's bindings in one dynamic resource (the
    program's own RoleAcls class, so the type and the inputs are the program's). A preview creates nothing, so
    the broker is only named, never written to."""
    stack = small_program(tmp_path, f"""
        import pulumi
        from components.model.acl_bindings import AclBinding, as_input
        from components.resources.kafka_acls import RoleAcls

        connection = pulumi.Output.secret({{"bootstrap.servers": "{plain_broker['bootstrap_servers']}"}})

        def role(name, *principals):
            bindings = [as_input(AclBinding(p, op, "Topic", "evidentsource-x", "Literal"))
                        for p in principals for op in ("Read", "Describe")]
            RoleAcls(name, {{"role": name, "bindings": bindings, "keep": [], "connection": connection,
                             "timeoutSeconds": 5}}, pulumi.ResourceOptions(additional_secret_outputs=["connection"]))

        role("acls-everyone", "User:evidentsource", "User:*", "User:ANONYMOUS")
        role("acls-named", "User:evidentsource", "User:external-consumer")
    """)
    try:
        found, error = violations(stack)
        assert [(v.policy_name, v.resource_urn.rsplit("::", 1)[1]) for v in found] == [
            ("no-wildcard-principal", "acls-everyone")] * 4  # Read and Describe, for each of the two principals
        # The engine's message is the policy's description, then the rule's: one per binding, each named.
        granted = [re.findall(r"\(on Topic evidentsource-x\) grants (\S+) to (\S+), i\.e\. every", v.message)
                   for v in found]
        assert sorted(g for (g,) in granted) == sorted((op, p) for p in ("User:*", "User:ANONYMOUS")
                                                       for op in ("Read", "Describe"))
        assert found[0].resource_urn.split("::")[-2].endswith("pulumi-python:dynamic/evidentsource:RoleAcls")
        assert "i.e. every user" in " ".join(v.message for v in found) and error
    finally:
        stack.workspace.remove_stack(stack.name, force=True)
