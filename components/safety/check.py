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

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

import pulumi

from components.config.stack_config import StackConfig
from components.model import names
from components.model.acl_bindings import AclBinding
from components.safety import access_messages, access_plan, live_cluster, messages, prior_state
from components.model.access_model import AccessModel
from components.safety.access_plan import AccessPlan
from components.safety.acl_adoption import adopted
from components.safety.assess import Assessment, assess
from components.safety.live_cluster import LiveCluster
from components.safety.prior_state import PriorState
from components.safety.topic_plan import wanted_topics


class DataSafetyError(pulumi.RunError):
    """Raised with every refusal listed; pulumi shows it without a stack trace."""


@dataclass(frozen=True)
class Readers:
    """Where the facts come from."""

    live: Callable[..., LiveCluster]
    """The live cluster (config, with_acls, users) -> topics, brokers and, if asked, ACL bindings, which of
    `users` have a SCRAM credential, and what the login may do on the cluster."""
    prior: Callable[[], PriorState]
    """The stack's state as its last deployment left it."""

    @classmethod
    def real(cls) -> Readers:
        return cls(live_cluster.read, prior_state.read)


def report(notes: list[str], warnings: list[str], refusals: list[str], decisions: bool = False) -> None:
    """Say the notes and warnings, and raise every refusal at once. `decisions`: refusals of what the settings ask;
    in a refresh or a destroy (tools/pulumi runs the program for them, and neither applies the settings) they are
    said as warnings, so that a refusal which asks for `pulumi refresh` does not refuse that refresh."""
    for line in notes:
        pulumi.log.info(line)
    for line in warnings:
        pulumi.log.warn(line)
    operation = os.environ.get(names.OPERATION_ENV, "")
    if refusals and decisions and operation in names.APPLIES_NOTHING:
        for line in refusals:
            pulumi.log.warn(f"(said, not refused: a {operation} applies no setting) {line}")
        return
    if refusals:
        raise DataSafetyError(f"Refused ({len(refusals)}); nothing was changed:\n  - " + "\n  - ".join(refusals))


def check(config: StackConfig, readers: Readers) -> Assessment:
    """Read the stack's state and the cluster, report, and raise DataSafetyError listing every refusal."""
    if config.adopt.import_document:  # refused in `up`; in a preview, said, so a stack file that keeps it shows
        report([], [messages.import_document_preview()], [] if pulumi.runtime.is_dry_run() else
               [messages.import_document_in_up()])
    # The bindings are read whenever Kafka ACLs govern the stack: those it does not declare are reported.
    # The state is read after the cluster: a run refused for its connection leaves nothing, not even the engine's
    # provider of the state read, in the state.
    users = tuple(sorted(config.principal_passwords)) if config.access.create_scram_users else ()
    live = readers.live(config, config.adopt.acls or config.enforcer == "kafka-acls", users)
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
    report(assessment.notes, assessment.warnings, assessment.refusals, decisions=True)
    return assessment


def access(config: StackConfig, assessment: Assessment, model: AccessModel,
           held: Mapping[str, list[AclBinding]]) -> AccessPlan:
    """Plan this run's access changes (safety/access_plan.py), say each unmanaged binding, and raise on refusals:
    a principal the stack still lists losing what it had, or a login that may not change access."""
    live, prior = assessment.live, assessment.prior
    if model.enforcer == "msk-iam":
        pulumi.log.info("IAM policies attached to the roles outside this stack are not read: only the policies "
                        "this stack declares are shown")
    users = sorted(config.principal_passwords) if config.access.create_scram_users else []
    refusals = access_plan.roles_left_empty(model, prior, config.access.accept_access_loss)
    refusals += access_plan.lost(model, held, prior, users, config.access.accept_access_loss)
    acls: frozenset[AclBinding] | None = None
    if model.enforcer == "kafka-acls" and live.reachable:
        acls = live.acls
        if acls is None:
            pulumi.log.warn(f"the cluster's ACL bindings could not be read ({live.acls_why or 'not listed'}), so "
                            "bindings on the cluster that this stack does not declare cannot be shown")
    changes_acls = any(held.values()) or bool(prior.role_held)
    changes_users = bool(users) or bool(prior.scram_users)
    if (changes_acls or changes_users) and live.cluster_operations is not None and \
            not {"ALTER", "ALL"} & live.cluster_operations:
        login = repr(config.login.username) if config.login else "(the stack's TLS or anonymous login)"
        refusals.append(access_messages.access_rights(login, [what for what, needed in (
            ("create or delete ACL bindings", changes_acls), ("set or delete SCRAM users", changes_users)) if needed]))
    plan = access_plan.plan_acls(model, held, prior, acls, config.topic_names().values(),
                                 config.access.unmanaged_bindings == "remove",
                                 config.login.username if config.login else None)
    missing, retire, record = access_plan.plan_users(users, prior, live.scram_users if live.reachable else None)
    plan = replace(plan, users_missing=missing, users_retire=retire, record_users=record)
    report([], plan.warnings, refusals, decisions=True)
    return plan


def adopt_acls(config: StackConfig, assessment: Assessment, bindings: Mapping[str, AclBinding]) -> None:
    """Say which declared bindings already exist and are taken over (adopt.acls); raises if they cannot be listed."""
    if not config.adopt.acls or config.adopt.import_document:
        return
    found, refusals = adopted(bindings, assessment.prior, assessment.live)
    report([f"adopting {len(found)} existing ACL binding(s): their roles' resources take them over as they are"]
           if found else [], [], refusals)
