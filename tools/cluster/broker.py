#!/usr/bin/env python3
"""A real single-node Apache Kafka broker (KRaft) on 127.0.0.1, without Docker.

Jars come through Maven (tools/cluster/kafka/pom.xml) into a per-user cache; the broker
runs detached, and DIR/connection.json tells tests and tools how to reach it.

    python -m tools.cluster.broker install
    python -m tools.cluster.broker start [--mode plain|secure] [--dir DIR] [--port N] [--controller-port N]
    python -m tools.cluster.broker status|stop [--dir DIR]
    python -m tools.cluster.broker admin topics|acls|configs|consumer-groups|console-producer|console-consumer -- ARGS
"""
from __future__ import annotations

import argparse
import base64
import contextlib
import fcntl
import json
import os
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from components.config.connection import Connection
from components.config.secrets import SaslLogin, Secret
from components.model import jaas as jaas_config

PROJECT = Path(__file__).resolve().parents[2]
KAFKA_DIR = Path(__file__).resolve().parent / "kafka"  # pom.xml, config templates, log4j2 settings
POM = KAFKA_DIR / "pom.xml"
KAFKA_VERSION = ET.parse(POM).getroot().findtext("properties/kafka.version")  # the one pin
DEFAULT_DIR = PROJECT / ".local" / "broker"
DEFAULT_PORT = {"plain": 9092, "secure": 9096}
PROTOCOL = {"plain": "PLAINTEXT", "secure": "SASL_PLAINTEXT"}
MECHANISM = "SCRAM-SHA-512"
ADMIN_USER = "admin"
# A local broker and short-lived admin JVMs: quick start-up and a small footprint
# matter more than peak throughput, hence the serial GC and C1-only JIT.
JVM_FLAGS = ["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true"]
BROKER_HEAP = ["-Xms256m", "-Xmx512m"]
TOOL_HEAP = ["-Xmx256m"]  # as kafka-run-class.sh gives the admin commands
TOOLS = {
    "topics": "org.apache.kafka.tools.TopicCommand",
    "acls": "org.apache.kafka.tools.AclCommand",
    "configs": "kafka.admin.ConfigCommand",  # still the Scala class in Kafka 4.1
    "consumer-groups": "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
    "console-producer": "org.apache.kafka.tools.ConsoleProducer",
    "console-consumer": "org.apache.kafka.tools.consumer.ConsoleConsumer",
}
# In 4.1 the console clients take client properties under their own flags.
CONFIG_FLAG = {"console-producer": "--producer.config", "console-consumer": "--consumer.config"}
# Launched through sh so the broker is re-parented to init at once: it outlives
# the caller and never lingers as the caller's zombie after it stops.
DETACH = '"$@" </dev/null >"$0" 2>&1 & echo $!'

class BrokerError(Exception):
    """A failure explained for the person who ran the command."""


def java_bin() -> str:
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if not java or not os.access(java, os.X_OK):
        raise BrokerError("java not found (via JAVA_HOME or PATH): install a Java 17+ runtime, "
                          "e.g. `apt-get install openjdk-17-jre-headless`")
    return java


def install() -> Path:
    """Fetch the broker's jars once; later calls only check that they are there."""
    java_bin()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    lib = Path(cache) / "evidentsource-kafka" / f"kafka-{KAFKA_VERSION}" / "lib"
    if lib.is_dir():
        return lib
    if not shutil.which("mvn"):
        raise BrokerError("mvn not found on PATH: install Apache Maven 3.8+ "
                          "(e.g. `apt-get install maven`) to fetch the Kafka jars")
    lib.parent.mkdir(parents=True, exist_ok=True)
    # Resolve into a temp dir, then rename: lib/ only ever exists complete.
    tmp = Path(tempfile.mkdtemp(prefix="lib.partial-", dir=lib.parent))
    try:
        mvn = subprocess.run(["mvn", "-B", "-q", "-f", str(POM), "dependency:copy-dependencies",
                              f"-DoutputDirectory={tmp}", "-DincludeScope=runtime"],
                             capture_output=True, text=True)
        if mvn.returncode != 0:
            # Maven's first [ERROR] line says why (partition also skips colour codes), else its first line.
            output = (mvn.stdout + mvn.stderr).splitlines()
            errors = [line.partition("[ERROR]")[2].strip() for line in output]
            why = next(filter(None, errors + [line.strip() for line in output]), "no output")
            raise BrokerError(f"Maven could not fetch the Kafka {KAFKA_VERSION} jars: {why[:400]} "
                              "(Maven Central must be reachable, directly or via ~/.m2/settings.xml)")
        try:
            tmp.rename(lib)
        except OSError:
            if not lib.is_dir():  # otherwise a concurrent install got there first
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return lib


def java(heap: list[str], log_kind: str, main: str, *args: str) -> list[str]:
    log_config = KAFKA_DIR / f"log4j2-{log_kind}.properties"  # broker: INFO to stdout; tools: WARN to stderr
    return [java_bin(), *heap, *JVM_FLAGS, f"-Dlog4j2.configurationFile={log_config}",
            "-cp", str(install() / "*"), main, *args]


def write_private(path: Path, text: str) -> Path:
    """Write a file only its owner can read: several hold the admin password."""
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
        f.write(text)
    return path


def jaas(password: str) -> str:
    """The admin's sasl.jaas.config line."""
    return jaas_config.render(MECHANISM, ADMIN_USER, password)


def server_properties(mode: str, data: Path, port: int, controller_port: int,
                      password: str | None) -> str:
    text = (KAFKA_DIR / "server.properties").read_text()
    if mode == "secure":
        text += (KAFKA_DIR / "secure.properties").read_text()
    return string.Template(text).substitute(
        listener=PROTOCOL[mode], port=port, controller_port=controller_port, data_dir=data,
        admin_user=ADMIN_USER, admin_jaas=jaas(password) if password else "")


def admin_password(dir: Path, data: Path) -> str:
    path = dir / "admin-password"
    if path.exists():
        return path.read_text().strip()
    if (data / "meta.properties").exists():
        raise BrokerError(f"{path} is missing but {data} was formatted with it: "
                          f"restore the file or delete {data}")
    return write_private(path, secrets.token_urlsafe(24)).read_text()


def cluster_id() -> str:
    """A random Kafka Uuid; like Kafka, avoid a leading '-' that would read as a flag."""
    text = base64.urlsafe_b64encode(secrets.token_bytes(16)).decode().rstrip("=")
    return cluster_id() if text.startswith("-") else text


@contextlib.contextmanager
def locked(dir: Path):
    """Serialise start and stop on one DIR, so two callers never launch two brokers."""
    dir.mkdir(parents=True, exist_ok=True)
    with open(dir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def alive(pid: int) -> bool:
    """Whether pid runs: a killed process that is not reaped yet (a zombie) does not."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:  # gone meanwhile, or no /proc (then kill(0) is all there is to go by)
        return not Path("/proc/self").exists()


def running_pid(dir: Path) -> int | None:
    """The pid of the broker started from dir, if alive (and not a recycled pid)."""
    try:
        pid = int((dir / "broker.pid").read_text())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes() if Path("/proc/self").exists() else b""
    except (OSError, ValueError):  # no pid file, or the process is gone
        return None
    ours = not cmdline or str(dir / "server.properties").encode() in cmdline
    return pid if ours and alive(pid) else None


def terminate(pid: int, timeout: float) -> None:
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 10)):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        deadline = time.monotonic() + wait
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if not alive(pid):
            return


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_owner(port: int) -> str | None:
    """Best effort: 'pid N (command)' of whoever listens on port, read from Linux's /proc."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for cols in (row.split() for row in Path(table).read_text().splitlines()[1:]):
                if cols[3] == "0A" and int(cols[1].rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                    inodes.add(f"socket:[{cols[9]}]")
    for fd in Path("/proc").glob("[0-9]*/fd/*") if inodes else ():
        with contextlib.suppress(OSError):
            if os.readlink(fd) in inodes:
                argv = (fd.parent.parent / "cmdline").read_bytes().decode(errors="replace").split("\0")[:-1]
                shown = argv if len(argv) <= 4 else [argv[0], "...", *argv[-2:]]
                return f"pid {fd.parent.parent.name} ({' '.join(shown)})"
    return None


def check_port_free(port: int) -> None:
    with socket.socket() as s:
        # Java sets SO_REUSEADDR too, so leftover TIME_WAIT connections don't count.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            owner = port_owner(port)
            raise BrokerError(f"port {port} on 127.0.0.1 is already in use{f' by {owner}' if owner else ''}"
                              ": stop that or choose another port (--port / --controller-port)") from None


def connection(info: dict) -> Connection:
    """How to reach the broker described by info, as its admin (the program's own connection description)."""
    login = SaslLogin(info["admin_username"], Secret(info["admin_password"])) if info["mode"] == "secure" else None
    return Connection(tuple(info["bootstrap_servers"].split(",")), info["security_protocol"],
                      info.get("sasl_mechanism") if login else None, login)


def client_config(info: dict) -> dict:
    """confluent_kafka settings that reach the broker described by info, as its admin."""
    return connection(info).librdkafka()


def wait_ready(info: dict, timeout: float) -> None:
    """Return once an admin client can describe the cluster; raise if the broker dies or time is up."""
    from confluent_kafka import KafkaError, KafkaException
    from confluent_kafka.admin import AdminClient
    deadline = time.monotonic() + timeout
    errors: list = []  # a failed login only shows up here (on poll); list_topics says "transport failure"
    # Quiet (errors come back to us), and retrying often while the broker comes up.
    client = AdminClient({**client_config(info), "log_level": 0, "error_cb": errors.append,
                          "reconnect.backoff.max.ms": 500})
    while True:
        try:
            if client.list_topics(timeout=2).brokers:
                return
            why = "no broker in the cluster metadata"
        except KafkaException as exc:
            why = exc.args[0].str()
        client.poll(0)
        if failed := [e.str() for e in errors if e.code() == KafkaError._AUTHENTICATION]:
            raise BrokerError(f"the broker rejected the admin login: {failed[-1]}")
        if not alive(info["pid"]):
            raise BrokerError("the broker exited during start-up")
        if time.monotonic() > deadline:
            raise BrokerError(f"the broker was not ready within {timeout:g} s ({why})")


def start(mode: str, dir: str | Path = DEFAULT_DIR, port: int | None = None,
          controller_port: int | None = None, timeout: float = 60) -> dict:
    """Start the broker of DIR, or find it running; return its connection info."""
    dir = Path(dir).resolve()
    with locked(dir):
        info = status(dir)
        if info is None:
            return launch(mode, dir, port, controller_port, timeout)
        wanted = (mode, f"127.0.0.1:{port}" if port else info["bootstrap_servers"])
        if (info["mode"], info["bootstrap_servers"]) != wanted:
            raise BrokerError(f"a {info['mode']} broker from {dir} is running on {info['bootstrap_servers']}"
                              f" (pid {info['pid']}): stop it first with `python -m tools.cluster.broker stop --dir {dir}`")
        wait_ready(info, timeout)
        return info


def launch(mode: str, dir: Path, port: int | None, controller_port: int | None,
           timeout: float) -> dict:
    port = port or DEFAULT_PORT[mode]
    controller_port = controller_port or port + 1
    for p in (port, controller_port):
        check_port_free(p)
    data = dir / f"data-{mode}"  # one per mode: a plain cluster has no admin credential
    password = admin_password(dir, data) if mode == "secure" else None
    config = dir / "server.properties"
    write_private(config, server_properties(mode, data, port, controller_port, password))
    if not (data / "meta.properties").exists():
        format_storage(dir, config, password)
    log_file = dir / "broker.log"
    cmd = java(BROKER_HEAP, "broker", "kafka.Kafka", str(config))
    pid = int(subprocess.run(["sh", "-c", DETACH, str(log_file), *cmd], cwd=dir,
                             start_new_session=True, capture_output=True, check=True).stdout)
    (dir / "broker.pid").write_text(f"{pid}\n")
    info = {"mode": mode, "bootstrap_servers": f"127.0.0.1:{port}",
            "security_protocol": PROTOCOL[mode], "pid": pid, "log_file": str(log_file),
            "data_dir": str(data), "kafka_version": KAFKA_VERSION}
    if password:
        info |= {"sasl_mechanism": MECHANISM, "admin_username": ADMIN_USER, "admin_password": password}
    # Written before the wait: should the caller die meanwhile, status/start/stop still know it.
    write_private(dir / "connection.json", json.dumps(info, indent=2) + "\n")
    try:
        wait_ready(info, timeout)
    except BaseException as exc:  # never leave a half-started broker behind
        tail = "\n".join(log_file.read_text(errors="replace").splitlines()[-30:])  # before its shutdown noise
        terminate(pid, timeout=10)
        for name in ("broker.pid", "connection.json"):
            (dir / name).unlink(missing_ok=True)
        if not isinstance(exc, BrokerError):
            raise
        raise BrokerError(f"{exc}\n--- last 30 lines of {log_file} ---\n{tail}") from None
    return info


def format_storage(dir: Path, config: Path, password: str | None) -> None:
    args = ["format", "--standalone", "-t", cluster_id(), "-c", str(config)]
    if password:  # SCRAM credentials live in the metadata log: the admin's must be there from the outset
        args += ["--add-scram", f"{MECHANISM}=[name={ADMIN_USER},password={password}]"]
    result = subprocess.run(java(TOOL_HEAP, "tools", "kafka.tools.StorageTool", *args),
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise BrokerError(f"formatting the broker storage failed:\n{result.stdout}{result.stderr}")


def stop(dir: str | Path = DEFAULT_DIR, timeout: float = 30) -> bool:
    """Stop the broker of DIR; return whether one was running. Safe to repeat."""
    dir = Path(dir).resolve()
    if not dir.is_dir():
        return False
    with locked(dir):
        pid = running_pid(dir)
        if pid is not None:
            terminate(pid, timeout)
        for name in ("broker.pid", "connection.json"):
            (dir / name).unlink(missing_ok=True)
    return pid is not None


def status(dir: str | Path = DEFAULT_DIR) -> dict | None:
    """The connection info of DIR's broker if it is running, else None."""
    dir = Path(dir).resolve()
    with contextlib.suppress(OSError, ValueError):
        info = json.loads((dir / "connection.json").read_text())
        return info if info["pid"] == running_pid(dir) else None
    return None


def admin(tool: str, args: list[str], dir: str | Path = DEFAULT_DIR,
          **run_kwargs) -> subprocess.CompletedProcess:
    """Run a Kafka admin command on DIR's broker as kafka-*.sh would; run_kwargs go to subprocess.run."""
    dir = Path(dir).resolve()
    info = status(dir)
    if info is None:
        raise BrokerError(f"no broker is running from {dir}: run `python -m tools.cluster.broker start` first")
    args = list(args)
    given = {arg.split("=", 1)[0] for arg in args}
    if not given & {"--bootstrap-server", "--bootstrap-controller"}:
        args += ["--bootstrap-server", info["bootstrap_servers"]]
    if info["mode"] == "secure" and not given & {"--command-config", *CONFIG_FLAG.values()}:
        client = (f"security.protocol={info['security_protocol']}\nsasl.mechanism={MECHANISM}\n"
                  f"sasl.jaas.config={jaas(info['admin_password'])}\n")
        path = write_private(dir / "admin-client.properties", client)
        args += [CONFIG_FLAG.get(tool, "--command-config"), str(path)]
    return subprocess.run(java(TOOL_HEAP, "tools", TOOLS[tool], *args), **run_kwargs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("install", help="fetch the Kafka jars (once) and print where they are")
    start_cmd = commands.add_parser("start", help="start the broker in the background")
    start_cmd.add_argument("--mode", choices=PROTOCOL, default="plain")
    start_cmd.add_argument("--port", type=int, help="client port (plain 9092, secure 9096)")
    start_cmd.add_argument("--controller-port", type=int, help="default: client port + 1")
    start_cmd.add_argument("--timeout", type=float, default=60, help="seconds to wait for readiness")
    commands.add_parser("stop", help="stop the broker")
    commands.add_parser("status", help="say whether it runs and how to connect (exit 3 if not)")
    admin_cmd = commands.add_parser("admin", help="run a Kafka admin command against the broker")
    admin_cmd.add_argument("tool", choices=TOOLS, help="then --, then the command's own arguments")
    for name in ("start", "stop", "status", "admin"):
        commands.choices[name].add_argument("--dir", type=Path, default=DEFAULT_DIR,
                                            help=f"broker directory (default {DEFAULT_DIR})")
    argv = sys.argv[1:] if argv is None else argv
    split = argv.index("--") if "--" in argv else len(argv)  # argparse mishandles -- after a subcommand
    opts, tool_args = parser.parse_args(argv[:split]), argv[split + 1:]
    if tool_args and opts.command != "admin":
        parser.error("arguments after -- are for `admin` only")
    try:
        if opts.command == "install":
            print(install())
        elif opts.command == "start":
            running = status(opts.dir)
            info = start(opts.mode, opts.dir, opts.port, opts.controller_port, opts.timeout)
            print(f"{info['mode']} broker {'already running' if running else 'ready'} on "
                  f"{info['bootstrap_servers']} (pid {info['pid']}); details in {opts.dir}/connection.json")
        elif opts.command == "stop":
            print("stopped" if stop(opts.dir) else "not running")
        elif opts.command == "status":
            info = status(opts.dir)
            print(f"running (pid {info['pid']})\n{json.dumps(info, indent=2)}" if info else "not running")
            return 0 if info else 3
        else:
            return admin(opts.tool, tool_args, opts.dir).returncode
    except BrokerError as exc:
        print(f"broker.py: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # start() has already stopped a half-started broker
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
