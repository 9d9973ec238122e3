"""Redis's RDB value serialization, as DUMP and RESTORE exchange it (Redis 7.0, RDB version 10).

A DUMP payload is: type byte, the value's RDB encoding, the RDB version (2 bytes, little
endian) and a CRC64 (Jones polynomial, reflected, as Redis's crc64.c) of everything before it.

Written here: strings (integer encoded when Redis would), lists as quicklist-2 nodes of
listpacks, sets, hashes and sorted sets in their plain encodings (RDB_TYPE_SET, RDB_TYPE_HASH,
RDB_TYPE_ZSET_2), and registered module types (RDB_TYPE_MODULE_2). Strings are never LZF
compressed (Redis reads both), so payloads can be longer than Redis's own.
Read here: all of the above plus what Redis 7.0 writes for compact values: integer and LZF
strings, RDB_TYPE_SET_INTSET, RDB_TYPE_HASH_LISTPACK, RDB_TYPE_ZSET_LISTPACK and the older
RDB_TYPE_LIST and RDB_TYPE_ZSET. Ziplist-era types (Redis < 7.0) are refused.
"""
import math
import struct
from collections import deque

from spinelraft.statemachine.args import to_int
from spinelraft.statemachine.values import HashValue, SetValue, ZSetValue

RDB_VERSION = 10

TYPE_STRING = 0
TYPE_LIST = 1
TYPE_SET = 2
TYPE_ZSET = 3
TYPE_HASH = 4
TYPE_ZSET_2 = 5
TYPE_MODULE_2 = 7
TYPE_SET_INTSET = 11
TYPE_HASH_LISTPACK = 16
TYPE_ZSET_LISTPACK = 17
TYPE_LIST_QUICKLIST_2 = 18

QUICKLIST_PLAIN = 1
QUICKLIST_PACKED = 2
QUICKLIST_NODE_BYTES = 8192  # list-max-listpack-size -2

ENCODING_INT8, ENCODING_INT16, ENCODING_INT32, ENCODING_LZF = 0, 1, 2, 3

MODULE_OPCODE_EOF = 0
MODULE_OPCODE_SINT = 1
MODULE_OPCODE_UINT = 2
MODULE_OPCODE_FLOAT = 3
MODULE_OPCODE_DOUBLE = 4
MODULE_OPCODE_STRING = 5
MODULE_NAME_CHARSET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


class RdbError(Exception):
    """The payload is not a value this server can rebuild (RESTORE: Bad data format)."""


# -- CRC64 ---------------------------------------------------------------------------------------
def _crc64_table():
    polynomial = 0x95AC9329AC4BC9B5  # 0xad93d23594c935a9 bit-reversed
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ polynomial if crc & 1 else crc >> 1
        table.append(crc)
    return table


CRC64_TABLE = _crc64_table()


def crc64(data: bytes, crc: int = 0) -> int:
    table = CRC64_TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc


def add_footer(body: bytes) -> bytes:
    payload = body + struct.pack("<H", RDB_VERSION)
    return payload + struct.pack("<Q", crc64(payload))


def verify_footer(payload: bytes) -> bool:
    """verifyDumpPayload: long enough, a version we know, and a matching checksum."""
    if len(payload) < 10:
        return False
    version = struct.unpack_from("<H", payload, len(payload) - 10)[0]
    if version > RDB_VERSION:
        return False
    return struct.unpack_from("<Q", payload, len(payload) - 8)[0] == crc64(payload[:-8])


# -- writing -------------------------------------------------------------------------------------
class RdbWriter:
    def __init__(self):
        self.out = bytearray()

    def byte(self, value: int):
        self.out.append(value)

    def length(self, value: int):
        if value < 1 << 6:
            self.out.append(value)
        elif value < 1 << 14:
            self.out += bytes(((value >> 8) | 0x40, value & 0xFF))
        elif value <= 0xFFFFFFFF:
            self.out += b"\x80" + struct.pack(">I", value)
        else:
            self.out += b"\x81" + struct.pack(">Q", value)

    def string(self, value: bytes):
        """rdbSaveRawString without LZF: small integers get the integer encodings."""
        number = to_int(value) if len(value) <= 11 else None
        if number is not None and -(2**31) <= number < 2**31:
            for encoding, pack in ((ENCODING_INT8, "<b"), (ENCODING_INT16, "<h"),
                                   (ENCODING_INT32, "<i")):
                try:
                    self.out += bytes((0xC0 | encoding,)) + struct.pack(pack, number)
                    return
                except struct.error:
                    continue
        self.length(len(value))
        self.out += value

    def binary_double(self, value: float):
        self.out += struct.pack("<d", value)

    def getvalue(self) -> bytes:
        return bytes(self.out)


# -- reading -------------------------------------------------------------------------------------
class RdbReader:
    def __init__(self, data: bytes):
        self.data = data
        self.position = 0

    def read(self, count: int) -> bytes:
        end = self.position + count
        if count < 0 or end > len(self.data):
            raise RdbError("truncated payload")
        chunk = self.data[self.position : end]
        self.position = end
        return chunk

    def byte(self) -> int:
        return self.read(1)[0]

    def length_or_encoding(self):
        """(value, is_encoding) as rdbLoadLenByRef."""
        first = self.byte()
        kind = first >> 6
        if kind == 3:
            return first & 0x3F, True
        if kind == 0:
            return first & 0x3F, False
        if kind == 1:
            return ((first & 0x3F) << 8) | self.byte(), False
        if first == 0x80:
            return struct.unpack(">I", self.read(4))[0], False
        if first == 0x81:
            return struct.unpack(">Q", self.read(8))[0], False
        raise RdbError("unknown length encoding %d" % first)

    def length(self) -> int:
        value, encoded = self.length_or_encoding()
        if encoded:
            raise RdbError("an encoded value where a length was expected")
        return value

    def string(self) -> bytes:
        value, encoded = self.length_or_encoding()
        if not encoded:
            return self.read(value)
        if value == ENCODING_INT8:
            return b"%d" % struct.unpack("<b", self.read(1))[0]
        if value == ENCODING_INT16:
            return b"%d" % struct.unpack("<h", self.read(2))[0]
        if value == ENCODING_INT32:
            return b"%d" % struct.unpack("<i", self.read(4))[0]
        if value == ENCODING_LZF:
            compressed_length = self.length()
            length = self.length()
            return lzf_decompress(self.read(compressed_length), length)
        raise RdbError("unknown string encoding %d" % value)

    def binary_double(self) -> float:
        return struct.unpack("<d", self.read(8))[0]

    def binary_float(self) -> float:
        return struct.unpack("<f", self.read(4))[0]

    def string_double(self) -> float:
        """rdbLoadDoubleValue: a length byte (253 nan, 254 inf, 255 -inf) then ASCII."""
        size = self.byte()
        special = {253: math.nan, 254: math.inf, 255: -math.inf}
        if size in special:
            return special[size]
        try:
            return float(self.read(size).decode("ascii"))
        except (UnicodeDecodeError, ValueError):
            raise RdbError("bad double") from None


def lzf_decompress(data: bytes, expected_length: int) -> bytes:
    """LZF (lzf_d.c); the result must have exactly the announced length."""
    out = bytearray()
    position = 0
    try:
        while position < len(data):
            control = data[position]
            position += 1
            if control < 32:  # a literal run of control + 1 bytes
                run = data[position : position + control + 1]
                if len(run) != control + 1:
                    raise RdbError("truncated LZF literal")
                out += run
                position += control + 1
                continue
            length = control >> 5
            if length == 7:
                length += data[position]
                position += 1
            reference = len(out) - ((control & 0x1F) << 8) - 1 - data[position]
            position += 1
            if reference < 0:
                raise RdbError("LZF back reference before the start")
            for _ in range(length + 2):  # byte by byte: the copy may overlap itself
                out.append(out[reference])
                reference += 1
    except IndexError:
        raise RdbError("truncated LZF data") from None
    if len(out) != expected_length:
        raise RdbError("LZF length mismatch")
    return bytes(out)


# -- listpack ------------------------------------------------------------------------------------
LISTPACK_EOF = 0xFF
LISTPACK_INT_RANGES = (  # (lowest, highest, encoding byte, width) for 16..64-bit integers
    (-(2**15), 2**15 - 1, 0xF1, 2),
    (-(2**23), 2**23 - 1, 0xF2, 3),
    (-(2**31), 2**31 - 1, 0xF3, 4),
    (-(2**63), 2**63 - 1, 0xF4, 8),
)


def _backlen(size: int) -> bytes:
    """lpEncodeBacklen: the entry size in 7-bit groups, read from the right (its thresholds:
    16383 already takes three bytes)."""
    count = 1
    for limit in (127, 16382, 2097150, 268435454):
        if size <= limit:
            break
        count += 1
    groups = [(size >> (7 * index)) & 127 for index in range(count)]
    return bytes([groups[-1]] + [group | 128 for group in reversed(groups[:-1])])


def listpack_entry(element: bytes) -> bytes:
    """One entry (encoding, data, backlen); strings that are integers are stored as such."""
    number = to_int(element)
    if number is not None:
        if 0 <= number <= 127:
            body = bytes((number,))
        elif -4096 <= number <= 4095:
            number &= 0x1FFF
            body = bytes((0xC0 | (number >> 8), number & 0xFF))
        else:
            for lowest, highest, code, width in LISTPACK_INT_RANGES:
                if lowest <= number <= highest:
                    body = bytes((code,)) + number.to_bytes(width, "little", signed=True)
                    break
    elif len(element) < 64:
        body = bytes((0x80 | len(element),)) + element
    elif len(element) < 4096:
        body = bytes((0xE0 | (len(element) >> 8), len(element) & 0xFF)) + element
    else:
        body = b"\xf0" + struct.pack("<I", len(element)) + element
    return body + _backlen(len(body))


def listpack_entry_size(element: bytes) -> int:
    """len(listpack_entry(element)), without building it."""
    length = len(element)
    if length <= 20 and to_int(element) is not None:
        return len(listpack_entry(element))
    header = 1 if length < 64 else 2 if length < 4096 else 5
    return header + length + len(_backlen(header + length))


def listpack_from_entries(entries) -> bytes:
    """A listpack from already encoded entries."""
    body = b"".join(entries)
    total = 6 + len(body) + 1
    count = min(len(entries), 65535)
    return struct.pack("<IH", total, count) + body + bytes((LISTPACK_EOF,))


def listpack_encode(elements) -> bytes:
    return listpack_from_entries([listpack_entry(element) for element in elements])


def _listpack_int(blob: bytes, position: int, width: int) -> bytes:
    return b"%d" % int.from_bytes(blob[position : position + width], "little", signed=True)


def _listpack_next(blob: bytes, position: int):
    """Decode the entry at position -> (element, position after its data)."""
    first = blob[position]
    if first < 0x80:
        return b"%d" % first, position + 1
    if first & 0xC0 == 0x80:
        size = first & 0x3F
        return blob[position + 1 : position + 1 + size], position + 1 + size
    if first & 0xE0 == 0xC0:
        number = ((first & 0x1F) << 8) | blob[position + 1]
        return b"%d" % (number - 8192 if number >= 4096 else number), position + 2
    if first & 0xF0 == 0xE0:
        size = ((first & 0x0F) << 8) | blob[position + 1]
        return blob[position + 2 : position + 2 + size], position + 2 + size
    widths = {0xF1: 2, 0xF2: 3, 0xF3: 4, 0xF4: 8}
    if first in widths:
        return _listpack_int(blob, position + 1, widths[first]), position + 1 + widths[first]
    if first == 0xF0:
        size = struct.unpack_from("<I", blob, position + 1)[0]
        return blob[position + 5 : position + 5 + size], position + 5 + size
    raise RdbError("bad listpack entry encoding")


def listpack_decode(blob: bytes) -> list:
    if len(blob) < 7 or struct.unpack_from("<I", blob)[0] != len(blob) or blob[-1] != LISTPACK_EOF:
        raise RdbError("bad listpack header")
    declared = struct.unpack_from("<H", blob, 4)[0]
    elements = []
    position = 6
    end = len(blob) - 1
    try:
        while position < end:
            start = position
            element, position = _listpack_next(blob, position)
            backlen = _backlen(position - start)
            if position > end or blob[position : position + len(backlen)] != backlen:
                raise RdbError("bad listpack entry length")
            position += len(backlen)
            elements.append(element)
    except (IndexError, struct.error):
        raise RdbError("truncated listpack") from None
    if position != end or (declared != 65535 and declared != len(elements)):
        raise RdbError("listpack size mismatch")
    return elements


# -- intset --------------------------------------------------------------------------------------
def intset_decode(blob: bytes) -> list:
    if len(blob) < 8:
        raise RdbError("bad intset header")
    width, count = struct.unpack_from("<II", blob)
    if width not in (2, 4, 8) or count == 0 or len(blob) != 8 + width * count:
        raise RdbError("bad intset")
    numbers = [int.from_bytes(blob[8 + i * width : 8 + (i + 1) * width], "little", signed=True)
               for i in range(count)]
    if any(left >= right for left, right in zip(numbers, numbers[1:])):
        raise RdbError("intset not sorted")
    return [b"%d" % number for number in numbers]


# -- module types --------------------------------------------------------------------------------
class ModuleType:
    """A value class saved as RDB_TYPE_MODULE_2 the way its Redis module saves it.

    save(value) -> [(opcode, value), ...]; load(ModuleReader, encoding_version) -> value."""

    __slots__ = ("name", "version", "save", "load")

    def __init__(self, name: bytes, version: int, save, load):
        assert len(name) == 9 and all(c in MODULE_NAME_CHARSET for c in name)
        self.name, self.version, self.save, self.load = name, version, save, load

    def module_id(self) -> int:
        identifier = 0
        for character in self.name:
            identifier = (identifier << 6) | MODULE_NAME_CHARSET.index(character)
        return (identifier << 10) | self.version


MODULE_TYPES_BY_CLASS = {}
MODULE_TYPES_BY_NAME = {}


def register_module_type(cls, module_type: ModuleType):
    MODULE_TYPES_BY_CLASS[cls] = module_type
    MODULE_TYPES_BY_NAME[module_type.name] = module_type


def _module_name(identifier: int) -> bytes:
    characters = [MODULE_NAME_CHARSET[(identifier >> (10 + 6 * (8 - i))) & 63] for i in range(9)]
    return bytes(characters)


class ModuleReader:
    """RedisModule_Load*: each value is preceded by its opcode."""

    def __init__(self, reader: RdbReader):
        self.reader = reader

    def _expect(self, opcode: int):
        if self.reader.length() != opcode:
            raise RdbError("unexpected module value type")

    def unsigned(self) -> int:
        self._expect(MODULE_OPCODE_UINT)
        return self.reader.length()

    def double(self) -> float:
        self._expect(MODULE_OPCODE_DOUBLE)
        return self.reader.binary_double()

    def string(self) -> bytes:
        self._expect(MODULE_OPCODE_STRING)
        return self.reader.string()


def _write_module_value(writer: RdbWriter, module_type: ModuleType, value):
    writer.byte(TYPE_MODULE_2)
    writer.length(module_type.module_id())
    for opcode, field in module_type.save(value):
        writer.length(opcode)
        if opcode in (MODULE_OPCODE_UINT, MODULE_OPCODE_SINT):
            writer.length(field & 0xFFFFFFFFFFFFFFFF)
        elif opcode == MODULE_OPCODE_DOUBLE:
            writer.binary_double(field)
        else:
            writer.string(field)
    writer.length(MODULE_OPCODE_EOF)


def _load_module_value(reader: RdbReader):
    identifier = reader.length()
    module_type = MODULE_TYPES_BY_NAME.get(_module_name(identifier))
    version = identifier & 1023
    if module_type is None or version > module_type.version:
        raise RdbError("unknown module type")
    value = module_type.load(ModuleReader(reader), version)
    if reader.length() != MODULE_OPCODE_EOF:
        raise RdbError("module value not terminated")
    return value


# -- values --------------------------------------------------------------------------------------
def _write_list(writer: RdbWriter, elements):
    nodes, current, size = [], [], 7
    for element in elements:
        entry = listpack_entry(element)
        if current and size + len(entry) > QUICKLIST_NODE_BYTES:
            nodes.append(current)
            current, size = [], 7
        current.append(entry)
        size += len(entry)
    nodes.append(current)
    writer.byte(TYPE_LIST_QUICKLIST_2)
    writer.length(len(nodes))
    for node in nodes:
        writer.length(QUICKLIST_PACKED)
        writer.string(listpack_from_entries(node))


def dump_value(value) -> bytes:
    """The DUMP payload of a value; RdbError for a type with no RDB encoding here."""
    writer = RdbWriter()
    kind = type(value)
    if kind is bytes:
        writer.byte(TYPE_STRING)
        writer.string(value)
    elif kind is deque:
        _write_list(writer, value)
    elif kind is SetValue:
        writer.byte(TYPE_SET)
        writer.length(len(value))
        for member in value:
            writer.string(member)
    elif kind is HashValue:
        writer.byte(TYPE_HASH)
        writer.length(len(value))
        for field, field_value in value.items():
            writer.string(field)
            writer.string(field_value)
    elif kind is ZSetValue:
        writer.byte(TYPE_ZSET_2)
        writer.length(len(value))
        for score, member in reversed(value.ordered):  # highest first, as Redis saves them
            writer.string(member)
            writer.binary_double(score)
    elif kind in MODULE_TYPES_BY_CLASS:
        _write_module_value(writer, MODULE_TYPES_BY_CLASS[kind], value)
    else:
        raise RdbError("no RDB encoding for %s" % kind.__name__)
    return add_footer(writer.getvalue())


def _counted(reader: RdbReader) -> int:
    count = reader.length()
    if count == 0:
        raise RdbError("empty key")
    return count


def _unique(pairs, kind):
    value = kind()
    for key, item in pairs:
        if key in value:
            raise RdbError("duplicate element")
        value[key] = item
    if not value:
        raise RdbError("empty key")
    return value


def _zset(pairs) -> ZSetValue:
    value = ZSetValue()
    for member, score in pairs:
        if score != score or member in value.scores:
            raise RdbError("NaN score or duplicate member")
        value.add(member, score)
    if not len(value):
        raise RdbError("empty key")
    return value


def _listpack_pairs(reader: RdbReader) -> list:
    elements = listpack_decode(reader.string())
    if not elements or len(elements) % 2:
        raise RdbError("listpack with an odd or zero number of elements")
    return list(zip(elements[0::2], elements[1::2]))


def _listpack_score(raw: bytes) -> float:
    try:
        return float(raw)
    except ValueError:
        raise RdbError("bad score") from None


def _load_quicklist(reader: RdbReader) -> deque:
    elements = deque()
    for _ in range(_counted(reader)):
        container = reader.length()
        blob = reader.string()
        if container == QUICKLIST_PLAIN:
            elements.append(blob)
        elif container == QUICKLIST_PACKED:
            elements.extend(listpack_decode(blob))
        else:
            raise RdbError("unknown quicklist container")
    if not elements:
        raise RdbError("empty key")
    return elements


LOADERS = {
    TYPE_STRING: lambda reader: reader.string(),
    TYPE_LIST: lambda reader: deque(reader.string() for _ in range(_counted(reader))),
    TYPE_SET: lambda reader: _unique(
        ((reader.string(), None) for _ in range(_counted(reader))), SetValue),
    TYPE_HASH: lambda reader: _unique(
        ((reader.string(), reader.string()) for _ in range(_counted(reader))), HashValue),
    TYPE_ZSET: lambda reader: _zset(
        (reader.string(), reader.string_double()) for _ in range(_counted(reader))),
    TYPE_ZSET_2: lambda reader: _zset(
        (reader.string(), reader.binary_double()) for _ in range(_counted(reader))),
    TYPE_SET_INTSET: lambda reader: SetValue.fromkeys(intset_decode(reader.string())),
    TYPE_HASH_LISTPACK: lambda reader: _unique(_listpack_pairs(reader), HashValue),
    TYPE_ZSET_LISTPACK: lambda reader: _zset(
        (member, _listpack_score(score)) for member, score in _listpack_pairs(reader)),
    TYPE_LIST_QUICKLIST_2: _load_quicklist,
    TYPE_MODULE_2: _load_module_value,
}


def load_value(payload: bytes):
    """Rebuild the value of a DUMP payload (footer already verified); RdbError if malformed.

    Like Redis, the reader sees the whole payload: bytes left over before the footer are
    ignored, and a value running into the footer reads it."""
    reader = RdbReader(payload)
    loader = LOADERS.get(reader.byte())
    if loader is None:
        raise RdbError("unsupported RDB type")
    return loader(reader)
