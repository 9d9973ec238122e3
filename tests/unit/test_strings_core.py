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


# -- SET / GETEX options as parseExtendedStringArgumentsOrReply reads them (Redis 7.0.15) --------
SYNTAX = "ERR syntax error"
NOT_INTEGER = "ERR value is not an integer or out of range"
WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"


def test_set_accepts_a_repeated_option(sm):
    assert sm.run("SET", "k", "v", "NX", "NX") == OK
    assert sm.run("SET", "k", "w", "XX", "XX") == OK
    assert sm.run("SET", "k", "x", "KEEPTTL", "KEEPTTL") == OK
    assert sm.run("SET", "k", "y", "GET", "GET") == b"x"
    assert sm.run("SET", "k", "z", "KEEPTTL", "XX", "XX", "GET") == b"y"
    assert sm.error("SET", "k", "v", "NX", "XX") == SYNTAX
    assert sm.error("SET", "k", "v", "EX", "100", "PX", "100") == SYNTAX
    assert sm.error("SET", "k", "v", "EX", "100", "KEEPTTL") == SYNTAX
    assert sm.error("SET", "k", "v", "KEEPTTL", "EX", "10") == SYNTAX
    assert sm.error("SET", "k", "v", "EX") == SYNTAX
    assert sm.error("SET", "k", "v", "PERSIST") == SYNTAX


def test_set_repeated_expire_keeps_the_last_value(sm):
    assert sm.run("SET", "k", "v", "EX", "100", "EX", "200") == OK
    assert sm.run("TTL", "k") == 200
    assert sm.run("SET", "k", "v", "EX", "x", "EX", "100") == OK  # only the last is parsed
    assert sm.run("TTL", "k") == 100
    assert sm.error("SET", "k", "v", "EX", "100", "EX", "x") == NOT_INTEGER
    assert sm.error("SET", "k", "v", "EX", "0", "FOO") == SYNTAX  # syntax before the value


def test_set_options_end_at_a_nul_like_c_strings(sm):
    assert sm.run("SET", "k", "v") == OK
    assert sm.run("SET", "k", "w", b"NX\x00a") is None
    assert sm.run("SET", "k", "w", b"EX\x00", "100") == OK
    assert sm.run("TTL", "k") == 100
    assert sm.run("SET", "k", "x", b"KEEPTTL\x00zz") == OK
    assert sm.run("TTL", "k") == 100


def test_set_get_checks_the_expire_before_the_type(sm):
    sm.run("LPUSH", "l", "x")
    assert sm.error("SET", "l", "v", "GET", "EX", "x") == NOT_INTEGER
    assert sm.error("SET", "l", "v", "GET", "EX", "10") == WRONGTYPE


def test_getex_checks_syntax_then_key_then_type_then_expire(sm):
    sm.run("SET", "k", "v")
    sm.run("LPUSH", "l", "x")
    assert sm.error("GETEX", "missing", "EX") == SYNTAX
    assert sm.error("GETEX", "missing", "FOO") == SYNTAX
    assert sm.error("GETEX", "missing", "EX", "-1", "PERSIST") == SYNTAX
    assert sm.run("GETEX", "missing", "EX", "abc") is None
    assert sm.error("GETEX", "l", "PX", "x") == WRONGTYPE
    assert sm.error("GETEX", "k", "EX", "0") == "ERR invalid expire time in 'getex' command"
    assert sm.error("GETEX", "k", "PX", "100", "PX", "x") == NOT_INTEGER
    for option in ("GET", "KEEPTTL", "NX", "XX"):
        assert sm.error("GETEX", "k", option) == SYNTAX
    assert sm.error("GETEX", "k", "PERSIST", "EX", "10") == SYNTAX


def test_getex_accepts_a_repeated_option(sm):
    sm.run("SET", "k", "v", "EX", "50")
    assert sm.run("GETEX", "k", "PERSIST", "PERSIST") == b"v"
    assert sm.run("TTL", "k") == -1
    assert sm.run("GETEX", "k", "EX", "10", "EX", "20") == b"v"
    assert sm.run("TTL", "k") == 20
    assert sm.run("GETEX", "k", "EX", "abc", "EX", "30") == b"v"
    assert sm.run("TTL", "k") == 30
    assert sm.run("GETEX", "k", b"PERSIST\x00x") == b"v"
    assert sm.run("TTL", "k") == -1


# -- INCRBYFLOAT beyond the double range: x87 long doubles, as Redis computes ---------------------
LONG_DOUBLE_1E400 = (
    b"100000000000000000002818806839475865145864534336290520386259106935396855340086298620393639"
    b"948483241605220940539273176162002958227772592557340238289765933406610177974474345461739178"
    b"624481166749717237789438243915933380474706750262466844013592375136038303437354855052449559"
    b"649790218250382800910684149474024568986530409510175126580926158275889201834725116433165913"
    b"62664138176309734806343732497430221946880")
NAN_OR_INF = "ERR increment would produce NaN or Infinity"
NOT_FLOAT = "ERR value is not a valid float"


def test_incrbyfloat_uses_the_long_double_range(sm):
    sm.run("SET", "k", "1e400")
    assert sm.run("INCRBYFLOAT", "k", "0") == LONG_DOUBLE_1E400
    assert sm.run("INCRBYFLOAT", "k3", "1e400") == LONG_DOUBLE_1E400
    assert sm.run("INCRBYFLOAT", "k3", "-1e400") == b"0"
    sm.run("SET", "big", "1e30")
    assert sm.run("INCRBYFLOAT", "big", "1") == b"1000000000000000000024696061952"
    assert sm.run("INCRBYFLOAT", "tiny", "1e-4940") == b"0"  # a subnormal long double


def test_incrbyfloat_refuses_what_strtold_and_the_sum_cannot_hold(sm):
    assert sm.error("INCRBYFLOAT", "k", "1e5000") == NOT_FLOAT  # overflows when read
    assert sm.error("INCRBYFLOAT", "k", "1e-5000") == NOT_FLOAT  # underflows to zero
    assert sm.error("INCRBYFLOAT", "k", "1.18973149535723176508e+4932") == NOT_FLOAT
    assert sm.error("INCRBYFLOAT", "k", "inf") == NAN_OR_INF
    assert sm.error("INCRBYFLOAT", "k", b"1\x00x") == NOT_FLOAT
    assert sm.run("INCRBYFLOAT", "k", "0x1p16383").startswith(b"594865747678615882542879663")
    assert sm.error("INCRBYFLOAT", "k", "0x1p16383") == NAN_OR_INF  # the sum overflows
    assert sm.error("INCRBYFLOAT", "k", "1.18973149535723176502e+4932") == NAN_OR_INF
    assert sm.run("EXISTS", "k") == 1
