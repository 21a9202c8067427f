# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Imported first by every benchmark: makes `ansible_collections.novalite.compute` (the source
tree, through the build/src link tests/conftest.py also makes) and tests/ importable."""

import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = os.path.join(REPO, 'build', 'src')
LINK = os.path.join(SRC, 'ansible_collections', 'novalite', 'compute')

if not os.path.islink(LINK):
    os.makedirs(os.path.dirname(LINK), exist_ok=True)
    os.symlink(REPO, LINK)
for path in (os.path.join(REPO, 'tests'), SRC):
    if path not in sys.path:
        sys.path.insert(0, path)
