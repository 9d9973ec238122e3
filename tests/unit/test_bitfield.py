"""BITFIELD and BITFIELD_RO; expectations checked against Redis 7.0.15."""
WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOT_INTEGER = "ERR value is not an integer or out of range"
BIT_OFFSET = "ERR bit offset is not an integer or out of range"
BAD_TYPE = (
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but "
    "i64 is."
)
SYNTAX = "ERR syntax error"
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


def make_list(sm, key):
    sm.run("RPUSH", key, "x")


def test_set_get_incrby_basic(sm):
    assert sm.run("BITFIELD", "k", "SET", "i8", 0, 100, "GET", "u4", 0, "INCRBY", "i5", 100, 1,
                  "GET", "u4", 0) == [0, 6, 1, 6]
    assert sm.run("GET", "k") == b"d" + bytes(12) + b"\x80"
    assert sm.run("BITFIELD", "k", "GET", "i8", 0) == [100]


def test_get_on_missing_key_and_past_the_end(sm):
    assert sm.run("BITFIELD", "missing", "GET", "u8", 0, "GET", "i64", 1000) == [0, 0]
    assert sm.run("EXISTS", "missing") == 0
    sm.run("SET", "k", b"\xff")
    assert sm.run("BITFIELD", "k", "GET", "u16", 0, "GET", "i16", 0, "GET", "u4", 6) == [
        65280, -256, 12]


def test_no_subcommands_is_an_empty_array(sm):
    assert sm.run("BITFIELD", "k") == []
    assert sm.run("BITFIELD_RO", "k") == []
    assert sm.run("EXISTS", "k") == 0


def test_hash_offsets_multiply_by_width(sm):
    assert sm.run("BITFIELD", "k", "SET", "u8", "#1", 200, "SET", "u8", "#0", 1) == [0, 0]
    assert sm.run("GET", "k") == b"\x01\xc8"
    assert sm.run("BITFIELD", "k", "GET", "u8", "#1", "GET", "i4", "#3") == [200, -8]


def test_signed_wrap_sat_fail(sm):
    sm.run("BITFIELD", "k", "SET", "i8", 0, 120)
    assert sm.run("BITFIELD", "k", "INCRBY", "i8", 0, 10) == [-126]
    assert sm.run("BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "i8", 0, -10) == [-128]
    assert sm.run("BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "i8", 0, -1) == [None]
    assert sm.run("BITFIELD", "k", "GET", "i8", 0) == [-128]
    assert sm.run("BITFIELD", "k", "OVERFLOW", "sat", "SET", "i8", 0, 1000, "GET", "i8", 0) == [
        -128, 127]
    assert sm.run("BITFIELD", "k", "OVERFLOW", "fail", "SET", "i8", 0, 128) == [None]
    assert sm.run("BITFIELD", "k", "SET", "i8", 0, 128, "GET", "i8", 0) == [127, -128]


def test_unsigned_wrap_sat_fail(sm):
    assert sm.run("BITFIELD", "k", "SET", "u2", 0, 3, "INCRBY", "u2", 0, 1) == [0, 0]
    assert sm.run("BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "u2", 0, 10) == [3]
    assert sm.run("BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "u2", 0, -10) == [0]
    assert sm.run("BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u2", 0, -1) == [None]
    # A negative SET value is a huge uint64: too big, so SAT stores the maximum.
    assert sm.run("BITFIELD", "k", "OVERFLOW", "SAT", "SET", "u8", 8, -1, "GET", "u8", 8) == [
        0, 255]
    assert sm.run("BITFIELD", "k", "SET", "u8", 16, -1, "GET", "u8", 16) == [0, 255]


def test_overflow_applies_to_following_operations_only(sm):
    assert sm.run("BITFIELD", "k", "INCRBY", "u2", 0, 5, "OVERFLOW", "FAIL", "INCRBY", "u2", 2, 5,
                  "OVERFLOW", "WRAP", "INCRBY", "u2", 4, 5) == [1, None, 1]


def test_64_bit_fields(sm):
    assert sm.run("BITFIELD", "k", "SET", "i64", 0, INT64_MAX, "INCRBY", "i64", 0, 1) == [
        0, INT64_MIN]
    assert sm.run("BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "i64", 0, -1,
                  "INCRBY", "i64", 0, INT64_MIN) == [INT64_MIN, INT64_MIN]
    assert sm.run("BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "i64", 0, INT64_MAX,
                  "INCRBY", "i64", 0, INT64_MAX) == [-1, INT64_MAX - 1]
    assert sm.run("BITFIELD", "k", "SET", "u63", 64, INT64_MAX, "GET", "u63", 64) == [0, INT64_MAX]
    assert sm.run("BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u63", 64, 1) == [None]


def test_redis_quirk_saturating_int64_min_into_a_small_field(sm):
    # Redis computes max - value in int64 and wraps: INT64_MIN saturates to the maximum.
    assert sm.run("BITFIELD", "k", "OVERFLOW", "SAT", "SET", "i8", 0, INT64_MIN,
                  "SET", "i8", 8, -1000, "GET", "i8", 0, "GET", "i8", 8) == [0, 0, 127, -128]


def test_failed_writes_still_create_and_grow_the_string(sm):
    assert sm.run("BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u2", 0, 10) == [None]
    assert sm.run("GET", "k") == b"\x00"
    assert sm.run("BITFIELD", "k", "OVERFLOW", "FAIL", "SET", "u8", 16, 256) == [None]
    assert sm.run("GET", "k") == b"\x00\x00\x00"


def test_keeps_ttl(sm):
    sm.run("SET", "k", "a", "EX", 100)
    assert sm.run("BITFIELD", "k", "SET", "u8", 0, 98) == [97]
    assert sm.run("GET", "k") == b"b"
    assert sm.run("TTL", "k") == 100


def test_type_errors(sm):
    for bad in ("u64", "i65", "i0", "u0", "x8", "I8", "U8", "i", "i08", "i-1", "i 8", "#8"):
        assert sm.error("BITFIELD", "k", "GET", bad, 0) == BAD_TYPE, bad
    assert sm.run("BITFIELD", "k", "GET", "u63", 0, "GET", "i64", 0, "GET", "u1", 0) == [0, 0, 0]


def test_offset_errors(sm):
    for bad in ("-1", "x", "#-1", "#", "#x", "4294967296", "1.5", "#9223372036854775807"):
        assert sm.error("BITFIELD", "k", "GET", "i8", bad) == BIT_OFFSET, bad
    assert sm.run("BITFIELD", "k", "GET", "i8", 4294967288) == [0]
    assert sm.error("BITFIELD", "k", "GET", "i64", "#9223372036854775807") == BIT_OFFSET


def test_syntax_and_value_errors(sm):
    assert sm.error("BITFIELD", "k", "GET", "i8") == SYNTAX
    assert sm.error("BITFIELD", "k", "SET", "i8", 0) == SYNTAX
    assert sm.error("BITFIELD", "k", "INCRBY", "i8", 0) == SYNTAX
    assert sm.error("BITFIELD", "k", "OVERFLOW") == SYNTAX
    assert sm.error("BITFIELD", "k", "unknown", "i8", 0) == SYNTAX
    assert sm.error("BITFIELD", "k", "OVERFLOW", "foo") == "ERR Invalid OVERFLOW type specified"
    assert sm.error("BITFIELD", "k", "SET", "i8", 0, "x") == NOT_INTEGER
    assert sm.error("BITFIELD", "k", "INCRBY", "i8", 0, "1.5") == NOT_INTEGER
    assert sm.error("BITFIELD", "k", "INCRBY", "i8", 0, "9223372036854775808") == NOT_INTEGER
    assert sm.error("BITFIELD") == "ERR wrong number of arguments for 'bitfield' command"


def test_errors_leave_state_untouched(sm):
    assert sm.error("BITFIELD", "k", "SET", "i8", 0, 1, "SET", "u64", 8, 1) == BAD_TYPE
    assert sm.error("BITFIELD", "k", "SET", "i8", 0, 1, "GET", "i8") == SYNTAX
    assert sm.run("EXISTS", "k") == 0


def test_wrong_type(sm):
    make_list(sm, "l")
    assert sm.error("BITFIELD", "l", "GET", "i8", 0) == WRONGTYPE
    assert sm.error("BITFIELD", "l", "SET", "i8", 0, 1) == WRONGTYPE
    assert sm.error("BITFIELD", "l") == WRONGTYPE  # even without operations
    assert sm.error("BITFIELD", "l", "GET", "x8", 0) == BAD_TYPE  # arguments are checked first


def test_bitfield_ro(sm):
    sm.run("SET", "k", b"\x0f")
    assert sm.run("BITFIELD_RO", "k", "GET", "u4", 4, "GET", "i4", "#1") == [15, -1]
    only_get = "ERR BITFIELD_RO only supports the GET subcommand"
    assert sm.error("BITFIELD_RO", "k", "SET", "i8", 0, 1) == only_get
    assert sm.error("BITFIELD_RO", "k", "INCRBY", "i8", 0, 1) == only_get
    assert sm.run("BITFIELD_RO", "k", "OVERFLOW", "SAT", "GET", "u8", 0) == [15]
    assert sm.error("BITFIELD_RO", "k", "SET", "i8", 0, "x") == NOT_INTEGER
    make_list(sm, "l")
    assert sm.error("BITFIELD_RO", "l", "SET", "i8", 0, 1) == only_get  # before the type check
    assert sm.error("BITFIELD_RO", "l", "GET", "i8", 0) == WRONGTYPE
    assert sm.run("GET", "k") == b"\x0f"


def test_fields_straddling_bytes(sm):
    assert sm.run("BITFIELD", "k", "SET", "u12", 6, 4095, "GET", "u16", 0, "GET", "u8", 8) == [
        0, 1023, 255]
    assert sm.run("GET", "k") == b"\x03\xff\xc0"
    assert sm.run("BITFIELD", "k", "SET", "i3", 5, -1, "GET", "u8", 0) == [3, 7]
