"""The change feed: events observed from a real StateMachine, positions = WATCH versions."""
from spinelraft.node.changefeed import ALL_DBS, DEL, EXPIRED, RESET, SET, ChangeFeed


def feed_for(sm, capacity=1000):
    feed = ChangeFeed(capacity)
    feed.before_apply(sm.machine)
    return feed


def events(feed, after=0):
    batch, _, lost = feed.read(after)
    assert not lost
    return [(c.kind, c.key, c.value) for c in batch]


def test_writes_become_events_at_the_keys_versions(sm):
    feed = feed_for(sm)
    sm.ok("SET", "a", "1")
    sm.ok("MSET", "b", "2", "c", "3")
    sm.ok("DEL", "a", "missing")
    assert events(feed) == [(SET, b"a", b"1"), (SET, b"b", b"2"), (SET, b"c", b"3"), (DEL, b"a", None)]
    batch, reached, _ = feed.read(0)
    assert batch[1].revision == sm.ok("SPINELRAFT.KEYINFO", "b")[0][2]
    assert reached == sm.machine.counter == feed.current()


def test_resume_after_a_position(sm):
    feed = feed_for(sm)
    sm.ok("SET", "a", "1")
    sm.ok("SET", "a", "2")
    first = feed.read(0)[0][0].revision
    assert events(feed, first) == [(SET, b"a", b"2")]


def test_unchanged_keys_and_errors_make_no_event(sm):
    feed = feed_for(sm)
    sm.ok("SET", "a", "1")
    sm.ok("SET", "a", "2", "NX")
    assert sm.error("LPUSH", "a", "x").startswith("WRONGTYPE")
    assert events(feed) == [(SET, b"a", b"1")]


def test_containers_and_expiry(sm):
    feed = feed_for(sm)
    sm.ok("RPUSH", "list", "x")
    sm.ok("LPOP", "list")
    sm.ok("SET", "t", "v", "PX", 10)
    sm.now_ms += 100
    sm.ok("GET", "t")  # a read deletes nothing
    sm.ok("SET", "t", "again")  # the write finds it expired first
    kinds = [(c.kind, c.key, c.type) for c in feed.read(0)[0]]
    assert kinds[:3] == [(SET, b"list", b"list"), (DEL, b"list", b""), (SET, b"t", b"string")]
    assert kinds[-1][0] == SET and kinds[-1][1] == b"t"


def test_active_expiry_is_expired(sm):
    from spinelraft.statemachine.machine import OP_EXPIRE, encode_entry

    feed = feed_for(sm)
    sm.ok("SET", "t", "v", "PX", 10)
    sm.now_ms += 100
    sm.machine.apply_entry(encode_entry(sm.now_ms, 1, [(OP_EXPIRE, 0, 100)]))
    assert events(feed)[-1] == (EXPIRED, b"t", None)


def test_flush_is_a_reset(sm):
    feed = feed_for(sm)
    sm.ok("SET", "a", "1")
    sm.ok("FLUSHALL")
    last = feed.read(0)[0][-1]
    assert (last.kind, last.db) == (RESET, ALL_DBS)
    assert last.revision == sm.machine.counter


def test_txn_changes_only_what_it_writes(sm):
    feed = feed_for(sm)
    sm.ok("SET", "guard", "g")
    sm.ok("SPINELRAFT.TXN", 1, "VALUE", "guard", "EQ", "g", 2, 3, "SET", "x", "1", 2, "DEL", "nope", 0)
    assert events(feed) == [(SET, b"guard", b"g"), (SET, b"x", b"1")]


def test_eviction_moves_the_floor(sm):
    feed = feed_for(sm, capacity=3)
    for index in range(5):
        sm.ok("SET", "k%d" % index, "v")
    batch, _, lost = feed.read(0)
    assert lost and batch == []
    floor = feed.floor
    assert [c.key for c in feed.read(floor)[0]] == [b"k2", b"k3", b"k4"]


def test_a_replaced_machine_starts_a_new_history(sm):
    from spinelraft.statemachine.machine import StateMachine

    feed = feed_for(sm)
    sm.ok("SET", "a", "1")
    old_head = feed.current()
    replacement = StateMachine()
    replacement.counter = old_head + 10
    feed.before_apply(replacement)
    assert feed.read(old_head)[2] is True
    assert feed.read(old_head + 10) == ([], old_head + 10, False)
