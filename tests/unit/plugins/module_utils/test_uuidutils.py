# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

import pytest

from ansible_collections.novalite.compute.plugins.module_utils import uuidutils


@pytest.mark.parametrize('value,valid', [
    ('6f1c0000-0000-4000-8000-000000000001', True),
    ('6F1C0000000040008000000000000001', True),
    ('{6f1c0000-0000-4000-8000-000000000001}', True),
    ('urn:uuid:6f1c0000-0000-4000-8000-000000000001', True),
    ('6f1c_0000000040008000000000000001', False),
    ('6f1c0000-0000-4000-8000-00000000000', False),
    (5, False),
])
def test_uuid_format_is_oslo_is_uuid_like(value, valid):
    assert uuidutils.is_uuid_like(value) is valid

