# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: stage_times
type: aggregate
short_description: Print how long each stage (play) and its slowest tasks took
version_added: 1.0.0
description:
  - At the end of a run, prints one line per play with its wall time, and under it the tasks
    that took longest, so an operator sees where a create-server run spends its time
    (validation, host states, scheduling and build, quota recheck, console).
  - Enable it with C(ANSIBLE_CALLBACKS_ENABLED=novalite.compute.stage_times).
requirements:
  - enable in configuration
options:
  top_tasks:
    description: How many of the slowest tasks to show under each play.
    type: int
    default: 3
    env:
      - name: NOVALITE_STAGE_TIMES_TOP_TASKS
    ini:
      - section: callback_stage_times
        key: top_tasks
author:
  - novalite.compute contributors (@novalite)
'''

import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'novalite.compute.stage_times'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super(CallbackModule, self).__init__()
        self._plays = []        # [name, start, end, {task name: seconds}]
        self._task = None       # (name, start)

    def _close_task(self):
        if self._task and self._plays:
            name, start = self._task
            tasks = self._plays[-1][3]
            tasks[name] = tasks.get(name, 0.0) + time.time() - start
        self._task = None

    def _close_play(self):
        self._close_task()
        if self._plays and self._plays[-1][2] is None:
            self._plays[-1][2] = time.time()

    def v2_playbook_on_play_start(self, play):
        self._close_play()
        self._plays.append([play.get_name().strip(), time.time(), None, {}])

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._close_task()
        self._task = (task.get_name().strip(), time.time())

    def v2_playbook_on_handler_task_start(self, task):
        self.v2_playbook_on_task_start(task, False)

    def v2_playbook_on_stats(self, stats):
        self._close_play()
        if not self._plays:
            return
        top = self.get_option('top_tasks')
        total = self._plays[-1][2] - self._plays[0][1]
        self._display.display('STAGE TIMES (total %.2f s)' % total)
        for name, start, end, tasks in self._plays:
            self._display.display('  %7.2f s  %s' % (end - start, name))
            slowest = sorted(tasks.items(), key=lambda item: -item[1])[:top]
            for task, seconds in slowest:
                self._display.display('      %7.2f s  %s' % (seconds, task))
