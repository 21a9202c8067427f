#!/bin/sh
# user_data of the anti-spoofing test (tests/integration/multihost/test_networks.py): in the
# background, once 10.82.0.24 answers, sends from another IP, then from another MAC, and says
# on the serial console whether it got through.
(
    reach() {
        n=0
        while [ "$n" -lt "$1" ]; do
            ping -c 1 -W 1 10.82.0.24 >/dev/null 2>&1 && return 0
            n=$((n + 1)); sleep 1
        done
        return 1
    }
    reach 600 || { echo "NOVALITE-SPOOF never reached"; exit 0; }
    echo "NOVALITE-SPOOF reach ok"
    ip=$(ip addr show eth0 | awk '/inet / { print $2 }')
    ip addr flush dev eth0; ip addr add 10.82.0.99/24 dev eth0
    if reach 5; then echo "NOVALITE-SPOOF ip passed"; else echo "NOVALITE-SPOOF ip blocked"; fi
    ip addr flush dev eth0; ip addr add "$ip" dev eth0
    reach 30 && echo "NOVALITE-SPOOF reach again ok"
    mac=$(cat /sys/class/net/eth0/address)
    ip link set eth0 address fa:16:3e:99:99:99
    if reach 5; then echo "NOVALITE-SPOOF mac passed"; else echo "NOVALITE-SPOOF mac blocked"; fi
    ip link set eth0 address "$mac"
    reach 30 && echo "NOVALITE-SPOOF reach at last ok"
) &
