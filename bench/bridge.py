#!/usr/bin/env python3
"""`make bench-bridge`: the bridge shape at scale, one topic per database, through the real engine.

    .venv/bin/python -m bench.bridge [--databases 10,100,300] [--runs 1] [--out bench/results]

On a local secure broker this command starts (and stops), for each count of databases: a stack of
shapes [fourTopics, bridge] (Pulumi.staging.yaml's access model, plus the bridge and one bridge consumer)
is deployed with `pulumi up` (the CLI's defaults), previewed with no change, grown by one database
(`up`), and destroyed. Each command's wall time and peak memory (the whole process tree) are reported, with
the 1-minute load average beside them; bridge.md is written to --out. The engine's summary is checked on every
command (every database a topic, nothing else changed), never a timing: the machine is shared.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

from bench import measure, stacks
from tools.cluster import broker

PROJECT = Path(__file__).resolve().parent.parent


def bridge_config(bootstrap: str, prefix: str, databases: int) -> tuple[dict, dict[str, str]]:
    """The staging stack with the bridge shape on it: `databases` databases, the bridge and one consumer of them."""
    config = stacks.acl_stack_config(bootstrap, prefix, 1)
    config["shapes"] = ["fourTopics", "bridge"]
    config["bridge"] = {"topicPrefix": f"{prefix.rstrip('-')}.", "databases": [f"db{i:04d}" for i in range(databases)]}
    config["access"]["bridge"] = {"principals": [f"User:{prefix}bridge"]}
    config["access"]["bridgeConsumers"] = {"principals": [f"User:{prefix}analytics"]}
    return config, stacks.passwords(config)


def cycle(project: stacks.Project, secure: dict, databases: int) -> list[tuple[str, measure.Sample]]:
    prefix, name = f"g{uuid.uuid4().hex[:6]}-", f"bridge-{databases}-{uuid.uuid4().hex[:4]}"
    config, users = bridge_config(secure["bootstrap_servers"], prefix, databases)
    project.new_stack(name, config, stacks.secrets_of(secure, users))
    samples = []
    try:
        up = project.pulumi("up", "--stack", name, "--yes", "--skip-preview")
        stacks.check(up, {"created": None}, "up")
        samples.append(("up", up))
        noop = project.pulumi("preview", "--stack", name, "--expect-no-changes")
        stacks.check(noop, {"unchanged": None}, "no-op preview")
        samples.append(("preview, no change", noop))
        project.pulumi("config", "set", "--stack", name, "--path",
                       f"{stacks.NS}:bridge.databases[{databases}]", "added")
        grown = project.pulumi("up", "--stack", name, "--yes", "--skip-preview")
        if stacks.summary(grown.output).get("created") != 1:
            raise RuntimeError(f"one database added: expected 1 created\n{grown.output[-2000:]}")
        samples.append(("up, one database added", grown))
    finally:
        samples.append(("destroy", project.remove_stack(name, 64, env=stacks.FAST_ENV)))
    return samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--databases", default="10,100,300", help="database counts (default 10,100,300)")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--out", type=Path, default=PROJECT / "bench" / "results")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.databases.split(",")]
    tmp = Path(tempfile.mkdtemp(prefix="evidentsource-bench-bridge-"))
    rows = ["| databases | command | wall s | peak MiB | load |", "|---|---|---|---|---|"]
    try:
        secure = broker.start("secure", tmp / "broker", port=broker.free_port(), controller_port=broker.free_port())
        project = stacks.Project.create(tmp / "program", tmp / "state", {}, None)
        for size in sizes:
            for _ in range(args.runs):
                for what, sample in cycle(project, secure, size):
                    rows.append(f"| {size} | {what} | {sample.wall_s:.1f} | {sample.peak_rss / 2**20:.0f} | "
                                f"{sample.load:.2f} |")
                    print(rows[-1], flush=True)
    finally:
        broker.stop(tmp / "broker")
        shutil.rmtree(tmp, ignore_errors=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bridge.md").write_text(f"# The bridge shape at scale ({time.strftime('%Y-%m-%d')})\n\n"
                                        + "\n".join(rows) + "\n")
    print(f"wrote {args.out / 'bridge.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
