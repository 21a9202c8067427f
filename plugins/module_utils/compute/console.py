# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A server's console log: Nova's `os-getConsoleOutput` (the API's console_output.py, the
compute manager's `get_console_output` and `_tail_log`, the libvirt driver's
`get_console_output`).

The log is the file the domain's serial port writes (`<serial type='file'>`), found in the
domain XML as the libvirt driver finds it; the driver's last MAX_CONSOLE_BYTES of it, the last
`length` lines of those, the control characters the API strips taken out.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import re

try:
    from lxml import etree
except ImportError:
    pass  # modules check connection.HAS_LXML

# nova/virt/libvirt/driver.py MAX_CONSOLE_BYTES: the driver reads no more than this.
MAX_CONSOLE_BYTES = 100 * 1024
# nova/api/openstack/compute/console_output.py: what the API removes from the output.
_CONTROL_RE = re.compile('[\x00-\x08\x0B-\x1F]')
_LENGTH_RE = re.compile(r'^-?[0-9]+$')


class ConsoleError(Exception):
    """The console log cannot be read; the message says why."""


def parse_length(value):
    """Nova's schema for `length`: an integer (or a string of one) of at least -1; -1 or
    None means the whole log. Returns an int or None."""
    if value is None:
        return None
    if isinstance(value, bool) or not (isinstance(value, int) or
                                       (isinstance(value, str) and _LENGTH_RE.match(value))):
        raise ConsoleError('length: must be an integer of at least -1, got %r' % (value,))
    length = int(value)
    if length < -1:
        raise ConsoleError('length: must be an integer of at least -1, got %r' % (value,))
    return None if length == -1 else length


def console_log_path(domain_xml):
    """The file the domain's serial console writes (the libvirt driver's lookup of
    `<serial|console type='file'><source path=...>`), or None when it writes none."""
    root = etree.fromstring(domain_xml.encode('utf-8'))
    for kind in ('serial', 'console'):
        source = root.find("devices/%s[@type='file']/source" % kind)
        if source is not None and source.get('path'):
            return source.get('path')
    return None


def last_bytes(path, size=MAX_CONSOLE_BYTES):
    """The last `size` bytes of the file (nova.virt.libvirt.utils.last_bytes); b'' when it
    is not there yet (the driver: a file console whose file is not (yet?) present)."""
    try:
        with open(path, 'rb') as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - size))
            return handle.read()
    except FileNotFoundError:
        return b''


def tail_log(text, length):
    """Nova's `_tail_log`: the last `length` lines; 0 gives nothing, None everything."""
    if length is None:
        return text
    if length == 0:
        return ''
    return '\n'.join(text.split('\n')[-length:])


def console_output(domain_xml, length=None):
    """The console output as Nova's API answers it: {'output': text}."""
    path = console_log_path(domain_xml)
    if path is None:
        raise ConsoleError('Guest does not have a console available.')
    text = last_bytes(path).decode('utf-8', 'replace')
    return {'output': _CONTROL_RE.sub('', tail_log(text, parse_length(length)))}
