# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Instance names and hostnames as Nova gives them (utils.sanitize_hostname,
compute/api.py _populate_instance_names)."""

import pytest

from ansible_collections.novalite.compute.plugins.module_utils.api.naming import (
    instance_names, sanitize_hostname,
)

UUID = '6f1c0000-0000-4000-8000-000000000001'


@pytest.mark.parametrize('given, expected', [
    ('hello_world', 'hello-world'),
    ('Hello World', 'hello-world'),
    ('....test.example.com...', 'test-example-com'),
    ('<}\x1fh\x10e\x08l\x02l\x05o\x12!{>', 'hello'),
    ('\u7684.test.example.com', 'test-example-com'),  # not latin-1: dropped
    ('caf\u00e9', 'caf\u00e9'),                        # latin-1 and a word character: kept
    ('a' * 70, 'a' * 63),
])
def test_sanitize_hostname(given, expected):
    assert sanitize_hostname(given) == expected


def test_sanitize_hostname_falls_back_to_default_when_nothing_is_left():
    assert sanitize_hostname('\u7684', 'Server-x') == 'Server-x'
    assert sanitize_hostname('\u7684') == ''
    assert sanitize_hostname('...', 'd' * 70) == 'd' * 63


def test_one_instance_keeps_its_name():
    assert instance_names('Web Server', UUID, 1, 0) == ('Web Server', 'web-server')
    assert instance_names('\u7684', UUID, 1, 0) == ('\u7684', 'Server-%s' % UUID)


def test_several_instances_are_numbered_from_one():
    assert instance_names('web', UUID, 3, 0) == ('web-1', 'web-1')
    assert instance_names('web', UUID, 3, 2) == ('web-3', 'web-3')


def test_several_instances_without_a_usable_hostname_get_the_default():
    assert instance_names('\u7684', UUID, 2, 1) == ('\u7684-2', 'Server-%s' % UUID)
