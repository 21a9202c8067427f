# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A throwaway PostgreSQL cluster for the fleet database's tests: Debian's server binaries
(package `postgresql`, installed by scripts/bootstrap.sh), a data directory under /tmp, a
Unix socket only (no TCP port to collide with), trust authentication. As root the server runs
as the `postgres` account (initdb refuses root); otherwise as the current user."""

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid


class PostgresError(Exception):
    pass


def bin_dir():
    """The newest Debian server binaries directory (/usr/lib/postgresql/<major>/bin)."""
    found = sorted(glob.glob('/usr/lib/postgresql/*/bin/pg_ctl'),
                   key=lambda path: int(path.split('/')[4]) if path.split('/')[4].isdigit() else 0)
    if not found:
        raise PostgresError('no PostgreSQL server binaries under /usr/lib/postgresql: install '
                            "Debian's postgresql package (scripts/bootstrap.sh does)")
    return os.path.dirname(found[-1])


class ThrowawayCluster(object):
    """initdb + pg_ctl start on enter; pg_ctl stop and the directory removed on exit."""

    def __init__(self, port=5499):
        self.bin = bin_dir()
        self.port = port
        self.dir = tempfile.mkdtemp(prefix='novalite-pg-', dir='/tmp')
        self.data = os.path.join(self.dir, 'data')
        self.user = 'postgres' if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name

    def _run(self, *args):
        command = [os.path.join(self.bin, args[0])] + list(args[1:])
        if os.geteuid() == 0:
            command = ['runuser', '-u', 'postgres', '--'] + command
        proc = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              universal_newlines=True, timeout=120, check=False)
        if proc.returncode != 0:
            raise PostgresError('%s failed (rc %d): %s' % (' '.join(command), proc.returncode,
                                                           proc.stdout[-2000:]))
        return proc.stdout

    def start(self):
        if os.geteuid() == 0:
            shutil.chown(self.dir, user='postgres', group='postgres')
        self._run('initdb', '-D', self.data, '-U', self.user, '--auth=trust', '-E', 'UTF8',
                  '--no-sync')
        options = "-c listen_addresses='' -k %s -p %d -c fsync=off" % (self.dir, self.port)
        self._run('pg_ctl', '-D', self.data, '-o', options, '-w', '-t', '60',
                  '-l', os.path.join(self.dir, 'server.log'), 'start')
        return self

    def stop(self):
        try:
            if os.path.exists(os.path.join(self.data, 'postmaster.pid')):
                self._run('pg_ctl', '-D', self.data, '-m', 'immediate', '-w', 'stop')
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, dbname='postgres'):
        return 'postgresql://%s@/%s?host=%s&port=%d' % (self.user, dbname, self.dir, self.port)

    def create_database(self):
        """A URL to a new empty namespace: a schema of its own, first on the search path
        (much faster than a database of its own, and as separate for the fleet's tables)."""
        import psycopg
        name = 'fleet_%s' % uuid.uuid4().hex[:12]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute('CREATE SCHEMA %s' % name)
        return '%s&options=-csearch_path%%3D%s' % (self.url(), name)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
