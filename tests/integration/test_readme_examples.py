# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The README's request, as written, on the README's own one-host inventory (check mode: the
request, quotas, this machine's host state and the scheduler, nothing built); and its
multi-host-only anti-affinity hint refused there as the README says."""
import os
import re

import pytest
import yaml

from conftest import REPO, run_playbook

pytestmark = pytest.mark.integration

README = open(os.path.join(REPO, 'README.md')).read()
SUMMARY_LINE = re.compile(r'^\s+(\S+) ([0-9a-f-]{36}) BUILD host=local-hv (\S+)$', re.M)


def readme_request():
    """The YAML block after "A request is Nova's `POST /servers` body's"."""
    after = README.split("A request is Nova's `POST /servers` body's", 1)[1]
    return yaml.safe_load(after.split('```yaml\n', 1)[1].split('```', 1)[0])


def readme_group_hint():
    return yaml.safe_load(re.search(r'Multi-host only: .*?`(novalite_scheduler_hints: [^`]+)`',
                                    README, re.S).group(1))


def test_readme_request_schedules_on_the_one_host_inventory(prepared_hypervisor):
    request = readme_request()
    assert request['novalite_server']['min_count'] == 2
    run = run_playbook('create_server', request, check=True)
    assert run.rc == 0, run
    lines = SUMMARY_LINE.findall(run.output)
    # one short line a server, max_count of them, named as Nova names a multi-create
    assert [name for name, _uuid, _addr in lines] == ['web-1', 'web-2', 'web-3'], run


def test_readme_anti_affinity_hint_needs_two_hosts(prepared_hypervisor):
    request = dict(readme_request(), **readme_group_hint())
    run = run_playbook('create_server', request, check=True)
    assert run.rc != 0, run
    assert 'No valid host was found.' in run.output
    assert 'ServerGroupAntiAffinityFilter' in run.output
