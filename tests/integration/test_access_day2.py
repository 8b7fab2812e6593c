"""Access that stays exact on day 2, on the three-node TLS cluster, with the real engine and real clients.

Each guarantee of the access layer (resources/kafka_admin.py, safety/access_plan.py) after the first deploy:
- a binding Kafka refuses is named, holds back nothing, is recorded and retried; a run killed after the access
  record was written, then a consumer removed: no grant of it survives; a killed first `up` then `destroy`
  leaves nothing behind;
- rotation: the admin password rotated on the cluster and in the stack, `refresh`, `preview --refresh`,
  `up --refresh` and `destroy` work at once; a principal's password rotated: the new logs in, the old is refused;
  no secret in any output or in the state;
- a rollback to the previous release's program and back, a renamed role resource and a principal moving
  between roles: the declared bindings are on the cluster at every moment (polled with a real client);
- unmanaged removal planned, within what the stack owns; drift seen by a plain preview and by `make drift`;
- principal names and the login's rights checked first; access lost refused unless accepted by name;
- a role of 25,000 bindings converges (requests under the controller's 10,000-record limit).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from pulumi import automation as auto

from components.config import load
from components.kafka import admin as adapter
from components.model import jaas
from components.model.acl_bindings import AclBinding, as_grants, by_role, described
from components.model.names import NAMESPACE
from components.resources.kafka_admin import RoleAclsProvider
from tests.support import throwaway
from tests.support.cluster_view import admin_of, ours, users_of
from test_state_backend import process_tree
from tools.cluster import secure_cluster as cluster_tool
from tools.toolchain import projectenv

pytestmark = pytest.mark.timeout(900)
NS = NAMESPACE
PREVIOUS_RELEASE = "bd798b1"  # the last release before this access layer: role resources with a `bindings` list
WRAPPER = str(projectenv.PROJECT / "tools" / "pulumi")
RECORD = "pulumi-python:dynamic/evidentsource:AccessRecord"
ROLE_ACLS = "pulumi-python:dynamic/evidentsource:RoleAcls"


# --- the test's stacks on the TLS cluster ----------------------------------------------------------------

@pytest.fixture(scope="module")
def secure_cluster(tmp_path_factory):
    """A three-node TLS cluster of this module's own (it shadows the session's): these tests churn SCRAM users and
    tens of thousands of ACL records, and the session's cluster is then restarted node by node by the durability
    tests, whose restarted nodes refused the admin's login while catching up on that metadata."""
    workdir = tmp_path_factory.mktemp("day2-cluster")
    info = cluster_tool.start(workdir, cluster_tool.free_ports())
    yield info
    cluster_tool.stop(workdir)


def cluster_section(info: dict) -> dict:
    return {"bootstrapServers": info["bootstrap_servers"].split(","), "securityProtocol": "SASL_SSL",
            "saslMechanism": "SCRAM-SHA-512", "caCert": info["ca_cert"], "timeoutSeconds": 10}


def settings(info: dict, prefix: str, consumers=("consumer",), **access) -> dict:
    return {"cluster": cluster_section(info),
            "topics": {"namePrefix": prefix, "partitions": 1, "replicationFactor": 3, "protect": False},
            "access": {"createScramUsers": True,
                       "server": {"principals": [f"User:{prefix}server"], "groupPrefix": f"{prefix}server-"},
                       "externalConsumers": {"principals": [f"User:{prefix}{c}" for c in consumers],
                                             "groupPrefix": f"{prefix}ext-"},
                       "externalProducers": {"principals": [f"User:{prefix}producer"]}, **access}}


def password_of(user: str) -> str:
    return f"pw-{user}-1"


def configure(stack, info: dict, raw: dict, login: tuple[str, str] | None = None) -> dict[str, str]:
    """Write the settings (plain) and the secrets: the admin login and each principal's password."""
    for key in ("cluster", "topics", "access"):
        stack.set_config(f"{NS}:{key}", auto.ConfigValue(json.dumps(raw[key])))
    user, password = login or ("admin", info["admin_password"])
    stack.set_config(f"{NS}:saslJaasConfig", auto.ConfigValue(jaas.render("SCRAM-SHA-512", user, password), secret=True))
    users = sorted({p.removeprefix("User:") for role in raw["access"].values() if isinstance(role, dict)
                    for p in role.get("principals", [])})
    passwords = {u: password_of(u) for u in users}
    plain = {f'{NS}:principalPasswords["{u}"]': auto.ConfigValue(pw, secret=True)
             for u, pw in passwords.items() if "=" not in u}
    stack.set_all_config(plain, path=True)  # (set-all takes key=value: a name with '=' goes one by one)
    for u in (u for u in passwords if "=" in u):
        stack.set_config(f'{NS}:principalPasswords["{u}"]', auto.ConfigValue(passwords[u], secret=True), path=True)
    return passwords


def new_stack(project, info: dict, raw: dict, login=None):
    stack = project.stack({k: v for k, v in raw.items()})
    passwords = configure(stack, info, raw, login)
    return stack, passwords


def declared(raw: dict, info: dict) -> set[AclBinding]:
    access = {**raw["access"], "createScramUsers": False, "acceptAccessLoss": []}  # the bindings need no passwords
    config = load.parse({**raw, "access": access, "saslJaasConfig": jaas.render("SCRAM-SHA-512", "admin", "x")})
    return {b for found in by_role(config.access_model()).values() for b in found}


def logs_in(info: dict, user: str, password: str) -> bool:
    client = adapter.client({**cluster_tool.client_config(info), "sasl.username": user, "sasl.password": password},
                            8, shared=False)
    try:
        client.raw.list_topics(timeout=8)
        return True
    except Exception:  # noqa: BLE001 - a refused login surfaces as a metadata failure
        return False


class Poller(threading.Thread):
    """The test's bindings as the brokers have them, every 100 ms until stopped."""

    def __init__(self, info: dict, prefix: str):
        super().__init__(daemon=True)
        self.info, self.prefix = info, prefix
        self.snapshots: list[set[AclBinding]] = []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.snapshots.append(ours(self.info, self.prefix))
            time.sleep(0.1)

    def stop(self) -> list[set[AclBinding]]:
        self.done.set()
        self.join(60)
        return self.snapshots


def never_missing(snapshots: list[set[AclBinding]], wanted: set[AclBinding]) -> None:
    assert len(snapshots) >= 3, "the poller did not run"
    gaps = [sorted(described(b) for b in wanted - seen) for seen in snapshots if wanted - seen]
    assert not gaps, f"declared bindings missing during the run: {gaps[:3]}"


def clean_up(stack, info: dict, prefix: str) -> None:
    """Destroy the stack (topics unprotected), remove it, and delete whatever of the test is left on the cluster."""
    try:
        stack.destroy()
    except auto.CommandError:
        pass
    stack.workspace.remove_stack(stack.name, force=True)
    admin = admin_of(info)
    admin.delete_acls(ours(info, prefix))
    admin.delete_scram(users_of(info, prefix), "SCRAM-SHA-512")
    names = [t for t in admin.raw.list_topics(timeout=20).topics if t.startswith(prefix)]
    for future in (admin.raw.delete_topics(names, operation_timeout=30).values() if names else ()):
        future.result(60)


def failure_of(operation) -> str:
    with pytest.raises(auto.CommandError) as caught:
        operation()
    return str(caught.value)


# --- 1. exact after every run: refused, failed, killed ------------------------------------------------------

RAW_MAIN = """import json
import pulumi
from components.model.acl_bindings import AclBinding, as_grants
from components.resources.kafka_acls import RoleAcls, fail_on_leftovers

config = pulumi.Config()
grants = {AclBinding.from_import_id(i) for i in json.loads(config.require("grants"))}
retire = {AclBinding.from_import_id(i) for i in json.loads(config.get("retire") or "[]")}
role = RoleAcls("acls-probe", {"role": "probe", "grants": as_grants(grants), "bindings": [], "missing": {},
                               "retire": as_grants(retire), "removeUnmanaged": {},
                               "connection": pulumi.Output.secret(json.loads(config.require("connection"))),
                               "timeoutSeconds": 10}, pulumi.ResourceOptions(additional_secret_outputs=["connection"]))
pulumi.Output.all(role.notApplied, role.notDeleted).apply(
    lambda done: fail_on_leftovers("acls-probe", done[0], done[1], ("created", "deleted")))
"""


def test_a_binding_kafka_refuses_is_named_holds_back_nothing_and_is_retried_until_removed(project, secure_cluster,
                                                                                         prefix):
    info = secure_cluster
    (project.root / "__main__.py").write_text(RAW_MAIN)
    good = AclBinding(f"User:{prefix}a", "Read", "Topic", f"{prefix}orders", "Literal")
    other = AclBinding(f"User:{prefix}a", "Read", "Group", f"{prefix}g-", "Prefixed")
    refused = AclBinding(f"User:{prefix}a", "Read", "Topic", "", "Literal")  # Kafka: "Invalid empty resource name"
    stack = project.stack({})
    stack.set_config(f"{NS}:connection", auto.ConfigValue(json.dumps(cluster_tool.client_config(info)), secret=True))

    def ask(grants, retire=()):
        stack.set_config(f"{NS}:grants", auto.ConfigValue(json.dumps([b.import_id for b in grants])))
        stack.set_config(f"{NS}:retire", auto.ConfigValue(json.dumps([b.import_id for b in retire])))
    try:
        ask([good, other, refused])
        for attempt in (1, 2):  # the second run retries exactly what the first could not do
            said = failure_of(stack.up)
            assert "[access:not-exact] acls-probe" in said, said
            assert f"not created: {described(refused)}: Invalid empty resource name" in said, said
            assert described(good) not in said and described(other) not in said
            assert {good, other} <= ours(info, prefix), attempt  # the refused one held back nothing
            (state,) = [r for r in stack.export_stack().deployment["resources"] if r["type"] == ROLE_ACLS]
            assert state["outputs"]["notApplied"] == {described(refused): "Invalid empty resource name"}
            assert info["admin_password"] not in said
        preview = stack.preview()
        assert preview.change_summary.get("update") == 1  # recorded: the plan shows the retry
        ask([other], retire=[good, refused])
        stack.up()
        assert ours(info, prefix) == {other}
        ask([other])  # (the program's plan names a retirement only while the binding is on the cluster)
        assert set(stack.preview().change_summary) == {"same"}
    finally:
        clean_up(stack, info, prefix)


def events_of(path: Path) -> list[dict]:
    found = []
    for line in (path.read_text().splitlines() if path.exists() else []):
        try:
            found.append(json.loads(line))
        except ValueError:
            continue  # a line still being written
    return found


def record_written(path: Path) -> bool:
    return any((e.get("resOutputsEvent") or {}).get("metadata", {}).get("type") == RECORD for e in events_of(path))


def record_saved(stack) -> bool:
    """Whether the file backend's checkpoint holds the access record (read whole: a kill mid-write would truncate it)."""
    backend = projectenv.file_backend_dir(os.environ["PULUMI_BACKEND_URL"])
    for path in backend.glob(f".pulumi/stacks/*/{stack.name}.json"):
        try:
            resources = json.loads(path.read_text())["checkpoint"]["latest"]["resources"]
        except (ValueError, KeyError, TypeError, OSError):
            return False
        return any(r.get("type") == RECORD for r in resources or ())
    return False


def killed_up(stack, engine_env: dict, tmp_path: Path) -> str:
    """`tools/pulumi up` SIGKILLed with its process tree as soon as the access record is written, before the access
    resources have all acted (one step at a time); then its lock cancelled, as after a crashed runner."""
    events, log = tmp_path / f"events-{time.monotonic_ns()}.jsonl", tmp_path / "killed.log"
    root = str(stack.workspace.work_dir)
    with log.open("w") as out:
        run = subprocess.Popen([WRAPPER, "up", "--yes", "--skip-preview", "--parallel", "1", "--event-log", str(events),
                                "--stack", stack.name, "--cwd", root], env={**engine_env, "PULUMI_DEBUG_COMMANDS": "true"},
                               stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 240
    while not (record_written(events) and record_saved(stack)):  # the record in the checkpoint, whole
        assert run.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
        time.sleep(0.01)
    for pid in process_tree(run.pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    run.wait(30)
    cancel = subprocess.run([WRAPPER, "cancel", "--yes", "--stack", stack.name, "--cwd", root], env=engine_env,
                            capture_output=True, text=True, timeout=120)
    assert cancel.returncode == 0, cancel.stdout + cancel.stderr
    return log.read_text()


def test_a_run_killed_mid_way_then_a_consumer_removed_leaves_no_grant_or_login_of_it(project, secure_cluster, prefix,
                                                                                       engine_env, tmp_path):
    info = secure_cluster
    before = settings(info, prefix, consumers=("a",))
    stack, passwords = new_stack(project, info, before)
    try:
        stack.up()
        with_b = settings(info, prefix, consumers=("a", "b"))
        configure(stack, info, with_b)
        killed_up(stack, engine_env, tmp_path)
        # Kafka has all of b's grants and its login, whatever the killed run got to: what a crashed runner leaves.
        b_grants = {b for b in declared(with_b, info) if b.principal == f"User:{prefix}b"}
        admin = admin_of(info)
        assert admin.create_acls(b_grants) == {}
        assert admin.upsert_scram({f"{prefix}b": password_of(f"{prefix}b")}, "SCRAM-SHA-512") == {}
        # The consumer is removed from the stack before any run succeeds.
        configure(stack, info, before)
        stack.remove_config(f"{NS}:principalPasswords.{prefix}b", path=True)
        poller = Poller(info, prefix)
        poller.start()
        stack.up()
        never_missing(poller.stop(), declared(before, info))
        assert ours(info, prefix) == declared(before, info)  # not one grant of b survives
        assert f"{prefix}b" not in users_of(info, prefix)
        assert logs_in(info, f"{prefix}a", passwords[f"{prefix}a"])
        assert set(stack.preview().change_summary) == {"same"}
    finally:
        clean_up(stack, info, prefix)


def test_a_killed_first_up_then_destroy_leaves_nothing_behind(project, secure_cluster, prefix, engine_env, tmp_path):
    info = secure_cluster
    raw = settings(info, prefix)
    stack, passwords = new_stack(project, info, raw)
    try:
        killed_up(stack, engine_env, tmp_path)
        admin = admin_of(info)
        admin.create_acls(declared(raw, info))  # whatever the killed run created, and the rest
        admin.upsert_scram(passwords, "SCRAM-SHA-512")
        stack.destroy()
        assert ours(info, prefix) == set()
        assert users_of(info, prefix) == set()
    finally:
        clean_up(stack, info, prefix)


# --- 2. rotation ----------------------------------------------------------------------------------------------

def pulumi_login(info: dict, prefix: str, password: str) -> tuple[str, str]:
    """A login of the stack's own, not a super user: Alter and Describe on the cluster, everything on its topics."""
    user = f"{prefix}pulumi"
    admin = admin_of(info)
    assert admin.upsert_scram({user: password}, "SCRAM-SHA-512") == {}
    grants = [AclBinding(f"User:{user}", op, "Cluster", "kafka-cluster", "Literal") for op in ("Alter", "Describe")]
    grants.append(AclBinding(f"User:{user}", "All", "Topic", prefix, "Prefixed"))
    assert admin.create_acls(grants) == {}
    return user, password


def wrapped(stack, *args: str) -> subprocess.CompletedProcess:
    """`tools/pulumi <args>` on the test's stack, as a user runs it; fails the test with its output if it fails."""
    done = subprocess.run([WRAPPER, *args, "--stack", stack.name, "--cwd", str(stack.workspace.work_dir)],
                          env=os.environ, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"tools/pulumi {' '.join(args)} failed:\n{done.stdout[-4000:]}{done.stderr[-2000:]}"
    return done


def stored_state(stack) -> str:
    """The stack's checkpoint as the file backend stores it (encrypted secrets; `stack export` would decrypt them)."""
    backend = projectenv.file_backend_dir(os.environ["PULUMI_BACKEND_URL"])
    (path,) = backend.glob(f".pulumi/stacks/*/{stack.name}.json")
    return path.read_text()


def test_rotated_admin_and_principal_passwords_work_at_once_and_stay_secret(project, secure_cluster, prefix):
    info = secure_cluster
    first, second = f"first-{prefix}secret", f"second-{prefix}secret"
    user, _ = pulumi_login(info, prefix, first)
    raw = settings(info, prefix)
    stack, passwords = new_stack(project, info, raw, login=(user, first))
    outputs: list[str] = []
    try:
        outputs.append(stack.up().stdout)
        # The admin password rotated on the cluster, then in the stack.
        assert admin_of(info).upsert_scram({user: second}, "SCRAM-SHA-512") == {}
        stack.set_config(f"{NS}:saslJaasConfig", auto.ConfigValue(jaas.render("SCRAM-SHA-512", user, second),
                                                                  secret=True))
        outputs.append(wrapped(stack, "refresh", "--yes").stdout)  # tools/pulumi, as users run it
        outputs.append(stack.preview(refresh=True).stdout)
        outputs.append(stack.up(refresh=True).stdout)
        # A principal's password rotated in the stack.
        consumer = f"{prefix}consumer"
        stack.set_config(f"{NS}:principalPasswords.{consumer}", auto.ConfigValue("rotated-" + prefix, secret=True),
                         path=True)
        outputs.append(stack.up().stdout)
        assert logs_in(info, consumer, "rotated-" + prefix)
        assert not logs_in(info, consumer, passwords[consumer])
        state = stored_state(stack)
        assert '"ciphertext"' in state
        for secret in (first, second, "rotated-" + prefix, *passwords.values()):
            assert secret not in state, "a secret in the state in plain text"
            assert not any(secret in text for text in outputs), "a secret in an output"
        wrapped(stack, "destroy", "--yes")
        assert {b for b in ours(info, prefix) if b.principal != f"User:{user}"} == set()
        assert users_of(info, prefix) == {user}
    finally:
        clean_up(stack, info, prefix)


# --- 3. rollback, renamed resources, principals moving between roles -----------------------------------------

def install(root: Path, ref: str | None = None, acls_name: str | None = None) -> None:
    """Put the program of a git ref (or the working tree) into the throwaway project; `acls_name` renames the ACL
    component, so every role resource gets another name (the engine creates the new and deletes the old)."""
    import shutil
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        try:
            source = throwaway.copy_program(Path(tmp) / "program", ref)
        except subprocess.CalledProcessError as exc:
            pytest.fail(f"the previous release's program ({ref}) is not in this clone's git history, so the rollback "
                        f"cannot be tried: clone with the full history (not --depth). {exc.stderr!r}", pytrace=False)
        shutil.rmtree(root / "components")
        shutil.copytree(source / "components", root / "components")
        shutil.copy(source / "__main__.py", root / "__main__.py")
    if acls_name:
        names = root / "components" / "model" / "names.py"
        names.write_text(names.read_text().replace('ACLS = "acls"', f'ACLS = "{acls_name}"'))


def test_rollback_and_back_a_renamed_role_resource_and_a_moved_principal_keep_every_grant_at_every_moment(
        project, secure_cluster, prefix):
    info = secure_cluster
    raw = settings(info, prefix, consumers=("consumer", "zz"))
    stack, passwords = new_stack(project, info, raw)
    wanted = declared(raw, info)
    try:
        stack.up()
        steps = [("the previous release over this one", PREVIOUS_RELEASE, None),
                 ("this release over the previous one", None, None),
                 ("the ACL component renamed", None, "access-acls"),
                 ("and back", None, None)]
        for what, ref, rename in steps:
            install(project.root, ref, rename)
            poller = Poller(info, prefix)
            poller.start()
            result = stack.up()
            never_missing(poller.stop(), wanted)
            assert ours(info, prefix) == wanted, what
            assert result.summary.result == "succeeded", what
            for user, password in passwords.items():
                assert logs_in(info, user, password), (what, user)
        assert set(stack.preview().change_summary) == {"same"}
        # The server's principal becomes an external consumer too, then leaves the server role: the binding both
        # roles need (Read on the events topic) moves from the server's resource to the consumers' one.
        moved = settings(info, prefix, consumers=("consumer", "zz", "server"))
        configure(stack, info, moved)
        stack.up()
        only_consumer = settings(info, prefix, consumers=("consumer", "zz", "server"))
        only_consumer["access"]["server"]["principals"] = [f"User:{prefix}other-server"]
        configure(stack, info, only_consumer)
        kept = declared(moved, info) & declared(only_consumer, info)
        assert any(b.principal == f"User:{prefix}server" and b.resource_type == "Topic" for b in kept)
        preview = stack.preview(diff=True)
        # A map diff: each binding gained or lost is named, no list position shuffled.
        assert f"+ User:{prefix}other-server: Allow Read on Topic {prefix}evidentsource-database-events" in preview.stdout
        assert not re.search(r"\[\d+\]: .*Allow|aclPrincipal", preview.stdout), preview.stdout
        poller = Poller(info, prefix)
        poller.start()
        stack.up()
        never_missing(poller.stop(), kept)
        assert ours(info, prefix) == declared(only_consumer, info)
    finally:
        clean_up(stack, info, prefix)


# --- 4-7. drift, planned removal within what the stack owns -------------------------------------------------

def drift_report(stack, engine_env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tools.ops.drift", "--stack", stack.name, "--project-dir",
                           str(stack.workspace.work_dir)], cwd=projectenv.PROJECT, env=engine_env,
                          capture_output=True, text=True, timeout=300)


def test_drift_is_seen_without_refresh_and_unmanaged_bindings_go_only_by_plan_and_only_where_the_stack_owns(
        project, secure_cluster, prefix, engine_env):
    info = secure_cluster
    raw = settings(info, prefix)
    stack, passwords = new_stack(project, info, raw)
    events = f"{prefix}evidentsource-database-events"
    mine = [AclBinding(f"User:{prefix}stranger", "Read", "Topic", events, "Literal"),  # on the stack's topic
            AclBinding(f"User:{prefix}stranger", "Read", "Group", f"{prefix}ext-reports", "Literal")]  # its prefix
    never = [AclBinding(f"User:{prefix}other-team", "Read", "Topic", "*", "Literal"),  # every topic
             AclBinding(f"User:{prefix}other-team", "Read", "Topic", prefix, "Prefixed"),  # reaches beyond the stack
             AclBinding(f"User:{prefix}consumer", "Read", "Topic", f"other-{prefix}orders", "Literal")]  # theirs
    try:
        stack.up()
        assert drift_report(stack, engine_env).returncode == 0
        # By hand: a declared binding and a user deleted, five bindings nobody declared.
        admin = admin_of(info)
        lost = AclBinding(f"User:{prefix}producer", "Write", "Topic", f"{prefix}evidentsource-async-commands", "Literal")
        assert admin.delete_acls([lost]) == {}
        assert admin.delete_scram([f"{prefix}consumer"], "SCRAM-SHA-512") == {}
        assert admin.create_acls(mine + never) == {}
        report = drift_report(stack, engine_env)
        assert report.returncode == 1, report.stdout + report.stderr
        lines = report.stdout.splitlines()
        assert f"missing    ACL User:{prefix}producer Allow Write on Topic '{prefix}evidentsource-async-commands'" in lines
        assert f"missing    SCRAM user '{prefix}consumer' (SCRAM-SHA-512)" in lines
        assert sum(line.startswith("unmanaged  ACL ") for line in lines) == 5, lines  # all touch the stack
        assert lines[-1] == f"drift on stack {stack.name}: 7 difference(s)"
        assert info["admin_password"] not in report.stdout + report.stderr

        # A plain preview (no refresh) shows the repair; the cluster is untouched by it.
        preview = stack.preview(diff=True)
        assert preview.change_summary.get("update", 0) >= 2, preview.change_summary
        assert described(lost) in preview.stdout.split("missing", 1)[1].split("removeUnmanaged", 1)[0], preview.stdout
        assert ours(info, prefix) == (declared(raw, info) - {lost}) | set(mine) | set(never)

        # unmanagedBindings: remove: the plan names exactly the two on what the stack owns.
        raw["access"]["unmanagedBindings"] = "remove"
        configure(stack, info, raw)
        preview = stack.preview(diff=True)
        server = preview.stdout.split("RoleAcls::acls-server]", 1)[1]  # the plan gives removals to the first role
        planned = server.split("removeUnmanaged", 1)[1].split("retire", 1)[0]
        for b in mine:
            assert described(b) in planned, planned
        for b in never:
            assert described(b) not in planned
        said = " ".join((preview.stdout + preview.stderr).split())  # (lines wrap)
        assert said.count("reported, never deleted") >= len(never) and said.count("the plan deletes it") >= len(mine)
        assert ours(info, prefix) == (declared(raw, info) - {lost}) | set(mine) | set(never)  # a preview changes nothing

        poller = Poller(info, prefix)
        poller.start()
        stack.up()
        never_missing(poller.stop(), declared(raw, info) - {lost})
        assert ours(info, prefix) == declared(raw, info) | set(never)
        assert logs_in(info, f"{prefix}consumer", passwords[f"{prefix}consumer"])
        assert set(stack.preview().change_summary) == {"same"}
        report = drift_report(stack, engine_env)
        assert report.returncode == 1 and report.stdout.count("unmanaged  ACL") == 3, report.stdout  # never deleted
        admin.delete_acls(never)
        assert drift_report(stack, engine_env).returncode == 0
    finally:
        clean_up(stack, info, prefix)


# --- 6. names and rights checked first; access lost refused -------------------------------------------------

def test_odd_principal_names_work_end_to_end_or_are_refused_naming_the_rule(project, secure_cluster, prefix):
    info = secure_cluster
    raw = settings(info, prefix, consumers=("app one", "a,b=c@d.e", "~tilde"))
    stack, passwords = new_stack(project, info, raw)
    try:
        stack.up()
        for user, password in passwords.items():
            assert logs_in(info, user, password), user
        assert ours(info, prefix) == declared(raw, info)
        before = ours(info, prefix)
        for odd, rule in ((f"{prefix}é", "outside printable ASCII"), (f"{prefix}a|b", "contains '|'")):
            bad = settings(info, prefix, consumers=("app one", odd))
            configure(stack, info, bad)
            said = failure_of(stack.preview)
            assert rule in said and "access.externalConsumers.principals[1]" in said, said
            assert "Traceback" not in said
            failure_of(stack.up)
            assert ours(info, prefix) == before and not any(odd in u for u in users_of(info, prefix))
    finally:
        clean_up(stack, info, prefix)


def test_access_lost_is_refused_unless_accepted_and_a_login_without_alter_is_refused_first(project, secure_cluster,
                                                                                            prefix):
    info = secure_cluster
    raw = settings(info, prefix)
    stack, passwords = new_stack(project, info, raw)
    try:
        stack.up()
        before, users = ours(info, prefix), users_of(info, prefix)
        off = settings(info, prefix)
        off["access"]["createScramUsers"] = False
        configure(stack, info, off)
        said = failure_of(stack.preview)
        for user in passwords:
            assert f"[access:lost] User:{user} is still listed by the stack, but this run would delete its SCRAM login" \
                   in said, said
        failure_of(stack.up)
        assert (ours(info, prefix), users_of(info, prefix)) == (before, users)
        off["access"]["acceptAccessLoss"] = [f"User:{u}" for u in passwords]
        configure(stack, info, off)
        stack.up()
        assert users_of(info, prefix) == set() and ours(info, prefix) == before
        assert not logs_in(info, f"{prefix}consumer", passwords[f"{prefix}consumer"])

        # A login that may read everything of the stack but not change ACLs: refused at preview, naming the right.
        reader = f"{prefix}reader"
        admin = admin_of(info)
        admin.upsert_scram({reader: "reader-pw"}, "SCRAM-SHA-512")
        admin.create_acls([AclBinding(f"User:{reader}", "All", "Topic", prefix, "Prefixed"),
                           AclBinding(f"User:{reader}", "Describe", "Cluster", "kafka-cluster", "Literal")])
        raw["access"]["externalConsumers"]["principals"].append(f"User:{prefix}late")
        configure(stack, info, {**raw, "access": {**raw["access"], "createScramUsers": False}}, login=(reader, "reader-pw"))
        said = failure_of(stack.preview)
        assert f"[connection:access-rights] this stack's own login '{reader}' may not create or delete ACL bindings" \
               in said, said
        assert "interrupted" not in said and "timed out" not in said.lower()
        assert ours(info, prefix) == before | {b for b in ours(info, prefix) if b.principal == f"User:{reader}"}
        # A wrong admin password: named as a refused login, never as a time-out.
        configure(stack, info, raw, login=("admin", "not-the-password"))
        said = failure_of(stack.preview)
        assert "[connection:login]" in said and "not-the-password" not in said, said
    finally:
        clean_up(stack, info, prefix)


# --- 8. scale: a role of 25,000 bindings --------------------------------------------------------------------

def test_a_role_of_25000_bindings_converges(secure_cluster, prefix):
    """Through the role resource's provider itself (the real adapter and brokers): 25,000 bindings are more than
    twice what one KRaft request may carry, so one CreateAcls would never succeed."""
    info = secure_cluster
    many = {AclBinding(f"User:{prefix}c{i:05d}", "Read", "Topic", f"{prefix}t", "Literal") for i in range(25_000)}
    props = {"role": "externalConsumers", "grants": as_grants(many), "bindings": [], "missing": {}, "retire": {},
             "removeUnmanaged": {}, "connection": cluster_tool.client_config(info), "timeoutSeconds": 60}
    provider = RoleAclsProvider()
    try:
        started = time.monotonic()
        outs = provider.create(props).outs
        created = time.monotonic() - started
        assert outs["notApplied"] == {} and outs["notDeleted"] == {}
        assert ours(info, prefix) == many
        outs = provider.update("externalConsumers", outs, {**props, "grants": {}, "retire": as_grants(many)}).outs
        assert outs["notDeleted"] == {} and ours(info, prefix) == set()
        print(f"25,000 bindings created in {created:.1f} s, deleted in {time.monotonic() - started - created:.1f} s")
    finally:
        admin_of(info).delete_acls(ours(info, prefix))
