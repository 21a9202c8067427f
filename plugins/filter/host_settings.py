# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: host_settings
short_description: A hypervisor's settings as the options of one module
version_added: 1.0.0
description:
  - The per-hypervisor settings are inventory variables - C(novalite_libvirt_uri),
    C(novalite_instances_path), C(novalite_state_path), C(novalite_nodename),
    C(novalite_virt_type), C(novalite_cpu_allocation_ratio), C(novalite_ram_allocation_ratio),
    C(novalite_disk_allocation_ratio), C(novalite_reserved_host_memory_mb),
    C(novalite_reserved_host_disk_mb), C(novalite_reserved_host_cpus),
    C(novalite_max_concurrent_builds), C(novalite_service_disabled), C(novalite_service_disabled_reason) and
    C(novalite_forced_down).
  - This returns those the host sets, named as the module's options (C(uri) for
    C(novalite_libvirt_uri)) and only those the module takes, for the task's
    C(module_defaults); a setting the host leaves unset keeps the module's default.
options:
  _input:
    description: The host's variables, C(hostvars[host]).
    type: dict
    required: true
  module:
    description: The module the options are for.
    type: str
    required: true
    choices: [hypervisor_info, server_build, server_delete, server_action, server_metadata,
      server_console_output, server_rebuild, server_resize, server_migrate]
author:
  - novalite.compute contributors (@novalite)
'''

EXAMPLES = r'''
- name: Host state of this hypervisor, with its settings from the inventory
  novalite.compute.hypervisor_info:
    host: "{{ inventory_hostname }}"
  module_defaults:
    novalite.compute.hypervisor_info: "{{ hostvars[inventory_hostname] | novalite.compute.host_settings('hypervisor_info') }}"
'''

RETURN = r'''
_value:
  description: Option name to value, for the settings the host's variables set.
  type: dict
'''

from ansible.errors import AnsibleFilterError
from ansible_collections.novalite.compute.plugins.module_utils.compute.host_settings import (
    MODULE_FIELDS, module_options,
)


def host_settings(variables, module):
    if module not in MODULE_FIELDS:
        raise AnsibleFilterError('host_settings: module must be one of %s, got %r'
                                 % (', '.join(sorted(MODULE_FIELDS)), module))
    return module_options(variables, module)


class FilterModule(object):
    def filters(self):
        return {'host_settings': host_settings}
