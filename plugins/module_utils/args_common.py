# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The argument specs that twin the doc fragments of `plugins/doc_fragments/`, side by side
(as kubernetes.core's `args_common.py`): a module documents shared options by extending a
fragment and accepts them by merging its twin here into its argument spec.

tests/unit/plugins/module_utils/test_args_common.py checks that each fragment documents
exactly its twin's options (names, types, defaults, choices, elements, no_log, required,
suboptions). The fragments without a twin document no module options: `attributes`, and
`build_round` and `scheduler_filter`, which document Jinja filter plugins' arguments.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

# novalite.compute.libvirt: the connection.
LIBVIRT_ARG_SPEC = dict(
    uri=dict(type='str', default='qemu:///system'),
)

# novalite.compute.compute_host: the node and its resource accounting.
COMPUTE_HOST_ARG_SPEC = dict(
    nodename=dict(type='str'),
    virt_type=dict(type='str', choices=['auto', 'kvm', 'qemu'], default='auto'),
    cpu_allocation_ratio=dict(type='float', default=16.0),
    ram_allocation_ratio=dict(type='float', default=1.5),
    disk_allocation_ratio=dict(type='float', default=1.0),
    reserved_host_memory_mb=dict(type='int', default=512),
    reserved_host_disk_mb=dict(type='int', default=0),
    reserved_host_cpus=dict(type='int', default=0),
)

# novalite.compute.compute_host.paths: where the instances and the host's state live.
COMPUTE_HOST_PATHS_ARG_SPEC = dict(
    instances_path=dict(type='path', default='/var/lib/novalite/instances'),
    state_path=dict(type='path', default='/var/lib/novalite'),
)

# novalite.compute.compute_host.builds: how many builds run at once on the host (server_build).
COMPUTE_HOST_BUILDS_ARG_SPEC = dict(
    max_concurrent_builds=dict(type='int', default=10),
)

# novalite.compute.request_context: who asks, the quotas and the existing servers
# (server_request and quota_check).
CONTEXT_OPTION = dict(type='dict', required=True, options=dict(
    project_id=dict(type='str', required=True),
    user_id=dict(type='str', required=True),
    roles=dict(type='list', elements='str', default=[]),
))
REQUEST_CONTEXT_ARG_SPEC = dict(
    context=CONTEXT_OPTION,
    quotas=dict(type='dict', default={}),
    servers=dict(type='list', elements='dict', default=[]),
)

# novalite.compute.server_policy: who asks, and the policy checked against the server's record
# (server_info, server_action, server_delete).
SERVER_POLICY_ARG_SPEC = dict(
    context=CONTEXT_OPTION,
    policy=dict(type='dict', default={}),
)

# novalite.compute.instance_action: the server an instance action is recorded on, and the
# request ID recorded with it (server_action, server_rebuild, server_resize, server_migrate).
INSTANCE_ACTION_ARG_SPEC = dict(
    server=dict(type='str', required=True),
    request_id=dict(type='str'),
)

# novalite.compute.network_host: the host's network segments and security groups
# (server_build, hypervisor_network).
NETWORK_HOST_ARG_SPEC = dict(
    local_ip=dict(type='str'),
    vxlan_peers=dict(type='list', elements='str', default=[]),
    physical_interface_mappings=dict(type='dict', default={}),
    bridge_mappings=dict(type='dict', default={}),
    security_groups=dict(type='list', elements='dict'),
    security_group_members=dict(type='dict', default={}),
)

# novalite.compute.fleet: the fleet database (fleet_hosts, fleet_report, fleet_schedule).
FLEET_ARG_SPEC = dict(
    database=dict(type='str'),
)

# novalite.compute.fleet.schedule: where and how a fleet action places servers, and the quota
# limits it checks (fleet_schedule, fleet_resize).
FLEET_SCHEDULE_ARG_SPEC = dict(
    hosts=dict(type='list', elements='str', required=True),
    scheduler=dict(type='dict', default={}),
    quotas=dict(type='dict', default={}),
)

# Doc fragment (name[.part]) -> its twin.
TWINS = {
    'libvirt': LIBVIRT_ARG_SPEC,
    'compute_host': COMPUTE_HOST_ARG_SPEC,
    'compute_host.paths': COMPUTE_HOST_PATHS_ARG_SPEC,
    'compute_host.builds': COMPUTE_HOST_BUILDS_ARG_SPEC,
    'request_context': REQUEST_CONTEXT_ARG_SPEC,
    'server_policy': SERVER_POLICY_ARG_SPEC,
    'instance_action': INSTANCE_ACTION_ARG_SPEC,
    'network_host': NETWORK_HOST_ARG_SPEC,
    'fleet': FLEET_ARG_SPEC,
    'fleet.schedule': FLEET_SCHEDULE_ARG_SPEC,
}
