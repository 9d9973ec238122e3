"""Blocking commands on a 3-node cluster: a client waits on a follower, which wakes it when it
applies a write to the key (the pop then goes through the leader like any write), and the wait
survives the loss of the leader."""
import threading
import time

JOIN_TIMEOUT_S = 20.0


def wait_until(predicate, timeout_s: float = 20.0, what: str = "condition"):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except Exception:  # noqa: BLE001 - a node may be electing a leader
            pass
        time.sleep(0.1)
    raise AssertionError("%s not reached in %.0f s" % (what, timeout_s))


def blocked_on(cluster, index: int) -> int:
    return cluster.client(index).info("clients")["blocked_clients"]


class Blocked:
    """One blocking call on its own connection to one node, in a thread."""

    def __init__(self, client, call):
        self.result = None
        self.done = threading.Event()
        threading.Thread(target=self._run, args=(client, call), daemon=True).start()

    def _run(self, client, call):
        try:
            self.result = call(client)
        except Exception as error:  # noqa: BLE001 - the test looks at it
            self.result = error
        finally:
            self.done.set()

    def join(self):
        assert self.done.wait(JOIN_TIMEOUT_S), "the blocked command did not return"
        return self.result


def test_a_client_blocked_on_a_follower_is_woken_by_a_push_on_the_leader(cluster_factory):
    cluster = cluster_factory(3)
    cluster.start_all()
    leader = cluster.leader_index()
    follower = next(index for index in range(3) if index != leader)
    first = Blocked(cluster.client(follower), lambda c: c.blpop("queue", 0))
    wait_until(lambda: blocked_on(cluster, follower) == 1, what="first client blocked")
    second = Blocked(cluster.client(follower), lambda c: c.blpop("queue", 0))
    wait_until(lambda: blocked_on(cluster, follower) == 2, what="second client blocked")

    cluster.client(leader).rpush("queue", "a", "b")
    assert list(first.join()) == [b"queue", b"a"]
    assert list(second.join()) == [b"queue", b"b"]
    for index in range(3):  # the pops were replicated writes: the list is gone everywhere
        wait_until(lambda: cluster.client(index).exists("queue") == 0, what="pops replicated")

    cluster.client(leader).zadd("zs", {"m": 2})
    assert list(cluster.client(follower).bzpopmin("zs", 5)) == [b"zs", b"m", 2.0]  # no wait
    assert cluster.client(follower).blpop("queue", 0.2) is None


def test_blocked_clients_keep_waiting_across_a_leader_change(cluster_factory):
    cluster = cluster_factory(3)
    cluster.start_all()
    old_leader = cluster.leader_index()
    followers = [index for index in range(3) if index != old_leader]
    waiters = {}
    for index in followers:
        waiters[index] = Blocked(cluster.client(index), lambda c: c.blpop("jobs", 0))
        wait_until(lambda: blocked_on(cluster, index) == 1, what="client blocked on %d" % index)

    cluster.kill9(old_leader)
    new_leader = cluster.leader_index()
    assert new_leader in followers
    for index in followers:  # nothing was written: they still wait, on their own node
        assert not waiters[index].done.is_set()
        assert blocked_on(cluster, index) == 1

    cluster.client(new_leader).rpush("jobs", "one", "two")
    results = sorted(list(waiters[index].join()) for index in followers)
    assert results == [[b"jobs", b"one"], [b"jobs", b"two"]]
    wait_until(lambda: cluster.client(new_leader).exists("jobs") == 0, what="both popped")
