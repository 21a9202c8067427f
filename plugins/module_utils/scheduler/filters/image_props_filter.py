# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.novalite.compute.plugins.module_utils.errors import ValidationError
from ansible_collections.novalite.compute.plugins.module_utils.scheduler.filters.base import (
    BaseHostFilter, filter_by_key, key_ids)

# Glance's legacy names and the ImageMetaProps names Nova reads them as.
_PROPS = {
    'arch': ('hw_architecture', 'architecture'),
    'hv_type': ('img_hv_type', 'hypervisor_type'),
    'vm_mode': ('hw_vm_mode', 'vm_mode'),
    'hv_version': ('img_hv_requested_version', 'hypervisor_version_requires'),
}
_ARCH_ALIASES = {'i386': 'i686', 'i486': 'i686', 'i586': 'i686', 'x86_32': 'i686',
                 'x86_32p': 'i686', 'amd64': 'x86_64'}
_HV_ALIASES = {'xapi': 'xen'}
_VM_MODE_ALIASES = {'pv': 'xen', 'hv': 'hvm', 'baremetal': 'hvm'}
_KEY = 'ImagePropertiesFilter.offer'
_PREDICATE = re.compile(r'^\s*(<=|>=|==|!=|<|>)\s*(\d+(?:\.\d+)*)\s*$')
_COMPARE = {
    '<': lambda a, b: a < b, '<=': lambda a, b: a <= b, '==': lambda a, b: a == b,
    '!=': lambda a, b: a != b, '>': lambda a, b: a > b, '>=': lambda a, b: a >= b,
}


def _offer_key(host_state):
    """What the verdict depends on: the supported instances and the hypervisor version."""
    supported = tuple(tuple(triple) for triple in host_state.supported_instances or ())
    return supported, host_state.hypervisor_version


def _canonical(value, aliases):
    if not value:
        return None
    value = str(value).lower()
    return aliases.get(value, value)


def version_from_int(number):
    """Nova's integer version encoding (7002000 -> (7, 2, 0))."""
    parts = []
    number = int(number)
    while number:
        parts.insert(0, number % 1000)
        number //= 1000
    return tuple(parts)


def _version_tuple(text):
    parts = tuple(int(part) for part in text.split('.'))
    while len(parts) > 1 and parts[-1] == 0:
        parts = parts[:-1]
    return parts


def version_satisfies(version, requirement):
    """`requirement` is a comma list of `<op> <version>` (distutils' VersionPredicate)."""
    for clause in str(requirement).split(','):
        found = _PREDICATE.match(clause)
        if not found:
            raise ValidationError('image.properties.img_hv_requested_version',
                                  'each clause must be <op> <version>, got %r' % clause.strip())
        have = _version_tuple('.'.join(str(part) for part in version) or '0')
        if not _COMPARE[found.group(1)](have, _version_tuple(found.group(2))):
            return False
    return True


class ImagePropertiesFilter(BaseHostFilter):
    """Architecture, hypervisor type, VM mode and hypervisor version an image asks for,
    against the host's `supported_instances` and `hypervisor_version` (Nova's)."""

    run_filter_once_per_request = True

    @staticmethod
    def _prop(props, which):
        for name in _PROPS[which]:
            if props.get(name):
                return props[name]
        return None

    def _wanted(self, props):
        return (
            _canonical(self._prop(props, 'arch')
                       or self.options['image_properties_default_architecture'], _ARCH_ALIASES),
            _canonical(self._prop(props, 'hv_type'), _HV_ALIASES),
            _canonical(self._prop(props, 'vm_mode'), _VM_MODE_ALIASES),
        )

    def applies(self, spec):
        return any(self._wanted((spec.get('image') or {}).get('properties') or {}))

    def prepare(self, host_states):
        key_ids(host_states, _KEY, _offer_key)

    def filter_all(self, host_states, candidates, spec, alive):
        return filter_by_key(self, host_states, candidates, spec, _KEY, _offer_key)

    def rejection(self, host_state, spec):
        props = (spec.get('image') or {}).get('properties') or {}
        wanted = self._wanted(props)
        if not any(wanted):
            return None
        text = ', '.join('%s=%s' % (name, value) for name, value
                         in zip(('architecture', 'hypervisor_type', 'vm_mode'), wanted) if value)
        supported = host_state.supported_instances or []
        if not supported:
            return 'image asks for %s; the host advertises no supported instances' % text
        requirement = self._prop(props, 'hv_version')
        matching = [triple for triple in supported if self._offers(triple, wanted)]
        if matching:
            if self._version_ok(host_state, requirement):
                return None
            return 'image asks for hypervisor version %s; the host has %s' % (
                requirement, '.'.join(map(str, version_from_int(host_state.hypervisor_version))))
        return 'image asks for %s; the host supports %s' % (
            text, ', '.join('/'.join(str(part) for part in triple) for triple in supported))

    @staticmethod
    def _offers(triple, wanted):
        offered = (_canonical(triple[0], _ARCH_ALIASES), _canonical(triple[1], _HV_ALIASES),
                   _canonical(triple[2], _VM_MODE_ALIASES))
        return all(not want or want == have for want, have in zip(wanted, offered))

    @staticmethod
    def _version_ok(host_state, requirement):
        if not (host_state.hypervisor_version and requirement):
            return True
        return version_satisfies(version_from_int(host_state.hypervisor_version), requirement)
