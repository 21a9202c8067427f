# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixed IP and MAC allocation for the whole fleet (Neutron's IPAM and MAC generation).

The `ports` table is the authority: a fixed IP and a MAC are each unique on their network
(unique constraints), so two controllers allocating at once can both choose an address, but
only one insert of it succeeds; the other chooses again. Addresses are drawn at random among
the first free ones (compute/network.py's `choose_ip`, Neutron's window) so that such
collisions are rare to begin with.

The interface (stable; other allocators, e.g. for networks spanning hosts, call these):

    allocate_port(db, network, instance_uuid, host=None, rng=None) -> port
    allocate_ports(db, instance_uuid, networks, host=None, rng=None) -> [port]
    release_ports(db, instance_uuid, network_id=None) -> number of ports removed
    ports_of(db, instance_uuid) -> [port]
    used_addresses(db, network_id) -> set of str

`network` is one entry of an instance's `networks` (internals.md, server_request result):
`network_id`, `network_name`, `cidr`, `gateway`, `allocation_pools`, and optionally
`fixed_ip` (the address asked for), `port_id` and `mac`. A port is
`{id, network_id, network_name, instance_uuid, host, mac, fixed_ip}`, the keys of a server
record's `ports`. Allocation is idempotent per (instance, network): an instance that already
has a port there gets it back, as a rescheduled Nova instance keeps its port. Errors are
compute/network.py's NetworkError, naming the field and the reason.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import random
import time
import uuid

from ansible_collections.novalite.compute.plugins.module_utils.compute.network import (
    HAS_NETADDR, NetworkError, choose_ip, generate_mac, normalize_mac)
from ansible_collections.novalite.compute.plugins.module_utils.fleet.db import UniqueViolation

if HAS_NETADDR:
    import netaddr

# How many times a controller chooses again after losing an address or MAC to another.
ALLOCATION_RETRIES = 20

_COLUMNS = 'id, network_id, network_name, instance_uuid, host, mac_address, fixed_ip'


def _port(row):
    return {'id': row['id'], 'network_id': row['network_id'], 'network_name': row['network_name'],
            'instance_uuid': row['instance_uuid'], 'host': row['host'],
            'mac': row['mac_address'], 'fixed_ip': row['fixed_ip']}


def used_addresses(db, network_id):
    """The fixed IPs held on the network (strings)."""
    return set(row['fixed_ip'] for row in
               db.rows('SELECT fixed_ip FROM ports WHERE network_id = ?', (network_id,)))


def _used_macs(db, network_id):
    return set(row['mac_address'] for row in
               db.rows('SELECT mac_address FROM ports WHERE network_id = ? AND mac_address IS NOT NULL',
                       (network_id,)))


def ports_of(db, instance_uuid):
    """The instance's ports, ordered by network id then address."""
    return [_port(row) for row in db.rows(
        'SELECT %s FROM ports WHERE instance_uuid = ? ORDER BY network_id, fixed_ip' % _COLUMNS,
        (instance_uuid,))]


def _existing(db, instance_uuid, network_id):
    row = db.row('SELECT %s FROM ports WHERE instance_uuid = ? AND network_id = ?' % _COLUMNS,
                 (instance_uuid, network_id))
    return _port(row) if row else None


def _field(network):
    name = network.get('network_name') or network.get('network_id')
    return network.get('field') or 'networks[%s].fixed_ip' % name


def _candidate(db, network, rng):
    """(address, mac) free as far as this controller can see now."""
    taken = set(netaddr.IPAddress(address) for address in used_addresses(db, network['network_id']))
    address = choose_ip(network, taken, network.get('fixed_ip'), _field(network), rng=rng)
    mac = normalize_mac(network['mac']) if network.get('mac') else generate_mac(
        _used_macs(db, network['network_id']), rng)
    return address, mac


def _insert(db, port):
    db.execute('INSERT INTO ports (id, network_id, network_name, instance_uuid, host, '
               'mac_address, fixed_ip, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
               (port['id'], port['network_id'], port['network_name'], port['instance_uuid'],
                port['host'], port['mac'], port['fixed_ip'], time.time()))


def allocate_port(db, network, instance_uuid, host=None, rng=None):
    """The instance's port on `network`, allocated now unless it has one already.

    An address asked for (`fixed_ip`) or a MAC asked for (`mac`) that another port holds is
    refused (NetworkError); otherwise a lost race means choosing again, up to
    ALLOCATION_RETRIES times. Runs in its own transaction, or joins the caller's."""
    if not network.get('network_id'):
        raise NetworkError(_field(network), 'a network needs its network_id')
    rng = rng or random.SystemRandom()
    with db.transaction():
        found = _existing(db, instance_uuid, network['network_id'])
        if found:
            return found
        for _attempt in range(ALLOCATION_RETRIES):
            address, mac = _candidate(db, network, rng)
            port = {'id': network.get('port_id') or str(uuid.uuid4()),
                    'network_id': network['network_id'],
                    'network_name': network.get('network_name'),
                    'instance_uuid': instance_uuid, 'host': host, 'mac': mac, 'fixed_ip': address}
            try:
                with db.savepoint():
                    _insert(db, port)
            except UniqueViolation:
                if network.get('fixed_ip') or network.get('mac'):
                    what = network.get('fixed_ip') or network.get('mac')
                    raise NetworkError(_field(network), '%s is already in use on network %s'
                                       % (what, network.get('network_name') or network['network_id']))
                continue
            return port
    raise NetworkError(_field(network), 'no free address won on network %s after %d attempts '
                       '(other controllers allocating on it)'
                       % (network.get('network_name') or network['network_id'], ALLOCATION_RETRIES))


def allocate_ports(db, instance_uuid, networks, host=None, rng=None):
    """One port per entry of `networks`, all or none (one transaction)."""
    with db.transaction():
        return [allocate_port(db, network, instance_uuid, host=host, rng=rng)
                for network in networks]


def set_host(db, instance_uuid, host):
    """Record where the instance's ports are bound (after a build, or a reschedule)."""
    with db.transaction():
        db.execute('UPDATE ports SET host = ? WHERE instance_uuid = ?', (host, instance_uuid))


def release_ports(db, instance_uuid, network_id=None):
    """Remove the instance's ports (on one network, or all); returns how many."""
    with db.transaction():
        if network_id is None:
            cursor = db.execute('DELETE FROM ports WHERE instance_uuid = ?', (instance_uuid,))
        else:
            cursor = db.execute('DELETE FROM ports WHERE instance_uuid = ? AND network_id = ?',
                                (instance_uuid, network_id))
        return cursor.rowcount


def _known(db, port):
    """A reported port as its row knows it: a host's servers table carries addresses, not
    MACs, so a port reported without a MAC keeps the MAC (and id) of its row, and the MAC stays
    held on its network."""
    if port.get('mac'):
        return port
    row = db.row('SELECT id, mac_address FROM ports WHERE instance_uuid = ? AND network_id = ? AND '
                 'fixed_ip = ? AND mac_address IS NOT NULL', (port['instance_uuid'], port['network_id'],
                                                              port['fixed_ip']))
    return dict(port, id=row['id'], mac=row['mac_address']) if row else port


def replace_host_ports(db, host, ports, as_of=None):
    """Make the ports bound to `host` exactly `ports` (what the host reported: its servers'
    records), keeping ports written after `as_of` (newer than the report) and ports of
    instances still being scheduled (no host). A reported port whose address another
    instance holds in the table is left out and returned, so the caller can report the
    conflict instead of losing either row."""
    conflicts = []
    with db.transaction():
        ports = [_known(db, port) for port in ports]
        if as_of is None:
            db.execute('DELETE FROM ports WHERE host = ?', (host,))
        else:
            db.execute('DELETE FROM ports WHERE host = ? AND created_at < ?', (host, as_of))
        for port in ports:
            db.execute('DELETE FROM ports WHERE id = ? OR (instance_uuid = ? AND network_id = ?)',
                       (port['id'], port['instance_uuid'], port['network_id']))
            try:
                with db.savepoint():
                    _insert(db, dict(port, host=host,
                                     mac=normalize_mac(port['mac']) if port.get('mac') else None))
            except UniqueViolation:
                conflicts.append(port)
    return conflicts
