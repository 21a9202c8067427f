# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Nova's extra-spec requirement language (nova/scheduler/filters/extra_specs_ops.py).

`=` is "at least" (numeric), `==`/`!=`/`>=`/`<=` compare numbers, `s==`, `s!=`, `s<`, `s<=`,
`s>`, `s>=` compare strings, `<in>` is substring, `<all-in>` needs every word,
`<or>` any of the alternatives. A requirement without an operator must equal the value.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import operator

_OPS = {
    '=': lambda x, y: float(x) >= float(y),
    '<in>': lambda x, y: y in x,
    '<all-in>': lambda x, y: all(val in x for val in y),
    '==': lambda x, y: float(x) == float(y),
    '!=': lambda x, y: float(x) != float(y),
    '>=': lambda x, y: float(x) >= float(y),
    '<=': lambda x, y: float(x) <= float(y),
    's==': operator.eq,
    's!=': operator.ne,
    's<': operator.lt,
    's<=': operator.le,
    's>': operator.gt,
    's>=': operator.ge,
}


def match(value, req):
    """True when `value` (a string) satisfies the requirement `req`.

    A numeric operator on a value that is not a number does not match (Nova raises there,
    which fails the whole request; a host that cannot satisfy the rule is the kinder reading)."""
    words = str(req).split()
    op = method = None
    if words:
        op = words.pop(0)
        method = _OPS.get(op)
    if op != '<or>' and not method:
        return value == req
    if value is None:
        return False
    if op == '<or>':
        while words:
            if words.pop(0) == value:
                return True
            if not words:
                break
            words.pop(0)  # the next '<or>'
        return False
    if not words:
        return False
    try:
        if op == '<all-in>':
            return method(value, words)
        return method(value, words[0])
    except ValueError:
        return False
