"""The benchmark's report: a Markdown table (bench.md), a plot (bench.png) and the raw samples (bench.json).

Every figure is the median of the measured runs with their min and max; the 1-minute load
average at the start of each run is shown beside it, because other test suites share the
machine. Ratios are to the floor: the same work as one batched admin request per kind.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from dataclasses import asdict
from pathlib import Path

from bench import measure

LABELS = {  # table order
    "seed": "seed procedure: 4 topic + 7 ACL commands, one JVM each",
    "floor-seed": "floor for the seed's work: one batched request per kind",
    "preview-create": "`pulumi preview`, empty stack",
    "up": "`pulumi up --skip-preview`, from empty (CLI defaults)",
    "up-fast": "`pulumi up --skip-preview --parallel 64`, PULUMI_SKIP_CHECKPOINTS=true, from empty",
    "preview-noop": "`pulumi preview`, nothing changed",
    "preview-noop-nolog": "`pulumi preview`, nothing changed, with the engine's automatic log unavailable "
                          "(upstream cost, for comparison only)",
    "preview-change": "`pulumi preview`, one retention changed",
    "preview-noop-refresh": "`pulumi preview --refresh`, nothing changed",
    "floor": "floor for the stack's work: one batched request per kind",
    "tofu-apply": "peer: `tofu apply`, from empty (CLI defaults)",
    "tofu-plan-noop": "peer: `tofu plan -refresh=false`, nothing changed",
    "tofu-plan-noop-refresh": "peer: `tofu plan`, nothing changed (refreshes, its default)",
    "tofu-plan-change": "peer: `tofu plan -refresh=false`, one retention changed",
    "dev-preview-noop": "dev stack (PLAINTEXT): `pulumi preview`, nothing changed",
}
FLOOR_OF = {"seed": "floor-seed", "preview-create": "floor", "up": "floor", "up-fast": "floor",
            "preview-noop": "floor", "preview-noop-nolog": "floor", "preview-change": "floor",
            "preview-noop-refresh": "floor", "tofu-apply": "floor", "tofu-plan-noop": "floor",
            "tofu-plan-noop-refresh": "floor", "tofu-plan-change": "floor"}
# The program's measurement and the peer's for the same work, in the same run (issue: "Faster than Terraform").
PAIRS = (("up", "tofu-apply", "from empty, each CLI's defaults"),
         ("preview-noop", "tofu-plan-noop", "no-op, no refresh"),
         ("preview-noop-refresh", "tofu-plan-noop-refresh", "no-op, with refresh"),
         ("preview-change", "tofu-plan-change", "one change, no refresh"))
SCALED = ("up", "up-fast", "preview-noop", "preview-change")
GIB = 2**30
PLOT_PIN = "matplotlib==3.11.2"


class Results:
    """Samples by (measurement, size), plus the machine and the settings they were taken with."""

    def __init__(self, args) -> None:
        self.settings = {"runs": args.runs, "warmup": args.warmup, "sizes": args.sizes,
                         "parallel": args.parallel or "CLI default (8)", "engine_env": args.engine_env}
        self.machine = machine()
        self.entries: dict[tuple[str, int], dict] = {}

    def add(self, key: str, size: int, resources: int, sample: measure.Sample) -> None:
        entry = self.entries.setdefault((key, size), {"resources": resources, "samples": []})
        entry["samples"].append({k: v for k, v in asdict(sample).items() if k != "output"})

    def wall(self, key: str, size: int) -> dict[str, float] | None:
        entry = self.entries.get((key, size))
        return measure.summary([s["wall_s"] for s in entry["samples"]]) if entry else None

    def items(self, key: str, size: int) -> int:
        """The work a measurement does, in items (topics + ACL bindings + SCRAM users): its floor's count.
        The program's own resource count no longer grows with the work (one access resource per role)."""
        floor = self.entries.get((FLOOR_OF.get(key, ""), size))
        return (floor or self.entries[(key, size)])["resources"]

    def per_item_ms(self, key: str, size: int) -> float | None:
        entry, wall = self.entries.get((key, size)), self.wall(key, size)
        return wall["median"] / self.items(key, size) * 1000 if entry else None

    def peak(self, size: int) -> int:
        return max((s["peak_rss"] for (k, n), e in self.entries.items() if n == size and k in SCALED
                    for s in e["samples"]), default=0)

    def sizes(self) -> list[int]:
        return sorted({n for k, n in self.entries if k in SCALED})

    def to_json(self) -> dict:
        return {"machine": self.machine, "settings": self.settings,
                "entries": [{"key": k, "size": n, **e} for (k, n), e in self.entries.items()]}


def machine() -> dict:
    mem = next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    return {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "cores": os.cpu_count(),
            "memory_gib": round(int(mem) / 2**20, 1), "cpu": cpu, "kernel": platform.release(),
            "python": platform.python_version()}


# --- Markdown --------------------------------------------------------------------------------

def _s(x: float) -> str:
    return f"{x:.2f}" if x < 10 else f"{x:.1f}"


def _row(results: Results, key: str, size: int) -> str:
    entry, wall = results.entries[(key, size)], results.wall(key, size)
    floor = results.wall(FLOOR_OF[key], size) if key in FLOOR_OF else None
    ratio = f"{wall['median'] / floor['median']:.0f}x" if floor else ""
    loads = [s["load"] for s in entry["samples"]]
    peak = max(s["peak_rss"] for s in entry["samples"])
    consumers = "" if key == "dev-preview-noop" else str(size)
    return (f"| {LABELS[key]} | {consumers} | {entry['resources']} | {_s(wall['median'])} | {_s(wall['min'])} | "
            f"{_s(wall['max'])} | {results.per_item_ms(key, size):.1f} | {ratio} | "
            f"{peak / 2**20:.0f} | {statistics.median(loads):.1f} ({min(loads):.1f}-{max(loads):.1f}) |")


def table(results: Results) -> list[str]:
    lines = [("| measurement | external consumers | resources | median s | min s | max s | ms / item of work | "
              "x floor | peak RSS MiB | load 1-min median (min-max) |"),
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    # By size, the dev stack's row with the base comparison; within a size, in LABELS order.
    order = sorted(results.entries, key=lambda kn: (max(kn[1], 1), list(LABELS).index(kn[0])))
    return lines + [_row(results, key, size) for key, size in order]


def targets(results: Results) -> list[tuple[str, str, bool | None]]:
    """(target, measured, met) for each of the issue's targets; met None if not measured."""
    rows: list[tuple[str, str, bool | None]] = []
    up, seed = results.wall("up", 1), results.wall("seed", 1)
    if up and seed:
        rows.append(("`up` of the ACL stack from empty <= half the seed procedure",
                     f"{_s(up['median'])} s vs {_s(seed['median'])} s = {up['median'] / seed['median']:.2f}",
                     up["median"] <= seed["median"] / 2))
    dev = results.wall("dev-preview-noop", 0)
    if dev:
        rows.append(("dev stack no-op preview <= 3 s median", f"{_s(dev['median'])} s", dev["median"] <= 3))
    big = max(results.sizes(), default=None)
    noop = results.wall("preview-noop", big) if big else None
    rows.append((f"{big or 500} consumers: no-op preview <= 30 s", f"{_s(noop['median'])} s" if noop else "not measured",
                 noop["median"] <= 30 if noop and big == 500 else None))
    for key in ("preview-noop", "preview-change", "up", "up-fast"):
        low, high = results.per_item_ms(key, 100), results.per_item_ms(key, 500)
        rows.append((f"{LABELS[key]}: cost per item of work 100 -> 500 consumers <= 1.5x",
                     f"{low:.1f} -> {high:.1f} ms = {high / low:.2f}x" if low and high else "not measured",
                     high / low <= 1.5 if low and high else None))
    peak = results.peak(500)
    rows.append(("500 consumers: peak RSS of engine + language host + program + provider < 1 GiB",
                 f"{peak / 2**20:.0f} MiB" if peak else "not measured", peak < GIB if peak else None))
    return rows


def ratio(results: Results, ours: str, theirs: str, size: int) -> float | None:
    a, b = results.wall(ours, size), results.wall(theirs, size)
    return a["median"] / b["median"] if a and b else None


def peer_table(results: Results) -> list[str]:
    lines = ["| work | external consumers | resources (program / peer) | this program s | OpenTofu s | ratio |",
             "|---|---:|---:|---:|---:|---:|"]
    for size in results.sizes():
        for ours, theirs, what in PAIRS:
            r = ratio(results, ours, theirs, size)
            if r is None:
                continue
            a, b = results.entries[(ours, size)], results.entries[(theirs, size)]
            lines.append(f"| {what} | {size} | {a['resources']} / {b['resources']} | "
                         f"{_s(results.wall(ours, size)['median'])} | {_s(results.wall(theirs, size)['median'])} | "
                         f"{r:.2f}x |")
    return lines


def peer_targets(results: Results) -> list[tuple[str, str, bool | None]]:
    rows: list[tuple[str, str, bool | None]] = []
    for ours, theirs, size, limit in (("preview-noop", "tofu-plan-noop", 500, 1.0),
                                      ("preview-noop-refresh", "tofu-plan-noop-refresh", 500, 1.0),
                                      ("preview-noop", "tofu-plan-noop", 10, 1.5),
                                      ("preview-noop-refresh", "tofu-plan-noop-refresh", 10, 1.5),
                                      ("up", "tofu-apply", 500, 1.0)):
        r = ratio(results, ours, theirs, size)
        rows.append((f"{LABELS[ours]} vs {LABELS[theirs].removeprefix('peer: ')} at {size} consumers <= {limit}x",
                     f"{r:.2f}x" if r is not None else "not measured", r <= limit if r is not None else None))
    return rows


def cpu_table(results: Results) -> list[str]:
    kinds = ["engine", "language host", "python program", "provider", "java (one JVM per command)"]  # tofu: engine
    lines = ["| measurement | consumers | wall s | " + " | ".join(f"{k} CPU s" for k in kinds) + " |",
             "|---|---:|---:|" + "---:|" * len(kinds)]
    for (key, size), entry in results.entries.items():
        if key not in SCALED and key not in ("dev-preview-noop", "preview-create", "seed", "preview-noop-nolog",
                                             "preview-noop-refresh") and not key.startswith("tofu-"):
            continue
        cpu = [statistics.median(s["cpu_s"].get(k, 0.0) for s in entry["samples"]) for k in kinds]
        lines.append(f"| {LABELS[key]} | {size if size else ''} | {_s(results.wall(key, size)['median'])} | "
                     + " | ".join(f"{c:.1f}" for c in cpu) + " |")
    return lines


def markdown(results: Results) -> str:
    m, s = results.machine, results.settings
    met = {True: "met", False: "**not met**", None: "not measured"}
    lines = [f"# Benchmark: the seed's procedure vs the program ({m['date']})", "",
             (f"Machine: {m['cores']} cores ({m['cpu']}), {m['memory_gib']} GiB memory, Linux {m['kernel']}, "
             f"Python {m['python']}, Pulumi {m.get('pulumi', '?')}, Kafka 4.1.1 (one local broker, SASL/SCRAM + ACLs). "
              f"Program: {m.get('program', '?')}. "
             f"Runs: {s['runs']} after {s['warmup']} warm-up round(s); engine --parallel: {s['parallel']}; "
             f"extra engine env: {', '.join(s['engine_env']) or 'none'}; whole run {m.get('duration_s', '?')} s."), "",
             *table(results), "",
             ("Resources: Pulumi resources of the stack (stack, provider and components included; the program "
             "holds each role's ACL bindings in one resource and every SCRAM user in one); for the seed, the "
             "floors and OpenTofu, topics + ACL bindings + SCRAM users created. Items of work: the floor's count "
             "at that size, the same for every row of a size. Load: other test suites share the "
             "machine; compare rows taken at similar load."), "", "## Targets", "",
             "| target | measured | |", "|---|---|---|",
             *[f"| {t} | {v} | {met[ok]} |" for t, v, ok in targets(results)], ""]
    if any(k.startswith("tofu-") for k, _ in results.entries):
        lines += ["## Against OpenTofu with the same kafka provider (paired: program, then peer, each run)", "",
                  (f"OpenTofu {m.get('peer', '?')}: the same topics, ACL bindings and SCRAM users, written from the "
                   "program's own model of the stack, on the same broker; ratio = this program / OpenTofu "
                   "(below 1: faster)."), "", *peer_table(results), "", "### Targets against the peer", "",
                  "| target | measured | |", "|---|---|---|",
                  *[f"| {t} | {v} | {met[ok]} |" for t, v, ok in peer_targets(results)], ""]
    lines += [
             "## Where the CPU goes (median CPU seconds per process)", "", *cpu_table(results), ""]
    return "\n".join(lines)


# --- the plot --------------------------------------------------------------------------------

def require_plotting() -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise SystemExit(f"bench: the plot needs matplotlib, which is not in the venv: add {PLOT_PIN} to "
                         "requirements.txt (and its pins to requirements.lock), then `make bootstrap`") from None


def plot(results: Results, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 6))
    for key in (*SCALED, "floor"):
        points = sorted(((results.items(k, n), results.wall(k, n), n) for (k, n) in results.entries if k == key),
                        key=lambda p: p[0])
        if not points:
            continue
        xs = [p[0] for p in points]
        med = [p[1]["median"] for p in points]
        err = [[m - p[1]["min"] for m, p in zip(med, points)], [p[1]["max"] - m for m, p in zip(med, points)]]
        left.errorbar(xs, med, yerr=err, marker="o", capsize=3, label=LABELS[key])
        right.plot(xs, [m / x * 1000 for m, x in zip(med, xs)], marker="o", label=LABELS[key])
    seed = results.wall("seed", 1)
    if seed:
        left.scatter([results.items("seed", 1)], [seed["median"]], marker="x", s=80, color="black",
                     zorder=5, label=LABELS["seed"])
    for ax, ylabel in ((left, "wall time, s (median; bars: min-max)"), (right, "ms per item of work (median)")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("items of work: topics + ACL bindings + SCRAM users")
        ax.set_ylabel(ylabel)
        ax.grid(True, which="both", alpha=0.3)
    handles, labels = left.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=2, fontsize=8, frameon=False)
    fig.suptitle(f"EvidentSource Kafka stack: time against the work ({results.machine['date']}, "
                 f"{results.machine['cores']} cores)", fontsize=10)
    fig.tight_layout(rect=(0, 0.14, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write(out: Path, results: Results) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "bench.md", out / "bench.png", out / "bench.json"]
    paths[2].write_text(json.dumps(results.to_json(), indent=1) + "\n")  # first: the samples survive a report bug
    paths[0].write_text(markdown(results))
    plot(results, paths[1])
    return paths
