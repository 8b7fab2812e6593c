"""Real Kafka clients of one role, configured only from the stack's clientProperties output plus the role's secret.

The role's secret is its password (PLAIN/SCRAM, handed over as $KAFKA_SASL_PASSWORD) or its
TLS client certificate (one PEM file with key and certificate, as $KAFKA_SSL_KEYSTORE_LOCATION),
exactly as the output's comments tell an application. Two kinds of client read the same text:
librdkafka (confluent_kafka) and Kafka's own Java console producer and consumer.
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition

from components.config.connection import KEYSTORE_ENV, PASSWORD_ENV
from tools.cluster.broker import TOOL_HEAP, TOOLS, java

DENIED = (KafkaError.TOPIC_AUTHORIZATION_FAILED, KafkaError.GROUP_AUTHORIZATION_FAILED,
          KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, KafkaError.CLUSTER_AUTHORIZATION_FAILED)


@dataclass(frozen=True)
class RoleClient:
    properties: str  # the role's clientProperties output, as is
    username: str | None = None
    password: str | None = None
    keystore: Path | None = None  # PEM key + certificate, for mTLS roles

    def parsed(self) -> dict[str, str]:
        return dict(line.split("=", 1) for line in self.properties.splitlines() if line and not line.startswith("#"))

    def env(self) -> dict[str, str]:
        env = {**os.environ}
        if self.password is not None:
            env[PASSWORD_ENV] = self.password
        if self.keystore is not None:
            env[KEYSTORE_ENV] = str(self.keystore)
        return env

    def librdkafka(self) -> dict:
        """The same settings in librdkafka's spelling (what a non-Java client is told by the same text)."""
        props, settings = self.parsed(), {"log_level": 0}
        settings |= {k: props[k] for k in ("bootstrap.servers", "security.protocol", "sasl.mechanism") if k in props}
        if "sasl.mechanism" in props:
            settings |= {"sasl.username": self.username, "sasl.password": self.password}
        if "ssl.truststore.location" in props:
            settings["ssl.ca.location"] = props["ssl.truststore.location"]
        if props.get("ssl.keystore.location") == f"${{env:{KEYSTORE_ENV}}}":
            settings |= {"ssl.certificate.location": str(self.keystore), "ssl.key.location": str(self.keystore)}
        if props.get("enable.idempotence") == "true":
            settings["enable.idempotence"] = True
        return settings

    def produce(self, topic: str, **extra) -> KafkaError | None:
        return produce(self.librdkafka(), topic, **extra)

    def consume(self, topic: str, group: str, timeout: float = 30) -> int | KafkaError:
        return consume(self.librdkafka(), topic, group, timeout)

    def java(self, tool: str, args: list[str], tmp: Path, text_in: str = "") -> subprocess.CompletedProcess:
        """Kafka's console producer or consumer with --producer.config/--consumer.config written from the output."""
        config = tmp / f"{tool}-{uuid.uuid4().hex[:6]}.properties"
        config.write_text(self.properties)
        flag = {"console-producer": "--producer.config", "console-consumer": "--consumer.config"}[tool]
        cmd = java(TOOL_HEAP, "tools", TOOLS[tool], "--bootstrap-server", self.parsed()["bootstrap.servers"],
                   flag, str(config), *args)
        return subprocess.run(cmd, input=text_in, text=True, errors="replace", capture_output=True, timeout=180,
                              env=self.env())


def produce(settings: dict, topic: str, **extra) -> KafkaError | None:
    """Produce one record; None if delivered, else the error."""
    results: list = []
    producer = Producer({**settings, "message.timeout.ms": 15000, **extra})
    producer.produce(topic, key=b"k", value=uuid.uuid4().bytes, on_delivery=lambda err, msg: results.append(err))
    producer.flush(30)
    assert results, f"no delivery report for {topic}"
    return results[0]


def consume(settings: dict, topic: str, group: str, timeout: float = 30) -> int | KafkaError:
    """The number of records read from the start of topic with group (once at least one came), or the first error."""
    consumer = Consumer({**settings, "group.id": group, "auto.offset.reset": "earliest", "enable.auto.commit": True})
    consumer.subscribe([topic])
    try:
        return polled(consumer, timeout, (KafkaError._PARTITION_EOF,))
    except KafkaException as exc:
        return exc.args[0]
    finally:
        consumer.close()


def polled(consumer: Consumer, timeout: float, skipped: tuple) -> int | KafkaError:
    """Records polled until none comes after at least one (or `timeout`), or the first error not in `skipped`."""
    deadline, count = time.monotonic() + timeout, 0
    while time.monotonic() < deadline:
        msg = consumer.poll(1.0)
        if msg is None:
            if count:
                return count
            continue
        error = msg.error()
        if error is None:
            count += 1
        elif error.code() not in skipped:
            return error
    return count


def record_count(admin_settings: dict, topic: str) -> int:
    """Records in topic (sum of high watermarks), read with the admin's settings."""
    consumer = Consumer({**admin_settings, "group.id": "admin-watermarks", "log_level": 0})
    try:
        partitions = consumer.list_topics(topic, timeout=15).topics[topic].partitions
        return sum(consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=15)[1] for p in partitions)
    finally:
        consumer.close()


def denied(result) -> bool:
    return isinstance(result, KafkaError) and result.code() in DENIED


def topic_read(settings: dict, topic: str, timeout: float = 20) -> int | KafkaError:
    """Records read from `topic` by assignment, from its first offsets, or the topic's own refusal: its metadata
    refused (no right at all on it: even Describe is implied by Read and Write) or its fetch refused (no Read).

    No group's rights are needed: librdkafka still asks for a group coordinator, and that refusal is skipped, so
    what is proven is the topic's ACLs, whatever the principal's groups."""
    from confluent_kafka import OFFSET_BEGINNING
    consumer = Consumer({**settings, "group.id": f"assign-only-{uuid.uuid4().hex[:8]}", "enable.auto.commit": False,
                         "enable.auto.offset.store": False})
    try:
        metadata = consumer.list_topics(topic, timeout=15).topics[topic]
        if metadata.error is not None:
            return metadata.error
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in metadata.partitions])
        return polled(consumer, timeout, (KafkaError.GROUP_AUTHORIZATION_FAILED, KafkaError._PARTITION_EOF))
    except KafkaException as exc:
        return exc.args[0]
    finally:
        consumer.close()


def end_offsets(admin_settings: dict, topic: str) -> tuple[int, ...]:
    """Each partition's high watermark, in partition order, read with the admin's settings."""
    consumer = Consumer({**admin_settings, "group.id": "admin-watermarks", "log_level": 0})
    try:
        partitions = consumer.list_topics(topic, timeout=15).topics[topic].partitions
        return tuple(consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=15)[1] for p in sorted(partitions))
    finally:
        consumer.close()
