"""The program: its folders are the pipeline, and imports only point down it.

- model/: pure data and functions: the catalogue of topics, the access model and its two
  translations (ACL bindings, IAM policy documents), MSK listeners and ports, ARNs, JAAS
  strings, names;
- config/: the stack's settings, typed and validated (schema, *_rules), the validated whole
  (stack_config) and how to connect to the cluster (connection); load.py alone reads
  `pulumi.Config`;
- safety/: what the live cluster and the stack's state hold, the plan of each topic, and the
  refusal of every change that would destroy messages; adoption;
- resources/: the component resources and providers that declare all that;
- outputs.py: what a user needs next; program.py: the wiring, top-down.
sdk_debug.py stands apart: it quiets the Pulumi SDK's per-resource debug round trips.
"""
