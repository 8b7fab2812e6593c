"""The validated whole of a stack's settings, and what follows from them alone.

Made only by load.py (after every rule passed), so code that holds a `StackConfig` never
checks a setting again: it asks this object (its enforcer, topic names, the role settings,
how to connect).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from components.config.connection import Connection
from components.config.schema import (AccessConfig, AdoptConfig, BridgeConfig, ClusterConfig, IamConfig, MskConfig,
                                      NetworkConfig, TopicsConfig)
from components.config.secrets import SaslLogin, Secret
from components.model import access_model, bridge
from components.model.access_model import Enforcer
from components.model.bridge import BridgeTopics
from components.model.catalog import CATALOG


@dataclass(frozen=True)
class StackConfig:
    cluster: ClusterConfig
    topics: TopicsConfig = TopicsConfig()
    access: AccessConfig = AccessConfig()
    msk: MskConfig | None = None
    iam: IamConfig = IamConfig()
    network: NetworkConfig | None = None
    adopt: AdoptConfig = AdoptConfig()
    shapes: tuple[str, ...] = bridge.DEFAULT_SHAPES  # fourTopics, bridge (model/bridge.py)
    bridge: BridgeConfig = BridgeConfig()
    login: SaslLogin | None = None  # Pulumi's own identity on SASL/PLAIN and SASL/SCRAM clusters
    principal_passwords: dict[str, Secret] = field(default_factory=dict)  # SCRAM/PLAIN user name -> password

    @property
    def enforcer(self) -> Enforcer:
        return enforcer_for(self.cluster)

    def topic_names(self) -> dict[str, str]:
        """Catalogue key -> name, for the four topics (none where the stack does not declare them)."""
        return {t.key: self.topics.name_of(t.key) for t in CATALOG} if "fourTopics" in self.shapes else {}

    def bridge_topics(self, declared: dict[str, str] | None = None) -> BridgeTopics:
        """The bridge shape's prefix and database -> topic name (as declared in this run, where `declared` says:
        topic key -> name); the shape off: none."""
        if "bridge" not in self.shapes:
            return bridge.OFF
        prefix = self.bridge.topic_prefix
        return BridgeTopics(prefix, {db: (declared or {}).get(bridge.topic_key(db), bridge.topic_name(prefix, db))
                                     for db in self.bridge.databases})

    def access_model(self, topic_names: dict[str, str] | None = None) -> access_model.AccessModel:
        """The stack's access model; `topic_names` (key -> name) when a run declares other names than the
        settings ask for (data safety keeps a topic as it is in the run that lifts its protection)."""
        settings = {key: role.for_model() for key, role in self.access.roles().items()}
        declared = {k: v for k, v in (topic_names or {}).items()  # a released four topic is no longer the model's
                    if "fourTopics" in self.shapes or bridge.database_of(k) is not None}
        return access_model.build(self.enforcer, settings, {**self.topic_names(), **declared},
                                  self.bridge_topics(topic_names))

    @cached_property
    def connection(self) -> Connection:
        c = self.cluster
        iam = c.sasl_mechanism == "AWS_MSK_IAM"
        region = c.aws_region or (self.msk.arn.region if self.msk and self.msk.arn else None)
        return Connection(
            tuple(c.bootstrap_servers), c.security_protocol, c.sasl_mechanism, self.login,
            ca_cert=c.ca_cert, client_cert=c.client_cert, client_key=c.client_key, skip_tls_verify=c.skip_tls_verify,
            timeout_seconds=c.timeout_seconds, aws_region=region if iam else None,
            aws_role_arn=c.aws_role_arn, aws_profile=c.aws_profile)

    @property
    def needs_aws(self) -> bool:
        return self.topics.backend == "msk" or self.enforcer == "msk-iam" or self.network is not None

    @property
    def needs_kafka_provider(self) -> bool:
        return self.topics.backend == "kafka" or self.enforcer == "kafka-acls" or self.access.create_scram_users


def enforcer_for(cluster: ClusterConfig) -> Enforcer:
    """AWS_MSK_IAM clients are governed by IAM policies (Kafka ACLs do not apply to them);
    SASL and TLS clients by Kafka ACLs; PLAINTEXT identifies no one, so nothing can be enforced."""
    if cluster.sasl_mechanism == "AWS_MSK_IAM":
        return "msk-iam"
    return "none" if cluster.security_protocol == "PLAINTEXT" else "kafka-acls"
