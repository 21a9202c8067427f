# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The exceptions every stage of the create-server pipeline raises and the modules turn into
`fail_json`. Messages follow Nova's wording where Nova has one."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class NovaliteError(Exception):
    """Base class: `msg` is what the module reports."""

    def __init__(self, msg):
        super(NovaliteError, self).__init__(msg)
        self.msg = msg


class ValidationError(NovaliteError):
    """A request field broke a rule. The message always names both: `field: rule`."""

    def __init__(self, field, rule, msg=None):
        self.field = field
        self.rule = rule
        text = '%s: %s' % (field, rule)
        if msg:
            text = '%s (%s)' % (text, msg)
        super(ValidationError, self).__init__(text)


class PolicyError(NovaliteError):
    """A policy rule that cannot be used: bad syntax, unknown reference, cycle."""

    def __init__(self, rule, msg):
        self.rule = rule
        super(PolicyError, self).__init__('Policy rule %s: %s' % (rule, msg))


class PolicyNotAuthorized(NovaliteError):
    """Nova's PolicyNotAuthorized."""

    def __init__(self, rule):
        self.rule = rule
        super(PolicyNotAuthorized, self).__init__(
            "Policy doesn't allow %s to be performed." % rule)


class QuotaExceeded(NovaliteError):
    """Nova's OverQuota family; `overs` names the resources over their limit."""

    def __init__(self, msg, overs=None):
        self.overs = list(overs or [])
        super(QuotaExceeded, self).__init__(msg)


class NoValidHost(NovaliteError):
    """Nova's NoValidHost."""

    def __init__(self, reason):
        self.reason = reason
        super(NoValidHost, self).__init__('No valid host was found. %s' % reason)


class UnsupportedPolicyException(NovaliteError):
    """Nova's UnsupportedPolicyException: a server group policy whose filter or weigher the
    scheduler does not run."""

    def __init__(self, reason):
        self.reason = reason
        super(UnsupportedPolicyException, self).__init__(
            'ServerGroup policy is not supported: %s' % reason)
