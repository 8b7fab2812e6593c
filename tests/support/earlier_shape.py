"""The access layer as the program declared it before one resource per role, for the upgrade test.

Until commit 0b9504a the program declared one pulumi-kafka `Acl` per ACL binding and one
`UserScramCredential` per SCRAM user, under the same components (`acls`, `scram-users`) as now.
`install()` swaps those two components of the program for these, so a throwaway project whose
`__main__.py` is EARLIER_MAIN deploys a stack of that shape with the real engine; the test then
puts the program's own `__main__.py` back and upgrades the stack. (The shape, not the old code: the
test must not need the git history.)
"""

from __future__ import annotations

import pulumi
import pulumi_kafka as kafka

from components.model.names import slug
from components.resources.options import for_children

EARLIER_MAIN = """from tests.support import earlier_shape

earlier_shape.install()

from components import program  # noqa: E402
from components.safety.check import Readers  # noqa: E402

program.declare(Readers.real())
"""


class KafkaAcls(pulumi.ComponentResource):
    """One pulumi-kafka Acl per binding (args: the program's KafkaAclsArgs)."""

    def __init__(self, name: str, args, opts: pulumi.ResourceOptions | None = None):
        super().__init__("evidentsource:kafka:Acls", name, None, opts)
        for acl in sorted(b for held in args.roles.values() for b in held):
            kafka.Acl(f"{name}-{slug(acl.import_id)}", acl_principal=acl.principal, acl_host=acl.host,
                      acl_operation=acl.operation, acl_permission_type=acl.permission,
                      acl_resource_type=acl.resource_type, acl_resource_name=acl.resource_name,
                      resource_pattern_type_filter=acl.pattern, opts=for_children(self, opts))
        self.register_outputs({})


class ScramUsers(pulumi.ComponentResource):
    """One pulumi-kafka UserScramCredential per user (args: the program's ScramUsersArgs)."""

    def __init__(self, name: str, args, opts: pulumi.ResourceOptions | None = None):
        super().__init__("evidentsource:kafka:ScramUsers", name, None, opts)
        for user in sorted(args.passwords):
            kafka.UserScramCredential(f"{name}-{slug(user)}", username=user, scram_mechanism=args.mechanism,
                                      password=args.passwords[user].output(),
                                      opts=for_children(self, opts, additional_secret_outputs=["password"]))
        self.register_outputs({})


def install() -> None:
    from components import program
    program.KafkaAcls = KafkaAcls
    program.ScramUsers = ScramUsers
