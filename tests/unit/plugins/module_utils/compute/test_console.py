# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The console log as Nova's os-getConsoleOutput answers it."""

import pytest

from ansible_collections.novalite.compute.plugins.module_utils.compute import console

SERIAL_XML = ("<domain><devices><serial type='file'><source path='%s' append='on'/>"
              "<target port='0'/></serial></devices></domain>")


def test_console_output_is_the_tail_without_control_characters(tmp_path):
    log = tmp_path / 'console.log'
    log.write_bytes(b'one\r\ntwo\x07\r\nthree\n')
    xml = SERIAL_XML % log
    # Nova's API strips \x00-\x08 and \x0b-\x1f (CR and BEL here), keeping tabs and newlines
    assert console.console_output(xml) == {'output': 'one\ntwo\nthree\n'}


def test_length_is_the_last_lines(tmp_path):
    log = tmp_path / 'console.log'
    log.write_text('a\nb\nc\nd\n')
    xml = SERIAL_XML % log
    assert console.console_output(xml, 2)['output'] == 'd\n'
    assert console.console_output(xml, '3')['output'] == 'c\nd\n'
    assert console.console_output(xml, 0)['output'] == ''
    assert console.console_output(xml, -1)['output'] == 'a\nb\nc\nd\n'


@pytest.mark.parametrize('bad', [-2, '1.5', 'ten', True, 2.0])
def test_bad_length_names_the_field(bad):
    with pytest.raises(console.ConsoleError, match='length: must be an integer of at least -1'):
        console.parse_length(bad)


def test_only_the_last_max_console_bytes_are_read(tmp_path):
    log = tmp_path / 'console.log'
    log.write_bytes(b'x' * console.MAX_CONSOLE_BYTES + b'END')
    output = console.console_output(SERIAL_XML % log)['output']
    assert len(output) == console.MAX_CONSOLE_BYTES and output.endswith('END')


def test_missing_file_is_empty_and_no_file_console_is_an_error(tmp_path):
    assert console.console_output(SERIAL_XML % (tmp_path / 'nope')) == {'output': ''}
    with pytest.raises(console.ConsoleError, match='does not have a console'):
        console.console_output("<domain><devices><serial type='pty'/></devices></domain>")
