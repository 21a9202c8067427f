# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Removing a server from its hypervisor: a failed build's rollback and `server_delete`.

Both remove the same things in the same order (Nova's `_cleanup_allocated_networks`,
`destroy_disks_on_failure` and `_delete_instance`): the domain (destroyed, then undefined),
the DHCP host entries of its ports, the instance directory with every disk, the config drive
and the console log (and a resize's: the source's <uuid>_resize, the destination's staged
files), the in-flight claim, the temporary files of a build process that is gone,
and last the build journal (journal.py), so that a removal that fails half-way still leaves
a journal naming what remains.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import shutil
from xml.etree import ElementTree

try:
    import libvirt
except ImportError:
    pass  # modules check libvirt_utils.HAS_LIBVIRT

from ansible_collections.novalite.compute.plugins.module_utils.compute import claims
from ansible_collections.novalite.compute.plugins.module_utils.compute import deleted
from ansible_collections.novalite.compute.plugins.module_utils.compute import journal
from ansible_collections.novalite.compute.plugins.module_utils.compute import layout
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.network import (
    network_by_name, remove_dhcp_host,
)
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.connection import domain_by_uuid
from ansible_collections.novalite.compute.plugins.module_utils.virt.libvirt.guest import (
    stop_domain, undefine_domain,
)
from ansible_collections.novalite.compute.plugins.module_utils.compute.server_record import read_record


def domain_name(instance_uuid):
    """Nova's instance_name_template `instance-%(uuid)s`."""
    return 'instance-%s' % instance_uuid


def network_macs(dom):
    """[(libvirt network name, mac)] of the domain's interfaces on libvirt networks."""
    root = ElementTree.fromstring(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
    found = []
    for iface in root.findall('devices/interface'):
        source, mac = iface.find('source'), iface.find('mac')
        if iface.get('type') == 'network' and source is not None and mac is not None:
            found.append((source.get('network'), mac.get('address')))
    return found


def remove_dhcp_entries(conn, entries):
    """Remove the static DHCP hosts [(network, mac)] that exist; the ones removed. A network
    that is gone took its entries with it."""
    removed = []
    for network, mac in entries:
        if network_by_name(conn, network) is not None and remove_dhcp_host(conn, network, mac):
            removed.append((network, mac))
    return removed


def remove_instance_dir(path):
    """Remove an instance directory; True when it existed."""
    if not os.path.lexists(path):
        return False
    shutil.rmtree(path)
    return True


def leftovers(conn, instance_uuid, instances_path, state_path):
    """What of the server is on this host: {domain, record, instance_dir, claim, journal}."""
    dom = domain_by_uuid(conn, instance_uuid)
    path = layout.instance_dir(instances_path, instance_uuid)
    return {
        'domain': dom,
        'record': read_record(dom) if dom is not None else None,
        'instance_dir': path if os.path.lexists(path) else None,
        'claim': claims.has_claim(state_path, instance_uuid),
        'journal': journal.read(state_path, instance_uuid),
    }


def found_anything(found):
    """True when leftovers() found anything of the server on this host."""
    return bool(found['domain'] is not None or found['instance_dir'] or found['claim']
                or found['journal'])


def found_record(found):
    """The server's record as leftovers() found it: its domain's, else (a build without a
    domain) as its journal shows it (journal.partial_server), else None."""
    if found['record'] is None and found['journal'] is not None:
        return journal.partial_server(found['journal'])
    return found['record']


def remove_temporaries(state_path, pids):
    """Remove the temporary files (layout.temporary_files) of the processes `pids`; the paths
    removed."""
    removed = []
    for path, pid in layout.temporary_files(state_path):
        if pid in pids:
            try:
                os.unlink(path)
            except FileNotFoundError:
                continue
            removed.append(path)
    return removed


def remove_server(conn, instance_uuid, instances_path, state_path, dhcp_entries=(),
                  shutdown_timeout=0):
    """Remove every trace of the server; True when there was anything to remove.

    The DHCP entries removed are those of the domain's interfaces, of its claim and journal (a
    build that stopped before defining it) and `dhcp_entries` [(network, mac)]."""
    found = leftovers(conn, instance_uuid, instances_path, state_path)
    entries = (list(dhcp_entries) + claims.claim_dhcp_entries(state_path, instance_uuid)
               + journal.dhcp_entries(found['journal']))
    dom = found['domain']
    if dom is not None:
        entries.extend(network_macs(dom))
        stop_domain(dom, shutdown_timeout)
        undefine_domain(dom)
    removed_dhcp = remove_dhcp_entries(conn, entries) if entries else []
    removed_dir = remove_instance_dir(layout.instance_dir(instances_path, instance_uuid))
    # a resize not confirmed yet keeps the old files beside (Nova deletes them with the server)
    removed_dir = remove_instance_dir(layout.resize_dir(instances_path, instance_uuid)) or removed_dir
    # the files a resize to this host staged (its run died before the finish took them)
    removed_dir = remove_instance_dir(layout.migration_staging_dir(state_path, instance_uuid)) or removed_dir
    released = claims.release(state_path, instance_uuid)
    entry = found['journal']
    # A live build's temporary files are its own to remove (it may be this very process).
    temporaries = remove_temporaries(state_path, {entry.get('pid')}) if entry and not entry['alive'] else []
    requested = deleted.drop(state_path, instance_uuid)
    journaled = journal.remove(state_path, instance_uuid)
    return bool(dom is not None or removed_dhcp or removed_dir or released or temporaries
                or requested or journaled)


def delete(conn, instance_uuid, instances_path, state_path, shutdown_timeout=0, check_mode=False):
    """Nova's `_delete_instance` on this host, for `server_delete`: remove the server,
    {changed, server (the record as it was; a build without a domain as its journal shows it)}."""
    found = leftovers(conn, instance_uuid, instances_path, state_path)
    exists, record = found_anything(found), found_record(found)
    if check_mode or not exists:
        return {'changed': exists, 'server': record}
    remove_server(conn, instance_uuid, instances_path, state_path,
                  shutdown_timeout=shutdown_timeout)
    return {'changed': True, 'server': record}
