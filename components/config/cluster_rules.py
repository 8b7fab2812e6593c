"""Rules of the cluster, msk and network sections: protocol, mechanism, TLS, MSK listeners and ports."""

from __future__ import annotations

import re

from components.config.rules import INVALID, Draft, Problems, auth_consistent, check
from components.config.schema import ClusterConfig
from components.model.arns import iam_role_account
from components.model.listeners import MSK_LISTENERS, describe_msk_listeners, msk_listener

AUTH = ("cluster.securityProtocol", "cluster.saslMechanism")  # what every rule about the cluster's login reads


# --- cluster ----------------------------------------------------------------------

@check(*AUTH)
def mechanism_fits_protocol(d: Draft, p: Problems) -> None:
    c = d.cluster
    if c.security_protocol.startswith("SASL_") and c.sasl_mechanism is None:
        p.add("cluster.securityProtocol", c.security_protocol,
              "needs cluster.saslMechanism: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or AWS_MSK_IAM")
    if not c.security_protocol.startswith("SASL_") and c.sasl_mechanism is not None:
        p.add("cluster.saslMechanism", c.sasl_mechanism,
              f"needs securityProtocol SASL_SSL or SASL_PLAINTEXT, not {c.security_protocol}")
    if c.sasl_mechanism == "AWS_MSK_IAM" and c.security_protocol != "SASL_SSL":
        p.add("cluster.saslMechanism", c.sasl_mechanism, "AWS_MSK_IAM works only over securityProtocol SASL_SSL")


@check("cluster.securityProtocol")
def tls_only_settings(d: Draft, p: Problems) -> None:
    c = d.cluster
    if c.tls:
        return
    for key, value in (("skipTlsVerify", c.skip_tls_verify), ("caCert", c.ca_cert),
                       ("clientCert", c.client_cert), ("clientKey", c.client_key)):
        if value and d.ok(f"cluster.{key}"):
            p.add(f"cluster.{key}", value, f"applies to securityProtocol SSL or SASL_SSL only, not {c.security_protocol}")


@check("cluster.clientCert", "cluster.clientKey")
def client_cert_with_key(d: Draft, p: Problems) -> None:
    c = d.cluster
    if bool(c.client_cert) != bool(c.client_key):
        p.add("cluster.clientCert" if c.client_cert else "cluster.clientKey", c.client_cert or c.client_key,
              "mTLS needs both cluster.clientCert and cluster.clientKey")


@check(*AUTH)
def iam_only_settings(d: Draft, p: Problems) -> None:
    if d.cluster.sasl_mechanism == "AWS_MSK_IAM":
        return
    why = f"only used with saslMechanism AWS_MSK_IAM; this stack uses {d.cluster.sasl_mechanism or d.cluster.security_protocol}"
    for key in ("aws_region", "aws_role_arn", "aws_profile"):
        if getattr(d.cluster, key) is not None and d.ok(f"cluster.{ClusterConfig.key(key)}"):
            p.add(f"cluster.{ClusterConfig.key(key)}", getattr(d.cluster, key), why)
    if d.iam_given:
        p.add("iam", d.raw.get("iam"), why)


# --- MSK ----------------------------------------------------------------------------

@check("msk")
def msk_needed(d: Draft, p: Problems) -> None:
    if d.msk is not None:
        return
    how = "add evidentsource-kafka:msk.clusterArn (arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid>)"
    if d.ok("topics.backend") and d.topics.backend == "msk":
        p.add("topics.backend", "msk", f"the msk backend creates topics through the AWS API: {how}")
    if d.ok(*AUTH) and d.cluster.sasl_mechanism == "AWS_MSK_IAM":
        p.add("cluster.saslMechanism", "AWS_MSK_IAM", f"IAM policies are scoped to the cluster's ARN: {how}")
    if d.network not in (None, INVALID):
        p.add("network", d.raw.get("network"), f"ingress rules are for an MSK cluster: {how}")


@check(*AUTH, "msk.publicAccess")
def msk_listener_exists(d: Draft, p: Problems) -> None:
    c = d.cluster
    if d.msk in (None, INVALID) or not auth_consistent(c) or msk_listener(c.security_protocol, c.sasl_mechanism):
        return
    given = c.security_protocol + (f"+{c.sasl_mechanism}" if c.sasl_mechanism else "")
    p.add("cluster.saslMechanism" if c.sasl_mechanism else "cluster.securityProtocol",
          c.sasl_mechanism or c.security_protocol,
          f"MSK has no {given} listener; MSK serves {describe_msk_listeners()}")


@check(*AUTH, "cluster.bootstrapServers", "msk.publicAccess")
def bootstrap_ports(d: Draft, p: Problems) -> None:
    c = d.cluster
    listener = msk_listener(c.security_protocol, c.sasl_mechanism) if d.msk not in (None, INVALID) else None
    if listener is None:
        return
    want = listener.port(d.msk.public_access)
    if want is None:
        p.add("msk.publicAccess", True, f"MSK public access has no {listener.title} listener; use SSL, SCRAM or IAM")
        return
    for i, server in enumerate(c.bootstrap_servers):
        port = int(server.rsplit(":", 1)[1])
        if port != want:
            other = next((lst.title for lst in MSK_LISTENERS if port in (lst.private_port, lst.public_port)), None)
            note = f" ({port} is MSK's {other} port)" if other else ""
            p.add(f"cluster.bootstrapServers[{i}]", server,
                  f"MSK serves {listener.title} on port {want}{' (public access)' if d.msk.public_access else ''}{note}")


# b-1.<cluster name>.<id>.c2.kafka.<region>.amazonaws.com (and kafka-serverless, and MSK's public endpoints)
_MSK_BROKER = re.compile(r"^(?:b-\d+(?:-public)?\.)?(?P<name>[A-Za-z0-9-]+)\.[a-z0-9]+(?:\.c\d+)?\."
                         r"kafka(?:-serverless)?\.(?P<region>[a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com(?:\.cn)?$")


@check("cluster.bootstrapServers", "msk.clusterArn", "cluster.awsRoleArn")
def msk_brokers_match_the_cluster_arn(d: Draft, p: Problems) -> None:
    """The brokers, the cluster ARN and Pulumi's AWS settings must name one cluster: one region, one account."""
    arn = d.msk.arn if d.msk not in (None, INVALID) else None
    if arn is None:
        return
    for i, server in enumerate(d.cluster.bootstrap_servers):
        match = _MSK_BROKER.match(server.rsplit(":", 1)[0])
        if match and match.group("region") != arn.region:
            p.add(f"cluster.bootstrapServers[{i}]", server, f"an MSK broker in {match.group('region')}, but "
                  f"msk.clusterArn is a cluster in {arn.region}: they must name the same cluster")
    role = d.cluster.aws_role_arn
    if role and (account := iam_role_account(role)) and account != arn.account:
        p.add("cluster.awsRoleArn", role, f"a role of account {account}, but the cluster (msk.clusterArn) is in "
              f"account {arn.account}")


@check("network.clusterSecurityGroupId", "network.lambdaSecurityGroupId")
def network_sources(d: Draft, p: Problems) -> None:
    if d.network in (None, INVALID):
        return
    if not d.network.sources():
        p.add("network", d.raw.get("network"), "name at least one source: clusterSecurityGroupId and/or lambdaSecurityGroupId")
    if d.msk not in (None, INVALID) and d.ok("msk.publicAccess") and d.msk.public_access:
        p.add("network", d.raw.get("network"), "security-group references only match traffic inside the VPC; "
              "with msk.publicAccess clients come over the internet: manage their CIDR rules yourself")
