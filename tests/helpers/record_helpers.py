# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The server record as XML text, for the tests that look at what the domain stores (the
product reads and writes the record through libvirt's metadata calls only)."""

from lxml import etree

from ansible_collections.novalite.compute.plugins.module_utils.compute import server_record as sr


def record_to_xml(record):
    """`record_to_element` serialised to a str."""
    return etree.tostring(sr.record_to_element(record), encoding='unicode')


def record_from_domain_xml(xml_str):
    """The record in a whole domain XML, or None when the domain has no novalite metadata."""
    root = etree.fromstring(xml_str.encode('utf-8'))
    elem = root.find('metadata/' + sr.ROOT_TAG)
    return None if elem is None else sr.record_from_element(elem)
