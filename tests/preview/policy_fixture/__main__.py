"""A one-rule policy pack, so the renderer's tests see a real mandatory violation."""

from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy

MIN_RETENTION_MS = 12 * 3_600_000
TOPIC_TYPES = ("kafka:index/topic:Topic", "aws:msk/topic:Topic")


def min_retention(args, report_violation) -> None:
    if args.resource_type not in TOPIC_TYPES:
        return
    retention = (args.props.get("config") or {}).get("retention.ms")
    if retention is not None and 0 <= int(retention) < MIN_RETENTION_MS:
        report_violation(f"retention.ms is {retention}; keep at least {MIN_RETENTION_MS} (12h).")


PolicyPack("preview-report-fixture", enforcement_level=EnforcementLevel.MANDATORY, policies=[
    ResourceValidationPolicy(name="topic-min-retention-12h", description="Topics keep messages for 12 hours or more.",
                             validate=min_retention),
])
