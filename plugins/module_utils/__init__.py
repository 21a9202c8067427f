# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The domain logic of novalite.compute, one package per stage of Nova's create-server path.

Read in the order a request travels:

- `api/`       nova-api: the `POST /servers` body checked, policy, catalog lookups, quotas.
- `conductor/` nova-conductor: the request's server group filled in, fixed IPs chosen for the
               cloud, build rounds cast to the selected hosts and rescheduled to alternates.
- `scheduler/` nova-scheduler: host states, options, the FilterScheduler (the engine and its
               reference loop), one class per filter and per weigher, the trace.
- `compute/`   nova-compute on a hypervisor: the resource tracker's host state, claims, the
               build (image cache, disks, config drive, ports), teardown, start/stop/reboot,
               and the server record kept in the domain's metadata.
- `virt/libvirt/` the libvirt driver's helpers: connections, domain XML, declarative domains
               and networks, the virt type.

`errors.py` holds the exceptions every stage raises (Nova's `nova/exception.py`);
`args_common.py` the argument specs twinned with the doc fragments (plugins/doc_fragments);
`uuidutils.py` oslo's test of a uuid, for the API's schema and the lookup of a server.
Modules, action plugins and filter plugins are thin shells over these packages."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type
