# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one stop and the one undefine, on test-driver domains."""

import libvirt
import pytest

from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt import guest

from libvirt_fixtures import connect_test_driver
from libvirt_helpers import minimal_xml, remove_domain, unique_name


def libvirt_error(code):
    exc = libvirt.libvirtError('refused')
    exc.err = (code, 0, 'refused', 0, None, None, None, 0, 0)
    return exc


class Domain(object):
    """A real test-driver domain; `deaf` ignores the power button, `refuses` makes it fail,
    `known_flags` is the undefine flags value the driver still accepts."""

    def __init__(self, dom, deaf=False, refuses=False, known_flags=None):
        self._dom, self.deaf, self.refuses, self.known_flags = dom, deaf, refuses, known_flags
        self.presses, self.undefine_flags = 0, []

    def shutdown(self):
        self.presses += 1
        if self.refuses:
            raise libvirt_error(libvirt.VIR_ERR_OPERATION_FAILED)
        if not self.deaf:
            self._dom.shutdown()

    def undefineFlags(self, flags):  # libvirt's name
        self.undefine_flags.append(flags)
        if self.known_flags is not None and flags > self.known_flags:
            raise libvirt_error(libvirt.VIR_ERR_INVALID_ARG)
        return self._dom.undefineFlags(flags)

    def __getattr__(self, name):
        return getattr(self._dom, name)


@pytest.fixture
def conn():
    return connect_test_driver()


@pytest.fixture
def running(conn):
    name = unique_name('guest')
    dom = conn.defineXML(minimal_xml(name))
    dom.create()
    try:
        yield dom
    finally:
        remove_domain(conn, name)


def test_a_guest_that_listens_shuts_down_cleanly(running):
    dom = Domain(running)
    assert guest.stop_domain(dom, 5) is True
    assert not running.isActive() and dom.presses == 1


def test_no_timeout_destroys_at_once(running):
    dom = Domain(running)
    assert guest.stop_domain(dom, 0) is False
    assert not running.isActive() and dom.presses == 0


@pytest.mark.parametrize('kind', ['deaf', 'refuses'])
def test_a_guest_that_does_not_shut_down_is_pressed_again_then_destroyed(running, kind):
    dom = Domain(running, **{kind: True})
    # The wait polls every 0.5 s, so a press every 0.1 s comes every 0.5 s.
    assert guest.clean_shutdown(dom, 1.2, retry_interval=0.1) is False
    assert dom.presses >= 2 and running.isActive()
    assert guest.stop_domain(dom, 0.2) is False
    assert not running.isActive()


def test_stopping_a_stopped_domain_does_nothing(running):
    running.destroy()
    dom = Domain(running)
    assert guest.stop_domain(dom, 5) is True
    assert dom.presses == 0


def test_undefine_asks_again_with_fewer_flags(conn, running):
    running.destroy()
    flags = [getattr(libvirt, name, 0) for name in guest.UNDEFINE_FLAG_NAMES]
    dom = Domain(running, known_flags=0)
    name = running.name()
    guest.undefine_domain(dom)
    assert dom.undefine_flags == [sum(flags), sum(flags[:2]), 0]
    with pytest.raises(libvirt.libvirtError):
        conn.lookupByName(name)


def test_undefine_raises_other_errors(conn, running):
    running.destroy()

    class Locked(Domain):
        def undefineFlags(self, flags):  # libvirt's name
            self.undefine_flags.append(flags)
            raise libvirt_error(libvirt.VIR_ERR_OPERATION_INVALID)

    dom = Locked(running)
    with pytest.raises(libvirt.libvirtError):
        guest.undefine_domain(dom)
    assert len(dom.undefine_flags) == 1 and conn.lookupByName(running.name())
