"""SLOWLOG counts execution time as Redis does; for a replicated write that is its apply time."""


def test_writes_reach_the_slowlog(r):
    r.config_set("slowlog-log-slower-than", 0)
    try:
        r.slowlog_reset()
        r.set("slow", "1")
        r.get("slow")
        entries = r.slowlog_get(10)
        commands = [entry["command"] for entry in entries]
        assert b"SET slow 1" in commands and b"GET slow" in commands
    finally:
        r.config_set("slowlog-log-slower-than", 10000)
        r.slowlog_reset()


def test_fast_writes_stay_out(r):
    r.slowlog_reset()
    r.set("fast", "1")
    assert all(b"SET fast" not in entry["command"] for entry in r.slowlog_get(10))
