"""`pulumi` with this project's environment: the bootstrapped engine first on PATH, no plugin
downloads, no update checks, and the local state backend unless you chose another.
Run through the `tools/pulumi` script: tools/pulumi <any pulumi arguments>. Standard library only.

`refresh` and `destroy` run the program (`--run-program`, unless you pass it yourself), so that every
provider logs in with the stack's settings of now: after a rotated admin password they work at once,
instead of failing with the login recorded at the last `up`. The program is told which operation runs
(OPERATION_ENV): in a refresh or a destroy its refusals are said as warnings, since neither applies
what the settings ask (a refusal that says "run pulumi refresh" must not refuse that refresh).

On a file backend, a metadata sidecar (`<blob>.attrs`) that a killed run left empty or cut short is removed
first, with a line saying so: gocloud's fileblob writes it in place, and an empty one makes every command on
the stack fail with `failed to load checkpoint: EOF`. The sidecar holds only a content type and a checksum
nobody reads (a missing one reads as defaults); the checkpoint beside it is whole, as blobs are renamed into
place. The project's own file backends no longer write sidecars (projectenv.FILE_BACKEND_OPTIONS); this mends
a backend you chose yourself, or one written before."""

import json
import os
import sys
from pathlib import Path

from tools.toolchain.projectenv import PROJECT, engine_env, file_backend_dir, login_url

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


def mend_sidecars(env: dict[str, str]) -> list[Path]:
    """Remove the file backend's metadata sidecars that are not whole JSON; the ones removed."""
    directory = file_backend_dir(login_url(env))
    if directory is None:
        return []
    directory = directory if directory.is_absolute() else PROJECT / directory  # pulumi runs in PROJECT
    mended = []
    for sidecar in (directory / ".pulumi").rglob("*.attrs"):
        try:
            json.loads(sidecar.read_bytes())
        except ValueError:  # empty or cut short (a run writing one this instant would only lose its defaults)
            sidecar.unlink(missing_ok=True)
            mended.append(sidecar)
        except OSError:
            pass
    return mended


if __name__ == "__main__":
    env = engine_env()
    for path in mend_sidecars(env):
        print(f"tools/pulumi: removed {path}: an empty metadata file a killed run left in the state backend "
              "(the checkpoint beside it is whole)", file=sys.stderr)
    args, operation = arguments(sys.argv[1:])
    if operation:
        env[OPERATION_ENV] = operation
    os.chdir(PROJECT)
    os.execvpe("pulumi", ["pulumi", *args], env)
