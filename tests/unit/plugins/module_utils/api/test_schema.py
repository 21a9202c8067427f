# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The create schema: its formats against Nova's own regexes, the validator's life, and how
jsonschema's errors become (field, rule)."""

import re
import unicodedata

import pytest

from ansible_collections.novalite.compute.plugins.module_utils.api import schema
from ansible_collections.novalite.compute.plugins.module_utils.errors import ValidationError


def _nova_is_printable(char):
    category = unicodedata.category(char)
    return not category.startswith('C') and (not category.startswith('Z') or category == 'Zs')


def _nova_build_regex_range(ws=True, invert=False):
    """nova/api/validation/parameter_types.py _build_regex_range (its for/else without a
    break is the code after the loop here)."""
    regex = ''
    in_range = False
    last = None
    last_added = None

    def valid_char(char):
        if ws:
            result = _nova_is_printable(char)
        else:
            result = _nova_is_printable(char) and unicodedata.category(char) != 'Zs'
        return not result if invert else result

    for c in (chr(i) for i in range(0xFFFF)):
        if valid_char(c):
            if not in_range:
                regex += re.escape(c)
                last_added = c
            in_range = True
        else:
            if in_range and last != last_added:
                regex += '-' + re.escape(last)
            in_range = False
        last = c
    if in_range:
        regex += '-' + re.escape(c)
    return regex


@pytest.fixture(scope='module')
def nova_regexes():
    edge = _nova_build_regex_range(ws=False, invert=True)
    printable = _nova_build_regex_range()
    name = re.compile('^(?![%s])[%s]*(?<![%s])$' % (edge, printable, edge))
    description = re.compile('^[%s]*$' % printable)
    return name, description


def _samples():
    """Every BMP character alone, inside, first, last and before a final newline, plus a few
    strings of newlines, spaces and characters above the BMP."""
    for code in range(0xFFFF):
        char = chr(code)
        yield from (char, 'a%sb' % char, '%sb' % char, 'a%s' % char, 'a%s\n' % char)
    yield from ('', '\n', '\n\n', 'a\n\n', ' \n', 'a \n', '\na', '\U0001F600', 'a\U0001F600',
                '\U0001F600a', '\uffff', 'a\uffffb')


def test_name_format_is_novas_valid_name_regex(nova_regexes):
    name = nova_regexes[0]
    wrong = [s for s in _samples() if bool(name.search(s)) != schema._is_valid_name(s)]
    assert wrong == []


def test_description_format_is_novas_description_pattern(nova_regexes):
    description = nova_regexes[1]
    wrong = [s for s in _samples() if bool(description.search(s)) != schema._is_printable_text(s)]
    assert wrong == []


def test_validator_built_once():
    assert schema.validator() is schema.validator()


def refused(server, hints=None):
    with pytest.raises(ValidationError) as info:
        schema.validate_create(server, hints)
    return info.value.field, info.value.rule


BODY = {'name': 'web', 'flavorRef': '1'}


@pytest.mark.parametrize('server,hints,field,rule', [
    ('web', None, 'server', 'must be an object'),
    ({'name': 'web'}, None, 'server.flavorRef', 'is required'),
    (dict(BODY, networks=[{'uuid': 'x', 'fixed_ip': '10.0.0.300'}]), None,
     'server.networks[0].fixed_ip', 'must be an IPv4 or IPv6 address'),
    (dict(BODY, networks={}), None, 'server.networks', 'must be a list of objects or one of '
     'none, auto'),
    (dict(BODY, min_count='1a'), None, 'server.min_count',
     'must be an integer or a string of digits'),
    (dict(BODY, max_count='0'), None, 'server.max_count', 'must be >= 1'),
    (dict(BODY, config_drive='maybe'), None, 'server.config_drive',
     'must be a boolean (true/false, yes/no, on/off, 1/0)'),
    (dict(BODY, flavorRef=None), None, 'server.flavorRef',
     'must be a non-empty string or an integer'),
    (dict(BODY, block_device_mapping_v2=[{'boot_index': 'x'}]), None,
     'server.block_device_mapping_v2[0].boot_index', 'must be an integer or a string of digits'),
    (BODY, {'different_host': 5}, 'scheduler_hints.different_host',
     'must be a uuid or a list of uuids'),
    (BODY, {'cidr': '24'}, 'scheduler_hints.cidr', 'must match ^/[0-9a-f.:]+$'),
    (dict(BODY, scheduler_hints={'build_near_host_ip': 'x'}), None,
     'server.scheduler_hints.build_near_host_ip', 'must be an IPv4 or IPv6 address'),
])
def test_errors_name_the_field_and_the_rule(server, hints, field, rule):
    assert refused(server, hints) == (field, rule)


def test_first_error_in_schema_order():
    # Nova reports the first error jsonschema yields: properties before additionalProperties
    assert refused(dict(BODY, zzz=1, name=''))[0] == 'server.name'
