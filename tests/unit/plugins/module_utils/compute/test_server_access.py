# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the modules acting on one server do before and after the action, against libvirt's
test:///default driver: the record found and the policy checked, a server not on this host
refused only when the action needs its record, and the diff kept only when asked for."""

import uuid

import pytest

pytest.importorskip('libvirt')

from ansible_collections.novalite.compute.plugins.module_utils.compute.lifecycle import LifecycleError  # noqa: E402
from ansible_collections.novalite.compute.plugins.module_utils.compute.server_access import (  # noqa: E402
    authorized_server, diff_as_asked,
)
from ansible_collections.novalite.compute.plugins.module_utils.errors import PolicyNotAuthorized  # noqa: E402

from module_runner import TEST_URI  # noqa: E402
from server_fixtures import MEMBER, READER, recorded_server  # noqa: E402


def params(server, context=MEMBER):
    return {'uri': TEST_URI, 'server': server, 'context': context, 'policy': {}}


def test_the_record_and_the_callers_facts():
    with recorded_server('access') as dom:
        access = authorized_server(params(dom.UUIDString()), 'rebuild', on_this_host=True)
        assert (access.uuid, access.record['name']) == (dom.UUIDString(), dom.name())
        assert access.caller == {'is_admin': False, 'is_owner': True}


def test_the_policy_refuses_before_anything():
    with recorded_server('access') as dom:
        with pytest.raises(PolicyNotAuthorized) as refused:
            authorized_server(params(dom.UUIDString(), READER), 'rebuild', on_this_host=True)
    assert refused.value.rule == 'os_compute_api:servers:rebuild'


def test_a_server_not_on_this_host_is_refused_only_on_this_host():
    missing = str(uuid.uuid4())
    assert authorized_server(params(missing), 'rebuild').record is None
    with pytest.raises(LifecycleError, match='^Instance %s could not be found on this host.$' % missing):
        authorized_server(params(missing), 'rebuild', on_this_host=True)
    with pytest.raises(LifecycleError, match='^Instance %s could not be found.$' % missing):
        authorized_server(params(missing), 'rebuild', must_exist=True)


class Run(object):
    """What diff_as_asked reads of a module: whether the run shows diffs."""

    def __init__(self, diff):
        self._diff = diff


@pytest.mark.parametrize('asked', [True, False])
def test_the_diff_only_when_asked_for(asked):
    result = diff_as_asked(Run(asked), {'changed': True, 'diff': {'before': 1, 'after': 2}})
    assert result == (dict(changed=True, diff={'before': 1, 'after': 2}) if asked else {'changed': True})
