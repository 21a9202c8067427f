# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""oslo_utils.uuidutils' test of a uuid, on its own so that a module running on a hypervisor
(server_info's lookup) can use it without the create body's schema."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import uuid


def is_uuid_like(instance):
    """oslo_utils.uuidutils.is_uuid_like."""
    try:
        plain = instance.replace('urn:', '').replace('uuid:', '').strip('{}').replace('-', '')
        return str(uuid.UUID(instance)).replace('-', '') == plain.lower()
    except (TypeError, ValueError, AttributeError):
        return False
