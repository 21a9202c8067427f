# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The security groups of the fleet's ports (Neutron's securitygroupportbindings).

A rule with a remote group matches the fixed IPs of that group's members, wherever they run;
when a group gains or loses a member, the rulesets of the hosts whose ports are in a group
whose rules name it must be rewritten. Both are read here: `members` and `hosts_to_refresh`.

Who writes: the bindings follow the ports - `bind_instance` when a create allocates its ports
(fleet_schedule), when a build is recorded (instances.record_build) and when a host reports
its servers (instances.sync_host); a port's bindings go with it (ON DELETE CASCADE)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress


def bind_instance(db, instance_uuid, groups):
    """Every port of the instance is in exactly `groups` (a server's groups apply to all its
    ports, as Nova's `security_groups` of a create do)."""
    with db.transaction():
        for row in db.rows('SELECT id FROM ports WHERE instance_uuid = ?', (instance_uuid,)):
            db.execute('DELETE FROM securitygroupportbindings WHERE port_id = ?', (row['id'],))
            for group in sorted(set(groups or [])):
                db.execute('INSERT INTO securitygroupportbindings (port_id, security_group) '
                           'VALUES (?, ?)', (row['id'], group))


def members(db):
    """{group: sorted fixed IPs of its ports}, every port in the table (those of instances
    being built included: their rules must let them in as soon as they start)."""
    found = {}
    for row in db.rows('SELECT b.security_group, p.fixed_ip FROM securitygroupportbindings b '
                       'JOIN ports p ON p.id = b.port_id'):
        found.setdefault(row['security_group'], set()).add(row['fixed_ip'])
    return dict((group, sorted(ips, key=_address_order)) for group, ips in found.items())


def _address_order(ip):
    # IPv4 before IPv6, each by value, as the firewall's own sets are sorted.
    address = ipaddress.ip_address(ip)
    return address.version, int(address)


def referencing(rules, groups):
    """The groups whose rules (firewall.group_rules' {group: [normalized rules]}) name one of
    `groups` as their remote group."""
    changed = set(groups)
    return sorted(name for name, listed in rules.items()
                  if any(rule.get('remote_group') in changed for rule in listed))


def hosts_to_refresh(db, rules, groups):
    """The hosts with a port in a group whose rules name one of `groups` (their members
    changed): only their rulesets differ now."""
    wanted = referencing(rules, groups)
    if not wanted:
        return []
    marks = ', '.join('?' * len(wanted))
    return [row['host'] for row in db.rows(
        'SELECT DISTINCT p.host FROM ports p JOIN securitygroupportbindings b ON b.port_id = p.id '
        'WHERE p.host IS NOT NULL AND b.security_group IN (%s) ORDER BY p.host' % marks, tuple(wanted))]
