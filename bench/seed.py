"""The seed document's hand procedure, replayed as written.

The seed creates the four topics with four `kafka-topics.sh --create` commands and grants
access with seven `kafka-acls.sh --add` commands (ten ACL bindings: each `--operation` is
one). Here they are replayed through the broker's own admin command classes
(tools/cluster/broker.py admin), one JVM per command as the shell scripts start one, with the
seed's flags, except the replication factor (1 on a single node) and a per-run topic-name
prefix (so runs do not see each other's topics).

The floor for the same work is in floor.py.
"""

from __future__ import annotations

import sys

from bench import measure

# The seed's four topic commands: name, extra flags (only database-events sets a retention).
SEED_TOPICS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("evidentsource-transaction-proposals", ()),
    ("evidentsource-database-events", ("--config", "retention.ms=604800000")),
    ("evidentsource-async-commands", ()),
    ("evidentsource-async-responses", ()),
)
# The seed's seven ACL commands: principal, operations, topic.
SEED_ACLS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("User:evidentsource", ("All",), "evidentsource-transaction-proposals"),
    ("User:evidentsource", ("All",), "evidentsource-database-events"),
    ("User:evidentsource", ("All",), "evidentsource-async-commands"),
    ("User:evidentsource", ("All",), "evidentsource-async-responses"),
    ("User:external-consumer", ("Read", "Describe"), "evidentsource-database-events"),
    ("User:external-consumer", ("Read", "Describe"), "evidentsource-async-responses"),
    ("User:external-producer", ("Write", "Describe"), "evidentsource-async-commands"),
)
SEED_PARTITIONS, REPLICATION_FACTOR = 3, 1


def seed_commands(prefix: str, bootstrap: str) -> list[tuple[str, list[str]]]:
    """(admin tool, its arguments) for the seed's eleven commands, in the seed's order and spelling."""
    commands = []
    for name, extra in SEED_TOPICS:
        commands.append(("topics", ["--create", "--topic", prefix + name, "--bootstrap-server", bootstrap,
                                    "--partitions", str(SEED_PARTITIONS), "--replication-factor",
                                    str(REPLICATION_FACTOR), *extra, "--if-not-exists"]))
    for principal, operations, topic in SEED_ACLS:
        ops = [arg for op in operations for arg in ("--operation", op)]
        commands.append(("acls", ["--bootstrap-server", bootstrap, "--add", "--allow-principal", principal,
                                  *ops, "--topic", prefix + topic]))
    return commands


def replay_seed(broker_dir: str, prefix: str, bootstrap: str) -> measure.Sample:
    """Run the eleven commands one after another; one Sample for the whole procedure."""
    load = measure.loadavg()
    wall, peak, cpu = 0.0, 0, 0.0
    for tool, args in seed_commands(prefix, bootstrap):
        sample = measure.run([sys.executable, "-m", "tools.cluster.broker", "admin", tool, "--dir", broker_dir, "--", *args],
                             timeout=180)
        if "ERROR" in sample.output or "Error" in sample.output:
            raise RuntimeError(f"seed command failed: {tool} {' '.join(args)}\n{sample.output[-2000:]}")
        wall, peak, cpu = wall + sample.wall_s, max(peak, sample.peak_rss), cpu + sum(sample.cpu_s.values())
    return measure.Sample(wall, peak, {"java (one JVM per command)": round(cpu, 2)}, load, 0)
