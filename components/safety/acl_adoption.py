"""Adopting the ACL bindings the stack declares and the cluster already has (`adopt.acls`).

Topics are adopted by assess.py, with the rest of each topic's plan; bindings here, once
the access model's bindings are known. A binding is imported when it exists exactly on the
cluster and is not yet in the stack's state; the next `up` records it, and nothing is
recreated.
"""

from __future__ import annotations

from collections.abc import Mapping

from components.model.acl_bindings import AclBinding
from components.model.names import acl_resource
from components.safety import messages
from components.safety.live_cluster import LiveCluster
from components.safety.prior_state import PriorState


def acl_imports(bindings: Mapping[str, AclBinding], prior: PriorState,
                live: LiveCluster) -> tuple[dict[str, str], list[str]]:
    """(suffix -> import id of each declared binding that exists but is not in state yet, refusals) (pure)."""
    if not live.reachable or live.acl_ids is None:
        return {}, [messages.acls_unreadable(live.why)]
    imports = {suffix: binding.import_id for suffix, binding in sorted(bindings.items())
               if acl_resource(suffix) not in prior.acls and binding.import_id in live.acl_ids}
    return imports, []
