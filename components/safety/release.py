"""Topics the stack stops declaring: released on purpose (bridge.releaseDatabases), or dropped by mistake.

A database removed from `bridge.databases` (or a shape from `shapes`) while its topic is in the stack's state
would be a deletion the engine plans from the state alone: refused (`dropped`), naming the two ways on. A
released one is let go over two runs (`plan`), like every replacement data safety plans (assess.py).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from components.model.names import database_of_resource
from components.safety import messages
from components.safety.prior_state import PriorState
from components.safety.topic_plan import TopicPlan, Wanted, plan_as_it_is

if TYPE_CHECKING:
    from components.safety.assess import Assessment


def plan(w: Wanted, prior: PriorState, a: Assessment) -> TopicPlan | None:
    """A topic the stack released (a database in bridge.releaseDatabases, or one of the four topics in
    topics.releaseTopics once the stack no longer declares fourTopics): two runs, as for a replacement. The first declares
    its topic as the state has it, unprotected (and retained on delete unless its loss is accepted too); the next
    one no longer declares it, so the engine lets it go: the topic stays on the cluster with its messages (or,
    accepted, is deleted). Not in the state: nothing left to release."""
    before = prior.topics.get(w.resource_name)
    if before is None:
        setting = "bridge.releaseDatabases" if w.section == "bridge" else "topics.releaseTopics"
        a.notes.append(f"{w.key}: released ({setting}) and not in the stack's state: nothing to let go; "
                       f"remove {w.item} from {setting}")
        return None
    fate = f"deletes it with its messages ({w.section}.acceptDataLoss)" if w.loss_accepted else \
        "leaves it on the cluster with its messages, no longer managed"
    # Let go only once the state shows the topic declared as this release needs it: retained (names.RELEASED_TOPICS),
    # or, its loss accepted, not retained. A throwaway stack's topics are unprotected from the start, not retained.
    if w.key in (prior.unprotected if w.loss_accepted else prior.released):
        a.warnings.append(f"{w.key}: released: this run lets go of {before.name!r} and {fate}")
        return None
    a.warnings.append(f"{w.key}: released: this run only lifts the protection of {before.name!r}; the next `pulumi "
                      f"up` {fate}")
    # As the state has it, configs too: what a setting no longer listed (bridge.perDatabase) gave it stays, so no
    # message is cut while the topic is let go.
    return replace(plan_as_it_is(w, before.name, before.partitions, before.replication_factor, protect=False,
                                 retain=not w.loss_accepted), configs=dict(before.configs) or w.configs)


def dropped(wanted: list[Wanted], prior: PriorState, shapes: tuple[str, ...]) -> list[str]:
    """Refusals for each topic in the state that no wanted topic declares (a released one is still wanted)."""
    declared = {w.resource_name for w in wanted}
    return [messages.topic_dropped(resource, before.name, database_of_resource(resource), shapes)
            for resource, before in sorted(prior.topics.items()) if resource not in declared]
