# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The multi-host testbed (scripts/testbed) for the tests of this package.

`testbed` brings up three hypervisor hosts once for the package and always tears them down
afterwards: after a failure, on Ctrl-C and on SIGTERM too. Leftovers of an earlier run that
was killed outright are torn down first. The scripts' settings come from the environment
(TESTBED_ROOT, TESTBED_NET, TESTBED_BRIDGE, TESTBED_PREFIX, TESTBED_INVENTORY), so that two
testbeds of other names and addresses can run side by side.
"""
import json
import os
import signal
import subprocess
import time

import pytest

from conftest import BIN, REPO, PlaybookRun, run_playbook

SCRIPTS = os.path.join(REPO, 'scripts', 'testbed')
INVENTORY = os.environ.get('TESTBED_INVENTORY', os.path.join(REPO, 'inventories', 'testbed'))
TESTBED_ROOT = os.environ.get('TESTBED_ROOT', '/var/tmp/novalite-testbed')
TESTBED_PREFIX = os.environ.get('TESTBED_PREFIX', 'hv')
HOSTS = 3


class Testbed(object):
    def __init__(self, hosts, up_seconds):
        self.hosts = hosts                  # inventory names: hv1, hv2, hv3 (TESTBED_PREFIX)
        self.inventory = INVENTORY
        self.up_seconds = up_seconds

    def state_dir(self, host):
        """The controller's path of `host`'s private /var/lib/novalite."""
        return os.path.join(TESTBED_ROOT, host, 'novalite')

    def enter(self, host, *cmd):
        """Run `cmd` inside `host` without SSH (for checks behind the playbooks' back)."""
        return subprocess.run(['bash', os.path.join(SCRIPTS, 'enter.sh'), host] + list(cmd),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              universal_newlines=True, timeout=60, check=False)


def _script(name, *args, timeout):
    """Run a testbed script in its own process group. Whatever interrupts the wait (Ctrl-C,
    SIGTERM, the timeout) stops the whole group, so nothing of it runs on behind our back."""
    proc = subprocess.Popen(['bash', os.path.join(SCRIPTS, name)] + list(args),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            universal_newlines=True, start_new_session=True)
    try:
        output = proc.communicate(timeout=timeout)[0]
    except BaseException:
        _stop_group(proc)
        raise
    return proc.returncode, output


def _stop_group(proc):
    for sig, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.communicate(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


def _interrupt(signum, frame):
    raise KeyboardInterrupt('signal %d' % signum)


@pytest.fixture(scope='package')
def testbed(demo_image):
    """Three hypervisor hosts (hv1..hv3, zones az1..az3) and their inventory."""
    if os.geteuid() != 0:
        pytest.fail('the multi-host testbed needs root (network and mount namespaces)', pytrace=False)
    # pytest runs the finalizers on KeyboardInterrupt, not on SIGTERM: make one the other.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        _script('down.sh', timeout=120)
        start = time.time()
        rc, output = _script('up.sh', str(HOSTS), timeout=300)
        if rc != 0:
            pytest.fail('scripts/testbed/up.sh %d failed (rc %d):\n%s' % (HOSTS, rc, output), pytrace=False)
        yield Testbed(['%s%d' % (TESTBED_PREFIX, i) for i in range(1, HOSTS + 1)], time.time() - start)
    finally:
        rc, output = _script('down.sh', timeout=120)
        signal.signal(signal.SIGTERM, previous)
        assert rc == 0, 'scripts/testbed/down.sh failed (rc %d):\n%s' % (rc, output)


@pytest.fixture(scope='package')
def prepared_testbed(testbed):
    """The testbed with the catalog's libvirt network on every host."""
    run = run_playbook('prepare_hypervisors', inventory=testbed.inventory)
    assert run.rc == 0, run
    return testbed


def run_ansible(name, *args):
    """Run `ansible` or `ansible-playbook` (name) from the repository with ansible.cfg."""
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, 'ansible.cfg'),
               ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0',
               PATH=BIN + os.pathsep + os.environ.get('PATH', ''))
    proc = subprocess.run([os.path.join(BIN, name)] + list(args), cwd=REPO, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=600, check=False)
    return PlaybookRun(name, proc)


@pytest.fixture(scope='package')
def vcpu_totals(prepared_testbed, tmp_path_factory):
    """{host: vcpus_total} as each host reports it, for tests that size the hosts' capacity
    through their vCPU allocation ratio."""
    out = tmp_path_factory.mktemp('vcpus') / 'host_states.json'
    run = run_ansible('ansible-playbook', '-i', prepared_testbed.inventory,
                      os.path.join(os.path.dirname(os.path.abspath(__file__)), 'host_states.yml'),
                      '-e', 'testbed_out=%s' % out, '-e', 'hypervisor_facts_max_age=0')
    assert run.rc == 0, run
    with open(str(out)) as f:
        return dict((host, report['host_state']['vcpus_total']) for host, report in json.load(f).items())
