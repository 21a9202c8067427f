#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: server_build_result
short_description: One server's result out of a server_build task that built several
version_added: 3.0.0
description:
  - M(novalite.compute.server_build) with C(servers) builds all of a host's servers of a round
    in one command and returns one entry a server in C(builds). This gives one of them back as
    the task's own result, so a loop over the servers shows one line (one job event) a server,
    failed or not, and registers one result a server for the conductor (the build role's
    C(build_collect) filter and M(novalite.compute.fleet_report)).
  - When the build task failed as a whole (the host unreachable, a requirement missing, an
    image that could not be transferred), each of its servers gets that failure; an unreachable
    host's keeps C(unreachable) and may be rescheduled.
  - Runs in the controller's process as an action plugin; nothing reaches the host.
author:
  - novalite.compute contributors (@novalite)
options:
  build:
    description: What the M(novalite.compute.server_build) task with C(servers) registered.
    type: dict
    required: true
  instance_uuid:
    description: The server's instance uuid.
    type: str
    required: true
attributes:
  action:
    support: full
    description: Runs in the controller's process; nothing is sent to the host.
  async:
    support: none
    description: There is nothing to wait for; the builds ended with the build task.
  check_mode:
    support: full
    description: Gives back what the build task planned in check mode, as in a real run.
  diff_mode:
    support: full
    description: The server's build diff, when the build task ran with C(--diff).
  platform:
    support: full
    platforms: posix
    description: Runs on the controller.
'''

EXAMPLES = r'''
- name: Build this host's servers in one command
  novalite.compute.server_build:
    servers: "{{ assigned }}"
    host: "{{ inventory_hostname }}"
  register: batch
  ignore_errors: true
  ignore_unreachable: true

- name: One result a server
  novalite.compute.server_build_result:
    build: "{{ batch }}"
    instance_uuid: "{{ item.uuid }}"
  loop: "{{ assigned }}"
  register: per_server
  ignore_errors: true
  ignore_unreachable: true
'''

RETURN = r'''
server:
  description: The server record (M(novalite.compute.server_build)'s C(server)).
  returned: when the server was built
  type: dict
  sample: {uuid: 0b1c7e8e-94b0-4d5d-8d65-2b0c2b9f8c11, name: web-1, host: hv1, vm_state: active}
host:
  description: The hypervisor.
  returned: when the build task said
  type: str
  sample: hv1
timings:
  description: Seconds spent in each step of the build.
  returned: when the build ran
  type: dict
  sample: {claim: 0.05, image: 0.4, start: 0.6}
failed_step:
  description: The step that failed.
  returned: failure
  type: str
  sample: claim
reschedule:
  description: Whether another host may succeed where this one failed.
  returned: failure
  type: bool
  sample: true
'''

from ansible.module_utils.basic import AnsibleModule

ARGUMENT_SPEC = dict(
    build=dict(type='dict', required=True),
    instance_uuid=dict(type='str', required=True),
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    module.fail_json(msg='novalite.compute.server_build_result runs as an action plugin on the controller')


if __name__ == '__main__':
    main()
