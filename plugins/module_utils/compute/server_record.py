# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The server record: what Nova keeps in its database, kept here in the domain's metadata.

The record is a plain dict (docs/internals.md "Server record") stored as a typed XML tree
under `<novalite:server>`, so that it survives the round trip exactly:

* a string is the element's text (no `type` attribute); a string holding characters XML
  cannot carry is stored base64 with `encoding="base64"`;
* `type="int" | "float" | "bool" | "null"` for the other scalars;
* `type="list"`: one `<novalite:item>` child per element;
* `type="dict"`: one child per key, named after the key when the key is a plain XML name,
  otherwise `<novalite:entry key="...">` (metadata and extra_specs keys such as
  `hw:cpu_policy`).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import datetime
import re

try:
    from lxml import etree
except ImportError:
    pass  # modules check libvirt_utils.HAS_LXML and fail with missing_required_lib

try:
    import libvirt
except ImportError:
    pass  # modules check libvirt_utils.HAS_LIBVIRT

NAMESPACE = 'http://novalite.compute/xmlns/server/1.0'
PREFIX = 'novalite'
ROOT_TAG = '{%s}server' % NAMESPACE
_NAME_RE = re.compile(r'^[A-Za-z_][A-Za-z0-9_.-]*$')
# Characters XML 1.0 cannot carry, and CR, which XML parsers turn into LF.
_UNSAFE_RE = re.compile(r'[\x00-\x08\x0b-\x1f\ufffe\uffff\ud800-\udfff]')

# Every key of the record, in the order it is written, with the value a new record starts with.
RECORD_DEFAULTS = (
    ('uuid', None), ('name', None), ('hostname', None), ('description', None),
    ('project_id', None), ('user_id', None), ('reservation_id', None), ('launch_index', 0),
    ('flavor', None), ('image', None), ('key_name', None), ('availability_zone', None),
    ('security_groups', []), ('metadata', {}), ('tags', []), ('config_drive', False),
    ('access_ip_v4', None), ('access_ip_v6', None), ('ports', []), ('instance_group', None),
    ('host', None), ('node', None), ('vm_state', 'building'), ('task_state', None),
    ('power_state', 0), ('created', None), ('launched_at', None), ('updated', None),
    ('locked', False), ('locked_by', None), ('locked_reason', None), ('fault', None),
    ('actions', []),
    # A resize waiting for confirmResize or revertResize: the flavor it had, and Nova's
    # migration (source and destination host and node, the vm_state to go back to).
    ('old_flavor', None), ('migration', None),
    # What the create asked for that a later move schedules with (Nova's RequestSpec, kept
    # at create): {availability_zone: the zone asked for or null}; null in a record written
    # before it existed.
    ('request_spec', None),
)
RECORD_KEYS = tuple(key for key, _default in RECORD_DEFAULTS)

# Nova's power states (nova/compute/power_state.py) and libvirt's domain states mapped to
# them as nova/virt/libvirt/guest.py does: a domain shutting down is already SHUTDOWN.
NOSTATE, RUNNING, PAUSED, SHUTDOWN, CRASHED, SUSPENDED = 0, 1, 3, 4, 6, 7
_LIBVIRT_POWER_STATE = {0: NOSTATE, 1: RUNNING, 2: RUNNING, 3: PAUSED, 4: SHUTDOWN,
                        5: SHUTDOWN, 6: CRASHED, 7: SUSPENDED}


def power_state_from_libvirt(state):
    """Nova's power state for a libvirt domain state (VIR_DOMAIN_*)."""
    return _LIBVIRT_POWER_STATE.get(state, NOSTATE)


def now_iso():
    """The current UTC time as 'YYYY-MM-DDTHH:MM:SSZ'."""
    return datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


def new_record(**values):
    """A record with every key, `values` over the defaults; unknown keys are an error."""
    unknown = sorted(set(values) - set(RECORD_KEYS))
    if unknown:
        raise ValueError('server record: unknown keys %s' % ', '.join(unknown))
    record = {}
    for key, default in RECORD_DEFAULTS:
        # Copy mutable defaults so two records never share a list.
        record[key] = values[key] if key in values else (
            type(default)() if isinstance(default, (list, dict)) else default)
    return record


# ---- dict <-> element -------------------------------------------------------------------

def _set_text(elem, text):
    # libvirt re-parses metadata dropping whitespace-only text, and control characters are
    # not XML at all: such strings are kept, losslessly, as base64.
    if text and (not text.strip() or _UNSAFE_RE.search(text)):
        elem.set('encoding', 'base64')
        elem.text = base64.b64encode(text.encode('utf-8')).decode('ascii')
    else:
        elem.text = text


def _fill(elem, value, path, ns):
    """Write `value` into `elem` (type attribute + text/children)."""
    if value is None:
        elem.set('type', 'null')
    elif isinstance(value, bool):
        elem.set('type', 'bool')
        elem.text = 'true' if value else 'false'
    elif isinstance(value, int):
        elem.set('type', 'int')
        elem.text = str(value)
    elif isinstance(value, float):
        elem.set('type', 'float')
        elem.text = repr(value)
    elif isinstance(value, str):
        _set_text(elem, value)
    elif isinstance(value, (list, tuple)):
        elem.set('type', 'list')
        for index, item in enumerate(value):
            _fill(etree.SubElement(elem, ns + 'item'), item, '%s[%d]' % (path, index), ns)
    elif isinstance(value, dict):
        elem.set('type', 'dict')
        for key, item in value.items():
            _fill(_dict_child(elem, key, path, ns), item, '%s.%s' % (path, key), ns)
    else:
        raise TypeError('server record: %s has unsupported type %s' % (path, type(value).__name__))


def _dict_child(elem, key, path, ns):
    if not isinstance(key, str):
        raise TypeError('server record: key %r under %s must be a string' % (key, path))
    if _NAME_RE.match(key) and not key.lower().startswith('xml') and key not in ('item', 'entry'):
        return etree.SubElement(elem, ns + key)
    child = etree.SubElement(elem, ns + 'entry')
    child.set('key', key)
    return child


def _build(record, qualified):
    if not isinstance(record, dict):
        raise TypeError('server record: must be a dict, got %s' % type(record).__name__)
    ns = '{%s}' % NAMESPACE if qualified else ''
    root = etree.Element(ns + 'server', nsmap={PREFIX: NAMESPACE} if qualified else None)
    _fill(root, record, 'server', ns)
    # The root is always a dict; its type attribute is implied.
    del root.attrib['type']
    return root


def record_to_element(record):
    """The `<novalite:server>` element for `record` (a dict), for a domain's <metadata>."""
    return _build(record, qualified=True)


def _read(elem):
    kind = elem.get('type')
    if kind is None:
        text = elem.text or ''
        if elem.get('encoding') == 'base64':
            return base64.b64decode(text).decode('utf-8')
        return text
    if kind == 'null':
        return None
    if kind == 'bool':
        return elem.text == 'true'
    if kind == 'int':
        return int(elem.text)
    if kind == 'float':
        return float(elem.text)
    children = [child for child in elem if isinstance(child.tag, str)]
    if kind == 'list':
        return [_read(child) for child in children]
    if kind == 'dict':
        return _read_dict(children)
    raise ValueError('server record: element %s has unknown type %r' % (elem.tag, kind))


def _read_dict(children):
    result = {}
    for child in children:
        key = etree.QName(child).localname
        result[child.get('key') if key == 'entry' else key] = _read(child)
    return result


def record_from_element(elem):
    """The record dict stored in a `<novalite:server>` element.

    Children are read by local name: the domain XML has them in the novalite namespace,
    virDomainGetMetadata returns them without one."""
    if etree.QName(elem).localname != 'server':
        raise ValueError('server record: expected a server element, got %s' % elem.tag)
    return _read_dict([child for child in elem if isinstance(child.tag, str)])


def record_from_xml(xml_str):
    """The record in a serialised `<novalite:server>` element."""
    return record_from_element(etree.fromstring(xml_str.encode('utf-8')))


# ---- domain metadata ----------------------------------------------------------------------

def read_record(dom):
    """The record in the domain's (current) metadata, or None when it has none."""
    try:
        xml_str = dom.metadata(libvirt.VIR_DOMAIN_METADATA_ELEMENT, NAMESPACE, 0)
    except libvirt.libvirtError as exc:
        if exc.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN_METADATA:
            return None
        raise
    return record_from_xml(xml_str)


def write_record(dom, record, live=None):
    """Store `record` in the domain's persistent config, and in the live one when running.

    `live=None` decides from the domain's state; True/False force it."""
    if live is None:
        live = bool(dom.isActive())
    flags = libvirt.VIR_DOMAIN_AFFECT_CONFIG
    if live:
        flags |= libvirt.VIR_DOMAIN_AFFECT_LIVE
    # libvirt puts the element and its children into NAMESPACE itself and refuses an
    # element that already declares it.
    xml_str = etree.tostring(_build(record, qualified=False), encoding='unicode')
    dom.setMetadata(libvirt.VIR_DOMAIN_METADATA_ELEMENT, xml_str, PREFIX, NAMESPACE, flags)


# ---- instance actions (Nova's instance_actions / instance_actions_events) ---------------

def new_action(action, request_id):
    """A new action entry (append it to record['actions'])."""
    return {'action': action, 'request_id': request_id, 'start_time': now_iso(),
            'finish_time': None, 'message': None, 'events': []}


def _last_action(record, action):
    for entry in reversed(record.get('actions') or []):
        if entry['action'] == action:
            return entry
    raise ValueError('server record %s: no action %r to add an event to'
                     % (record.get('uuid'), action))


def add_event(record, action, event, result, start, finish):
    """Append an event to the record's latest `action`; an 'Error' result marks the action
    'Error' as Nova's action_event_finish does. Returns the event dict."""
    entry = _last_action(record, action)
    item = {'event': event, 'start_time': start, 'finish_time': finish, 'result': result}
    entry['events'].append(item)
    if result == 'Error':
        entry['message'] = 'Error'
    return item


def new_fault(message, code=500, details=None, created=None):
    """Nova's instance fault: `message` (at most 255 characters, as Nova's column), the
    HTTP-like `code`, `details` and when it was `created`."""
    return {'message': str(message)[:255], 'code': code, 'created': created or now_iso(),
            'details': details}


def set_fault(record, message, code=500, details=None):
    """Record Nova's instance fault (the latest one; Nova shows only that)."""
    record['fault'] = new_fault(message, code, details)


def finish_action(record, action, finish=None):
    """Set the finish time of the record's latest `action`."""
    _last_action(record, action)['finish_time'] = finish or now_iso()


def record_by_uuid(conn, instance_uuid):
    """The record of the domain with this uuid; None when there is no such domain (or it
    went meanwhile) or it has no record."""
    try:
        dom = conn.lookupByUUIDString(instance_uuid)
        return read_record(dom)
    except libvirt.libvirtError as exc:
        if exc.get_error_code() in (libvirt.VIR_ERR_NO_DOMAIN, libvirt.VIR_ERR_INVALID_ARG):
            return None
        raise


# ---- listing ------------------------------------------------------------------------------

def is_source_copy(record):
    """True for the source host's shut-off copy of a server resized to another host, kept
    until confirmResize or revertResize: its finished migration names another host as the
    destination. The server is its destination's; lists leave the copy out, and only the
    source's usage counts it (at its old flavor, Nova's migration allocation)."""
    migration = record.get('migration') or {}
    return bool(migration.get('dest_compute') and migration['dest_compute'] != record.get('host')
                and migration.get('status') == 'finished' and record.get('task_state') is None)


def is_cross_host(record):
    """True for a record whose resize goes to another host (its migration's source and
    destination differ)."""
    migration = record.get('migration') or {}
    return migration.get('source_compute') != migration.get('dest_compute')


def resize_peer(record):
    """The other host of the server's resize to another host, while that resize is neither
    confirmed nor reverted: the source for the destination's record, the destination for the
    source's (its copy, or its record while the resize runs there or waits for its commit);
    None without such a resize. That host holds a part of the server (a copy, files, a claim,
    or a finished domain whose `finished` never ran: migration.is_in_doubt), so a delete of
    the server removes it there too (Nova's _confirm_resize_on_deleting and
    _cleanup_incomplete_migrations)."""
    migration = record.get('migration') or {}
    if not is_cross_host(record):
        return None
    source, dest = migration.get('source_compute'), migration.get('dest_compute')
    return dest if record.get('host') == source else source


def counts_old_flavor(record):
    """True when the host holding `record` also holds its old flavor: a resize on the same
    host not confirmed yet (a resize to another host leaves the old flavor to the source)."""
    return not is_cross_host(record)


def list_servers(conn, source_copies=True):
    """Every domain with a record, each record with `power_state` from libvirt's live state;
    without the source copies of resized servers (is_source_copy) unless `source_copies`."""
    servers = []
    for dom in conn.listAllDomains(0):
        try:
            record = read_record(dom)
            if record is None or not source_copies and is_source_copy(record):
                continue
            record['power_state'] = power_state_from_libvirt(dom.state()[0])
        except libvirt.libvirtError as exc:
            # A domain undefined between the listing and the read (a delete running beside
            # this one) is simply gone.
            if exc.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
                continue
            raise
        servers.append(record)
    servers.sort(key=lambda rec: (rec.get('created') or '', rec.get('uuid') or ''))
    return servers
