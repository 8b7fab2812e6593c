"""Data safety: the live cluster and the stack's state read, each topic planned, destructive changes refused."""
