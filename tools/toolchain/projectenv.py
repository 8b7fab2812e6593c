"""Where the project's tools live, and the environment every Pulumi command runs in.

One place for the pins, the per-user cache layout and the engine environment, so
bootstrap, the `tools/pulumi` wrapper, the Makefile and the tests cannot disagree.
Standard library only: bootstrap imports it before the venv exists.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.parse
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
VENV = PROJECT / ".venv"
LOCAL = PROJECT / ".local"  # git-ignored: broker data, engine choice, default state
STATE_DIR = PROJECT / ".pulumi-state"  # the embedded default backend (file://)
ENGINE_RECORD = LOCAL / "engine.json"

# Kept equal to requirements.txt; tests/tooling/test_bootstrap.py fails if they drift apart.
PULUMI_VERSION = "3.259.0"
KAFKA_PLUGIN_VERSION = "3.13.3"
ACTIONLINT_VERSION = "v1.7.12"  # checks .github/workflows in the test suite

# A file backend writes each blob to a temporary file and renames it into place, but gocloud's fileblob writes
# the blob's metadata sidecar (`<blob>.attrs`) in place: a run killed at that instant leaves it empty, and every
# later command on the stack fails with `failed to load checkpoint: EOF`. Pulumi reads none of that metadata
# (gocloud gives defaults when there is no sidecar), so the project opens its file backends without it.
FILE_BACKEND_OPTIONS = "?metadata=skip"


def cache_root() -> Path:
    """Per-user cache for built artefacts, keyed by version below it; outside the repo."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "evidentsource-kafka"


def engine_cache_dir() -> Path:
    return cache_root() / f"pulumi-v{PULUMI_VERSION}" / "bin"


def kafka_plugin_cache_dir() -> Path:
    return cache_root() / f"pulumi-resource-kafka-v{KAFKA_PLUGIN_VERSION}"


def actionlint_path() -> Path:
    return cache_root() / f"actionlint-{ACTIONLINT_VERSION}" / "actionlint"


def engine_bin_dir() -> Path | None:
    """The directory of the pulumi binary bootstrap chose, or None for the one on PATH."""
    try:
        record = json.loads(ENGINE_RECORD.read_text())
    except FileNotFoundError:
        raise SystemExit("The Pulumi engine is not bootstrapped yet: run `make bootstrap` (or `make up`).") from None
    return Path(record["bin_dir"]) if record.get("bin_dir") else None


def file_backend_url(directory: Path) -> str:
    """The URL of a file backend in `directory`, as the project opens it (no metadata sidecars)."""
    return directory.resolve().as_uri() + FILE_BACKEND_OPTIONS


def file_backend_dir(url: str) -> Path | None:
    """The directory of a `file://` backend URL (`file:///abs`, `file://~/x`, `file://./x`), or None for another."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "file":
        return None
    return Path(urllib.parse.unquote(parts.netloc + parts.path)).expanduser()


def login_url(env: dict[str, str] | None = None) -> str:
    """The backend pulumi will use: PULUMI_BACKEND_URL, else the one `pulumi login` chose, else ''."""
    env = os.environ if env is None else env
    if env.get("PULUMI_BACKEND_URL"):
        return env["PULUMI_BACKEND_URL"]
    home = Path(env.get("PULUMI_HOME") or Path.home() / ".pulumi")
    try:
        return str(json.loads((home / "credentials.json").read_text()).get("current") or "")
    except (FileNotFoundError, ValueError):
        return ""


def mend_file_backend(env: dict[str, str]) -> list[Path]:
    """Remove the file backend's metadata sidecars that are not whole JSON, saying so; the ones removed.

    gocloud's fileblob writes a sidecar in place, so a run killed at that instant leaves it empty and every
    command on the stack fails with `failed to load checkpoint: EOF`. It holds only a content type and a
    checksum nobody reads (a missing one reads as defaults); the checkpoint beside it is whole, as blobs are
    renamed into place. The project's own file backends write none (FILE_BACKEND_OPTIONS): this mends a
    backend the user chose, or one written before. A run writing a sidecar at this instant loses only that."""
    directory = file_backend_dir(login_url(env))
    if directory is None:
        return []
    directory = directory if directory.is_absolute() else PROJECT / directory  # pulumi runs in PROJECT
    mended = []
    for sidecar in (directory / ".pulumi").rglob("*.attrs"):
        try:
            json.loads(sidecar.read_bytes())
        except ValueError:  # empty or cut short
            sidecar.unlink(missing_ok=True)
            mended.append(sidecar)
            print(f"removed {sidecar}: an empty metadata file a killed run left in the state backend "
                  "(the checkpoint beside it is whole)", file=sys.stderr)
        except OSError:
            pass
    return mended


def _logged_in_elsewhere() -> bool:
    """True when the user ran `pulumi login` to some backend: we then leave the choice to them."""
    return bool(login_url({k: v for k, v in os.environ.items() if k != "PULUMI_BACKEND_URL"}))


def engine_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for every pulumi invocation of this project.

    Never downloads at `pulumi up` time (plugins come from bootstrap), never checks
    for updates, and uses the local file backend unless the user chose another one
    with PULUMI_BACKEND_URL or `pulumi login`. A file backend's sidecars that a killed
    run left unreadable are mended first (mend_file_backend), so every tool reads state.
    """
    env = dict(os.environ if base is None else base)
    bin_dir = engine_bin_dir()
    path = [str(VENV / "bin")] + ([str(bin_dir)] if bin_dir else [])
    env["PATH"] = os.pathsep.join(path + [env.get("PATH", "")])
    env["PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION"] = "true"
    env["PULUMI_SKIP_UPDATE_CHECK"] = "true"
    if "PULUMI_BACKEND_URL" not in env and not _logged_in_elsewhere():
        STATE_DIR.mkdir(exist_ok=True)
        env["PULUMI_BACKEND_URL"] = file_backend_url(STATE_DIR)
        # The local default state is a laptop's; its stacks use an empty passphrase
        # unless the user gives one. Real backends bring their own secrets provider.
        if "PULUMI_CONFIG_PASSPHRASE_FILE" not in env:
            env.setdefault("PULUMI_CONFIG_PASSPHRASE", "")
    mend_file_backend(env)
    return env


if __name__ == "__main__":
    # `python3 -m tools.toolchain.projectenv` prints what the project sets, as shell exports.
    for key, value in sorted(engine_env().items()):
        if os.environ.get(key) != value:
            print(f"export {key}={json.dumps(value)}")
