# -*- coding: utf-8 -*-
# Copyright: novalite.compute contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stand-in for the pip bootstrap script that ansible-test downloads for its venvs.

ansible-test fetches get-pip.py from its own file server, which only the package registries'
clients can reach here. It runs the script with pip's install options and the packages to
install; this does the same with what Python ships: pip from ensurepip, then the packages from
the configured package index.
"""
import subprocess
import sys

# get-pip.py's own flags, which `pip install` does not know.
GET_PIP_ONLY = ('--no-setuptools', '--no-wheel')

# ensurepip in its own process: in-process it points PIP_CONFIG_FILE at /dev/null for good,
# and the install below needs the machine's pip configuration (index, certificates).
subprocess.check_call([sys.executable, '-m', 'ensurepip', '--upgrade'])
args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY]
sys.exit(subprocess.call([sys.executable, '-m', 'pip', 'install', '--quiet'] + args))
