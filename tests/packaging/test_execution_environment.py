# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The artifact and the execution environment: what `ansible-galaxy collection build` ships,
and the build context `ansible-builder create` makes from meta/execution-environment.yml.

Nothing is pulled: the context is checked as written, and what the image build would install
from the collection is asked of ansible-builder's own introspection on the collection
installed from the context's tarball."""
import os
import re
import shutil
import subprocess
import sys
import tarfile

import pytest
import yaml
from bindep.depends import Depends
from packaging.requirements import Requirement
from packaging.version import Version

from collection_path import REPO

BIN = os.path.dirname(sys.executable)
GALAXY = yaml.safe_load(open(os.path.join(REPO, 'galaxy.yml')))
TARBALL = 'novalite-compute-%s.tar.gz' % GALAXY['version']
DIST = os.path.join(REPO, 'build', 'dist')
DEFINITION = os.path.join(REPO, 'meta', 'execution-environment.yml')
USER_LIBRARIES = {'netaddr', 'jmespath', 'jsonschema', 'libvirt-python', 'lxml', 'pycdlib'}
# What users run and read, one file of each kind.
SHIPPED = ('README.md', 'CHANGELOG.rst', 'COPYING', 'requirements.txt', 'bindep.txt',
           'meta/runtime.yml', 'changelogs/changelog.yaml', 'docs/internals.md',
           'plugins/modules/server_request.py', 'plugins/module_utils/api/request.py',
           'plugins/filter/server_view.py', 'roles/request/tasks/main.yml',
           'roles/build/meta/argument_specs.yml', 'playbooks/create_server.yml',
           'playbooks/vars/survey.yml', 'inventories/local/group_vars/all/catalog.yml')
# The repository's own: development, tests, AWX and EE set-up, files made on this machine.
NOT_SHIPPED = re.compile(r'^(Makefile|ansible\.cfg|pytest\.ini|requirements-dev\.txt|\.'
                         r'|(scripts|tests|bench|build|awx|collections|changelogs/fragments)/'
                         r'|changelogs/config\.yaml|meta/execution-environment\.yml'
                         r'|meta/ee-requirements\.yml|inventories/local/group_vars/all/demo_image'
                         r'|inventories/testbed)|__pycache__|\.pyc$')


def run(*argv, **kwargs):
    proc = subprocess.run(argv, cwd=kwargs.pop('cwd', REPO), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True, timeout=300,
                          check=False, **kwargs)
    assert proc.returncode == 0, '%s failed (rc %d):\n%s' % (' '.join(argv), proc.returncode,
                                                             proc.stdout[-4000:])
    return proc.stdout


@pytest.fixture(scope='module')
def tarball():
    """The collection as `make collection` builds it, into the folder the definition reads."""
    run(os.path.join(BIN, 'ansible-galaxy'), 'collection', 'build', '--force',
        '--output-path', DIST, '.')
    path = os.path.join(DIST, TARBALL)
    with tarfile.open(path) as tar:
        names = sorted(m.name for m in tar.getmembers() if m.isfile())
    return path, names


@pytest.fixture(scope='module')
def context(tarball, tmp_path_factory):
    out = tmp_path_factory.mktemp('ee')
    log = run(os.path.join(BIN, 'ansible-builder'), 'create', '-f', DEFINITION,
              '--context', str(out), '--output-filename', 'Containerfile')
    return out, log


def requirement_lines(path):
    with open(path) as f:
        return [line.split('#')[0].strip() for line in f
                if line.split('#')[0].strip() and not line.startswith('-')]


# ---- the artifact ----------------------------------------------------------------------------

def test_tarball_holds_what_users_need(tarball):
    _path, names = tarball
    missing = [name for name in SHIPPED if name not in names]
    assert missing == []


def test_tarball_leaves_the_repository_out(tarball):
    _path, names = tarball
    assert [name for name in names if NOT_SHIPPED.search(name)] == []


def test_version_is_semantic_and_released_in_the_changelog():
    version = Version(GALAXY['version'])
    assert str(version) == GALAXY['version'] and version.major >= 2
    changes = yaml.safe_load(open(os.path.join(REPO, 'changelogs', 'changelog.yaml')))
    assert GALAXY['version'] in changes['releases']


def test_changelog_fragments_are_valid():
    run(os.path.join(BIN, 'antsibull-changelog'), 'lint')


def test_changelog_rst_is_generated_from_changelog_yaml(tmp_path):
    """CHANGELOG.rst is what `antsibull-changelog generate` makes of changelogs/changelog.yaml."""
    shutil.copy(os.path.join(REPO, 'galaxy.yml'), str(tmp_path))
    shutil.copytree(os.path.join(REPO, 'changelogs'), str(tmp_path / 'changelogs'))
    run(os.path.join(BIN, 'antsibull-changelog'), 'generate', cwd=str(tmp_path))
    assert (tmp_path / 'CHANGELOG.rst').read_text() == \
        open(os.path.join(REPO, 'CHANGELOG.rst')).read()


# ---- requirements.txt and bindep.txt ---------------------------------------------------------

def test_requirements_name_the_libraries_and_the_ansible_range_of_runtime_yml():
    reqs = [Requirement(line) for line in requirement_lines(os.path.join(REPO, 'requirements.txt'))]
    by_name = dict((r.name, r) for r in reqs)
    assert set(by_name) == USER_LIBRARIES | {'ansible-core'}
    runtime = yaml.safe_load(open(os.path.join(REPO, 'meta', 'runtime.yml')))
    assert str(by_name['ansible-core'].specifier) == runtime['requires_ansible']


def test_development_requirements_include_the_users_and_the_release_tools():
    lines = open(os.path.join(REPO, 'requirements-dev.txt')).read().splitlines()
    assert '-r requirements.txt' in lines
    names = set(Requirement(line).name for line in requirement_lines(
        os.path.join(REPO, 'requirements-dev.txt')))
    assert {'ansible-builder', 'antsibull-changelog', 'pytest', 'ansible-lint'} <= names


def bindep_packages(*profiles):
    depends = Depends(open(os.path.join(REPO, 'bindep.txt')).read())
    return set(rule[0] for rule in depends.active_rules(list(profiles)))


def hypervisor_only():
    """The packages of the `hypervisor` profile (entries without a profile are in every one)."""
    debian = ('platform:dpkg', 'platform:debian')
    return bindep_packages('hypervisor', *debian) - bindep_packages('default', *debian)


@pytest.mark.parametrize('platform', [('platform:rpm', 'platform:redhat', 'platform:centos'),
                                      ('platform:dpkg', 'platform:debian')])
def test_bindep_gives_an_execution_environment_no_hypervisor(platform):
    run_time = bindep_packages('default', *platform)
    build_time = bindep_packages('compile', *platform)
    assert run_time and build_time
    assert (run_time | build_time) & hypervisor_only() == set()
    assert {'libvirt-devel', 'gcc'} <= build_time if 'platform:rpm' in platform else \
        {'libvirt-dev', 'gcc'} <= build_time


def test_bindep_hypervisor_profile_is_what_hypervisor_prepare_installs():
    defaults = yaml.safe_load(open(os.path.join(REPO, 'roles', 'hypervisor_prepare', 'defaults',
                                                'main.yml')))
    assert hypervisor_only() == set(defaults['hypervisor_prepare_packages'])


# ---- ansible-builder create ------------------------------------------------------------------

def test_definition_is_v3_with_a_pinned_base_image():
    definition = yaml.safe_load(open(DEFINITION))
    assert definition['version'] == 3
    image = definition['images']['base_image']['name']
    # an exact tag or a digest, never a moving tag
    assert re.search(r'(:\d+(\.\d+)+|@sha256:[0-9a-f]{64})$', image), image


def test_create_makes_a_context_with_the_built_tarball(tarball, context):
    path, _names = tarball
    out, log = context
    assert 'Complete! The build context can be found at' in log
    copied = out / '_build' / 'collections' / TARBALL
    assert copied.read_bytes() == open(path, 'rb').read()
    galaxy = yaml.safe_load((out / '_build' / 'requirements.yml').read_text())
    assert galaxy['collections'] == [{'name': 'collections/%s' % TARBALL, 'type': 'file'}]


def test_containerfile_installs_the_tarball_from_the_pinned_image(context):
    out, _log = context
    text = (out / 'Containerfile').read_text()
    image = yaml.safe_load(open(DEFINITION))['images']['base_image']['name']
    assert 'ARG EE_BASE_IMAGE="%s"' % image in text
    # the galaxy stage copies _build (the tarball included) to /build and installs from there
    galaxy_stage = text.split('FROM base AS galaxy')[1].split('FROM base AS builder')[0]
    assert 'COPY _build /build\nWORKDIR /build' in galaxy_stage
    assert re.search(r'ansible-galaxy collection install .*-r requirements\.yml', galaxy_stage)
    # the builder stage reads the installed collection's requirements.txt and bindep.txt
    assert 'introspect.py introspect --write-bindep' in text
    # the refs are expanded unquoted in a RUN line: '>' or '<' would be a shell redirection
    refs = re.search(r'ARG ANSIBLE_INSTALL_REFS="([^"]*)"', text).group(1)
    assert refs and not re.search(r'[<>|;&$`]', refs), refs


def test_installed_collection_brings_its_requirements_to_the_image(context, tmp_path):
    """ansible-builder's introspection, as the image build runs it, on the collection installed
    from the context's tarball: the collection's requirements.txt and bindep.txt, not an
    execution environment definition of its own."""
    out, _log = context
    # --force: the copy in the configured collections path does not count
    run(os.path.join(BIN, 'ansible-galaxy'), 'collection', 'install', '--offline', '--force',
        '-p', str(tmp_path), str(out / '_build' / 'collections' / TARBALL))
    installed = tmp_path / 'ansible_collections' / 'novalite' / 'compute'
    assert not (installed / 'meta' / 'execution-environment.yml').exists()
    found = yaml.safe_load(run(os.path.join(BIN, 'ansible-builder'), 'introspect', str(tmp_path)))
    python = [line.split('#')[0].strip() for line in found['python']]
    # ansible-builder leaves ansible-core to the definition's ansible_core
    assert set(Requirement(line).name for line in python) == USER_LIBRARIES
    system = [line.split('#')[0].strip() for line in found['system']]
    assert 'libvirt-devel [platform:rpm compile]' in system
    assert 'python3-libvirt [platform:dpkg hypervisor]' in system
