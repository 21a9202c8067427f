# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One connection API over SQLite and PostgreSQL.

A database is named by a URL: `sqlite:///abs/path.sqlite` or a plain file path (SQLite, the
embedded default), `postgresql://user@host/dbname` (or `postgres://`, any libpq URL; psycopg 3,
else psycopg2). Every statement is written once, with `?` placeholders and the type tokens of
`TYPES`; the dialect layer turns them into what the server speaks.

Transactions are explicit (`with db.transaction() as tx:`). On SQLite a write transaction
starts with `BEGIN IMMEDIATE`, which takes the database's one writer lock at once: a
count-and-recheck inside it cannot interleave with another controller's. On PostgreSQL the
same code takes row locks (`tx.lock_rows`, `SELECT ... FOR UPDATE`); unique constraints guard
allocations on both, and `tx.savepoint()` lets a caller retry after a unique violation
without losing the rest of its transaction.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import contextlib
import importlib
import os
import sqlite3

SQLITE, POSTGRESQL = 'sqlite', 'postgresql'
# Seconds a SQLite writer waits for another controller's transaction to end.
SQLITE_BUSY_TIMEOUT = 60

# Type tokens of the schema's statements, per dialect.
TYPES = {
    SQLITE: {'serial': 'INTEGER PRIMARY KEY AUTOINCREMENT', 'float': 'REAL',
             'bigint': 'INTEGER'},
    POSTGRESQL: {'serial': 'BIGSERIAL PRIMARY KEY', 'float': 'DOUBLE PRECISION',
                 'bigint': 'BIGINT'},
}


class FleetDatabaseError(Exception):
    """The database cannot be used: a bad URL, a missing driver, a schema too new."""


class UniqueViolation(Exception):
    """An insert broke a unique constraint (another writer took the value first)."""


def redacted(url):
    """`url` fit for a message or a log: a password in it (postgresql://user:secret@host/db)
    becomes `***`."""
    text = str(url)
    scheme, sep, rest = text.partition('://')
    if not sep:
        return text
    userinfo, at, hostpart = rest.rpartition('@')
    if not at or ':' not in userinfo:
        return text
    return '%s://%s:***@%s' % (scheme, userinfo.split(':', 1)[0], hostpart)


def parse_url(url):
    """(dialect, target): the file path for SQLite, the libpq URL for PostgreSQL. A message
    never shows a password given in the URL."""
    if not isinstance(url, str) or not url.strip():
        raise FleetDatabaseError('fleet database: must be a sqlite:/// URL, a file path or a '
                                 'postgresql:// URL, got %r' % (redacted(url) if isinstance(url, str) else url,))
    url = url.strip()
    if url.startswith(('postgresql://', 'postgres://')):
        return POSTGRESQL, url
    if url.startswith('sqlite:///'):
        # SQLAlchemy's form: sqlite:////abs/path is absolute, sqlite:///rel/path relative.
        return SQLITE, url[len('sqlite:///'):] or ':memory:'
    if '://' in url:
        raise FleetDatabaseError('fleet database: %r is neither a sqlite:/// nor a postgresql:// '
                                 'URL' % (redacted(url),))
    return SQLITE, url


def _sqlite_connect(path):
    if path != ':memory:':
        directory = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(directory):
            raise FleetDatabaseError('fleet database: the directory of %s does not exist' % path)
    # isolation_level=None: no implicit transactions; this module issues BEGIN itself.
    conn = sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT, isolation_level=None)
    conn.execute('PRAGMA foreign_keys = ON')
    if path != ':memory:':
        # WAL: readers (a scheduler) never wait for a writer (a build's write-back).
        conn.execute('PRAGMA journal_mode = WAL')
    conn.execute('PRAGMA synchronous = NORMAL')
    return conn


def _driver(name):
    """The PostgreSQL driver module `name`, or None. Imported when a PostgreSQL database is
    opened, not with this module: psycopg's import alone costs a SQLite controller about 0.15 s
    in every run."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def _postgresql_connect(url):
    psycopg = _driver('psycopg')
    if psycopg is not None:
        return psycopg.connect(url, autocommit=True), psycopg.IntegrityError
    psycopg2 = _driver('psycopg2')
    if psycopg2 is not None:
        conn = psycopg2.connect(url)
        conn.autocommit = True
        return conn, psycopg2.IntegrityError
    raise FleetDatabaseError('fleet database: PostgreSQL needs psycopg (3) or psycopg2 on the '
                             'controller (pip install "psycopg[binary]")')


class Database(object):
    """A connection to the fleet database. Not shared between threads: open one per thread."""

    def __init__(self, url):
        self.url = url
        self.dialect, target = parse_url(url)
        if self.dialect == SQLITE:
            self.conn = _sqlite_connect(target)
            self._integrity_errors = (sqlite3.IntegrityError,)
        else:
            self.conn, error = _postgresql_connect(target)
            self._integrity_errors = (error,)
        self._depth = 0
        self._savepoints = 0

    def close(self):
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # --- statements ----------------------------------------------------------------------

    def sql(self, text):
        """The statement in this dialect: `?` placeholders, `{serial}`/`{float}`/`{bigint}`
        types, and `FOR UPDATE`, which SQLite has no use for (its write lock is the database's)."""
        text = text.format(**TYPES[self.dialect])
        if self.dialect == POSTGRESQL:
            return text.replace('%', '%%').replace('?', '%s')
        return text.replace(' FOR UPDATE', '')

    def execute(self, text, params=()):
        """Run one statement; a unique violation becomes UniqueViolation. Returns the cursor."""
        cursor = self.conn.cursor()
        try:
            cursor.execute(self.sql(text), tuple(params))
        except self._integrity_errors as exc:
            if _is_unique_violation(exc):
                raise UniqueViolation(str(exc).strip())
            raise
        return cursor

    def rows(self, text, params=()):
        """The result as a list of dicts keyed by column name."""
        cursor = self.execute(text, params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    def row(self, text, params=()):
        found = self.rows(text, params)
        return found[0] if found else None

    def scalar(self, text, params=()):
        row = self.execute(text, params).fetchone()
        return row[0] if row else None

    # --- transactions ----------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self):
        """A write transaction; nested uses join the outer one. Commits on success, rolls
        back on any exception."""
        if self._depth:
            self._depth += 1
            try:
                yield self
            finally:
                self._depth -= 1
            return
        self.conn.cursor().execute('BEGIN IMMEDIATE' if self.dialect == SQLITE else 'BEGIN')
        self._depth = 1
        try:
            yield self
        except BaseException:
            self._depth = 0
            self.conn.cursor().execute('ROLLBACK')
            raise
        self._depth = 0
        self.conn.cursor().execute('COMMIT')

    @contextlib.contextmanager
    def savepoint(self):
        """A part of the transaction that can fail alone: on an exception only its own
        statements are undone (PostgreSQL would otherwise refuse every later statement)."""
        if not self._depth:
            raise FleetDatabaseError('savepoint outside a transaction')
        self._savepoints += 1
        name = 'fleet_sp_%d' % self._savepoints
        self.conn.cursor().execute('SAVEPOINT %s' % name)
        try:
            yield self
        except BaseException:
            self.conn.cursor().execute('ROLLBACK TO SAVEPOINT %s' % name)
            self.conn.cursor().execute('RELEASE SAVEPOINT %s' % name)
            raise
        self.conn.cursor().execute('RELEASE SAVEPOINT %s' % name)

    def lock_rows(self, text, params=()):
        """SELECT ... FOR UPDATE inside a transaction: the rows stay locked until it ends.
        On SQLite the transaction already holds the writer lock."""
        if not self._depth:
            raise FleetDatabaseError('row locks outside a transaction')
        return self.rows(text + ' FOR UPDATE', params)


def _is_unique_violation(exc):
    # psycopg: sqlstate; psycopg2: pgcode; sqlite3: the message (its error codes need 3.11).
    code = getattr(exc, 'sqlstate', None) or getattr(exc, 'pgcode', None)
    if code:
        return code == '23505'
    return 'UNIQUE constraint failed' in str(exc) or 'PRIMARY KEY' in str(exc)
