"""Two things this program changes in how the Pulumi Python SDK runs it: its debug round trips, and Ctrl-C.

**Debug round trips.** For every resource it registers, the SDK (pulumi 3.259: `runtime/resource.py` and
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

**Ctrl-C.** The first Ctrl-C makes the engine cancel the run: it finishes the steps under way and
records them, and the language host sends the program SIGINT (a terminal sends it to every process
at once). The SDK's `pulumi-language-python-exec` lets that KeyboardInterrupt through, and another
one while it waits for its worker threads, so the user gets two tracebacks. `stop_on_interrupt()`
ends the program at the first SIGINT with one line instead, at once, whatever the program is doing
(even waiting in a client library's C code: the signal's wakeup fd is watched by a thread of its
own); the exit code is the one that tells the engine a message was shown, so it adds none.
"""

from __future__ import annotations

import os
import signal
import threading
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


# --- Ctrl-C ----------------------------------------------------------------------------------

INTERRUPTED = ("stopped by the engine (Ctrl-C, or a step that failed, above): this program declares nothing more; the "
               "engine finishes and records the steps already under way; run `pulumi up` again to complete the rest")
MESSAGE_SHOWN = 32  # pulumi-language-python-exec's exit code for "a message was shown": the engine adds none


def stop_on_interrupt(err: int = 2, end: Callable[[int], Any] = os._exit) -> bool:
    """At the first SIGINT: write INTERRUPTED to `err` and `end` the process (no traceback, no waiting for the
    SDK's threads). False, and nothing changed, outside the main thread (signals are set only there)."""
    if threading.current_thread() is not threading.main_thread():
        return False
    once = threading.Lock()

    def stop(*_: Any) -> None:
        if once.acquire(blocking=False):
            os.write(err, (INTERRUPTED + "\n").encode())
            end(MESSAGE_SHOWN)

    wakeup_read, wakeup_write = os.pipe()
    os.set_blocking(wakeup_write, False)
    signal.signal(signal.SIGINT, stop)  # runs in the main thread, when it runs Python
    signal.set_wakeup_fd(wakeup_write, warn_on_full_buffer=False)  # written at once, whatever the main thread does

    def watch() -> None:
        while True:
            if signal.SIGINT in os.read(wakeup_read, 64):
                stop()

    threading.Thread(target=watch, name="stop-on-interrupt", daemon=True).start()
    return True
