"""The pull-request preview report: a `pulumi preview` as Markdown (standard library only)."""
