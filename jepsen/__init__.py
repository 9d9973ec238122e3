"""A chaos and linearizability suite for SpinelRaft, after Jepsen.

`python -m jepsen run ...` starts a fresh cluster of real spinelraft-server processes, drives it
with concurrent clients while a nemesis injects faults (kill -9, SIGSTOP, network partitions,
leader changes, clock skew), records every operation, and checks the history: linearizability of
registers, lost or duplicated updates of sets and counters, Elle-style anomalies of list-append
transactions, and expiry of keys with a TTL. See docs/consistency.md.
"""
