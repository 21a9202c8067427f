#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: server_console_output
short_description: A server's console log (Nova's os-getConsoleOutput)
version_added: 3.0.0
description:
  - Reads the console log of a server on the hypervisor it lives on, as Nova's
    C(os-getConsoleOutput) server action does - the file the
    domain's serial port writes, found in the domain XML, at most its last 100 KiB (the
    libvirt driver's C(MAX_CONSOLE_BYTES)), the last O(length) lines of that, with the control
    characters Nova's API removes taken out.
  - A console whose file is not there yet gives an empty output, as in Nova.
  - Before anything, Nova's policy C(os_compute_api:os-console-output) is checked with
    O(context) against the server's record - by default a member or admin of the server's
    project may read it, a reader may not.
extends_documentation_fragment:
  - novalite.compute.libvirt
  - novalite.compute.server_policy
options:
  server:
    description: The server's UUID.
    type: str
    required: true
  length:
    description:
      - The number of lines to return, from the end of the log; V(-1) or unset returns all
        of it (Nova's schema - an integer of at least -1).
    type: int
attributes:
  check_mode:
    support: full
    description: Reads only; check mode runs it as it is.
  diff_mode:
    support: none
    description: Nothing changes, so there is no diff.
  idempotent:
    support: full
    description: Reads only.
  platform:
    support: full
    platforms: posix
    description: Runs on the hypervisor the server lives on.
author:
  - novalite.compute contributors (@novalite)
'''

EXAMPLES = r'''
- name: The last 20 lines of a server's console
  novalite.compute.server_console_output:
    server: 0b1c7e8e-94b0-4d5d-8d65-2b0c2b9f8c11
    length: 20
    context: {project_id: demo, user_id: demo-user, roles: [member]}
  delegate_to: hv1
  register: console

- name: Show them
  ansible.builtin.debug:
    msg: "{{ console.output.splitlines() }}"
'''

RETURN = r'''
output:
  description: The console output (Nova's C(output)).
  returned: success
  type: str
  sample: "NOVALITE-METADATA uuid=0b1c7e8e-94b0-4d5d-8d65-2b0c2b9f8c11 hostname=web-1\nNOVALITE-READY\n"
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.novalite.compute.plugins.module_utils.args_common import (
    LIBVIRT_ARG_SPEC, SERVER_POLICY_ARG_SPEC,
)
from ansible_collections.novalite.compute.plugins.module_utils.compute.console import (
    ConsoleError, console_output, parse_length,
)
from ansible_collections.novalite.compute.plugins.module_utils.compute.server_access import (
    authorized_server, server_module_errors,
)
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.connection import (
    domain_by_uuid, require_libraries,
)


def argument_spec():
    spec = dict(server=dict(type='str', required=True), length=dict(type='int'))
    spec.update(LIBVIRT_ARG_SPEC)
    spec.update(SERVER_POLICY_ARG_SPEC)
    return spec


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    require_libraries(module)
    p = module.params
    try:
        parse_length(p['length'])  # the body's schema, before anything else
        with server_module_errors(module, 'Console output of instance %s' % p['server']):
            access = authorized_server(p, 'console_output', must_exist=True)
            result = console_output(domain_by_uuid(access.conn, access.uuid).XMLDesc(0),
                                    p['length'])
    except ConsoleError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, **result)


if __name__ == '__main__':
    main()
