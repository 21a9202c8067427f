# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller's half of server_build: images that live on the controller reach a remote
hypervisor before the build needs them.

An image, kernel or ramdisk whose `location` is a path on the controller (or a file:// URL)
cannot be read by a build running on another machine. On a remote hypervisor this plugin runs
the module saying which images live on the controller (`controller_images`); a host whose
image cache has them all builds at once (one round trip). Otherwise the module answers
`images_needed` before claiming anything, and only those are transferred, into
`<state_path>/_staging/`, and the module runs again with their staged paths as locations. The
cache entry is named by the image's id and checksum, never its location, so the staged path
does not change what the cache holds; the build moves a staged copy into the cache (or drops
it when the cache got the image meanwhile), and this plugin removes whatever the build did not
consume. On the local connection, and in check mode, the module runs with the server as given.

The module's options carry the server's secrets (admin_pass, user_data, injected files).
Without pipelining Ansible writes the module and its options to AnsiballZ_server_build.py in
a temporary directory, which a killed run leaves behind; so this plugin turns pipelining on
for its connection, whatever the configuration says, and refuses to run where it cannot
pipeline (become that needs a tty, keep_remote_files).

With `servers` (several builds on the host in one command) an image is transferred once
for all of them: the servers that name it get the same staged path, the first build to fetch
it moves it into the cache and the others find it there. For the same reason a task with
`async` is refused: Ansible's async wrapper cannot pipeline, and several builds go on at once
with `servers` instead.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import posixpath
from shlex import quote as shlex_quote

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase

from ansible_collections.novalite.compute.plugins.module_utils.args_common import COMPUTE_HOST_PATHS_ARG_SPEC
from ansible_collections.novalite.compute.plugins.module_utils.compute.image_cache import (
    cache_name, cached_path,
)
from ansible_collections.novalite.compute.plugins.module_utils.compute.layout import staging_dir

IMAGE_KEYS = ('image', 'kernel', 'ramdisk')
DEFAULT_STATE_PATH = COMPUTE_HOST_PATHS_ARG_SPEC['state_path']['default']


class Transfer(object):
    """One image of the server to put on the host: where it is on the controller, where the
    host's cache would hold it, and where it is staged on the host."""

    def __init__(self, key, image, source, cache, staged):
        self.key, self.image, self.source, self.cache, self.staged = key, image, source, cache, staged


def controller_path(location):
    """The controller file a location names (an absolute path or a file:// URL), else None:
    http(s) URLs are fetched by the host itself, anything else the module refuses."""
    if not isinstance(location, str):
        return None
    path = location[len('file://'):] if location.startswith('file://') else location
    return path if os.path.isabs(path) else None


def controller_images(servers, state_path):
    """The servers' images that live on the controller, as Transfers, one per image however
    many servers name it (staged path included: `<state_path>/_staging/<cache name>.<instance
    uuid>` of the first server naming it). A server without an instance uuid has none: the
    module refuses such a server before it reads any image."""
    transfers = {}
    for server in servers:
        if not isinstance(server, dict) or not server.get('uuid'):
            continue
        for key in IMAGE_KEYS:
            image = server.get(key)
            source = controller_path((image or {}).get('location'))
            if source is None or not image.get('checksum'):
                continue
            name = cache_name(image.get('id'), image['checksum'])
            if (key, name) not in transfers:
                staged = posixpath.join(staging_dir(state_path), '%s.%s' % (name, server.get('uuid')))
                transfers[(key, name)] = Transfer(key, image, source, cached_path(state_path, image), staged)
    return list(transfers.values())


def staged_server(server, transfers):
    """The server with each transferred image it names given the staged path as location."""
    staged = dict(server)
    for t in transfers:
        image = server.get(t.key)
        if isinstance(image, dict) and image.get('checksum') \
                and cache_name(image.get('id'), image['checksum']) == cache_name(t.image.get('id'), t.image['checksum']):
            staged[t.key] = dict(image, location=t.staged)
    return staged


def stage_command(state_path, moves):
    """Move the uploaded files [(remote tmp path, staged path)] into the staging directory."""
    commands = ['mkdir -p -m 0700 %s' % shlex_quote(staging_dir(state_path))]
    commands += ['mv -f %s %s' % (shlex_quote(tmp), shlex_quote(staged)) for tmp, staged in moves]
    return ' && '.join(commands)


class ActionModule(ActionBase):

    _supports_check_mode = True
    # Called for a task with async too, to refuse it (see above).
    _supports_async = True

    def _pipelined(self):
        """Turn pipelining on for this connection; True when the module will go through it."""
        if self._connection.has_pipelining:
            try:
                self._connection.set_option('pipelining', True)
            except KeyError:
                pass  # a connection without the option pipelines as it says it does
        return self._connection.is_pipelining_enabled()

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp  # tmp no longer has any effect
        if not self._pipelined():
            result.update(failed=True, msg='server_build carries the server\'s secrets and runs '
                          'only with pipelining, so they are never written to a file on the '
                          'host; the %s connection cannot pipeline here (become needing a tty, '
                          'keep_remote_files)' % self._connection.transport)
            return result
        if self._task.async_val:
            result.update(failed=True, msg='server_build does not run with async: Ansible\'s async '
                          'wrapper would write the server\'s secrets to a file on the host; build '
                          'several servers at once with the servers option')
            return result
        args = dict(self._task.args)
        state_path = args.get('state_path') or DEFAULT_STATE_PATH
        wanted = []
        if not self._task.check_mode and self._connection.transport != 'local':
            wanted = controller_images(self._servers(args), state_path)
        staged = []
        try:
            missing = [t for t in wanted if not os.path.isfile(t.source)]
            if missing:
                # No host can read what the controller does not have: no reschedule.
                result.update(self._failure('server.%s.location: %s is not a file on the controller'
                                            % (missing[0].key, missing[0].source), args.get('host'), False),
                              images_transferred=[])
                return result
            if wanted:
                args['controller_images'] = [t.key for t in wanted]
            built = self._execute_module(module_args=args, task_vars=task_vars)
            needed = [t for t in wanted if t.key in (built.get('images_needed') or [])]
            if needed:
                failure, staged = self._stage_images(needed, state_path, args.get('host'))
                if failure:
                    result.update(failure, images_transferred=[])
                    return result
                if isinstance(args.get('servers'), list):
                    args['servers'] = [staged_server(s, staged) if isinstance(s, dict) else s
                                       for s in args['servers']]
                else:
                    args['server'] = staged_server(args['server'], staged)
                args['controller_images'] = []
                built = self._execute_module(module_args=args, task_vars=task_vars)
            result.update(built)
            result['images_transferred'] = sorted(set(t.key for t in staged))
        finally:
            if staged:
                self._discard([t.staged for t in staged])
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result

    @staticmethod
    def _servers(args):
        """The servers the task builds (`server` or `servers`)."""
        if isinstance(args.get('servers'), list):
            return args['servers']
        return [args.get('server')]

    @staticmethod
    def _failure(msg, host, reschedule):
        return {'failed': True, 'msg': msg, 'failed_step': 'image', 'reschedule': reschedule,
                'host': host, 'timings': {}}

    def _stage_images(self, needed, state_path, host):
        """(failure result or None, the transfers staged): `needed` put under
        <state_path>/_staging on the host."""
        try:
            tmpdir = self._connection._shell.tmpdir or self._make_tmp_path()
            moves = []
            for t in needed:
                remote = self._connection._shell.join_path(tmpdir, posixpath.basename(t.staged))
                self._transfer_file(t.source, remote)
                moves.append((remote, t.staged))
        except AnsibleError as exc:
            return self._failure('cannot transfer the images to the host: %s' % exc, host, True), []
        moved = self._low_level_execute_command(stage_command(state_path, moves), sudoable=True)
        if moved['rc'] != 0:
            # A partial move may have staged some: the caller removes them all.
            return self._failure('cannot stage the images under %s: %s' % (
                staging_dir(state_path), moved['stderr'].strip()), host, True), needed
        return None, needed

    def _discard(self, paths):
        """Remove the staged files the build did not move into its cache."""
        self._low_level_execute_command('rm -f %s' % ' '.join(shlex_quote(p) for p in paths),
                                        sudoable=True)
