# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

import time

import libvirt
import pytest

from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.connection import (
    DomainStopped, wait_for_state, wait_until_running)

from libvirt_fixtures import connect_test_driver
from libvirt_helpers import DefinedDomains


@pytest.fixture
def dom():
    with DefinedDomains(connect_test_driver()) as domains:
        yield domains.define('wait')


def test_running_domain_is_running_at_once(dom):
    dom.create()
    assert wait_until_running(dom, 5) == libvirt.VIR_DOMAIN_RUNNING


def test_a_destroyed_domain_stops_the_wait_at_once(dom):
    dom.create()
    dom.destroy()
    started = time.monotonic()
    with pytest.raises(DomainStopped, match=r'stopped \(state 5, destroyed\) before reaching state \[1\]'):
        wait_until_running(dom, 30)
    assert time.monotonic() - started < 5


def test_a_paused_domain_times_out_naming_its_state(dom):
    dom.create()
    dom.suspend()
    with pytest.raises(TimeoutError, match=r'did not reach state \[1\] within 0.2s \(state 3\)'):
        wait_until_running(dom, 0.2)


def test_without_stopped_states_a_shut_off_domain_is_waited_for(dom):
    with pytest.raises(TimeoutError, match=r'state 5\)'):
        wait_for_state(dom, [libvirt.VIR_DOMAIN_RUNNING], 0.2, interval=0.05)
