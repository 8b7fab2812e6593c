"""The local secure cluster's cost: start to ready, and the peak memory of its three nodes under work.

A fresh cluster in a temp dir (CA and storage made from nothing), then the work a test
session gives it: four RF-3 topics, 20,000 records produced with acks=all over SASL_SSL and
read back. The nodes' resident memory is sampled (sum of the three, every 0.2 s) from start
to stop. Usage: .venv/bin/python -m bench.secure_cluster [--out bench/results]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from pathlib import Path

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from bench.measure import _stat
from tools.cluster import secure_cluster as cluster_tool

RECORDS = 20_000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    peak, stop = [0], threading.Event()
    with tempfile.TemporaryDirectory() as tmp:
        def sample() -> None:
            while not stop.wait(0.2):
                pids = [cluster_tool._pid(Path(tmp), n) for n in cluster_tool.NODES]
                peak[0] = max(peak[0], sum((_stat(p) or (0, 0))[0] for p in pids if p))
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        began = time.monotonic()
        info = cluster_tool.start(tmp, cluster_tool.free_ports())
        ready = time.monotonic() - began
        try:
            settings = {**cluster_tool.client_config(info), "log_level": 0}
            topics = [f"bench-{i}" for i in range(4)]
            admin = AdminClient(settings)
            futures = admin.create_topics([NewTopic(t, 3, 3) for t in topics])
            for future in futures.values():
                future.result(60)
            work = time.monotonic()
            producer = Producer({**settings, "acks": "all", "enable.idempotence": True, "linger.ms": 5})
            for i in range(RECORDS):
                producer.produce(topics[i % 4], key=str(i).encode(), value=b"x" * 200)
                producer.poll(0)
            producer.flush(120)
            consumer = Consumer({**settings, "group.id": "bench", "auto.offset.reset": "earliest"})
            consumer.subscribe(topics)
            read = 0
            while read < RECORDS:
                msg = consumer.poll(10)
                assert msg is not None, f"reading stalled at {read}"
                read += 0 if msg.error() else 1
            consumer.close()
            worked = time.monotonic() - work
        finally:
            cluster_tool.stop(tmp)
            stop.set()
            sampler.join()
    result = {"start_to_ready_s": round(ready, 1), "peak_rss_three_nodes_mib": round(peak[0] / 2**20),
              "work": f"4 topics RF 3, {RECORDS} records produced (acks=all) and read back over SASL_SSL",
              "work_s": round(worked, 1), "measured": time.strftime("%Y-%m-%d")}
    print(json.dumps(result, indent=2))
    if args.out:
        (args.out / "secure-cluster.json").write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
