# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""novalite.compute.fleet_resize: a resize's API checks, upsize quota and destination against
the fleet database, in the controller's process. See the module's documentation."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.novalite.compute.plugins.module_utils.api import catalog
from ansible_collections.novalite.compute.plugins.module_utils.api.policy import (
    Enforcer, authorize_server_action)
from ansible_collections.novalite.compute.plugins.module_utils.api.server_actions import resize_request
from ansible_collections.novalite.compute.plugins.module_utils.compute.lifecycle import LifecycleError
from ansible_collections.novalite.compute.plugins.module_utils.compute.resize import check_resize_allowed
from ansible_collections.novalite.compute.plugins.module_utils.conductor import migrate
from ansible_collections.novalite.compute.plugins.module_utils.errors import (
    NoValidHost, PolicyError, PolicyNotAuthorized, QuotaExceeded, ValidationError)
from ansible_collections.novalite.compute.plugins.module_utils.fleet import (
    compute_nodes, instances as fleet_instances, quotas, security_groups)
from ansible_collections.novalite.compute.plugins.modules import fleet_resize
from ansible_collections.novalite.compute.plugins.plugin_utils.fleet_database import FleetAction

# One cache per worker process (see plugin_utils/fleet_database.py).
_HOST_STATES = compute_nodes.HostStateCache()


def check_and_select(db, args, cache=None):
    """The module's result; raises the API's errors (ValidationError, PolicyNotAuthorized,
    PolicyError, LifecycleError, QuotaExceeded, NoValidHost)."""
    record, context = args['server'], args['context']
    enforcer = Enforcer(args['policy'])
    caller = authorize_server_action(enforcer, 'resize', record, context)
    check_resize_allowed(record, 'resize', caller['is_admin'])
    new_flavor = resize_request({'resize': args['resize']}, record, args['catalog'], context,
                                caller['is_admin'])
    checked = quotas.check_upsize(db, record['project_id'], record['user_id'], record['flavor'],
                                  new_flavor, args['quotas'])
    images = [item for item in args['catalog'].get('images') or []
              if item.get('id') == (record.get('image') or {}).get('id')]
    group = record.get('instance_group')
    spec = migrate.resize_request_spec(
        record, new_flavor, catalog.image_spec(images[0]) if images else None,
        args['allow_resize_to_same_host'],
        fleet_instances.populate_group(db, group) if group else None)
    host_states = (cache or _HOST_STATES).get(db, args['hosts'])
    destinations, trace = migrate.select_destinations(host_states, spec, args['scheduler'])
    return dict(checked, new_flavor=new_flavor, destinations=destinations, trace=trace,
                same_host=destinations[0]['host'] == record['host'], request_spec=spec,
                # the remote groups' members, for the destination's ruleset
                security_group_members=security_groups.members(db))


class ActionModule(FleetAction):
    ARGUMENT_SPEC = fleet_resize.ARGUMENT_SPEC

    def run(self, tmp=None, task_vars=None):
        result, args = self.start(tmp, task_vars)
        db = self.database(args, task_vars)
        try:
            outcome = check_and_select(db, args)
        except ValidationError as exc:
            result.update(failed=True, msg=str(exc), field=exc.field, rule=exc.rule, trace=[])
        except (PolicyNotAuthorized, PolicyError) as exc:
            result.update(failed=True, msg=exc.msg, rule=exc.rule, trace=[])
        except QuotaExceeded as exc:
            result.update(failed=True, msg=exc.msg, overs=exc.overs, trace=[])
        except NoValidHost as exc:
            result.update(failed=True, msg=exc.msg, trace=getattr(exc, 'trace', []))
        except LifecycleError as exc:
            result.update(failed=True, msg=str(exc), trace=[])
        else:
            result.update(changed=False, **outcome)
        return result
