from spinelraft.replies import OK


def test_set_get_and_options(sm):
    assert sm.run("SET", "k", "v") == OK
    assert sm.run("GET", "k") == b"v"
    assert sm.run("SET", "k", "w", "NX") is None
    assert sm.run("SET", "k", "w", "XX", "GET") == b"v"
    assert sm.error("SET", "k", "v", "EX", "0") == "ERR invalid expire time in 'set' command"
    assert sm.error("SET", "k", "v", "NX", "XX") == "ERR syntax error"


def test_expiry_uses_entry_time(sm):
    sm.run("SET", "k", "v", "PX", "100")
    sm.now_ms += 99
    assert sm.run("GET", "k") == b"v"
    sm.now_ms += 1
    assert sm.run("GET", "k") is None


def test_incr_overflow_and_wrongtype(sm):
    sm.run("SET", "n", "9223372036854775807")
    assert sm.error("INCR", "n") == "ERR increment or decrement would overflow"
    sm.run("SET", "s", "abc")
    assert sm.error("INCR", "s") == "ERR value is not an integer or out of range"
    assert sm.run("INCRBYFLOAT", "f", "0.1") == b"0.1"
    assert sm.run("INCRBYFLOAT", "f", "0.2") == b"0.3"
