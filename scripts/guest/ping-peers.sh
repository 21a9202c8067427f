#!/bin/sh
# user_data of tests/integration/multihost/test_networks.py and `make demo-multi`: runs in
# the demo guest (busybox) and keeps pinging the addresses below other than its own, in the
# background, printing on the serial console `NOVALITE-PING <address> ok` when one starts
# answering and `NOVALITE-PING <address> lost` when it stops; and the MTU its interface got.
PEERS="10.82.0.21 10.82.0.22 10.82.0.23 10.82.0.24"
addresses=$(ip addr show)
echo "NOVALITE-MTU eth0 $(cat /sys/class/net/eth0/mtu)"
watch() {
    up=0
    while :; do
        if ping -c 1 -W 1 "$1" >/dev/null 2>&1; then
            [ "$up" = 1 ] || echo "NOVALITE-PING $1 ok"
            up=1
        else
            [ "$up" = 0 ] || echo "NOVALITE-PING $1 lost"
            up=0
            sleep 1
        fi
        sleep 1
    done
}
for peer in $PEERS; do
    case "$addresses" in *"inet $peer/"*) continue ;; esac
    watch "$peer" &
done
