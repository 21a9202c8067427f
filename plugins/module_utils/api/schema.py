# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The `POST /servers` body at microversion 2.74 as Nova states it: a JSON schema (Nova's
`api/openstack/compute/schemas/servers.py` create_v274, built from `api/validation/
parameter_types.py`) checked with the jsonschema library by a Draft 2020-12 validator with
Nova's format checkers and string-aware minimum/maximum (`api/validation/validators.py`).

Where the collection differs on purpose (docs/internals.md, "Where the API layer differs from
Nova"), the difference is a named change applied to Nova's schema in `_novalite_create`, the
way Nova derives one microversion's schema from the previous one.

`validate_create` raises ValidationError naming the field (`server.networks[1].fixed_ip`) and
the rule, translated from jsonschema's error (path -> field, validator keyword -> rule).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import binascii
import copy
import ipaddress
import re
import traceback
import unicodedata

try:
    import jsonschema
except ImportError:
    HAS_JSONSCHEMA = False
    JSONSCHEMA_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_JSONSCHEMA = True
    JSONSCHEMA_IMPORT_ERROR = None

from ansible_collections.novalite.compute.plugins.module_utils.errors import ValidationError
from ansible_collections.novalite.compute.plugins.module_utils.uuidutils import is_uuid_like

MAX_INT = 0x7FFFFFFF               # nova.db.constants.MAX_INT
MAX_TAG_COUNT = 50                 # nova.objects.instance.MAX_TAG_COUNT
MAX_TAG_LENGTH = 60                # nova.objects.tag.MAX_TAG_LENGTH

# --- parameter_types (Nova's names) ----------------------------------------------------------

boolean = {
    'type': ['boolean', 'string'],
    'enum': [True, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on',
             'YES', 'Yes', 'yes',
             False, 'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off',
             'NO', 'No', 'no'],
}
positive_integer = {'type': ['integer', 'string'], 'pattern': '^[0-9]*$', 'minimum': 1,
                    'minLength': 1}
fqdn = {'type': 'string', 'pattern': '^[a-zA-Z0-9-._]*$', 'minLength': 1, 'maxLength': 255}
name = {'type': 'string', 'format': 'name', 'minLength': 1, 'maxLength': 255}
# Nova's pattern is a character class of every printable BMP character; format 'printable'
# is the same set without building that class (see _is_printable_text)
description = {'type': ['string', 'null'], 'format': 'printable', 'minLength': 0,
               'maxLength': 255}
server_id = {'type': 'string', 'format': 'uuid'}
image_id = {'type': 'string', 'format': 'uuid'}
image_id_or_empty_string = {'oneOf': [{'type': 'string', 'format': 'uuid'},
                                      {'type': 'string', 'maxLength': 0}]}
volume_id = {'type': 'string', 'format': 'uuid'}
volume_type = {'type': ['string', 'null'], 'minLength': 0, 'maxLength': 255}
admin_password = {'type': 'string'}
flavor_ref = {'type': ['string', 'integer'], 'minLength': 1}
metadata = {
    'type': 'object',
    'patternProperties': {'^[a-zA-Z0-9-_:. ]{1,255}$': {'type': 'string', 'maxLength': 255}},
    'additionalProperties': False,
}
ip_address = {'type': 'string', 'oneOf': [{'format': 'ipv4'}, {'format': 'ipv6'}]}
volume_size = {'type': ['integer', 'string'], 'pattern': '^[0-9]+$', 'minimum': 1,
               'maximum': MAX_INT}
disk_config = {'type': 'string', 'enum': ['AUTO', 'MANUAL']}
accessIPv4 = {'type': 'string', 'format': 'ipv4'}
accessIPv6 = {'type': 'string', 'format': 'ipv6'}
personality = {
    'type': 'array',
    'items': {
        'type': 'object',
        'properties': {'path': {'type': 'string'},
                       'contents': {'type': 'string', 'format': 'base64'}},
        'additionalProperties': False,
    },
}
tag = {'type': 'string', 'pattern': '^[^,/]*$', 'minLength': 1, 'maxLength': MAX_TAG_LENGTH}
trusted_certs = {'type': ['array', 'null'], 'minItems': 1, 'maxItems': 50, 'uniqueItems': True,
                 'items': {'type': 'string', 'minLength': 1}}

# --- schemas/servers.py: create, then each microversion's change up to 2.74 ---------------------

_legacy_block_device_mapping = {
    'type': 'object',
    'properties': {
        'virtual_name': {'type': 'string', 'maxLength': 255},
        'volume_id': volume_id,
        'snapshot_id': image_id,
        'volume_size': volume_size,
        'device_name': {'type': 'string', 'minLength': 1, 'maxLength': 255,
                        'pattern': '^[a-zA-Z0-9._/-]*$'},
        'delete_on_termination': boolean,
        'no_device': {},
        'connection_info': {'type': 'string', 'maxLength': 16777215},
    },
    'additionalProperties': False,
}
_block_device_mapping_v2_new_item = {
    'source_type': {'type': 'string', 'enum': ['volume', 'image', 'snapshot', 'blank']},
    'uuid': {'type': 'string', 'minLength': 1, 'maxLength': 255, 'pattern': '^[a-zA-Z0-9._-]*$'},
    'image_id': image_id,
    'destination_type': {'type': 'string', 'enum': ['local', 'volume']},
    'guest_format': {'type': 'string', 'maxLength': 255},
    'device_type': {'type': 'string', 'maxLength': 255},
    'disk_bus': {'type': 'string', 'maxLength': 255},
    'boot_index': {'type': ['integer', 'string', 'null'], 'pattern': '^-?[0-9]+$'},
}
_block_device_mapping_v2 = copy.deepcopy(_legacy_block_device_mapping)
_block_device_mapping_v2['properties'].update(_block_device_mapping_v2_new_item)

_hints = {
    'type': 'object',
    'properties': {
        'group': {'oneOf': [{'type': 'array', 'items': {'type': 'string', 'format': 'uuid'}},
                            {'type': 'string', 'format': 'uuid'}]},
        'different_host': {'oneOf': [{'type': 'string', 'format': 'uuid'},
                                     {'type': 'array', 'items': server_id}]},
        'same_host': {'type': ['string', 'array'], 'items': server_id},
        'query': {'type': ['string', 'object']},
        'target_cell': name,
        'different_cell': {'type': ['string', 'array'], 'items': {'type': 'string'}},
        'build_near_host_ip': ip_address,
        'cidr': {'type': 'string', 'pattern': '^/[0-9a-f.:]+$'},
    },
    'additionalProperties': True,
}

_network_item_v242 = {
    'type': 'object',
    'properties': {
        'fixed_ip': ip_address,
        'port': {'type': ['string', 'null'], 'format': 'uuid'},
        'uuid': {'type': 'string', 'format': 'uuid'},
        'tag': tag,
    },
    'additionalProperties': False,
}


def _create_v274():
    """Nova's create_v274: create, + description (2.19), networks as a list or 'none'/'auto'
    and required (2.37), tags on networks and mappings (2.42), server tags (2.52),
    - personality (2.57), + trusted_image_certificates (2.63), + volume_type (2.67),
    + host and hypervisor_hostname (2.74)."""
    bdm_v2 = copy.deepcopy(_block_device_mapping_v2)
    bdm_v2['properties']['tag'] = tag
    bdm_v2['properties']['volume_type'] = volume_type
    server = {
        'type': 'object',
        'properties': {
            'name': name,
            'imageRef': image_id_or_empty_string,
            'flavorRef': flavor_ref,
            'adminPass': admin_password,
            'metadata': metadata,
            'networks': {'oneOf': [{'type': 'array', 'items': copy.deepcopy(_network_item_v242)},
                                   {'type': 'string', 'enum': ['none', 'auto']}]},
            'OS-DCF:diskConfig': disk_config,
            'accessIPv4': accessIPv4,
            'accessIPv6': accessIPv6,
            'availability_zone': name,
            'block_device_mapping': {'type': 'array', 'items': _legacy_block_device_mapping},
            'block_device_mapping_v2': {'type': 'array', 'items': bdm_v2},
            'config_drive': boolean,
            'key_name': name,
            'min_count': positive_integer,
            'max_count': positive_integer,
            'return_reservation_id': boolean,
            'security_groups': {'type': 'array', 'items': {
                'type': 'object', 'properties': {'name': name}, 'additionalProperties': False}},
            'user_data': {'type': 'string', 'format': 'base64', 'maxLength': 65535},
            'description': description,
            'tags': {'type': 'array', 'items': tag, 'maxItems': MAX_TAG_COUNT},
            'trusted_image_certificates': trusted_certs,
            'host': fqdn,
            'hypervisor_hostname': fqdn,
        },
        'required': ['name', 'flavorRef', 'networks'],
        'additionalProperties': False,
    }
    return {
        'type': 'object',
        'properties': {'server': server, 'os:scheduler_hints': _hints,
                       'OS-SCH-HNT:scheduler_hints': _hints},
        'required': ['server'],
        'additionalProperties': False,
    }


def _novalite_create():
    """create_v274 with the collection's documented differences (docs/internals.md)."""
    schema = _create_v274()
    server = schema['properties']['server']
    props = server['properties']
    # Names as references: imageRef, networks[].uuid and the group hint are looked up in the
    # catalog by id or name (never as a URL), so the schema only wants strings.
    props['imageRef'] = {'type': 'string'}
    props['networks']['oneOf'][0]['items']['properties']['uuid'] = {
        'type': 'string', 'minLength': 1, 'maxLength': 255}
    # One schema for all microversions: networks optional (before 2.37), personality kept
    # (before 2.57, with path and contents both required: Nova fails on a missing one later).
    server['required'] = ['name', 'flavorRef']
    props['personality'] = copy.deepcopy(personality)
    props['personality']['items']['required'] = ['path', 'contents']
    # No certificate service.
    del props['trusted_image_certificates']
    # The hints may also sit inside `server`; the group hint is a uuid or a name.
    hints = copy.deepcopy(_hints)
    hints['properties']['group'] = {}
    props['scheduler_hints'] = hints
    schema['properties']['os:scheduler_hints'] = hints
    return schema


# --- validators.py: the format checkers ----------------------------------------------------------

def _is_printable(char):
    """Nova's _is_printable, over the characters Nova's ranges cover (U+0000-U+FFFE)."""
    if ord(char) >= 0xFFFF:
        return False
    category = unicodedata.category(char)
    return category[0] != 'C' and (category[0] != 'Z' or category == 'Zs')


def _is_printable_text(text):
    """re.search('^[<printable>]*$', text): Python's `$` also matches before a final
    newline, so one trailing '\\n' is accepted, as in Nova."""
    if text.endswith('\n'):
        text = text[:-1]
    return all(_is_printable(char) for char in text)


def _is_name_edge(char):
    """A first or last character valid_name_regex allows: printable and not a space."""
    return _is_printable(char) and unicodedata.category(char) != 'Zs'


def _is_valid_name(text):
    """re.search(valid_name_regex, text), valid_name_regex being
    '^(?![<not name edge>])[<printable>]*(?<![<not name edge>])$': the empty string, or
    printable characters (a final '\\n' aside, as `$` allows) whose first and last are
    not spaces. A character above U+FFFE is in neither of Nova's classes."""
    if not text:
        return True
    first = text[0]
    if ord(first) < 0xFFFF and not _is_name_edge(first):
        return False
    body = text[:-1] if text.endswith('\n') else text
    if not all(_is_printable(char) for char in body):
        return False
    return not body or _is_name_edge(body[-1])


class _FormatError(ValueError):
    """Why a format check failed, worded as a rule."""


def _check_name(instance):
    if isinstance(instance, str) and not _is_valid_name(instance):
        raise _FormatError('must be printable characters with no leading or trailing '
                           'whitespace')
    return True


def _check_printable(instance):
    if isinstance(instance, str) and not _is_printable_text(instance):
        raise _FormatError('must be printable characters')
    return True


def _check_uuid(instance):
    if isinstance(instance, str) and not is_uuid_like(instance):
        raise _FormatError('must be a uuid')
    return True


def _check_base64(instance):
    """Strict on purpose (docs/internals.md): standard alphabet and padding, whitespace
    ignored."""
    if not isinstance(instance, str):
        return True
    try:
        base64.b64decode(''.join(instance.split()), validate=True)
    except (binascii.Error, ValueError):
        raise _FormatError('must be valid base64')
    return True


def _check_ip(version):
    """jsonschema's ipv4/ipv6 checkers (ipaddress, no IPv6 scope id), which Nova uses."""
    parse = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address

    def check(instance):
        if not isinstance(instance, str):
            return True
        try:
            address = parse(instance)
        except ValueError:
            address = None
        if address is None or getattr(address, 'scope_id', None):
            raise _FormatError('must be an IPv%d address' % version)
        return True
    return check


FORMAT_CHECKS = {
    'name': _check_name, 'printable': _check_printable, 'uuid': _check_uuid,
    'base64': _check_base64, 'ipv4': _check_ip(4), 'ipv6': _check_ip(6),
}


# --- the validator, built once per process -----------------------------------------------------

def _number_from_str(instance):
    """Nova's _SchemaValidator._number_from_str: minimum and maximum apply to strings of digits."""
    try:
        return int(instance)
    except (ValueError, TypeError):
        try:
            return float(instance)
        except (ValueError, TypeError):
            return None


def _bound(keyword):
    def check(validator, bound, instance, schema):
        number = _number_from_str(instance)
        if number is None:
            return
        yield from jsonschema.Draft202012Validator.VALIDATORS[keyword](
            validator, bound, number, schema)
    return check


# Keywords of a leaf subschema: one that only constrains a value (a name, a size, a flag).
LEAF_KEYWORDS = frozenset(('type', 'format', 'pattern', 'minLength', 'maxLength', 'minimum',
                           'maximum', 'enum'))


def _descend(validator, instance, subschema, path, schema_path=None):
    """validator.descend, without making a validator for a leaf subschema: jsonschema's own
    keyword functions run on the parent validator (a leaf has no $ref or $id to resolve, and
    its keywords use only the type and format checkers), and each error gets the details
    descend() gives it. A body has dozens of leaves (every metadata value, tag, hint): this
    is most of the validation's cost."""
    if not subschema.keys() <= LEAF_KEYWORDS:
        yield from validator.descend(instance, subschema, path=path, schema_path=schema_path)
        return
    for keyword, value in subschema.items():
        for error in validator.VALIDATORS[keyword](validator, value, instance, subschema) or ():
            error._set(validator=keyword, validator_value=value, instance=instance,
                       schema=subschema, type_checker=validator.TYPE_CHECKER)
            error.schema_path.appendleft(keyword)
            error.path.appendleft(path)
            if schema_path is not None:
                error.schema_path.appendleft(schema_path)
            yield error


def _properties(validator, properties, instance, schema):
    """jsonschema's `properties`, through _descend."""
    if not validator.is_type(instance, 'object'):
        return
    for prop, subschema in properties.items():
        if prop in instance:
            yield from _descend(validator, instance[prop], subschema, prop, prop)


def _pattern_properties(validator, patterns, instance, schema):
    """jsonschema's `patternProperties`, through _descend."""
    if not validator.is_type(instance, 'object'):
        return
    for pattern, subschema in patterns.items():
        for key, value in instance.items():
            if re.search(pattern, key):
                yield from _descend(validator, value, subschema, key, pattern)


def _items(validator, items, instance, schema):
    """jsonschema's 2020-12 `items` (no prefixItems here), through _descend."""
    if not validator.is_type(instance, 'array'):
        return
    for index, item in enumerate(instance):
        yield from _descend(validator, item, items, index)


_VALIDATORS = {}
# The body's secret fields: checked on their own, before the rest of the body leaves the
# controller (api/request.py split_secrets).
SECRET_FIELDS = ('adminPass', 'user_data', 'personality')


def _validator_for(schema):
    """A Draft 2020-12 validator with Nova's format checks and bounds over `schema`."""
    checker = jsonschema.FormatChecker(formats=())
    for format_name, check in FORMAT_CHECKS.items():
        checker.checks(format_name, raises=_FormatError)(check)
    cls = jsonschema.validators.extend(jsonschema.Draft202012Validator, {
        'minimum': _bound('minimum'), 'maximum': _bound('maximum'),
        'properties': _properties, 'patternProperties': _pattern_properties,
        'items': _items})
    return cls(schema, format_checker=checker)


def _secrets_schema():
    """The create schema's `server` cut down to its secret fields, none of them required."""
    schema = _novalite_create()
    server = schema['properties']['server']
    server['properties'] = dict((key, value) for key, value in server['properties'].items()
                                if key in SECRET_FIELDS)
    server['required'] = []
    return schema


def validator(part='create'):
    """The validator of the create body (`create`) or of its secret fields alone
    (`secrets`), built once per process on first use."""
    if part not in _VALIDATORS:
        _VALIDATORS[part] = _validator_for(
            _secrets_schema() if part == 'secrets' else _novalite_create())
    return _VALIDATORS[part]


# --- jsonschema's errors as (field, rule) ------------------------------------------------------

TYPE_NOUNS = {'string': 'a string', 'integer': 'an integer', 'number': 'a number',
              'object': 'an object', 'array': 'a list', 'boolean': 'a boolean', 'null': 'null'}
PLURAL_NOUNS = {'string': 'strings', 'integer': 'integers', 'object': 'objects',
                'array': 'lists', 'boolean': 'booleans', 'number': 'numbers'}
FORMAT_NOUNS = {'uuid': ('a uuid', 'uuids'), 'ipv4': ('an IPv4 address', 'IPv4 addresses'),
                'ipv6': ('an IPv6 address', 'IPv6 addresses')}
# Nova's patterns in words (the others are shown as they are)
PATTERN_RULES = {
    '^[0-9]*$': 'must be an integer or a string of digits',
    '^[0-9]+$': 'must be an integer or a string of digits',
    '^-?[0-9]+$': 'must be an integer or a string of digits',
    '^[^,/]*$': "must not contain '/' or ','",
    '^[a-zA-Z0-9-._]*$': 'must be a host name of [a-zA-Z0-9-._]',
}
# the body's top-level keys as the module's options name them
ROOT_FIELDS = {'os:scheduler_hints': 'scheduler_hints',
               'OS-SCH-HNT:scheduler_hints': 'scheduler_hints'}


def field_name(path):
    """['server', 'networks', 1, 'fixed_ip'] -> 'server.networks[1].fixed_ip'."""
    parts = list(path)
    text = ROOT_FIELDS.get(parts[0], parts[0]) if parts else 'body'
    for part in parts[1:]:
        text += '[%d]' % part if isinstance(part, int) else '.%s' % part
    return text


def _types(schema):
    types = schema.get('type', [])
    return [types] if isinstance(types, str) else list(types)


def _noun(schema, plural=False):
    """What a (sub)schema accepts, as a noun: 'a uuid', 'a list of objects', 'a non-empty
    string or an integer'."""
    if schema.get('format') in FORMAT_NOUNS:
        return FORMAT_NOUNS[schema['format']][int(plural)]
    if 'oneOf' in schema or 'anyOf' in schema:
        return _branches_noun(schema.get('oneOf') or schema.get('anyOf'))
    if 'enum' in schema:
        return _enum_noun(schema['enum'])
    return _type_noun(schema, plural)


def _enum_noun(values):
    if True in values and False in values:
        return 'a boolean (true/false, yes/no, on/off, 1/0)'
    return 'one of %s' % ', '.join(str(v) for v in values)


def _type_noun(schema, plural=False):
    """The JSON types a schema allows, as a noun ('a non-empty string or an integer')."""
    nouns = []
    for kind in _types(schema):
        if kind == 'array' and isinstance(schema.get('items'), dict) and schema['items']:
            nouns.append('a list of %s' % _noun(schema['items'], plural=True))
        elif kind == 'string' and schema.get('maxLength') == 0:
            nouns.append('an empty string')
        elif kind == 'string' and schema.get('minLength', 0) >= 1 and 'maxLength' not in schema:
            nouns.append('a non-empty string')
        else:
            nouns.append(PLURAL_NOUNS.get(kind, kind) if plural else TYPE_NOUNS.get(kind, kind))
    return ' or '.join(nouns) or 'anything'


def _branches_noun(branches):
    formats = [b.get('format') for b in branches]
    if set(formats) == {'ipv4', 'ipv6'}:
        return 'an IPv4 or IPv6 address'
    return ' or '.join(_noun(b) for b in branches)


def _length_rule(schema):
    low, high = schema.get('minLength', 0), schema.get('maxLength')
    if high is None:
        return 'must be a non-empty string' if low == 1 else \
            'must be at least %d characters long' % low
    return 'must be %d-%d characters long' % (low, high)


def _extra_key(error):
    schema, instance = error.schema, error.instance
    patterns = list(schema.get('patternProperties') or ())
    known = schema.get('properties') or {}
    return sorted(str(key) for key in instance if key not in known and not any(
        re.search(pattern, str(key)) for pattern in patterns))[0]


def _branch_error(error):
    """The error inside the one oneOf/anyOf branch whose type the value has, so the field
    named is the deepest one (`server.networks[0].fixed_ip`, not `server.networks`)."""
    matching = [i for i, branch in enumerate(error.validator_value)
                if any(validator().is_type(error.instance, kind) for kind in _types(branch))]
    if len(matching) != 1:
        return None
    inside = [e for e in error.context if e.schema_path and e.schema_path[0] == matching[0]]
    if not inside:
        return None
    return max(inside, key=lambda e: len(e.absolute_path))


BOUND_RULES = {'minimum': 'must be >= %s', 'maximum': 'must be <= %s',
               'maxItems': 'must have at most %s items',
               'minItems': 'must have at least %s items'}


def _rule(error):
    """The rule a value broke, in words, from the keyword that failed and its schema."""
    keyword, schema, value = error.validator, error.schema, error.validator_value
    if keyword in ('oneOf', 'anyOf'):
        return 'must be %s' % _branches_noun(value)
    if keyword == 'type':
        return 'must be %s' % _type_noun(schema)
    if keyword in ('minLength', 'maxLength'):
        return _length_rule(schema)
    if keyword == 'pattern':
        return PATTERN_RULES.get(value, 'must match %s' % value)
    if keyword == 'format':
        return str(error.cause) if error.cause else 'must be %s' % _noun(schema)
    if keyword == 'enum':
        return 'must be %s' % _enum_noun(value)
    if keyword in BOUND_RULES:
        return BOUND_RULES[keyword] % value
    if keyword == 'uniqueItems':
        return 'must not repeat an item'
    return error.message


def translate(error):
    """A jsonschema ValidationError as ValidationError(field, rule)."""
    inner = _branch_error(error) if error.validator in ('oneOf', 'anyOf') else None
    if inner is not None:
        return translate(inner)
    field = field_name(error.absolute_path)
    if error.validator == 'required':
        missing = [key for key in error.validator_value if key not in error.instance][0]
        return ValidationError('%s.%s' % (field, missing), 'is required')
    if error.validator == 'additionalProperties':
        patterns = error.schema.get('patternProperties')
        return ValidationError('%s.%s' % (field, _extra_key(error)),
                               'keys must match %s' % ' or '.join(patterns) if patterns else
                               'is not an allowed property (additional properties are not '
                               'allowed)')
    return ValidationError(field, _rule(error))


def validate_create(server, scheduler_hints=None):
    """Check a `server` object (and the hints beside it) against the create schema; raise
    ValidationError for the first error jsonschema finds, as Nova reports the first."""
    body = {'server': server}
    if scheduler_hints is not None:
        body['os:scheduler_hints'] = scheduler_hints
    for error in validator().iter_errors(body):
        raise translate(error)


# nova/api/openstack/compute/schemas/server_metadata.py create and update_all: the body.
METADATA_BODY = {'type': 'object', 'properties': {'metadata': metadata},
                 'required': ['metadata'], 'additionalProperties': False}


def validate_metadata(value):
    """Check server metadata as Nova's server_metadata create and update_all bodies; an
    error names the field (`metadata.<key>`) and the rule."""
    if 'metadata' not in _VALIDATORS:
        _VALIDATORS['metadata'] = _validator_for(METADATA_BODY)
    for error in _VALIDATORS['metadata'].iter_errors({'metadata': value}):
        raise translate(error)


def validate_secrets(secrets):
    """Check the body's secret fields {adminPass, user_data, personality} with the same rules
    and messages as the whole body; an error names the field and the rule, never the value."""
    for error in validator('secrets').iter_errors({'server': secrets}):
        raise translate(error)


# --- schemas/servers.py: the server actions that take a body ----------------------------------
# rebuild at 2.57 (user_data, key_name; no personality) with the fields novalite acts on: the
# access IPs, adminPass, diskConfig, trusted certificates and hostname are left out (an
# additional property), resize as Nova's, confirmResize and revertResize take null.
REBUILD_BODY = {
    'type': 'object',
    'properties': {
        'rebuild': {
            'type': 'object',
            'properties': {
                'imageRef': image_id,
                'name': name,
                'metadata': metadata,
                'preserve_ephemeral': boolean,
                'description': description,
                'key_name': {'type': ['string', 'null'], 'minLength': 1, 'maxLength': 255,
                             'format': 'name'},
                'user_data': {'type': ['string', 'null'], 'format': 'base64',
                              'maxLength': 65535},
            },
            'required': ['imageRef'],
            'additionalProperties': False,
        },
    },
    'required': ['rebuild'],
    'additionalProperties': False,
}
RESIZE_BODY = {
    'type': 'object',
    'properties': {
        'resize': {
            'type': 'object',
            'properties': {'flavorRef': flavor_ref, 'OS-DCF:diskConfig': disk_config},
            'required': ['flavorRef'],
            'additionalProperties': False,
        },
    },
    'required': ['resize'],
    'additionalProperties': False,
}
ACTION_BODIES = {'rebuild': REBUILD_BODY, 'resize': RESIZE_BODY}


def validate_action(action, body):
    """Check the body of the server action `action` (`rebuild`, `resize`: {action: {...}})
    as Nova's schema does; ValidationError names the field (`rebuild.imageRef`) and rule."""
    key = 'action:%s' % action
    if key not in _VALIDATORS:
        _VALIDATORS[key] = _validator_for(ACTION_BODIES[action])
    for error in _VALIDATORS[key].iter_errors(body):
        raise translate(error)
