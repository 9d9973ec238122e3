"""Every error text the server sends, byte-identical to Redis 7 where Redis defines it.

Handlers raise CommandError(CONSTANT) (or CommandError(fn(...))); the dispatcher turns it into
an error reply. Keeping the texts here means the prefix (ERR, WRONGTYPE, ...) is part of one API.
This module is a leaf: it imports nothing from the project.
"""


class CommandError(Exception):
    """A command failed with a Redis-style error reply; the state was not modified."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
SYNTAX = "ERR syntax error"
NOT_INTEGER = "ERR value is not an integer or out of range"
NOT_FLOAT = "ERR value is not a valid float"
OVERFLOW = "ERR increment or decrement would overflow"
INCR_NAN_OR_INF = "ERR increment would produce NaN or Infinity"
NO_SUCH_KEY = "ERR no such key"
INDEX_OUT_OF_RANGE = "ERR index out of range"
OFFSET_OUT_OF_RANGE = "ERR offset is out of range"
BIT_OFFSET = "ERR bit offset is not an integer or out of range"
BIT_VALUE = "ERR bit is not an integer or out of range"
STRING_TOO_LONG = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
INVALID_EXPIRE = "ERR invalid expire time in '%s' command"
DB_INDEX_OUT_OF_RANGE = "ERR DB index is out of range"
INVALID_DB_INDEX = "ERR invalid DB index"
HASH_VALUE_NOT_INTEGER = "ERR hash value is not an integer"
HASH_VALUE_NOT_FLOAT = "ERR hash value is not a float"
MIN_MAX_NOT_FLOAT = "ERR min or max is not a float"
MIN_MAX_NOT_STRING_RANGE = "ERR min or max not valid string range item"
SCORE_NOT_FLOAT = "ERR value is not a valid float"
XX_AND_NX = "ERR XX and NX options at the same time are not compatible"
GT_LT_NX = "ERR GT, LT, and/or NX options at the same time are not compatible"
INCR_ONE_PAIR = "ERR INCR option supports a single increment-element pair"
WEIGHTS_NOT_FLOAT = "ERR weight value is not a float"
NOT_POSITIVE = "ERR value is out of range, must be positive"
TIMEOUT_NOT_FLOAT = "ERR timeout is not a float or out of range"
TIMEOUT_NEGATIVE = "ERR timeout is negative"
NESTED_MULTI = "ERR MULTI calls can not be nested"
EXEC_WITHOUT_MULTI = "ERR EXEC without MULTI"
DISCARD_WITHOUT_MULTI = "ERR DISCARD without MULTI"
WATCH_IN_MULTI = "ERR WATCH inside MULTI is not allowed"
EXECABORT = "EXECABORT Transaction discarded because of previous errors."
NOAUTH = "NOAUTH Authentication required."
WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled."
AUTH_NOT_CONFIGURED = (
    "ERR AUTH <password> called without any password configured for the default user. "
    "Are you sure your configuration is correct?"
)
NOAUTH_HELLO = (
    "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
    "HELLO AUTH <user> <pass> option can be used to authenticate the client and "
    "select the RESP protocol version at the same time"
)
NOPROTO = "NOPROTO unsupported protocol version"
SAME_OBJECT = "ERR source and destination objects are the same"
NO_SUCH_CLIENT = "ERR No such client"
CLIENT_NAME_SPACES = "ERR Client names cannot contain spaces, newlines or special characters."
INVALID_CURSOR = "ERR invalid cursor"
NOT_ALLOWED_IN_SUBSCRIBE = (
    "ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET "
    "are allowed in this context"
)
CROSSSLOT = "CROSSSLOT Keys in request don't hash to the same slot"
TRYAGAIN = "TRYAGAIN Multiple keys request during rehashing of slot"
CLUSTERDOWN = "CLUSTERDOWN The cluster is down"
READONLY = "READONLY You can't write against a read only replica."
UNKNOWN_OUTCOME = "TRYAGAIN the outcome of this write is unknown (leader changed); check before retrying"
NO_LEADER = "CLUSTERDOWN no Raft leader for this shard yet; retry"
OOM_BACKLOG = "BUSY too many writes in flight; retry"
NOT_INT32 = "ERR value is out of range, value must between -2147483648 and 2147483647"
EXPIRE_NX_CONFLICT = "ERR NX and XX, GT or LT options at the same time are not compatible"
EXPIRE_GT_LT_CONFLICT = "ERR GT and LT options at the same time are not compatible"
UNSUPPORTED_OPTION = "ERR Unsupported option %s"
LFU_NOT_SELECTED = (
    "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that "
    "when switching between policies at runtime LRU and LFU data will take some time to adjust."
)
LCS_NOT_STRINGS = "ERR The specified keys must contain string values"
LCS_LEN_AND_IDX = "ERR If you want both the length and indexes, please just use IDX."
LCS_TOO_MUCH_MEMORY = "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"
BIT_ARGUMENT = "ERR The bit argument must be 1 or 0."
BITOP_NOT_ONE_KEY = "ERR BITOP NOT must be called with a single source key."
LPOS_RANK_ZERO = (
    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
    "or use negative to start from the end of the list"
)
LPOS_COUNT_NEGATIVE = "ERR COUNT can't be negative"
LPOS_MAXLEN_NEGATIVE = "ERR MAXLEN can't be negative"
NUMKEYS_NOT_POSITIVE = "ERR numkeys should be greater than 0"
COUNT_NOT_POSITIVE = "ERR count should be greater than 0"
RANDOM_COUNT_RANGE = (
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
)
VALUE_OUT_OF_RANGE = "ERR value is out of range"
VALUE_NAN_OR_INF = "ERR value is NaN or Infinity"
NUMKEYS_OVER_ARGS = "ERR Number of keys can't be greater than number of args"
LIMIT_NEGATIVE = "ERR LIMIT can't be negative"
SCORE_NAN = "ERR resulting score is not a number (NaN)"
LIMIT_NEEDS_BYSCORE_OR_BYLEX = (
    "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
)
WITHSCORES_WITH_BYLEX = "ERR syntax error, WITHSCORES not supported in combination with BYLEX"
AT_LEAST_ONE_INPUT_KEY = "ERR at least 1 input key is needed for '%s' command"
BITFIELD_TYPE = (
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but "
    "i64 is."
)
BITFIELD_OVERFLOW_TYPE = "ERR Invalid OVERFLOW type specified"
BITFIELD_RO_GET_ONLY = "ERR BITFIELD_RO only supports the GET subcommand"
SORT_SCORE_NOT_DOUBLE = "ERR One or more scores can't be converted into double"
BUSYKEY = "BUSYKEY Target key name already exists."
DUMP_PAYLOAD_INVALID = "ERR DUMP payload version or checksum are wrong"
DUMP_BAD_DATA = "ERR Bad data format"
DUMP_UNSUPPORTED_TYPE = "ERR DUMP is not supported for values of this type"
RESTORE_TTL_NEGATIVE = "ERR Invalid TTL value, must be >= 0"
RESTORE_IDLETIME_NEGATIVE = "ERR Invalid IDLETIME value, must be >= 0"
RESTORE_FREQ_RANGE = "ERR Invalid FREQ value, must be >= 0 and <= 255"
# RedisBloom's texts (some have no error code prefix, as the module sends them).
BF_NOT_FOUND = "ERR not found"
BF_ITEM_EXISTS = "ERR item exists"
BF_BAD_ERROR_RATE = "ERR bad error rate"
BF_ERROR_RATE_RANGE = "ERR (0 < error rate range < 1) "
BF_BAD_CAPACITY = "ERR bad capacity"
BF_CAPACITY_NOT_POSITIVE = "ERR (capacity should be larger than 0)"
BF_NO_EXPANSION = "ERR no expansion"
BF_BAD_EXPANSION = "ERR bad expansion"
BF_EXPANSION_NOT_POSITIVE = "ERR expansion should be greater or equal to 1"
BF_NONSCALING_CANNOT_EXPAND = "Nonscaling filters cannot expand"
BF_FILTER_FULL = "ERR non scaling filter is full"
BF_INSERT_BAD_ERROR_RATE = "Bad error rate"
BF_INSERT_BAD_EXPANSION = "Bad expansion"
BF_INSERT_BAD_CAPACITY = "Bad capacity"
BF_INSERT_UNKNOWN_ARGUMENT = "Unknown argument received"
BF_INSERT_BAD_ARGUMENT = "Bad argument received"
BF_INFO_INVALID_FIELD = "Invalid information value"

# RedisJSON's texts (Err: wrong static path is sent as is, without a standard prefix).
JSON_NEW_AT_ROOT = "ERR new objects must be created at the root"
JSON_NO_SUCH_KEY = "ERR could not perform this operation on a key that doesn't exist"
JSON_WRONG_STATIC_PATH = "Err: wrong static path"
JSON_ARRAY_INDEX_OUT_OF_RANGE = "ERR array index out of range"
JSON_INDEX_OUT_OF_BOUNDS = "ERR index out of bounds"
JSON_NOT_INTEGER = "ERR Couldn't parse as integer"
JSON_NOT_UTF8 = "ERR Couldn't parse as UTF-8 string"
JSON_BAD_NUMBER = "ERR bad input number"
JSON_RESULT_NOT_NUMBER = "ERR result is not a number"
JSON_NESTING_LIMIT = "ERR recursion limit exceeded"
JSON_PARSE = "ERR %s at line %d column %d"
JSON_PATH_SYNTAX = "ERR %s"
JSON_PATH_MISSING = "ERR Path '%s' does not exist"
JSON_PATH_MISSING_OR = "ERR Path '%s' does not exist or %s"
JSON_WRONG_PATH_TYPE = "WRONGTYPE wrong type of path value - expected %s but found %s"

# Streams (t_stream.c).
STREAM_INVALID_ID = "ERR Invalid stream ID specified as stream command argument"
XADD_ID_TOO_SMALL = (
    "ERR The ID specified in XADD is equal or smaller than the target stream top item"
)
XADD_ID_ZERO = "ERR The ID specified in XADD must be greater than 0-0"
STREAM_EXHAUSTED = "ERR The stream has exhausted the last possible ID, unable to add more items"
STREAM_ELEMENTS_TOO_LARGE = "ERR Elements are too large to be stored"
MAXLEN_AND_MINID = "ERR syntax error, MAXLEN and MINID options at the same time are not compatible"
MAXLEN_NEGATIVE = "ERR The MAXLEN argument must be >= 0."
STREAM_LIMIT_NEGATIVE = "ERR The LIMIT argument must be >= 0."
LIMIT_WITHOUT_STRATEGY = (
    "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy"
)
XTRIM_WITHOUT_STRATEGY = "ERR syntax error, XTRIM must be called with a trimming strategy"
LIMIT_WITHOUT_APPROX = "ERR syntax error, LIMIT cannot be used without the special ~ option"
INVALID_START_ID = "ERR invalid start ID for the interval"
INVALID_END_ID = "ERR invalid end ID for the interval"
TIMEOUT_NOT_INTEGER = "ERR timeout is not an integer or out of range"
XREAD_UNBALANCED = (
    "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified."
)
XREAD_GROUP_OPTION = (
    "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead."
)
XREAD_NOACK_OPTION = (
    "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead."
)
XREADGROUP_MISSING_GROUP = "ERR Missing GROUP option for XREADGROUP"
XREADGROUP_DOLLAR_ID = (
    "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of "
    "this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would "
    "just return an empty result set."
)
XREAD_GREATER_ID = (
    "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> "
    "<consumer> option."
)
NOGROUP_XREADGROUP = (
    "NOGROUP No such key '%s' or consumer group '%s' in XREADGROUP with GROUP option"
)
NOGROUP_KEY_OR_GROUP = "NOGROUP No such key '%s' or consumer group '%s'"
NOGROUP_FOR_KEY = "NOGROUP No such consumer group '%s' for key name '%s'"
BUSYGROUP = "BUSYGROUP Consumer Group name already exists"
XGROUP_KEY_REQUIRED = (
    "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to "
    "use the MKSTREAM option to create an empty stream automatically."
)
ENTRIESREAD_RANGE = "ERR value for ENTRIESREAD must be positive or -1"
SUBCOMMAND_SYNTAX = "ERR unknown subcommand or wrong number of arguments for '%s'. Try %s HELP."
XCLAIM_MIN_IDLE = "ERR Invalid min-idle-time argument for XCLAIM"
XCLAIM_IDLE = "ERR Invalid IDLE option argument for XCLAIM"
XCLAIM_TIME = "ERR Invalid TIME option argument for XCLAIM"
XCLAIM_RETRYCOUNT = "ERR Invalid RETRYCOUNT option argument for XCLAIM"
XCLAIM_UNRECOGNIZED = "ERR Unrecognized XCLAIM option '%s'"
XAUTOCLAIM_MIN_IDLE = "ERR Invalid min-idle-time argument for XAUTOCLAIM"
XAUTOCLAIM_COUNT = "ERR COUNT must be > 0"
XAUTOCLAIM_COUNT_TOO_HIGH = (
    "ERR Insufficient memory, failed allocating transient memory, COUNT too high."
)
XSETID_ENTRIES_ADDED_NEGATIVE = "ERR entries_added must be positive"
XSETID_BELOW_GIVEN_MAX_DELETED = (
    "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id"
)
XSETID_BELOW_TOP = "ERR The ID specified in XSETID is smaller than the target stream top item"
XSETID_ENTRIES_ADDED_SMALL = (
    "ERR The entries_added specified in XSETID is smaller than the target stream length"
)


def wrong_arity(name: str) -> str:
    return "ERR wrong number of arguments for '%s' command" % name.lower()


def unknown_command(name: str, args) -> str:
    shown = "".join("'%s' " % _printable(a) for a in args[:20])
    return "ERR unknown command '%s', with args beginning with: %s" % (_printable(name), shown)


def unknown_subcommand(command: str, sub: str) -> str:
    return "ERR unknown subcommand '%s'. Try %s HELP." % (_printable(sub), command.upper())


def invalid_expire(command: str) -> str:
    return INVALID_EXPIRE % command.lower()


def _printable(value) -> str:
    if isinstance(value, (bytes, bytearray)):
        value = value.decode("utf-8", "replace")
    return value[:128]
