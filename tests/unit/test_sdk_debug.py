"""sdk_debug: the SDK's per-resource registration debug messages are dropped, nothing else is."""

from __future__ import annotations

from types import SimpleNamespace

import pulumi.log
import pytest

from components import sdk_debug

REAL_SDK_MESSAGES = [  # as pulumi 3.259's runtime/rpc_manager.py and runtime/resource.py format them
    "beginning rpc register resource",
    "registering resource: ty=kafka:index/acl:Acl, name=acls-x, custom=True, remote=False",
    "resource registration prepared: ty=kafka:index/acl:Acl, name=acls-x",
    "resource registration successful: ty=kafka:index/acl:Acl, urn=urn:pulumi:s::p::kafka:index/acl:Acl::acls-x",
    "register resource outputs prepared: urn=urn:pulumi:s::p::pulumi:pulumi:Stack::p-s, props={}",
]
KEPT = ["exception when preparing or executing rpc for ty='kafka:index/acl:Acl' name='x': Traceback ...",
        "the program's own debug line", "registering resources is what this says, without the colon"]


def stand_in():
    seen: list[tuple] = []
    return SimpleNamespace(debug=lambda msg, *args, **kwargs: seen.append((msg, args, kwargs))), seen


def test_drops_exactly_the_per_resource_messages_and_passes_the_rest_unchanged():
    log, seen = stand_in()
    assert sdk_debug.install(log, environ={}) is True
    for msg in REAL_SDK_MESSAGES + KEPT:
        log.debug(msg, "resource", stream_id=7)
    assert seen == [(msg, ("resource",), {"stream_id": 7}) for msg in KEPT]


def test_installing_twice_wraps_once():
    log, seen = stand_in()
    sdk_debug.install(log, environ={})
    first = log.debug
    sdk_debug.install(log, environ={})
    assert log.debug is first
    log.debug(KEPT[1])
    assert len(seen) == 1


@pytest.mark.parametrize("value", ["true", "1", "TRUE", " yes "])
def test_the_environment_variable_keeps_every_message(value):
    log, seen = stand_in()
    original = log.debug
    assert sdk_debug.install(log, environ={sdk_debug.KEEP_ALL: value}) is False
    assert log.debug is original
    log.debug(REAL_SDK_MESSAGES[0])
    assert [m for m, _, _ in seen] == [REAL_SDK_MESSAGES[0]]


def test_the_prefixes_match_what_the_installed_sdk_sends():
    """If a Pulumi upgrade rewords these messages, the filter would silently stop working: fail instead."""
    import inspect

    from pulumi.runtime import resource, rpc_manager

    source = inspect.getsource(resource) + inspect.getsource(rpc_manager)
    missing = [p for p in sdk_debug.PER_RESOURCE if f'f"{p}' not in source]
    assert not missing, f"the SDK no longer sends debug messages starting with {missing}"


def test_without_a_stand_in_it_filters_the_real_pulumi_log(monkeypatch):
    seen: list[str] = []
    monkeypatch.setattr(pulumi.log, "debug", lambda msg, *a, **k: seen.append(msg))  # restored after the test
    assert sdk_debug.install(environ={}) is True
    pulumi.log.debug(REAL_SDK_MESSAGES[0])
    pulumi.log.debug(KEPT[1])
    assert seen == [KEPT[1]]
