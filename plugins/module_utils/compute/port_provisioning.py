# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A build's ports provisioned while its guest starts, and waited for before the guest runs
(Neutron's provisioning blocks and the `network-vif-plugged` event Nova's libvirt driver waits
for in `_create_guest_with_network`, with the guest started paused).

On a libvirt network a port's provisioning is its DHCP host entry, so the guest's first DHCP
request gets the port's fixed IP. libvirt reloads the network's firewall rules on every such
update (about a quarter of a second), under the network's lock, which the start of a guest on
that network also takes to bind the guest's port. So the entries are added in a thread that
starts with the guest's start and waits until libvirt has bound the guest's ports: QEMU then
starts while libvirt updates the network, instead of one after the other.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re
import threading
import time

from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.network import add_dhcp_host

# How often the thread looks for the guest's bound ports while the start goes on.
PORT_POLL_SECONDS = 0.005
_MAC = re.compile(r"<mac address=['\"]([0-9a-fA-F:]+)['\"]")


class DhcpEntries(object):
    """The DHCP entries `(libvirt network, mac, fixed ip)` of one build, added in a thread.
    `name_for(libvirt_network)` gives the host name an entry may carry (None when another
    entry has it: libvirt refuses two entries of one name)."""

    def __init__(self, conn, entries, name_for):
        self.conn, self.entries, self.name_for = conn, list(entries), name_for
        self.error = None
        self.seconds = None
        self._cancelled = False
        # Set once the guest's start returned (or will not come): stop looking for its ports.
        self._start_over = threading.Event()
        self._thread = threading.Thread(target=self._run, name='dhcp-entries')
        self._thread.daemon = True

    def start(self):
        """Begin as the guest's start begins: the entries follow the binding of its ports."""
        self._thread.start()
        return self

    def wait(self):
        """Block until every entry is in place; raise what adding one raised."""
        self._join()
        if self.error is not None:
            raise self.error

    def cancel(self):
        """The build failed: add no further entry, and wait for the one being added (the
        rollback removes them all, whether added or not)."""
        self._cancelled = True
        self._join()

    def _join(self):
        self._start_over.set()
        if self._thread.ident is not None:
            self._thread.join()

    def _run(self):
        start = time.monotonic()
        try:
            self._await_bound_ports()
            for libvirt_network, mac, ip in self.entries:
                if self._cancelled:
                    break
                self._add(libvirt_network, mac, ip)
        except Exception as exc:  # handed to the build's thread by wait()
            self.error = exc
        finally:
            self.seconds = round(time.monotonic() - start, 3)

    def _await_bound_ports(self):
        macs = set(mac.lower() for _net, mac, _ip in self.entries)
        networks = set(net for net, _mac, _ip in self.entries)
        while not self._start_over.wait(PORT_POLL_SECONDS):
            if macs <= self._bound_macs(networks):
                return

    def _bound_macs(self, networks):
        found = set()
        for name in networks:
            try:
                ports = self.conn.networkLookupByName(name).listAllPorts()
            except Exception:
                # No port objects (libvirt before 5.5, the test driver): nothing to wait for.
                self._start_over.set()
                return found
            for port in ports:
                found.update(mac.lower() for mac in _MAC.findall(port.XMLDesc()))
        return found

    def _add(self, libvirt_network, mac, ip):
        name = self.name_for(libvirt_network)
        try:
            add_dhcp_host(self.conn, libvirt_network, mac, ip, name)
        except Exception:
            # A concurrent build on this host may have given its entry that name after it
            # was chosen here: the lease then carries no name, as when it was taken before.
            if name is None or self.name_for(libvirt_network) is not None:
                raise
            add_dhcp_host(self.conn, libvirt_network, mac, ip, None)
