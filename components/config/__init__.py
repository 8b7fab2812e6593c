"""The stack's settings: schema, rules, the validated whole, connection; load.py is the only reader of pulumi.Config."""
