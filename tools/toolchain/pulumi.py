"""`pulumi` with this project's environment: the bootstrapped engine first on PATH, no plugin
downloads, no update checks, and the local state backend unless you chose another.
Run through the `tools/pulumi` script: tools/pulumi <any pulumi arguments>. Standard library only."""

import os
import sys

from tools.toolchain.projectenv import PROJECT, engine_env

if __name__ == "__main__":
    env = engine_env()
    os.chdir(PROJECT)
    os.execvpe("pulumi", ["pulumi", *sys.argv[1:]], env)
