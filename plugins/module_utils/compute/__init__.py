# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The compute stage (nova-compute on a hypervisor: `nova/compute/`).

- `host_settings.py`   the per-hypervisor settings (URI, paths, ratios, reserved amounts,
                       disabled flag) as one `HostSettings`, and which of them each module
                       takes (the `host_settings` filter).
- `layout.py`          where the host keeps its files under state_path and instances_path
                       (lock file, claims, locks, image cache, staging, instance dirs) and
                       the failed builds counter.
- `resource_tracker.py` the host state of this hypervisor (Nova's resource tracker).
- `claims.py`          in-flight claims under the host-local compute lock (`instance_claim`).
- `network.py`         ports: MAC, fixed IP, DHCP entry (`_allocate_network`).
- `segments.py`        a network's segment on this host (`local`, `vxlan`, `flat`, `vlan`:
                       Neutron's linuxbridge agent): bridge, VXLAN device, flood entries.
- `firewall.py`        security groups and anti-spoofing as one nftables ruleset per host.
- `host_network.py`    plugging a port's segment and loading the ruleset (`plug_vifs`, the
                       firewall driver's `prepare_instance_filter`/`apply_instance_filter`).
- `port_provisioning.py` a build's DHCP entries added while it goes on, waited for before
                       the guest runs (`network-vif-plugged`).
- `image_cache.py`     the `_base` image cache and the instance disks made from it.
- `config_drive.py`    the `config-2` ISO (`nova/virt/configdrive.py`, metadata API tree).
- `build.py`           `_build_and_run_instance`: claim, network, image, config drive, define,
                       start, and the rollback of a failed build.
- `build_slots.py`     at most `max_concurrent_builds` builds at once on the host (Nova's
                       `_build_semaphore`), as flock slot files.
- `build_batch.py`     several builds from one command, each in a child process (a greenthread
                       per instance in Nova), and one server's result out of such a command.
- `teardown.py`        removing a server from its hypervisor (`server_delete` and a failed
                       build's rollback alike).
- `lifecycle.py`       start, stop, reboot, pause, unpause, suspend, resume (`start_instance`,
                       `stop_instance`, ...) and the API's lock and unlock, with Nova's lock
                       and state checks.
- `server_access.py`   what each module acting on one server does first: connect, find
                       the record by uuid, check the action's policy against it; refusals
                       as the module's failure.
- `resize.py`          a resize on the server's own host, its confirm and revert
                       (`prep_resize` ... `finish_revert_resize` on one host).
- `migration.py`       a resize to another host, one step per call on the source or the
                       destination (`prep_resize`, `resize_instance`, `finish_resize`, and
                       both sides of confirm and revert).
- `console.py`         the console log (`os-getConsoleOutput`).
- `metadata.py`        server metadata on an existing server (`update_instance_metadata`).
- `server_record.py`   the server record Nova keeps in its database, kept here in the
                       domain's metadata; `server_list.py` the server as lists show it,
                       `server_table.py` hypervisor_info's compact table of them.

Runs on the hypervisor (the module payloads), except the record readers the controller reuses."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type
