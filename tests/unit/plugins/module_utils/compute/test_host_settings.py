# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host settings as one object, and as the options of each module from inventory variables."""

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.novalite.compute.plugins.filter.host_settings import host_settings
from ansible_collections.novalite.compute.plugins.module_utils.args_common import (
    COMPUTE_HOST_ARG_SPEC, COMPUTE_HOST_PATHS_ARG_SPEC, LIBVIRT_ARG_SPEC,
)
from ansible_collections.novalite.compute.plugins.module_utils.compute.host_settings import (
    FIELDS, HostSettings,
)
from ansible_collections.novalite.compute.plugins.modules import (
    hypervisor_info, reconcile, server_action, server_build, server_delete, server_info,
)


def test_left_out_settings_take_the_module_defaults():
    settings = HostSettings(state_path='/srv/state', cpu_allocation_ratio=None)
    assert settings.state_path == '/srv/state'
    assert settings.cpu_allocation_ratio == COMPUTE_HOST_ARG_SPEC['cpu_allocation_ratio']['default']
    assert settings.instances_path == COMPUTE_HOST_PATHS_ARG_SPEC['instances_path']['default']
    assert settings.uri == LIBVIRT_ARG_SPEC['uri']['default']
    assert settings.service_disabled is False and settings.service_disabled_reason is None


def test_from_params_keeps_only_the_settings():
    settings = HostSettings.from_params({'host': 'hv1', 'server': {}, 'reserved_host_cpus': 2})
    assert settings.reserved_host_cpus == 2
    assert all(hasattr(settings, name) for name in FIELDS)
    assert not hasattr(settings, 'host')


def test_an_unknown_setting_is_named():
    with pytest.raises(TypeError, match='unknown cpu_ratio'):
        HostSettings(cpu_ratio=2.0)


@pytest.mark.parametrize('module', [hypervisor_info, server_build, server_delete, server_action,
                                    reconcile, server_info])
def test_each_module_takes_the_settings_the_filter_gives_it(module):
    variables = {'novalite_libvirt_uri': 'test:///default', 'novalite_state_path': '/s',
                 'novalite_instances_path': '/i', 'novalite_nodename': 'n1',
                 'novalite_virt_type': 'qemu', 'novalite_cpu_allocation_ratio': 2.0,
                 'novalite_ram_allocation_ratio': 1.0, 'novalite_disk_allocation_ratio': 1.0,
                 'novalite_reserved_host_memory_mb': 0, 'novalite_reserved_host_disk_mb': 0,
                 'novalite_reserved_host_cpus': 0, 'novalite_service_disabled': True,
                 'novalite_service_disabled_reason': 'maintenance', 'novalite_flavors': [],
                 'novalite_max_concurrent_builds': 2}
    name = module.__name__.rsplit('.', 1)[-1]
    options = host_settings(variables, name)
    assert options['uri'] == 'test:///default' and options['state_path'] == '/s'
    assert set(options) <= set(module.argument_spec())


def test_the_build_bound_goes_to_server_build_alone():
    variables = {'novalite_max_concurrent_builds': 0, 'novalite_state_path': '/s'}
    assert host_settings(variables, 'server_build') == {'max_concurrent_builds': 0, 'state_path': '/s'}
    assert host_settings(variables, 'hypervisor_info') == {'state_path': '/s'}
    assert host_settings(variables, 'server_resize') == {'state_path': '/s'}
    assert HostSettings().max_concurrent_builds == 10


def test_unset_variables_are_left_to_the_module():
    assert host_settings({'novalite_state_path': '/s', 'novalite_nodename': None},
                         'server_build') == {'state_path': '/s'}


def test_an_unknown_module_is_refused():
    with pytest.raises(AnsibleFilterError, match='module must be one of'):
        host_settings({}, 'libvirt_domain')
