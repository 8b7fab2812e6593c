"""Data safety in a run: read the facts, decide (assess.py), report, and stop the run on any refusal.

The readers of the live cluster and of the stack's state are passed in (`Readers`): the
program passes the real ones (`Readers.real()`), unit tests pass stubs. Refusals are raised
as one `DataSafetyError` listing them all, before any resource is declared; warnings and
notes go to the engine's log, so they show in `preview` and `up`.

`adopt.importDocument` (set only by tools/ops/adopt.py, for its preview) plans an import
document: topics and bindings that exist are declared as creates, neither refused nor
imported, so that `pulumi preview --import-file` lists them all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pulumi

from components.config.stack_config import StackConfig
from components.model.acl_bindings import AclBinding
from components.safety import acl_removal, live_cluster, messages, prior_state
from components.model.access_model import AccessModel
from components.safety.acl_adoption import adopted, unmanaged
from components.safety.assess import Assessment, assess
from components.safety.live_cluster import LiveCluster
from components.safety.prior_state import PriorState
from components.safety.topic_plan import wanted_topics


class DataSafetyError(pulumi.RunError):
    """Raised with every refusal listed; pulumi shows it without a stack trace."""


@dataclass(frozen=True)
class Readers:
    """Where the facts come from."""

    live: Callable[[StackConfig, bool], LiveCluster]
    """The live cluster (config, with_acls) -> topics, brokers and, if asked, ACL bindings."""
    prior: Callable[[], PriorState]
    """The stack's state as its last deployment left it."""

    @classmethod
    def real(cls) -> Readers:
        return cls(live_cluster.read, prior_state.read)


def report(notes: list[str], warnings: list[str], refusals: list[str]) -> None:
    for line in notes:
        pulumi.log.info(line)
    for line in warnings:
        pulumi.log.warn(line)
    if refusals:
        raise DataSafetyError(f"Refused ({len(refusals)}); nothing was changed:\n  - " + "\n  - ".join(refusals))


def check(config: StackConfig, readers: Readers) -> Assessment:
    """Read the stack's state and the cluster, report, and raise DataSafetyError listing every refusal."""
    if config.adopt.import_document:  # refused in `up`; in a preview, said, so a stack file that keeps it shows
        report([], [messages.import_document_preview()], [] if pulumi.runtime.is_dry_run() else
               [messages.import_document_in_up()])
    # The bindings are read whenever Kafka ACLs govern the stack: those it does not declare are reported.
    live = readers.live(config, config.adopt.acls or config.enforcer == "kafka-acls")
    if live.refused:  # the brokers answered and refused the stack's TLS or login: nothing here could work
        login = config.login.username if config.login else "(none)"
        report([], [], [messages.connection_refused(live.refused, config.connection.bootstrap,
                                                    f"{login!r} ({config.cluster.sasl_mechanism})", live.why)])
    if live.unauthorized:  # hidden by the authorizer, not gone: never to be reported as deleted out of band
        login = config.login.username if config.login else "(the stack's TLS or anonymous login)"
        report([], [], [messages.not_authorized(login, live.unauthorized)])
    prior = readers.prior()
    if not prior.readable:
        pulumi.log.warn(f"{prior.why}: a rename cannot be detected in this run")
        access_resources = config.enforcer == "kafka-acls" or config.access.create_scram_users
        if access_resources and not pulumi.runtime.is_dry_run():
            report([], [], [messages.state_unreadable(prior.why)])
    if not live.reachable and not live.by_design:  # no broker answered: never a silent success
        offline = pulumi.runtime.is_dry_run() and config.cluster.preview_offline
        report([], [messages.offline_preview(live.why)] if offline else [],
               [] if offline else [messages.unreachable(config.connection.bootstrap, live.why,
                                                        pulumi.runtime.is_dry_run())])
    elif not live.reachable:
        pulumi.log.info(f"the cluster was not read ({live.why}): partition counts are compared with the stack's state")
    assessment = assess(config, wanted_topics(config), prior, live, config.adopt.import_document)
    report(assessment.notes, assessment.warnings, assessment.refusals)
    return assessment


def unmanaged_acls(config: StackConfig, assessment: Assessment, model: AccessModel,
                   bindings: Mapping[str, AclBinding]) -> None:
    """Warn of each binding on the cluster that touches what the stack manages and that it does not declare."""
    if model.enforcer == "msk-iam":
        pulumi.log.info("IAM policies attached to the roles outside this stack are not read: only the policies "
                        "this stack declares are shown")
        return
    live = assessment.live
    if model.enforcer != "kafka-acls" or not live.reachable:
        return
    if live.acl_ids is None:
        pulumi.log.warn(f"the cluster's ACL bindings could not be read ({live.acls_why or 'not listed'}), so "
                        "bindings on the cluster that this stack does not declare cannot be shown")
        return
    # Bindings the state holds are the stack's, even those this run stops declaring (their resources delete them).
    found = unmanaged(bindings, live.acl_ids - assessment.prior.acl_ids, model, config.topic_names().values())
    remove = config.access.unmanaged_bindings == "remove"
    for binding in found:
        pulumi.log.warn(messages.unmanaged_binding(binding, remove, pulumi.runtime.is_dry_run()))
    if remove and found and not pulumi.runtime.is_dry_run():
        problems = acl_removal.delete(config, found)
        report([f"access.unmanagedBindings: remove: deleted {len(found) - len(problems)} binding(s)"], [],
               [messages.removal_failed(p) for p in problems])


def adopt_acls(config: StackConfig, assessment: Assessment, bindings: Mapping[str, AclBinding]) -> None:
    """Say which declared bindings already exist and are taken over (adopt.acls); raises if they cannot be listed."""
    if not config.adopt.acls or config.adopt.import_document:
        return
    found, refusals = adopted(bindings, assessment.prior, assessment.live)
    report([f"adopting {len(found)} existing ACL binding(s): their roles' resources take them over as they are"]
           if found else [], [], refusals)
