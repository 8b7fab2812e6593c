"""The options a component's children are declared with, as Pulumi's own component examples do it.

The caller's `opts` go to the component (`super().__init__(..., opts)`); providers reach the
children through their parent (`ResourceOptions(providers=[...])` on the component), which is how
Pulumi resolves a child's provider, and transforms through the parent as well. Of the rest, what
the caller says of ordering, timeouts and deletion applies to every child too, merged with
`parent=<component>` and the child's own options (which win: e.g. a topic's protection is data
safety's decision). What names a resource or says where it lives (aliases, import ids, URNs,
versions) is the component's alone and never passed on.
"""

from __future__ import annotations

import pulumi

# The caller's options that hold for every child as they do for the component.
PASSED_ON = ("depends_on", "custom_timeouts", "protect", "retain_on_delete", "deleted_with")


def for_children(component: pulumi.ComponentResource, opts: pulumi.ResourceOptions | None,
                 **own: object) -> pulumi.ResourceOptions:
    """Options of one child of `component`: the caller's `opts` (what PASSED_ON names), the parent, `own`."""
    inherited = {name: value for name in PASSED_ON if opts is not None and (value := getattr(opts, name)) is not None}
    own_opts = pulumi.ResourceOptions(parent=component, **own)  # type: ignore[arg-type]
    # Merging costs ~15 us a child; with nothing to pass on (the program's own case) there is nothing to merge.
    return pulumi.ResourceOptions.merge(pulumi.ResourceOptions(**inherited), own_opts) if inherited else own_opts
