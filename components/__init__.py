"""Component resources and the data they are derived from.

Read in this order: catalog (the four topics), stack_config (typed, validated
stack settings), connection (how Pulumi reaches the cluster), topics.
"""
