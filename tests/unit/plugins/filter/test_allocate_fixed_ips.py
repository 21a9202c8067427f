# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from ansible.utils.display import Display

from ansible_collections.novalite.compute.plugins.filter.allocate_fixed_ips import allocate_fixed_ips


def test_a_use_warns_that_the_filter_goes_in_4_0_0(monkeypatch):
    said = []
    monkeypatch.setattr(Display, 'deprecated', lambda self, msg, **kw: said.append((msg, kw)))
    assert allocate_fixed_ips([], []) == []
    assert len(said) == 1 and 'fleet database' in said[0][0]
    assert said[0][1]['version'] == '4.0.0' and said[0][1]['collection_name'] == 'novalite.compute'
