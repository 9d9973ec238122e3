"""appendfsync always: a node fsyncs its journal before an entry counts toward the majority on
the leader and before a follower acknowledges it. Two real ShardGroups (pysyncobj over TCP on
127.0.0.1) in this process, with the sync call and the follower's acknowledgements recorded."""
import threading
import time

from spinelraft.raft.group import ShardGroup
from spinelraft.statemachine.machine import OP_COMMAND, encode_entry
from tests.conftest import free_port


def instrument(group, events, name):
    """Record (node, "sync", index) after each journal fsync, (node, "ack", index) when a
    follower sends an acknowledgement, and (node, "commit", index) as entries apply."""
    sync = group._sync_journal

    def recorded_sync():
        index = group.last_log_index()
        sync()
        events.append((name, "sync", index))

    group._sync_journal = recorded_sync
    send_now = group._send_now

    def recorded_send(node, message):
        if message.get("type") == "next_node_idx" and message.get("success"):
            events.append((name, "ack", message["next_node_idx"] - 1))
        return send_now(node, message)

    group._send_now = recorded_send
    group.on_applied = lambda blob, replies: events.append((name, "commit", group.raftLastApplied))


def test_entries_count_and_are_acknowledged_only_after_fsync(tmp_path):
    ports = [free_port(), free_port()]
    addresses = ["127.0.0.1:%d" % port for port in ports]
    groups = [ShardGroup(0, addresses[i], [addresses[1 - i]], str(tmp_path / ("n%d" % i)),
                         appendfsync="always", password="secret") for i in range(2)]
    events = []
    try:
        for index, group in enumerate(groups):
            instrument(group, events, index)
            group.start()
        deadline = time.monotonic() + 30
        while not any(group.is_leader() for group in groups):
            assert time.monotonic() < deadline, "no leader"
            time.sleep(0.05)
        leader = next(i for i, group in enumerate(groups) if group.is_leader())
        done = threading.Semaphore(0)
        for number in range(20):
            entry = encode_entry(int(time.time() * 1000), number, [(OP_COMMAND, 0, [b"SET", b"k%d" % number, b"v"])],
                                 b"test:%d" % number)
            groups[leader].apply_entry(entry, callback=lambda result, error: done.release())
        for _ in range(20):
            assert done.acquire(timeout=30)
        time.sleep(0.5)  # let the follower apply and acknowledge the last entries
    finally:
        for group in groups:
            group.stop()

    follower = 1 - leader
    snapshot = list(events)
    acks = [(position, index) for position, (node, kind, index) in enumerate(snapshot)
            if node == follower and kind == "ack" and index > 0]
    assert acks, "the follower acknowledged nothing"
    for position, index in acks:
        synced = max((i for node, kind, i in snapshot[:position] if node == follower and kind == "sync"), default=0)
        assert synced >= index, "follower acknowledged index %d with only %d fsynced" % (index, synced)
    commits = [(position, index) for position, (node, kind, index) in enumerate(snapshot)
               if node == leader and kind == "commit"]
    assert len(commits) >= 20
    for position, index in commits:
        synced = max((i for node, kind, i in snapshot[:position] if node == leader and kind == "sync"), default=0)
        assert synced >= index, "leader committed index %d with only %d fsynced" % (index, synced)
