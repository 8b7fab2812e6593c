#!/usr/bin/env python3
"""The production shape on a laptop: three KRaft nodes on 127.0.0.1, TLS everywhere, deny by default.

Each node is both broker and controller: three JVMs instead of six (the memory budget is
1.5 GiB for all), and a quorum that survives one node down, as a three-node production
cluster does. Every listener is TLS, signed by a CA made at first start (certs.py):
- SASL_SSL with PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 (the admin has all three);
- SSL, with or without a client certificate (mTLS: the certificate's CN is the principal);
- INTERNAL and CONTROLLER: the nodes' own mTLS (their CN `kafka-node` is a super user).
RF 3, min.insync.replicas 2, unclean leader election off. DIR/connection.json says how to
reach it; the admin password and the PLAIN users' passwords are generated there (0600).

    python -m tools.cluster.secure_cluster start [--dir DIR] [--base-port N]
    python -m tools.cluster.secure_cluster status|stop [--dir DIR]
    python -m tools.cluster.secure_cluster node stop|kill|start ID [--dir DIR]
    python -m tools.cluster.secure_cluster cert CN [--dir DIR]   # a client certificate for User:CN
    python -m tools.cluster.secure_cluster admin topics|acls|configs|... [--dir DIR] -- ARGS
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import signal
import string
import subprocess
import sys
import time
from pathlib import Path

from components.config.connection import PASSWORD_ENV, Connection
from components.config.secrets import SaslLogin, Secret
from tools.cluster import certs
from tools.cluster.broker import (DETACH, KAFKA_DIR, KAFKA_VERSION, PROJECT, TOOL_HEAP, TOOLS, BrokerError, CONFIG_FLAG,
                                  alive, check_port_free, cluster_id, free_port, java, locked, terminate, write_private)

DEFAULT_DIR = PROJECT / ".local" / "secure-cluster"
DEFAULT_BASE_PORT = 29090  # node i (1-3) listens on base + 10*(i-1) + 1 (SASL_SSL), 2 (SSL), 3 (INTERNAL), 4 (CONTROLLER)
NODES = (1, 2, 3)
LISTENERS = ("sasl_ssl", "ssl", "internal", "controller")
ADMIN_USER = "admin"
SCRAM = ("SCRAM-SHA-256", "SCRAM-SHA-512")
# PLAIN users live in the brokers' own configuration, so they exist from the first start.
PLAIN_USERS = ("plain-server", "plain-lambda", "plain-consumer", "plain-producer")
NODE_HEAP = ["-Xms128m", "-Xmx320m"]


def ports_from(base: int) -> dict[int, dict[str, int]]:
    return {n: {name: base + 10 * (n - 1) + 1 + i for i, name in enumerate(LISTENERS)} for n in NODES}


def free_ports() -> dict[int, dict[str, int]]:
    """Twelve distinct free ports (the tests' clusters)."""
    seen: set[int] = set()
    while len(seen) < len(NODES) * len(LISTENERS):
        seen.add(free_port())
    it = iter(sorted(seen))
    return {n: {name: next(it) for name in LISTENERS} for n in NODES}


def _bootstrap(ports: dict, listener: str) -> str:
    return ",".join(f"127.0.0.1:{p[listener]}" for p in ports.values())


def connection(info: dict, mechanism: str = "SCRAM-SHA-512") -> Connection:
    """How to reach the cluster as its admin over SASL_SSL (PLAIN or SCRAM), or with its certificate over SSL."""
    if mechanism == "mTLS":
        cert = info["admin_cert"]
        return Connection(tuple(info["bootstrap_ssl"].split(",")), "SSL", ca_cert=info["ca_cert"],
                          client_cert=cert["cert"], client_key=cert["key"])
    return Connection(tuple(info["bootstrap_servers"].split(",")), "SASL_SSL", mechanism,
                      SaslLogin(ADMIN_USER, Secret(info["admin_password"])), ca_cert=info["ca_cert"])


def client_config(info: dict, mechanism: str = "SCRAM-SHA-512") -> dict:
    """confluent_kafka settings that reach the cluster as its admin."""
    return connection(info, mechanism).librdkafka()


def _secret(dir: Path, name: str, data: Path) -> str:
    path = dir / name
    if path.exists():
        return path.read_text().strip()
    if (data / "meta.properties").exists():
        raise BrokerError(f"{path} is missing but {data.parent} was formatted with it: restore it or delete {dir}")
    return write_private(path, secrets.token_urlsafe(24)).read_text()


def _plain_users(dir: Path, admin_password: str) -> dict[str, str]:
    path = dir / "plain-users.json"
    users = json.loads(path.read_text()) if path.exists() else {}
    if set(users) != set(PLAIN_USERS):
        users = {name: users.get(name) or secrets.token_urlsafe(18) for name in PLAIN_USERS}
        write_private(path, json.dumps(users, indent=2) + "\n")
    return {ADMIN_USER: admin_password, **users}


def _node_properties(dir: Path, node: int, ports: dict, ca: certs.Pair, keystore: Path, plain: dict[str, str]) -> str:
    voters = ",".join(f"{n}@127.0.0.1:{p['controller']}" for n, p in ports.items())
    users = " ".join(f'user_{name}="{password}"' for name, password in plain.items())
    return string.Template((KAFKA_DIR / "cluster-node.properties").read_text()).substitute(
        node_id=node, voters=voters, data_dir=dir / f"node-{node}" / "data", keystore=keystore, truststore=ca.cert,
        plain_jaas=f"org.apache.kafka.common.security.plain.PlainLoginModule required {users};",
        admin_user=ADMIN_USER, node_cn=certs.NODE_CN, **{f"{k}_port": v for k, v in ports[node].items()})


def _pid(dir: Path, node: int) -> int | None:
    node_dir = dir / f"node-{node}"
    with contextlib.suppress(OSError, ValueError):
        pid = int((node_dir / "node.pid").read_text())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        if str(node_dir / "server.properties").encode() in cmdline and alive(pid):
            return pid
    return None


def status(dir: str | Path = DEFAULT_DIR) -> dict | None:
    """The cluster's connection info if any of its nodes runs, with each node's pid (None if stopped)."""
    dir = Path(dir).resolve()
    with contextlib.suppress(OSError, ValueError):
        info = json.loads((dir / "connection.json").read_text())
        pids = {n: _pid(dir, n) for n in NODES}
        if any(pids.values()):
            return info | {"pids": {str(n): pid for n, pid in pids.items()}}
    return None


def _launch_node(dir: Path, node: int) -> int:
    node_dir = dir / f"node-{node}"
    cmd = java(NODE_HEAP, "broker", "kafka.Kafka", str(node_dir / "server.properties"))
    pid = int(subprocess.run(["sh", "-c", DETACH, str(node_dir / "node.log"), *cmd], cwd=node_dir,
                             start_new_session=True, capture_output=True, check=True).stdout)
    (node_dir / "node.pid").write_text(f"{pid}\n")
    return pid


def _format(dir: Path, node: int, cid: str, admin_password: str) -> None:
    config = dir / f"node-{node}" / "server.properties"
    args = ["format", "-t", cid, "-c", str(config)]
    for mechanism in SCRAM:  # SCRAM credentials live in the metadata log: the admin's are there from the outset
        args += ["--add-scram", f"{mechanism}=[name={ADMIN_USER},password={admin_password}]"]
    result = subprocess.run(java(TOOL_HEAP, "tools", "kafka.tools.StorageTool", *args), capture_output=True, text=True)
    if result.returncode != 0:
        raise BrokerError(f"formatting node {node}'s storage failed:\n{result.stdout}{result.stderr}")


def _tail(dir: Path, node: int, lines: int = 30) -> str:
    """The node's log from its first ERROR (its shutdown noise follows), else its last lines."""
    log = dir / f"node-{node}" / "node.log"
    text = log.read_text(errors="replace").splitlines() if log.exists() else ["(no log)"]
    first = next((i for i, line in enumerate(text) if " ERROR " in line or " FATAL " in line), None)
    if first is None:
        return f"--- last {lines} lines of {log} ---\n" + "\n".join(text[-lines:])
    return f"--- {log} from its first error ---\n" + "\n".join(text[first:first + lines])


def wait_ready(info: dict, timeout: float, running: tuple[int, ...] = NODES) -> None:
    """Return once the admin sees the `running` nodes as brokers; raise naming the node that died or what is missing."""
    from confluent_kafka import KafkaError, KafkaException
    from confluent_kafka.admin import AdminClient
    dir = Path(info["dir"])
    errors: list = []
    client = AdminClient({**client_config(info), "log_level": 0, "error_cb": errors.append,
                          "reconnect.backoff.max.ms": 500})
    deadline, why = time.monotonic() + timeout, "not answering"
    while time.monotonic() < deadline:
        try:
            seen = sorted(client.list_topics(timeout=2).brokers)
            if len(seen) >= len(running):
                return
            why = f"only node(s) {seen or 'none'} registered"
        except KafkaException as exc:
            why = exc.args[0].str()
        client.poll(0)
        if failed := [e.str() for e in errors if e.code() in (KafkaError._AUTHENTICATION, KafkaError._SSL)]:
            raise BrokerError(f"the cluster refused the admin's TLS login: {failed[-1]}")
        dead = [n for n in running if _pid(dir, n) is None]
        if dead:
            raise BrokerError(f"node {dead[0]} exited during start-up\n{_tail(dir, dead[0])}")
        time.sleep(0.5)
    raise BrokerError(f"the cluster was not ready within {timeout:g} s ({why})\n" +
                      "\n".join(_tail(dir, n, 10) for n in NODES))


def start(dir: str | Path = DEFAULT_DIR, ports: dict | None = None, timeout: float = 120) -> dict:
    """Start the cluster of DIR (or find it running, whole); return its connection info."""
    dir = Path(dir).resolve()
    with locked(dir):
        info = status(dir)
        if info is not None:
            down = [n for n, pid in info["pids"].items() if pid is None]
            if down:
                raise BrokerError(f"the cluster in {dir} runs without node(s) {', '.join(down)}: start them with "
                                  f"`python -m tools.cluster.secure_cluster node start ID` or stop it first")
            wait_ready(info, timeout)
            return info
        return _launch(dir, ports or ports_from(DEFAULT_BASE_PORT), timeout)


def _launch(dir: Path, ports: dict, timeout: float) -> dict:
    previous = dir / "connection.json"
    if previous.exists():  # a stopped cluster keeps its ports: its metadata names its voters
        ports = {int(n): p for n, p in json.loads(previous.read_text())["ports"].items()}
    for node_ports in ports.values():
        for port in node_ports.values():
            check_port_free(port)
    ca = certs.make_ca(dir)
    keystore = certs.node_keystore(dir, ca)
    admin_cert = certs.client(dir, ca, ADMIN_USER)
    data = [dir / f"node-{n}" / "data" for n in NODES]
    password = _secret(dir, "admin-password", data[0])
    plain = _plain_users(dir, password)
    for n in NODES:
        (dir / f"node-{n}").mkdir(parents=True, exist_ok=True)
        write_private(dir / f"node-{n}" / "server.properties", _node_properties(dir, n, ports, ca, keystore, plain))
    if not all((d / "meta.properties").exists() for d in data):
        cid = cluster_id()
        for n, d in zip(NODES, data):
            if not (d / "meta.properties").exists():
                _format(dir, n, cid, password)
    info = {"mode": "cluster", "dir": str(dir), "kafka_version": KAFKA_VERSION, "ports": ports,
            "bootstrap_servers": _bootstrap(ports, "sasl_ssl"), "bootstrap_ssl": _bootstrap(ports, "ssl"),
            "security_protocol": "SASL_SSL", "sasl_mechanism": "SCRAM-SHA-512", "ca_cert": str(ca.cert),
            "admin_username": ADMIN_USER, "admin_password": password,
            "admin_cert": {"cert": str(admin_cert.cert), "key": str(admin_cert.key)},
            "plain_users": {k: v for k, v in plain.items() if k != ADMIN_USER}}
    write_private(previous, json.dumps(info, indent=2) + "\n")  # before the wait: stop() can find the nodes
    try:
        for n in NODES:
            _launch_node(dir, n)
        wait_ready(info, timeout)
    except BaseException:  # never leave a half-started cluster behind
        _stop_all(dir)
        raise
    return info | {"pids": {str(n): _pid(dir, n) for n in NODES}}


def _stop_all(dir: Path, timeout: float = 30) -> bool:
    pids = [pid for n in NODES if (pid := _pid(dir, n)) is not None]
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)  # all at once: a lone survivor waits for a quorum that will not come
    for pid in pids:
        terminate(pid, timeout)
    return bool(pids)


def stop(dir: str | Path = DEFAULT_DIR, timeout: float = 30) -> bool:
    """Stop every node of DIR; return whether any was running. Data and certificates stay."""
    dir = Path(dir).resolve()
    if not dir.is_dir():
        return False
    with locked(dir):
        return _stop_all(dir, timeout)


def node(action: str, node_id: int, dir: str | Path = DEFAULT_DIR, timeout: float = 60) -> None:
    """Stop (SIGTERM), kill (SIGKILL) or start one node; start waits until all three are registered again."""
    dir = Path(dir).resolve()
    with locked(dir):
        info = json.loads((dir / "connection.json").read_text())
        pid = _pid(dir, node_id)
        if action in ("stop", "kill"):
            if pid is not None:
                terminate(pid, timeout) if action == "stop" else _kill(pid)
            return
        if pid is None:
            for port in info["ports"][str(node_id)].values():
                check_port_free(port)
            _launch_node(dir, node_id)
        running = tuple(n for n in NODES if _pid(dir, n) is not None)
        # Asked through the node itself: the others may still list it from before it stopped.
        itself = f"127.0.0.1:{info['ports'][str(node_id)]['sasl_ssl']}"
        wait_ready(info | {"bootstrap_servers": itself}, timeout, running)


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    while alive(pid):
        time.sleep(0.05)


def client_cert(cn: str, dir: str | Path = DEFAULT_DIR, **kwargs) -> certs.Pair:
    """A client certificate for User:<cn>, signed by the cluster's CA (kwargs: valid_from, days)."""
    dir = Path(dir).resolve()
    return certs.client(dir, certs.make_ca(dir), cn, **kwargs)


def admin(tool: str, args: list[str], dir: str | Path = DEFAULT_DIR, **run_kwargs) -> subprocess.CompletedProcess:
    """Run a Kafka admin command (kafka-*.sh) as the cluster's admin; run_kwargs go to subprocess.run."""
    dir = Path(dir).resolve()
    info = json.loads((dir / "connection.json").read_text())
    args = list(args)
    given = {arg.split("=", 1)[0] for arg in args}
    if not given & {"--bootstrap-server", "--bootstrap-controller"}:
        args += ["--bootstrap-server", info["bootstrap_servers"]]
    if not given & {"--command-config", *CONFIG_FLAG.values()}:
        # As the stack's clientProperties output has it: the password comes from the environment.
        path = write_private(dir / "admin-client.properties",
                             "\n".join(connection(info).java_properties((ADMIN_USER,))) + "\n")
        args += [CONFIG_FLAG.get(tool, "--command-config"), str(path)]
        run_kwargs["env"] = {**run_kwargs.get("env", os.environ), PASSWORD_ENV: info["admin_password"]}
    return subprocess.run(java(TOOL_HEAP, "tools", TOOLS[tool], *args), **run_kwargs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    start_cmd = commands.add_parser("start", help="start the three nodes in the background")
    start_cmd.add_argument("--base-port", type=int, default=DEFAULT_BASE_PORT,
                           help="node i listens on base+10*(i-1)+1..4 (default %(default)s)")
    start_cmd.add_argument("--timeout", type=float, default=120)
    commands.add_parser("stop", help="stop every node")
    commands.add_parser("status", help="say whether it runs and how to connect (exit 3 if not)")
    node_cmd = commands.add_parser("node", help="stop, kill or start one node")
    node_cmd.add_argument("action", choices=("stop", "kill", "start"))
    node_cmd.add_argument("id", type=int, choices=NODES)
    cert_cmd = commands.add_parser("cert", help="issue a client certificate for User:CN")
    cert_cmd.add_argument("cn")
    admin_cmd = commands.add_parser("admin", help="run a Kafka admin command as the admin")
    admin_cmd.add_argument("tool", choices=TOOLS, help="then --, then the command's own arguments")
    for name in commands.choices:
        commands.choices[name].add_argument("--dir", type=Path, default=DEFAULT_DIR,
                                            help=f"cluster directory (default {DEFAULT_DIR})")
    argv = sys.argv[1:] if argv is None else argv
    split = argv.index("--") if "--" in argv else len(argv)
    opts, tool_args = parser.parse_args(argv[:split]), argv[split + 1:]
    try:
        if opts.command == "start":
            running = status(opts.dir)
            began = time.monotonic()
            info = start(opts.dir, ports_from(opts.base_port), opts.timeout)
            print(f"secure cluster {'already running' if running else 'ready'} in {time.monotonic() - began:.1f} s: "
                  f"SASL_SSL {info['bootstrap_servers']}, SSL {info['bootstrap_ssl']}; CA {info['ca_cert']}; "
                  f"details in {opts.dir}/connection.json")
        elif opts.command == "stop":
            print("stopped" if stop(opts.dir) else "not running")
        elif opts.command == "status":
            info = status(opts.dir)
            print(json.dumps({k: v for k, v in info.items() if "password" not in k and k != "plain_users"}, indent=2)
                  if info else "not running")
            return 0 if info else 3
        elif opts.command == "node":
            node(opts.action, opts.id, opts.dir)
            print(f"node {opts.id}: {opts.action} done")
        elif opts.command == "cert":
            pair = client_cert(opts.cn, opts.dir)
            print(f"{pair.cert}\n{pair.key}")
        else:
            return admin(opts.tool, tool_args, opts.dir).returncode
    except BrokerError as exc:
        print(f"secure_cluster.py: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
