# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Finding servers by name or ID, as Nova's API does for `GET /servers/{id}` (a uuid, or with
the client's help a name) and `GET /servers?name=<regex>`, across the hypervisors.

A server lives where its domain is: each hypervisor reads the records of its own domains
(server_info), and the controller gathers them (`gather`). The inventory name that found a
server is its home for this run; the name recorded at build time is not looked up, so renaming
a host in the inventory loses none of its servers.

The fleet database's instance rows are an index of where servers are, not the record: a server
built through another controller's database, or by server_build directly, is on a host whose
rows do not show it. A lookup asks the hosts the rows give for its uuids first
(`uuids_for_rows`) and the other hypervisors for what they did not settle (`unsettled`)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.novalite.compute.plugins.module_utils.compute.server_record import resize_peer
from ansible_collections.novalite.compute.plugins.module_utils.errors import ValidationError
from ansible_collections.novalite.compute.plugins.module_utils.uuidutils import is_uuid_like


def identifiers(value, field='novalite_server_id'):
    """The uuids or names asked for, as a list: `value` is one string, a list of strings, or
    None (no identifier: every server, or those of a pattern)."""
    if value is None or value == '':
        return None
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, str) and v for v in value):
        return list(value)
    raise ValidationError(field, 'must be a server uuid or name, or a non-empty list of them',
                          repr(value))


def name_pattern(value, field='novalite_server_name_pattern'):
    """The compiled regular expression of Nova's `name` list filter, or None."""
    if value is None or value == '':
        return None
    if not isinstance(value, str):
        raise ValidationError(field, 'must be a regular expression (a string)', repr(value))
    try:
        return re.compile(value)
    except re.error as exc:
        raise ValidationError(field, 'must be a valid regular expression', str(exc))


def matches(record, ids, pattern):
    """Whether `record` is one of `ids` (uuid or name) or its name matches `pattern` (searched,
    as Nova's name filter does). With neither, every record matches."""
    if ids is None and pattern is None:
        return True
    if ids is not None and (record.get('uuid') in ids or record.get('name') in ids):
        return True
    return pattern is not None and pattern.search(record.get('name') or '') is not None


def gather(found):
    """The server records found by the hypervisors, once each: `found` is a list of
    (inventory name, hypervisor identity, records). Each record gets `host`, the inventory name
    that found it (the home it is acted on through), `hypervisor_uuid`, the libvirt host UUID
    of the hypervisor that holds it, and `resize_peer`, the other host that holds a part of it
    while its resize to another host is neither confirmed nor reverted (else None;
    server_record.resize_peer). A machine named twice in the inventory reports its servers
    twice; they are kept once, under the first name."""
    seen, gathered = set(), []
    for inventory_name, hypervisor, records in found:
        for record in records or []:
            if record.get('uuid') in seen:
                continue
            seen.add(record.get('uuid'))
            gathered.append(dict(record, host=inventory_name,
                                 hypervisor_uuid=(hypervisor or {}).get('uuid'),
                                 resize_peer=resize_peer(record)))
    return gathered


def unmatched(ids, records):
    """The identifiers among `ids` that match no record's uuid or name."""
    known = set(r.get('uuid') for r in records) | set(r.get('name') for r in records)
    return [i for i in ids or [] if i not in known]


def ambiguous(ids, records):
    """{name: [uuids]} for each identifier that is no uuid of `records` and names several of
    them: Nova's client refuses such a name ("More than one server exists with the name")."""
    uuids = set(r.get('uuid') for r in records)
    found = {}
    for ident in ids or []:
        if ident in uuids:
            continue
        named = [r.get('uuid') for r in records if r.get('name') == ident]
        if len(named) > 1:
            found[ident] = named
    return found


def uuids_for_rows(ids):
    """The identifiers the fleet database's rows may place first: all of `ids` when each is a
    uuid, else none (ask every hypervisor at once). A uuid names one server, so its host in the
    rows is where it is, or else the other hypervisors are asked (`unsettled`). A name is not
    unique (Nova's rule), and the rows know only the servers this database has seen: another
    server of that name, built through another database or by server_build directly, may be on
    a host the rows do not name. Only every hypervisor can say that a name matches one server
    or several, so the rows save no host for a name."""
    ids = ids or []
    return list(ids) if ids and all(is_uuid_like(i) for i in ids) else []


def unsettled(ids, records):
    """The identifiers among `ids` that no record's uuid equals: the names (another hypervisor
    may hold another server of that name) and the uuids not found. A lookup that asked only
    some hypervisors asks the others for them."""
    uuids = set(r.get('uuid') for r in records)
    return [i for i in ids or [] if i not in uuids]
