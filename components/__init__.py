"""Component resources and the data they are derived from.

Read in this order:
- catalog: the four EvidentSource topics, as data;
- config_schema, config_checks, stack_config: the stack's settings, typed and validated;
- data_safety (with live_cluster, prior_state): what the cluster and the stack's state hold,
  the refusal of every change that would destroy a topic's messages, adoption plans;
- access_model: the seed's roles and what each may do, derived from the catalogue;
- kafka_acls, msk_iam: the two enforcers of that model (Kafka ACLs, MSK IAM policies);
- ports, network: MSK listener ports and the security-group ingress built on them;
- connection (with jaas, arns): how Pulumi reaches the cluster and AWS;
- topics, scram_users: the remaining resources;
- outputs: what a user needs next.
"""
