"""`pulumi` with this project's environment: the bootstrapped engine first on PATH, no plugin
downloads, no update checks, and the local state backend unless you chose another.
Run through the `tools/pulumi` script: tools/pulumi <any pulumi arguments>. Standard library only.

`refresh` and `destroy` run the program (`--run-program`, unless you pass it yourself), so that every
provider logs in with the stack's settings of now: after a rotated admin password they work at once,
instead of failing with the login recorded at the last `up`. The program is told which operation runs
(OPERATION_ENV): in a refresh or a destroy its refusals are said as warnings, since neither applies
what the settings ask (a refusal that says "run pulumi refresh" must not refuse that refresh).

On a file backend, a metadata sidecar (`<blob>.attrs`) that a killed run left empty or cut short is removed
first, with a line saying so (projectenv.mend_file_backend, as for every tool that runs pulumi)."""

import os
import sys

from tools.toolchain.projectenv import PROJECT, engine_env

OPERATION_ENV = "EVIDENTSOURCE_KAFKA_OPERATION"  # read by components/safety/check.py
RUNS_PROGRAM = ("refresh", "destroy")
VALUE_FLAGS = {"--cwd", "-C", "--color", "--tracing", "--profiling", "--memprofilerate", "--verbose", "-v"}


def arguments(argv: list[str]) -> tuple[list[str], str | None]:
    """The pulumi arguments, with --run-program added to a refresh or destroy; and that operation, if any."""
    command, skip = None, False
    for arg in argv:  # the first word that is neither a flag nor a global flag's value
        if skip:
            skip = False
        elif arg in VALUE_FLAGS:
            skip = True
        elif not arg.startswith("-"):
            command = arg
            break
    if command not in RUNS_PROGRAM:
        return argv, None
    if any(a == "--run-program" or a.startswith("--run-program=") for a in argv):
        return argv, command
    at = argv.index(command) + 1
    return [*argv[:at], "--run-program", *argv[at:]], command


if __name__ == "__main__":
    env = engine_env()  # mends the file backend's sidecars a killed run left unreadable (see above)
    args, operation = arguments(sys.argv[1:])
    if operation:
        env[OPERATION_ENV] = operation
    os.chdir(PROJECT)
    os.execvpe("pulumi", ["pulumi", *args], env)
