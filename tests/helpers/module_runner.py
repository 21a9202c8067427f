# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a module's main() in-process with patch_module_args and return its JSON result.

libvirt's test:///default driver keeps its domains only while some connection is open, so
tests hold one (`test_driver`) for as long as the module runs need the same state."""

import json

import libvirt
import pytest
from ansible.module_utils.testing import patch_module_args

from libvirt_helpers import TEST_URI


def run_module(module, args, capsys, check_mode=False, diff=False):
    args = dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff)
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            module.main()
    return json.loads(capsys.readouterr().out)


def open_test_driver():
    return libvirt.open(TEST_URI)
