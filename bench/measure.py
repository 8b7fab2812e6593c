"""Timing and memory of one command: wall time, peak RSS of its process tree, CPU per process.

A sampler thread reads the command's process tree from Linux's /proc every 100 ms
(psutil is not in the venv), so the peak resident memory is that of the engine, the
language host, the Python program and the provider together. CPU seconds per process
kind are read at the last sample each process was seen alive, which tells where the
time goes without a profiler. The 1-minute load average is recorded beside every
measurement: other test suites share these 2 cores.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")
TICK = os.sysconf("SC_CLK_TCK")
SAMPLE_S = 0.1
REDISCOVER = 5  # walk the whole tree (every thread's children) only every 5th sample: it costs CPU
# ... except in a run's first seconds, where short runs start their plugins: a provider that lives
# half a second of a 1-second preview would otherwise be missed between two walks.
EVERY_SAMPLE_FOR = 50


def loadavg() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def kind(cmdline: list[str]) -> str:
    """Which part of the Pulumi stack a process is, from its command line."""
    exe = os.path.basename(cmdline[0]) if cmdline else ""
    if exe.startswith("python"):
        return "python program"  # the SDK's pulumi-language-python-exec, run by the language host
    for prefix, name in (("pulumi-resource-", "provider"), ("terraform-provider-", "provider"),
                         ("pulumi-language-", "language host"), ("pulumi", "engine"), ("tofu", "engine"),
                         ("java", "java")):
        if exe.startswith(prefix):
            return name
    return "other"


def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            found += [int(c) for c in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
    except OSError:
        pass
    return found


def _tree(root: int) -> list[int]:
    pids, todo = [], [root]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        todo += _children(pid)
    return pids


def _stat(pid: int) -> tuple[int, float] | None:
    """(rss bytes, cpu seconds) of one process, or None if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[21]) * PAGE, (int(fields[11]) + int(fields[12])) / TICK


@dataclass
class Sample:
    """What one command cost."""

    wall_s: float
    peak_rss: int  # bytes, the whole process tree at its largest
    cpu_s: dict[str, float]  # process kind -> CPU seconds
    load: float  # 1-minute load average when the command started
    returncode: int
    output: str = field(repr=False, default="")


class _Sampler(threading.Thread):
    def __init__(self, root: int):
        super().__init__(daemon=True)
        self.root, self.peak, self.cpu, self.kinds = root, 0, {}, {}
        self.pids: list[int] = [root]
        self.done = threading.Event()

    def run(self) -> None:
        count = 0
        while not self.done.is_set():
            if count < EVERY_SAMPLE_FOR or count % REDISCOVER == 0:
                self.pids = _tree(self.root)
                self.classify()  # again each time: a child seen between fork and exec has its parent's cmdline
            self.sample()
            count += 1
            self.done.wait(SAMPLE_S)

    def sample(self) -> None:
        total = 0
        for pid in self.pids:
            stat = _stat(pid)
            if stat is None:
                continue
            total += stat[0]
            self.cpu[pid] = stat[1]
        self.peak = max(self.peak, total)

    def classify(self) -> None:
        for pid in self.pids:
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
            except OSError:
                continue
            if cmdline[0]:  # empty while the process is being exec'd
                self.kinds[pid] = kind(cmdline)

    def cpu_by_kind(self) -> dict[str, float]:
        result: dict[str, float] = {}
        for pid, seconds in self.cpu.items():
            name = self.kinds.get(pid, "other")
            result[name] = result.get(name, 0.0) + seconds
        return {k: round(v, 2) for k, v in sorted(result.items())}


def run(cmd: list[str], *, cwd: str | Path | None = None, env: dict | None = None,
        timeout: float = 1800, check: bool = True) -> Sample:
    """Run cmd, sampling its process tree; raise with its output if it fails and check is set."""
    load = loadavg()
    start = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    sampler = _Sampler(proc.pid)
    sampler.start()
    try:
        output, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        output, _ = proc.communicate()
        raise RuntimeError(f"timed out after {timeout:g} s: {' '.join(cmd)}\n{output[-3000:]}") from None
    finally:
        sampler.done.set()
        sampler.join()
    wall = time.monotonic() - start
    if check and proc.returncode != 0:
        raise RuntimeError(f"exit {proc.returncode}: {' '.join(cmd)}\n{output[-3000:]}")
    return Sample(wall, sampler.peak, sampler.cpu_by_kind(), load, proc.returncode, output)


def timed(fn) -> Sample:
    """Wall time of an in-process call (no child processes to sample)."""
    load = loadavg()
    start = time.monotonic()
    fn()
    return Sample(time.monotonic() - start, 0, {}, load, 0)


def summary(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}
