"""The project's tools, one room per concern: toolchain/, cluster/, preview/, ops/ (and the `pulumi` wrapper)."""
