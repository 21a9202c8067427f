# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make `ansible_collections.novalite.compute` importable from the source tree, and the test
helpers (tests/helpers/) importable by name (imported by tests/conftest.py and by the
benchmarks).

The collection's code imports itself by its FQCN, so it needs the source tree under an
`ansible_collections/novalite/compute` path: a symlink in build/src gives it one without
installing anything.
"""
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = os.path.join(REPO, 'build', 'src')
HELPERS = os.path.join(REPO, 'tests', 'helpers')
LINK = os.path.join(SRC, 'ansible_collections', 'novalite', 'compute')

if not os.path.islink(LINK):
    os.makedirs(os.path.dirname(LINK), exist_ok=True)
    os.symlink(REPO, LINK)
if SRC not in sys.path:
    sys.path.insert(0, SRC)
if HELPERS not in sys.path:
    sys.path.insert(0, HELPERS)
