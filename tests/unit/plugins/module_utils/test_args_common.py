# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Each doc fragment documents exactly the options of its twin arg spec in args_common."""

import importlib
import os

import pytest
import yaml

from ansible_collections.novalite.compute.plugins.module_utils import args_common

FRAGMENTS_DIR = os.path.join(os.path.dirname(importlib.import_module(
    'ansible_collections.novalite.compute.plugins.doc_fragments.libvirt').__file__))
# Fragments that document no module options, so have no arg spec to twin: the attributes, and
# the arguments of Jinja filter plugins (which Ansible does not validate with an arg spec).
WITHOUT_TWIN = {'attributes.computation', 'attributes.declarative', 'attributes.hypervisor_info',
                'build_round', 'scheduler_filter'}


def fragment_parts():
    """{'name' or 'name.part': parsed YAML} of every doc fragment in plugins/doc_fragments,
    named as extends_documentation_fragment names them."""
    parts = {}
    for filename in sorted(os.listdir(FRAGMENTS_DIR)):
        if not filename.endswith('.py') or filename.startswith('_'):
            continue
        name = filename[:-3]
        fragment = importlib.import_module(
            'ansible_collections.novalite.compute.plugins.doc_fragments.%s' % name).ModuleDocFragment
        for attr in dir(fragment):
            if attr.isupper():
                key = name if attr == 'DOCUMENTATION' else '%s.%s' % (name, attr.lower())
                parts[key] = yaml.safe_load(getattr(fragment, attr))
    return parts


def documented(options):
    """The arg-spec view of documented options."""
    return dict((name, normalised(doc, 'suboptions')) for name, doc in (options or {}).items())


def normalised(option, nested_key):
    view = {
        'type': option.get('type', 'str'),
        'default': option.get('default'),
        'choices': option.get('choices'),
        'elements': option.get('elements'),
        'no_log': bool(option.get('no_log', False)),
        'required': bool(option.get('required', False)),
    }
    if option.get(nested_key):
        view['options'] = dict((name, normalised(sub, nested_key))
                               for name, sub in option[nested_key].items())
    return view


def accepted(spec):
    return dict((name, normalised(option, 'options')) for name, option in spec.items())


def test_every_fragment_has_a_twin_or_documents_no_module_options():
    assert set(fragment_parts()) == set(args_common.TWINS) | WITHOUT_TWIN


@pytest.mark.parametrize('fragment', sorted(args_common.TWINS))
def test_fragment_documents_exactly_its_twin(fragment):
    assert documented(fragment_parts()[fragment].get('options')) == \
        accepted(args_common.TWINS[fragment])


def test_a_difference_is_seen():
    spec = dict(args_common.LIBVIRT_ARG_SPEC, uri=dict(type='str', default='test:///default'))
    assert documented(fragment_parts()['libvirt']['options']) != accepted(spec)
