# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make `ansible_collections.novalite.compute` importable from the source tree
(collection_path.py), and give the tests that boot a real guest the project's demo image."""
import os
import subprocess

import pytest

from collection_path import REPO

# The fleet database's fixtures (SQLite and a throwaway PostgreSQL), for any test that asks.
pytest_plugins = ['fleet_fixtures']


# ---- the demo image -------------------------------------------------------------------------

DEMO_IMAGE_FILES = {'kernel': 'vmlinuz', 'ramdisk': 'initrd.img', 'disk': 'disk.qcow2'}


@pytest.fixture(scope='session')
def demo_image():
    """The project's demo image: {kernel, ramdisk, disk, dir} in $NOVALITE_DEMO_IMAGE_DIR.

    As root the build script runs every session: it rebuilds only what is missing or stale
    and rewrites the catalog. Without root an existing image is used as it is. Anything
    else fails the test with the reason; a test that needs the image never skips.
    """
    # Resolved as the script resolves it, so the catalog's locations equal these paths.
    image_dir = os.path.realpath(os.environ.get('NOVALITE_DEMO_IMAGE_DIR',
                                                '/var/lib/novalite/demo-image'))
    paths = dict((key, os.path.join(image_dir, name)) for key, name in DEMO_IMAGE_FILES.items())
    missing = sorted(p for p in paths.values() if not os.path.isfile(p))
    if os.geteuid() == 0:
        script = os.path.join(REPO, 'scripts', 'build-demo-image.sh')
        try:
            proc = subprocess.run(['bash', script, image_dir], stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, universal_newlines=True,
                                  timeout=900, check=False)
        except subprocess.TimeoutExpired as exc:
            pytest.fail('scripts/build-demo-image.sh %s timed out:\n%s'
                        % (image_dir, exc.output or ''), pytrace=False)
        if proc.returncode != 0:
            pytest.fail('scripts/build-demo-image.sh %s failed (rc %d):\n%s'
                        % (image_dir, proc.returncode, proc.stdout[-4000:]), pytrace=False)
        missing = sorted(p for p in paths.values() if not os.path.isfile(p))
        if missing:
            pytest.fail('scripts/build-demo-image.sh succeeded but left no %s'
                        % ', '.join(missing), pytrace=False)
    elif missing:
        pytest.fail('the demo image is missing (%s) and building it needs root: run '
                    '`sudo bash scripts/build-demo-image.sh %s`' % (', '.join(missing), image_dir),
                    pytrace=False)
    paths['dir'] = image_dir
    return paths
