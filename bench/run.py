#!/usr/bin/env python3
"""`make bench`: the seed's hand procedure, the program through the real engine, and the wire's
floor, side by side on local brokers this command starts (secure and plain, free ports, temp
dir) and stops again.

    .venv/bin/python -m bench.run [--sizes 10,100,500] [--runs 3] [--warmup 1] [--out bench/results]

Each measurement runs --runs times after --warmup rounds; the report gives median, min and
max, the 1-minute load average beside each, and writes bench.md, bench.png and bench.json
to --out. Nothing is left behind: every stack is destroyed, every topic, ACL and SCRAM
user a run named is deleted, the brokers are stopped and the temp dir removed.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

from bench import floor, measure, peer, report, seed, stacks
from tools.cluster import broker
from tools.toolchain import peer as toolchain_peer

PROJECT = Path(__file__).resolve().parent.parent

BASE = 1  # the staging file's own shape: one external consumer


class Bench:
    """One benchmark session: the brokers, the program copy, and every sample taken."""

    def __init__(self, args: argparse.Namespace, tmp: Path, brokers: dict[str, dict]):
        self.args, self.brokers, self.tmp = args, brokers, tmp
        self.peer_tools = toolchain_peer.ensure() if args.peer else None
        self.secure = brokers["secure"]
        self.admin_config = broker.client_config(self.secure)
        engine_env = dict(kv.split("=", 1) for kv in args.engine_env)
        self.project = stacks.Project.create(tmp / "program", tmp / "state", engine_env, args.program_ref)
        self.flags = [f"--parallel={args.parallel}"] if args.parallel else []
        self.results = report.Results(args)
        self.without_engine_log = {"PULUMI_HOME": str(stacks.home_without_engine_log(tmp / "pulumi-home-no-log"))}
        self.results.machine["pulumi"] = stacks.pulumi_version(self.project.env)
        self.results.machine["program"] = self.project.version(args.program_ref)
        if self.peer_tools is not None:
            self.results.machine["peer"] = (f"{toolchain_peer.OPENTOFU[1]}, terraform-provider-kafka "
                                            f"{toolchain_peer.PROVIDER[1]}")

    def prefix(self) -> str:
        return f"b{uuid.uuid4().hex[:6]}-"

    def log(self, text: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')} load {measure.loadavg():.2f}] {text}", flush=True)

    # --- one round of the base comparison --------------------------------------------------

    def base_round(self, warm: bool) -> None:
        prefix = self.prefix()
        sample = seed.replay_seed(self.secure["dir"], prefix, self.secure["bootstrap_servers"])
        floor.remove_prefixed(self.admin_config, prefix)
        work = floor.seed_work(self.prefix())
        self.record("seed", BASE, work.items, sample, warm)
        self.measure_floor("floor-seed", BASE, work, warm)
        self.acl_cycle(BASE, warm, preview_create=True)
        self.dev_preview(warm)

    def measure_floor(self, key: str, size: int, work: floor.Work, warm: bool) -> None:
        sample = floor.create_batched(self.admin_config, work)
        floor.remove_prefixed(self.admin_config, work.prefix)
        self.record(key, size, work.items, sample, warm)

    def record(self, key: str, size: int, resources: int, sample: measure.Sample, warm: bool) -> None:
        self.log(f"{'warm-up ' if warm else ''}{key} size {size}: {sample.wall_s:.2f} s, "
                 f"{resources} resources, peak {sample.peak_rss / 2**20:.0f} MiB, cpu {sample.cpu_s}")
        if not warm:
            self.results.add(key, size, resources, sample)

    # --- the ACL stack: up from empty, no-op preview, preview after one change -----------------

    def scale(self, consumers: int, first: bool) -> None:
        """One run of one size: `up` with the CLI's defaults where affordable, and with the fast settings;
        then the peer (OpenTofu + the same kafka provider) on the same work, paired with it."""
        if consumers <= self.args.default_up_max:
            self.acl_cycle(consumers, False, up_key="up")
            self.acl_cycle(consumers, False, up_key="up-fast", previews=False, measure_floor=False)
        else:  # the CLI's defaults take minutes here (checkpoints are quadratic): only the fast settings ...
            self.acl_cycle(consumers, False, up_key="up-fast")
            if first and self.peer_tools is not None:  # ... and, against the peer's apply, the defaults once
                self.acl_cycle(consumers, False, up_key="up", previews=False, measure_floor=False)
        if self.peer_tools is not None:
            self.peer_cycle(consumers)

    def peer_cycle(self, consumers: int) -> None:
        """The same stack for OpenTofu: apply from empty, no-op plans with and without refresh, one change."""
        prefix = self.prefix()
        config = stacks.acl_stack_config(self.secure["bootstrap_servers"], prefix, consumers)
        users = stacks.passwords(config)
        tofu = peer.Peer(self.tmp / f"tofu-{prefix}", self.peer_tools)
        tofu.write(peer.configuration(self.secure, config, users))
        tofu.init()
        try:
            applied = tofu.apply()
            resources = peer.applied(applied)
            self.record("tofu-apply", consumers, resources, applied, False)
            self.record("tofu-plan-noop", consumers, resources, tofu.plan(refresh=False, changes=False), False)
            self.record("tofu-plan-noop-refresh", consumers, resources, tofu.plan(refresh=True, changes=False),
                        False)
            tofu.write(peer.configuration(self.secure, config, users, retention=stacks.CHANGED_RETENTION_MS))
            self.record("tofu-plan-change", consumers, resources, tofu.plan(refresh=False, changes=True), False)
        finally:
            tofu.write(peer.configuration(self.secure, config, users))
            tofu.destroy()
            left = floor.remove_prefixed(self.admin_config, prefix)
            shutil.rmtree(tofu.root, ignore_errors=True)
            if left:
                self.log(f"peer: {left} leftovers deleted")

    def acl_cycle(self, consumers: int, warm: bool, *, up_key: str = "up", previews: bool = True,
                  preview_create: bool = False, measure_floor: bool = True) -> None:
        prefix, name = self.prefix(), f"acl-{consumers}-{uuid.uuid4().hex[:4]}"
        config = stacks.acl_stack_config(self.secure["bootstrap_servers"], prefix, consumers)
        users = stacks.passwords(config)
        self.project.new_stack(name, config, stacks.secrets_of(self.secure, users))
        try:
            if preview_create:
                sample = self.project.pulumi("preview", "--stack", name, *self.flags)
                self.record("preview-create", consumers, stacks.check(sample, {"to create": None}, "preview"),
                            sample, warm)
            resources = self.up(name, consumers, up_key, warm)
            if previews:
                self.previews(name, consumers, resources, warm)
        finally:
            destroy = self.project.remove_stack(name, self.args.destroy_parallel, env=stacks.FAST_ENV)
            left = floor.remove_prefixed(self.admin_config, prefix)
            self.log(f"destroyed {name} in {destroy.wall_s:.1f} s" + (f"; {left} leftovers deleted" if left else ""))
        if measure_floor:
            work = floor.stack_work(self.secure["bootstrap_servers"], self.prefix(), consumers)
            self.measure_floor("floor", consumers, work, warm)

    def up(self, name: str, consumers: int, key: str, warm: bool) -> int:
        fast = key == "up-fast"
        flags = [f"--parallel={stacks.FAST_PARALLEL}"] if fast else self.flags
        sample = self.project.pulumi("up", "--stack", name, "--yes", "--skip-preview", *flags,
                                     env=stacks.FAST_ENV if fast else None)
        resources = stacks.check(sample, {"created": None}, "up")
        self.record(key, consumers, resources, sample, warm)
        return resources

    def previews(self, name: str, consumers: int, resources: int, warm: bool) -> None:
        sample = self.project.pulumi("preview", "--stack", name, "--expect-no-changes", *self.flags)
        self.record("preview-noop", consumers, stacks.check(sample, {"unchanged": resources}, "no-op preview"),
                    sample, warm)
        sample = self.project.pulumi("preview", "--refresh", "--stack", name, "--expect-no-changes", *self.flags)
        self.record("preview-noop-refresh", consumers,
                    stacks.check(sample, {"unchanged": resources}, "no-op preview with refresh"), sample, warm)
        if consumers == max(self.args.sizes):
            # Pulumi >= 3.2xx writes a debug log of every command to ~/.pulumi/logs, with no switch to
            # turn it off; this run shows what that costs (README, "Where the time goes").
            sample = self.project.pulumi("preview", "--stack", name, "--expect-no-changes", *self.flags,
                                         env=self.without_engine_log)
            self.record("preview-noop-nolog", consumers,
                        stacks.check(sample, {"unchanged": resources}, "no-op preview without the engine's log"),
                        sample, warm)
        key, value = stacks.CHANGED_RETENTION
        self.project.pulumi("config", "set", "--stack", name, "--path", f"{stacks.NS}:{key}", value)
        sample = self.project.pulumi("preview", "--stack", name, *self.flags)
        want = {"to update": 1, "unchanged": resources - 1}
        self.record("preview-change", consumers, stacks.check(sample, want, "preview after one change"), sample, warm)

    # --- the dev stack: no-op preview from the command line -------------------------------------

    def dev_up(self) -> None:
        config = stacks.dev_stack_config(self.brokers["plain"]["bootstrap_servers"], self.prefix())
        self.project.new_stack("dev", config, {})
        stacks.check(self.project.pulumi("up", "--stack", "dev", "--yes", "--skip-preview"), {"created": None}, "dev up")

    def dev_preview(self, warm: bool) -> None:
        sample = self.project.pulumi("preview", "--stack", "dev", "--expect-no-changes")
        self.record("dev-preview-noop", 0, stacks.check(sample, {"unchanged": None}, "dev preview"), sample, warm)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10,100,500", help="external consumer counts of the scale runs")
    parser.add_argument("--runs", type=int, default=3, help="measured runs of everything (default 3)")
    parser.add_argument("--warmup", type=int, default=1, help="unrecorded rounds first (default 1)")
    parser.add_argument("--out", type=Path, default=PROJECT / "bench" / "results")
    parser.add_argument("--parallel", type=int, help="pulumi --parallel for up and preview (default: the CLI's)")
    parser.add_argument("--default-up-max", type=int, default=500,
                        help="largest size whose `up` is measured with the CLI's defaults every run; above it only "
                        "once (default 500: with one access resource per role it takes seconds)")
    parser.add_argument("--destroy-parallel", type=int, default=64, help="pulumi --parallel for the clean-up destroy")
    parser.add_argument("--program-ref", help="measure the program as committed at this git ref (default: the "
                        "working tree as it is now)")
    parser.add_argument("--engine-env", action="append", default=[], metavar="KEY=VALUE",
                        help="extra environment of every pulumi command, e.g. PULUMI_SKIP_CHECKPOINTS=true")
    parser.add_argument("--no-peer", dest="peer", action="store_false",
                        help="leave out the peer (OpenTofu + the Terraform kafka provider, built on first use)")
    args = parser.parse_args(argv)
    args.sizes = [int(s) for s in args.sizes.split(",") if s]
    if args.runs < 1 or any(n < 1 for n in args.sizes):
        parser.error("--runs and every size must be at least 1")
    return args


def start_brokers(tmp: Path) -> dict[str, dict]:
    brokers = {}
    for mode in ("secure", "plain"):
        info = broker.start(mode, tmp / f"broker-{mode}", port=broker.free_port(), controller_port=broker.free_port())
        brokers[mode] = {**info, "dir": str(tmp / f"broker-{mode}")}
    return brokers


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    report.require_plotting()  # before the brokers start, not after twenty minutes of measuring
    tmp = Path(tempfile.mkdtemp(prefix="evidentsource-bench-"))
    started = time.monotonic()
    try:
        bench = Bench(args, tmp, start_brokers(tmp))
        bench.log(f"brokers up; program copy in {bench.project.root}")
        bench.dev_up()
        for round_ in range(args.warmup + args.runs):
            bench.base_round(warm=round_ < args.warmup)
        for size in args.sizes:
            for run in range(args.runs):
                bench.scale(size, first=run == 0)
        bench.project.remove_stack("dev", args.destroy_parallel)
        bench.results.machine["duration_s"] = round(time.monotonic() - started)
        paths = report.write(args.out, bench.results)
        print("\n".join(f"wrote {p}" for p in paths))
    finally:
        for mode in ("secure", "plain"):
            broker.stop(tmp / f"broker-{mode}")
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
