# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Quotas as Nova counts them since Pike: no reservations, usage counted from the servers that
exist (here: every hypervisor's `hypervisor_info` servers), checked before the build and
rechecked after it (two racing requests can both pass the first check; the recheck catches
the loser, whose caller removes what it built).

Limits: Nova's defaults <- inventory defaults <- per-project <- per-user overrides; -1 is
unlimited. User limits default to the project's, and both must hold.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.novalite.compute.plugins.module_utils.errors import QuotaExceeded

# nova.conf [quota] defaults
DEFAULT_LIMITS = {
    'instances': 10, 'cores': 20, 'ram': 51200, 'metadata_items': 128,
    'injected_files': 5, 'injected_file_content_bytes': 10240,
    'injected_file_path_bytes': 255, 'key_pairs': 100, 'server_groups': 10,
    'server_group_members': 10,
}
COUNTED = ('instances', 'cores', 'ram')
UNLIMITED = -1


def resolve_limits(quotas, project_id, user_id):
    """(project limits, user limits) from the `novalite_quotas` shape."""
    quotas = quotas or {}
    project = dict(DEFAULT_LIMITS)
    project.update(quotas.get('defaults') or {})
    project.update((quotas.get('projects') or {}).get(project_id) or {})
    user = dict(project)
    user.update(((quotas.get('users') or {}).get(project_id) or {}).get(user_id) or {})
    return ({k: int(v) for k, v in project.items()}, {k: int(v) for k, v in user.items()})


def tighter_limits(project, user):
    """Per resource, the limit that binds first: a request must fit both the project's and
    the user's limit (-1 only when both are unlimited)."""
    tighter = {}
    for res, limit in project.items():
        bounded = [v for v in (limit, user.get(res, UNLIMITED)) if v != UNLIMITED]
        tighter[res] = min(bounded) if bounded else UNLIMITED
    return tighter


def _live(servers, exclude=()):
    """Servers that count: not deleted, each once (a server is reported by one host, but a
    stale fact cache could list it twice)."""
    seen = set(exclude)
    live = []
    for server in servers or []:
        if server.get('vm_state') == 'deleted' or server.get('id') in seen:
            continue
        seen.add(server.get('id'))
        live.append(server)
    return live


def _totals(servers):
    totals = {'instances': 0, 'cores': 0, 'ram': 0}
    for server in servers:
        flavor = server.get('flavor') or {}
        totals['instances'] += 1
        totals['cores'] += int(flavor.get('vcpus') or 0)
        totals['ram'] += int(flavor.get('memory_mb') or 0)
    return totals


def count_usage(servers, project_id, user_id, exclude=()):
    """{'project': {instances, cores, ram}, 'user': {...}} counted from `servers`."""
    project = [s for s in _live(servers, exclude) if s.get('project_id') == project_id]
    return {'project': _totals(project),
            'user': _totals([s for s in project if s.get('user_id') == user_id])}


def _group_uuid(server):
    group = server.get('instance_group')
    return group.get('uuid') if isinstance(group, dict) else group


def group_members(servers, group_uuid, user_id=None, exclude=()):
    """Uuids of the live servers in the group (of one user when `user_id` is given)."""
    return [s.get('id') for s in _live(servers, exclude)
            if _group_uuid(s) == group_uuid and (user_id is None or s.get('user_id') == user_id)]


# --- per-request limits (Nova's limit_check) ----------------------------------------------------

def _over(limit, value):
    return limit != UNLIMITED and value > limit


def check_metadata_items(limits, count):
    """Nova's MetadataLimitExceeded."""
    if _over(limits['metadata_items'], count):
        raise QuotaExceeded('Maximum number of metadata items exceeds %d'
                            % limits['metadata_items'], ['metadata_items'])


def check_injected_files(limits, files):
    """`files`: (path, contents length) pairs. Nova measures both as the strings it was
    given: the path in characters, the contents as base64 text (the caller passes only that
    text's length: the contents are secret). Path length is reported before content length,
    as Nova does."""
    if _over(limits['injected_files'], len(files)):
        raise QuotaExceeded('Personality file limit exceeded', ['injected_files'])
    max_path = max([len(p) for p, _n in files] or [0])
    max_content = max([n for _p, n in files] or [0])
    if _over(limits['injected_file_path_bytes'], max_path):
        raise QuotaExceeded('Personality file path exceeds maximum %d'
                            % limits['injected_file_path_bytes'], ['injected_file_path_bytes'])
    if _over(limits['injected_file_content_bytes'], max_content):
        raise QuotaExceeded('Personality file content exceeds maximum %d'
                            % limits['injected_file_content_bytes'],
                            ['injected_file_content_bytes'])


# --- counted resources (Nova's check_num_instances_quota) ---------------------------------------

def _deltas(flavor):
    return {'instances': 1, 'cores': int(flavor.get('vcpus') or 0),
            'ram': int(flavor.get('memory_mb') or 0)}


def _headroom(limits, usage):
    """Per resource, the (headroom, limit, used) of the tighter scope; None when unlimited."""
    rooms = {}
    for res in COUNTED:
        rows = [(limits[scope][res] - usage[scope][res], limits[scope][res], usage[scope][res])
                for scope in ('project', 'user') if limits[scope][res] != UNLIMITED]
        rooms[res] = min(rows) if rows else None
    return rooms


def _allowed(rooms, per_instance):
    """How many instances fit in every headroom."""
    fits = None
    for res, row in rooms.items():
        if row is None or not per_instance[res]:
            continue
        n = max(row[0], 0) // per_instance[res]
        fits = n if fits is None else min(fits, n)
    return fits


def _too_many(rooms, per_instance, count, requested_label):
    """Nova's TooManyInstances for a request of `count` instances."""
    overs = sorted(res for res, row in rooms.items()
                   if row is not None and per_instance[res] * count > row[0])
    requested = {'instances': requested_label, 'cores': per_instance['cores'] * count,
                 'ram': per_instance['ram'] * count}
    parts = [(res, str(requested[res]), str(rooms[res][2]), str(rooms[res][1])) for res in overs]
    names, reqs, useds, limits = (', '.join(col) for col in zip(*parts))
    return QuotaExceeded('Quota exceeded for %s: Requested %s, but already used %s of %s %s'
                         % (names, reqs, useds, limits, names), overs)


def check_num_instances(flavor, min_count, max_count, limits, usage):
    """The number of instances allowed: max_count when it fits, else the largest count in
    [min_count, max_count] that fits; QuotaExceeded when not even min_count fits.

    `limits` and `usage` are {'project': {...}, 'user': {...}}."""
    per_instance = _deltas(flavor)
    rooms = _headroom(limits, usage)
    allowed = _allowed(rooms, per_instance)
    if allowed is None or allowed >= max_count:
        return max_count
    if allowed >= min_count:
        return allowed
    label = str(min_count) if min_count == max_count else '%d-%d' % (min_count, max_count)
    raise _too_many(rooms, per_instance, max_count, label)


def recheck(flavor, num_requested, limits, usage_before):
    """After the build: the request's `num_requested` instances now exist; fail when the
    usage before them plus them breaks a limit (another request won the race)."""
    per_instance = _deltas(flavor)
    rooms = _headroom(limits, usage_before)
    allowed = _allowed(rooms, per_instance)
    if allowed is not None and allowed < num_requested:
        raise _too_many(rooms, per_instance, num_requested, str(num_requested))


def upsize_deltas(new_flavor, old_flavor):
    """Nova's compute.utils.upsize_quota_delta: the cores and ram a resize adds (only the
    resources that grow; empty for a resize that grows neither)."""
    deltas = {}
    for res, key in (('cores', 'vcpus'), ('ram', 'memory_mb')):
        delta = int(new_flavor.get(key) or 0) - int(old_flavor.get(key) or 0)
        if delta > 0:
            deltas[res] = delta
    return deltas


def check_upsize(old_flavor, new_flavor, limits, usage):
    """Nova's compute API `_check_quota_for_upsize` (the counted quotas' check_deltas): the
    project's and user's usage, the server's old flavor in it, plus what the new flavor adds
    must stay within the limits. Raises QuotaExceeded with Nova's TooManyInstances message
    (numbers of the binding scope, as the create's check names them); returns the deltas.

    `limits` and `usage` are {'project': {...}, 'user': {...}}."""
    deltas = upsize_deltas(new_flavor, old_flavor)
    rooms = _headroom(limits, usage)
    overs = [res for res in ('cores', 'ram')
             if res in deltas and rooms[res] is not None and deltas[res] > rooms[res][0]]
    if overs:
        parts = [(res, str(deltas[res]), str(rooms[res][2]), str(rooms[res][1])) for res in overs]
        names, reqs, useds, allowed = (', '.join(col) for col in zip(*parts))
        raise QuotaExceeded('Quota exceeded for %s: Requested %s, but already used %s of %s %s'
                            % (names, reqs, useds, allowed, names), overs)
    return deltas


def check_group_members(group_uuid, servers, user_id, user_limits, count, exclude=()):
    """Nova counts a user's members of the group against server_group_members."""
    limit = user_limits['server_group_members']
    used = len(group_members(servers, group_uuid, user_id, exclude))
    if _over(limit, used + count):
        raise QuotaExceeded('Quota exceeded, too many servers in group',
                            ['server_group_members'])
    return used


def catalog_usage(catalog, project_id, user_id):
    """key_pairs (the user's) and server_groups (the project's), counted from the catalog."""
    catalog = catalog or {}
    return {
        'key_pairs': len([k for k in catalog.get('keypairs') or [] if k.get('user_id') == user_id]),
        'server_groups': len([g for g in catalog.get('server_groups') or []
                              if g.get('project_id') == project_id]),
    }


def check_request(request_spec, servers, quotas, catalog=None, recheck_after_build=False):
    """What the quota_check module returns: num_instances allowed, limits and usage, and the
    request's instance uuids trimmed to the allowed count. Raises QuotaExceeded."""
    spec = request_spec
    project_id, user_id = spec['project_id'], spec['user_id']
    project_limits, user_limits = resolve_limits(quotas, project_id, user_id)
    limits = {'project': project_limits, 'user': user_limits}
    uuids = list(spec.get('instance_uuids') or [])
    # Usage of everything but this request: before the build the request's servers are not
    # there (or are leftovers of an earlier attempt); after it they are the ones to check.
    usage = count_usage(servers, project_id, user_id, exclude=uuids)
    if recheck_after_build:
        recheck(spec['flavor'], spec['num_instances'], limits, usage)
        num = spec['num_instances']
    else:
        num = check_num_instances(spec['flavor'], spec.get('min_num_instances', 1),
                                  spec['num_instances'], limits, usage)
    group = spec.get('instance_group')
    if group:
        check_group_members(group['uuid'], servers, user_id, user_limits, num, exclude=uuids)
    usage.update(catalog_usage(catalog, project_id, user_id))
    return {'num_instances': num, 'limits': limits, 'usage': usage,
            'instance_uuids': uuids[:num]}
