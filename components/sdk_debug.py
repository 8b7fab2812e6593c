"""The Pulumi Python SDK's per-resource debug messages: dropped unless asked for.

For every resource it registers, the SDK (pulumi 3.259: `runtime/resource.py` and
`runtime/rpc_manager.py`) sends four debug messages to the engine ("beginning rpc
register resource", "registering resource: ...", "resource registration prepared: ...",
"resource registration successful: ..."), each a gRPC round trip (the first one blocking
the event loop) that the engine then formats and writes to its automatic log, whether or
not anyone shows debug output. On a stack with 500 external consumers (2,023 resources)
that is about 8,000 round trips, several seconds of a no-op preview on the 2-core
reference machine (README, "Where the time goes"); they say nothing to a user of this
program that the engine's own output does not.

`install()` drops exactly those SDK messages; every other debug message, including the
SDK's reports of exceptions and anything this program logs, passes unchanged. Set
EVIDENTSOURCE_KAFKA_SDK_DEBUG=true to keep them all (when debugging the SDK itself).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

KEEP_ALL = "EVIDENTSOURCE_KAFKA_SDK_DEBUG"
# The start of each per-resource message the SDK sends while registering resources.
PER_RESOURCE = ("beginning rpc ", "registering resource: ", "resource registration prepared: ", "resource registration successful: ",
                "register resource outputs prepared: ")


def filtered(debug: Callable[..., None]) -> Callable[..., None]:
    """`debug` without the SDK's per-resource registration messages."""

    def debug_unless_per_resource(msg: str, *args: Any, **kwargs: Any) -> None:
        if isinstance(msg, str) and msg.startswith(PER_RESOURCE):
            return
        debug(msg, *args, **kwargs)

    debug_unless_per_resource.unfiltered = debug  # type: ignore[attr-defined]
    return debug_unless_per_resource


def install(log: ModuleType | None = None, environ: Mapping[str, str] = os.environ) -> bool:
    """Filter `pulumi.log.debug` (once); False, and nothing changed, when KEEP_ALL is true."""
    if environ.get(KEEP_ALL, "").strip().lower() in ("1", "true", "yes"):
        return False
    if log is None:
        import pulumi.log as log  # noqa: PLC0415 - the real SDK module only when no stand-in is given
    if not hasattr(log.debug, "unfiltered"):
        log.debug = filtered(log.debug)
    return True
