"""Geo commands (geo.c, geohash.c, geohash_helper.c of Redis 7.0).

A geo set is a sorted set whose scores are 52-bit interleaved geohashes (26 bits of latitude,
26 of longitude), so every sorted-set command works on it. Everything is computed the way Redis
computes it, operation by operation on doubles (Python's math module calls the same libm), so
scores, distances, coordinates and the order of search results are Redis's own:

- a search estimates a geohash precision from the radius, looks at the centre box and its eight
  neighbours (each one a score range of the sorted set), then keeps the points whose exact
  haversine distance (or box offsets) pass;
- results are sorted like qsort (stable merge sort in glibc) or, when COUNT keeps fewer than were
  found, like Redis's partial quicksort pqsort(), whose order for equal distances differs.
"""
import math

from spinelraft import errors
from spinelraft.command_table import command
from spinelraft.errors import CommandError
from spinelraft.replies import NULL_ARRAY
from spinelraft.statemachine.args import format_long_double, parse_int
from spinelraft.statemachine.commands.zsets import (
    get_zset,
    parse_score,
    store_or_delete,
    zadd_generic,
)
from spinelraft.statemachine.values import ZSetValue

GROUP = "geo"
LONG_MIN, LONG_MAX = -180.0, 180.0
LAT_MIN, LAT_MAX = -85.05112878, 85.05112878
STEP_MAX = 26
EARTH_RADIUS_IN_METERS = 6372797.560856
MERCATOR_MAX = 20037726.37
DEGREES_TO_RADIANS = math.pi / 180.0
UINT64_MASK = (1 << 64) - 1
INT64_MIN = -(1 << 63)
TWO_TO_63 = float(1 << 63)
NAN = float("nan")
UNITS = {b"m": 1.0, b"km": 1000.0, b"ft": 0.3048, b"mi": 1609.34}
GEOHASH_ALPHABET = b"0123456789bcdefghjkmnpqrstuvwxyz"
WGS84_RANGES = ((LONG_MIN, LONG_MAX), (LAT_MIN, LAT_MAX))
STANDARD_RANGES = ((-180.0, 180.0), (-90.0, 90.0))  # what GEOHASH strings are encoded with

UNIT_ERROR = "ERR unsupported unit provided. please use M, KM, FT, MI"
INVALID_PAIR = "ERR invalid longitude,latitude pair %f,%f"
UNDECODABLE_MEMBER = "ERR could not decode requested zset member"
NEED_RADIUS = "ERR need numeric radius"
NEED_WIDTH = "ERR need numeric width"
NEED_HEIGHT = "ERR need numeric height"
NEGATIVE_RADIUS = "ERR radius cannot be negative"
NEGATIVE_BOX = "ERR height or width cannot be negative"
COUNT_NOT_POSITIVE = "ERR COUNT must be > 0"
STORE_WITH_OPTIONS = "ERR %s is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
NEED_CENTER = "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for %s"
NEED_SHAPE = "ERR exactly one of BYRADIUS and BYBOX can be specified for %s"
ANY_WITHOUT_COUNT = "ERR the ANY argument requires COUNT argument"


# -- C arithmetic that Python spells differently ---------------------------------------------------
def c_double_to_int64(value: float) -> int:
    """(long long)value on x86-64: truncation, and INT64_MIN when out of range."""
    if value != value or value >= TWO_TO_63 or value < -TWO_TO_63:
        return INT64_MIN
    return int(value)


def c_double_to_uint64(value: float) -> int:
    """(uint64_t)value as gcc compiles it on x86-64 (a negative score wraps around)."""
    if value < TWO_TO_63:
        return c_double_to_int64(value) & UINT64_MASK
    return (c_double_to_int64(value - TWO_TO_63) ^ (1 << 63)) & UINT64_MASK


def c_cos(value: float) -> float:
    return math.cos(value) if math.isfinite(value) else NAN


def c_asin_sqrt(value: float) -> float:
    """asin(sqrt(value)) with C's NaN instead of Python's ValueError outside the domain."""
    if value != value or value < 0.0:
        return NAN
    root = math.sqrt(value)
    return math.asin(root) if root <= 1.0 else NAN


# -- geohash.c ---------------------------------------------------------------------------------
_SPREAD = ((16, 0x0000FFFF0000FFFF), (8, 0x00FF00FF00FF00FF), (4, 0x0F0F0F0F0F0F0F0F),
           (2, 0x3333333333333333), (1, 0x5555555555555555))
_SQUEEZE = ((0, 0x5555555555555555), (1, 0x3333333333333333), (2, 0x0F0F0F0F0F0F0F0F),
            (4, 0x00FF00FF00FF00FF), (8, 0x0000FFFF0000FFFF), (16, 0x00000000FFFFFFFF))


def interleave(even: int, odd: int) -> int:
    """Bits of `even` (latitude) at even positions, bits of `odd` (longitude) at odd ones."""
    for shift, mask in _SPREAD:
        even = (even | (even << shift)) & mask
        odd = (odd | (odd << shift)) & mask
    return even | (odd << 1)


def deinterleave(bits: int) -> tuple:
    """(latitude part, longitude part), 32 bits each."""
    even, odd = bits, bits >> 1
    for shift, mask in _SQUEEZE:
        even = (even | (even >> shift)) & mask
        odd = (odd | (odd >> shift)) & mask
    return even, odd


def encode(longitude: float, latitude: float, step: int, ranges=WGS84_RANGES):
    """geohashEncode: the step*2 bits of the cell holding the point, None outside the ranges."""
    if longitude > LONG_MAX or longitude < LONG_MIN or latitude > LAT_MAX or latitude < LAT_MIN:
        return None
    (long_min, long_max), (lat_min, lat_max) = ranges
    if latitude < lat_min or latitude > lat_max or longitude < long_min or longitude > long_max:
        return None
    lat_offset = (latitude - lat_min) / (lat_max - lat_min) * float(1 << step)
    long_offset = (longitude - long_min) / (long_max - long_min) * float(1 << step)
    return interleave(int(lat_offset), int(long_offset))


def decode_area(bits: int, step: int, ranges=WGS84_RANGES) -> tuple:
    """geohashDecode -> (long_min, long_max, lat_min, lat_max) of the cell."""
    (long_min, long_max), (lat_min, lat_max) = ranges
    lat_cell, long_cell = deinterleave(bits)
    cells = float(1 << step)
    lat_scale = lat_max - lat_min
    long_scale = long_max - long_min
    return (long_min + (long_cell * 1.0 / cells) * long_scale,
            long_min + (((long_cell + 1) & 0xFFFFFFFF) * 1.0 / cells) * long_scale,
            lat_min + (lat_cell * 1.0 / cells) * lat_scale,
            lat_min + (((lat_cell + 1) & 0xFFFFFFFF) * 1.0 / cells) * lat_scale)


def decode_score(score: float) -> tuple:
    """The (longitude, latitude) a score stands for: the centre of its cell, clamped."""
    long_min, long_max, lat_min, lat_max = decode_area(c_double_to_uint64(score), STEP_MAX)
    longitude = min(max((long_min + long_max) / 2, LONG_MIN), LONG_MAX)
    latitude = min(max((lat_min + lat_max) / 2, LAT_MIN), LAT_MAX)
    return longitude, latitude


def score_of(longitude: float, latitude: float) -> int:
    """GEOADD's score: the step 26 hash (already 52 bits wide)."""
    return encode(longitude, latitude, STEP_MAX)


def _move(bits: int, step: int, direction: int, own_mask: int, other_mask: int) -> int:
    """geohash_move_x / geohash_move_y: one cell along the axis whose bits are `own_mask`."""
    own = bits & own_mask
    other = bits & other_mask
    spacer = other_mask >> (64 - step * 2)
    if direction > 0:
        own = own + (spacer + 1)
    else:
        own = (own | spacer) - (spacer + 1)
    own &= (own_mask >> (64 - step * 2))
    return (own | other) & UINT64_MASK


_X_MASK = 0xAAAAAAAAAAAAAAAA  # longitude bits
_Y_MASK = 0x5555555555555555  # latitude bits


def neighbour(bits: int, step: int, east: int, north: int) -> int:
    if east:
        bits = _move(bits, step, east, _X_MASK, _Y_MASK)
    if north:
        bits = _move(bits, step, north, _Y_MASK, _X_MASK)
    return bits


# -- geohash_helper.c --------------------------------------------------------------------------
def to_radians(degrees: float) -> float:
    return degrees * DEGREES_TO_RADIANS


def to_degrees(radians: float) -> float:
    return radians / DEGREES_TO_RADIANS


def distance(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Haversine distance in meters, as Redis 7.0's geohashGetDistance computes it."""
    lat1r = to_radians(lat1)
    lon1r = to_radians(lon1)
    lat2r = to_radians(lat2)
    lon2r = to_radians(lon2)
    u = math.sin((lat2r - lat1r) / 2)
    v = math.sin((lon2r - lon1r) / 2)
    return 2.0 * EARTH_RADIUS_IN_METERS * c_asin_sqrt(
        u * u + math.cos(lat1r) * math.cos(lat2r) * v * v)


def estimate_step(radius_meters: float, latitude: float) -> int:
    """geohashEstimateStepsByRadius: the coarsest cell size that still covers the radius."""
    if radius_meters == 0:
        return 26
    step = 1
    while radius_meters < MERCATOR_MAX:
        radius_meters *= 2
        step += 1
    step -= 2
    if latitude > 66 or latitude < -66:
        step -= 1
        if latitude > 80 or latitude < -80:
            step -= 1
    return min(max(step, 1), 26)


class Shape:
    """The search area: a circle (radius) or a box (width, height), in `conversion` units."""

    __slots__ = ("longitude", "latitude", "is_box", "radius", "width", "height", "conversion")

    def __init__(self):
        self.longitude = self.latitude = 0.0
        self.is_box = False
        self.radius = self.width = self.height = 0.0
        self.conversion = 1.0

    def bounding_box(self) -> tuple:
        """geohashBoundingBox -> (min_lon, min_lat, max_lon, max_lat)."""
        longitude, latitude = self.longitude, self.latitude
        height = self.conversion * (self.height / 2 if self.is_box else self.radius)
        width = self.conversion * (self.width / 2 if self.is_box else self.radius)
        lat_delta = to_degrees(height / EARTH_RADIUS_IN_METERS)
        long_delta_top = to_degrees(
            width / EARTH_RADIUS_IN_METERS / c_cos(to_radians(latitude + lat_delta)))
        long_delta_bottom = to_degrees(
            width / EARTH_RADIUS_IN_METERS / c_cos(to_radians(latitude - lat_delta)))
        long_delta = long_delta_bottom if latitude < 0 else long_delta_top
        return (longitude - long_delta, latitude - lat_delta,
                longitude + long_delta, latitude + lat_delta)

    def radius_meters(self) -> float:
        if self.is_box:
            half_width, half_height = self.width / 2, self.height / 2
            radius = math.sqrt(half_width * half_width + half_height * half_height)
        else:
            radius = self.radius
        return radius * self.conversion

    def distance_if_inside(self, longitude: float, latitude: float):
        """The distance from the centre in meters when the point is in the area, else None."""
        if not self.is_box:
            meters = distance(self.longitude, self.latitude, longitude, latitude)
            return None if meters > self.radius * self.conversion else meters
        lon_distance = distance(longitude, latitude, self.longitude, latitude)
        lat_distance = distance(longitude, latitude, longitude, self.latitude)
        if (lon_distance > self.width * self.conversion / 2
                or lat_distance > self.height * self.conversion / 2):
            return None
        return distance(self.longitude, self.latitude, longitude, latitude)


# Neighbour directions (east, north) in the order Redis visits the boxes, centre first.
DIRECTIONS = ((0, 0), (0, 1), (0, -1), (1, 0), (-1, 0), (1, 1), (-1, 1), (1, -1), (-1, -1))
NORTH, SOUTH, EAST, WEST = 1, 2, 3, 4
NORTH_SIDE, SOUTH_SIDE, EAST_SIDE, WEST_SIDE = (1, 5, 6), (2, 7, 8), (3, 5, 7), (4, 6, 8)


def _cells(shape: Shape, step: int) -> list:
    bits = encode(shape.longitude, shape.latitude, step)
    return [neighbour(bits, step, east, north) for east, north in DIRECTIONS]


def search_boxes(shape: Shape) -> list:
    """geohashCalculateAreasByShapeWGS84: the nine (bits, step) boxes to scan, None if useless."""
    min_lon, min_lat, max_lon, max_lat = shape.bounding_box()
    step = estimate_step(shape.radius_meters(), shape.latitude)
    cells = _cells(shape, step)
    north = decode_area(cells[NORTH], step)
    south = decode_area(cells[SOUTH], step)
    east = decode_area(cells[EAST], step)
    west = decode_area(cells[WEST], step)
    too_small = (north[3] < max_lat or south[2] > min_lat
                 or east[1] < max_lon or west[0] > min_lon)
    if step > 1 and too_small:
        step -= 1
        cells = _cells(shape, step)
    boxes = [(bits, step) for bits in cells]
    if step >= 2:
        long_min, long_max, lat_min, lat_max = decode_area(cells[0], step)
        excluded = []
        if lat_min < min_lat:
            excluded += SOUTH_SIDE
        if lat_max > max_lat:
            excluded += NORTH_SIDE
        if long_min < min_lon:
            excluded += WEST_SIDE
        if long_max > max_lon:
            excluded += EAST_SIDE
        for index in excluded:
            boxes[index] = None
    return boxes


# -- collecting points ---------------------------------------------------------------------------
def _points_in_box(zset: ZSetValue, box, shape: Shape, points: list, limit: int):
    """Members whose score lies in the box's score range [min, max) and inside the shape."""
    bits, step = box
    shift = 52 - step * 2
    low, high = bits << shift, (bits + 1) << shift
    ordered = zset.ordered
    for score, member in ordered.islice(ordered.bisect_left((low,))):
        if not score < high:
            break
        longitude, latitude = decode_score(score)
        meters = shape.distance_if_inside(longitude, latitude)
        if meters is not None:
            points.append([meters, longitude, latitude, score, member])
        if points and limit and len(points) >= limit:
            break


def collect_points(zset: ZSetValue, shape: Shape, limit: int) -> list:
    """membersOfAllNeighbors: [distance, longitude, latitude, score, member] per point found."""
    boxes = search_boxes(shape)
    points = []
    last_processed = 0
    for index, box in enumerate(boxes):
        if box is None:
            continue
        # Huge radii make neighbours repeat; Redis skips a box equal to the last one scanned
        # (never comparing with the centre, whose index 0 reads as "none yet").
        if last_processed and box == boxes[last_processed]:
            continue
        if points and limit and len(points) >= limit:
            break
        _points_in_box(zset, box, shape, points, limit)
        last_processed = index
    return points


# -- sorting like Redis ----------------------------------------------------------------------------
def _compare_ascending(a, b) -> int:
    if a[0] > b[0]:
        return 1
    if a[0] == b[0]:
        return 0
    return -1


def _compare_descending(a, b) -> int:
    return -_compare_ascending(a, b)


def merge_sort(items: list, compare) -> list:
    """glibc's qsort (a stable top-down merge sort), kept for comparisons that are not a total
    order (NaN distances); otherwise any stable sort gives the same result."""
    if len(items) <= 1:
        return items
    half = len(items) // 2
    left, right = merge_sort(items[:half], compare), merge_sort(items[half:], compare)
    merged = []
    i = j = 0
    while i < len(left) and j < len(right):
        if compare(left[i], right[j]) <= 0:
            merged.append(left[i])
            i += 1
        else:
            merged.append(right[j])
            j += 1
    return merged + left[i:] + right[j:]


def _median_of_three(items, a, b, c, compare) -> int:
    if compare(items[a], items[b]) < 0:
        if compare(items[b], items[c]) < 0:
            return b
        return c if compare(items[a], items[c]) < 0 else a
    if compare(items[b], items[c]) > 0:
        return b
    return a if compare(items[a], items[c]) < 0 else c


def _insertion_sort(items, start: int, count: int, compare):
    for current in range(start + 1, start + count):
        position = current
        while position > start and compare(items[position - 1], items[position]) > 0:
            items[position], items[position - 1] = items[position - 1], items[position]
            position -= 1


def _swap_blocks(items, a: int, b: int, count: int):
    for offset in range(count):
        items[a + offset], items[b + offset] = items[b + offset], items[a + offset]


def _pivot(items, start: int, count: int, compare) -> int:
    middle = start + count // 2
    if count > 7:
        low, high = start, start + count - 1
        if count > 40:
            step = count // 8
            low = _median_of_three(items, low, low + step, low + 2 * step, compare)
            middle = _median_of_three(items, middle - step, middle, middle + step, compare)
            high = _median_of_three(items, high - 2 * step, high - step, high, compare)
        middle = _median_of_three(items, low, middle, high, compare)
    return middle


def _outside(start: int, count: int, left: int, right: int) -> bool:
    """True when [start, start+count) does not touch the wanted ranks [left, right]."""
    last = start + count - 1
    return (left < start and right < start) or (left > last and right > last)


def _partition(items, start: int, count: int, compare) -> tuple:
    """One Bentley-McIlroy 3-way partition -> (pa, pb, pc, pd) as pqsort.c names them."""
    pivot = _pivot(items, start, count, compare)
    items[start], items[pivot] = items[pivot], items[start]
    pa = pb = start + 1
    pc = pd = start + count - 1
    while True:
        while pb <= pc:
            result = compare(items[pb], items[start])
            if result > 0:
                break
            if result == 0:
                items[pa], items[pb] = items[pb], items[pa]
                pa += 1
            pb += 1
        while pb <= pc:
            result = compare(items[pc], items[start])
            if result < 0:
                break
            if result == 0:
                items[pc], items[pd] = items[pd], items[pc]
                pd -= 1
            pc -= 1
        if pb > pc:
            return pa, pb, pc, pd
        items[pb], items[pc] = items[pc], items[pb]
        pb += 1
        pc -= 1


def partial_sort(items: list, compare, left: int, right: int, start: int = 0, count=None):
    """Redis's pqsort(): quicksort that only recurses into parts overlapping ranks [left, right].

    This is the routine as the Redis 7.0.15 binary runs it: without the "no swap seen, finish
    with an insertion sort" shortcut of the NetBSD original. Elements of equal distance come out
    in its order, not in their original one.
    """
    count = len(items) if count is None else count
    while True:
        if count < 7:
            _insertion_sort(items, start, count, compare)
            return
        pa, pb, pc, pd = _partition(items, start, count, compare)
        end = start + count
        size = min(pa - start, pb - pa)
        _swap_blocks(items, start, pb - size, size)
        size = min(pd - pc, end - pd - 1)
        _swap_blocks(items, pb, end - size, size)
        size = pb - pa
        if size > 1 and not _outside(start, size, left, right):
            partial_sort(items, compare, left, right, start, size)
        size = pd - pc
        if size <= 1:
            return
        start, count = end - size, size
        if _outside(start, count, left, right):
            return


def sort_points(points: list, descending: bool, returned: int) -> list:
    """qsort when every point is returned, pqsort when COUNT keeps only the first ones."""
    compare = _compare_descending if descending else _compare_ascending
    if returned < len(points):
        partial_sort(points, compare, 0, returned - 1)
        return points
    if any(point[0] != point[0] for point in points):
        return merge_sort(points, compare)
    points.sort(key=lambda point: point[0], reverse=descending)
    return points


# -- argument parsing ------------------------------------------------------------------------------
def parse_lonlat(longitude_raw: bytes, latitude_raw: bytes) -> tuple:
    """extractLongLatOrReply: two doubles inside the indexable area."""
    longitude, latitude = parse_score(longitude_raw), parse_score(latitude_raw)
    if (longitude < LONG_MIN or longitude > LONG_MAX
            or latitude < LAT_MIN or latitude > LAT_MAX):
        raise CommandError(INVALID_PAIR % (longitude, latitude))
    return longitude, latitude


def parse_unit(raw: bytes) -> float:
    """Meters per unit."""
    factor = UNITS.get(raw.lower())
    if factor is None:
        raise CommandError(UNIT_ERROR)
    return factor


def parse_radius(shape: Shape, radius_raw: bytes, unit_raw: bytes):
    radius = parse_score(radius_raw, NEED_RADIUS)
    if radius < 0:
        raise CommandError(NEGATIVE_RADIUS)
    shape.radius = radius
    shape.conversion = parse_unit(unit_raw)
    shape.is_box = False


def parse_box(shape: Shape, width_raw: bytes, height_raw: bytes, unit_raw: bytes):
    width = parse_score(width_raw, NEED_WIDTH)
    height = parse_score(height_raw, NEED_HEIGHT)
    if height < 0 or width < 0:
        raise CommandError(NEGATIVE_BOX)
    shape.width, shape.height = width, height
    shape.conversion = parse_unit(unit_raw)
    shape.is_box = True


def member_position(zset: ZSetValue, member: bytes) -> tuple:
    score = zset.scores.get(member)
    if score is None:
        raise CommandError(UNDECODABLE_MEMBER)
    return decode_score(score)


# Search kinds, as georadiusGeneric's flags.
BY_COORDINATES, BY_MEMBER, SEARCH = "coordinates", "member", "search"


class Search:
    """Everything a GEORADIUS* / GEOSEARCH* call asked for."""

    __slots__ = ("name", "kind", "can_store", "search_store", "shape", "store_key",
                 "store_distance", "with_distance", "with_hash", "with_coordinates",
                 "descending", "ascending", "any", "count", "from_member", "from_lonlat",
                 "by_radius", "by_box")

    def __init__(self, name: str, kind: str, can_store: bool, search_store: bool):
        self.name, self.kind = name, kind
        self.can_store, self.search_store = can_store, search_store
        self.shape = Shape()
        self.store_key = None
        self.store_distance = self.with_distance = self.with_hash = False
        self.with_coordinates = self.descending = self.ascending = self.any = False
        self.count = 0
        self.from_member = self.from_lonlat = self.by_radius = self.by_box = False


_FLAG_WORDS = {b"WITHDIST": "with_distance", b"WITHHASH": "with_hash",
               b"WITHCOORD": "with_coordinates", b"ANY": "any"}


def _parse_count(search: Search, raw: bytes):
    count = parse_int(raw)
    if count <= 0:
        raise CommandError(COUNT_NOT_POSITIVE)
    search.count = count


def _parse_search_word(search: Search, zset, word: bytes, args, i: int) -> int:
    """GEOSEARCH-only options (FROMMEMBER FROMLONLAT BYRADIUS BYBOX) -> arguments consumed, or 0."""
    remaining = len(args) - i - 1
    if word == b"FROMMEMBER" and remaining >= 1 and not search.from_lonlat:
        if zset is not None:  # without a source key the reply is empty: only parse on
            shape = search.shape
            shape.longitude, shape.latitude = member_position(zset, args[i + 1])
        search.from_member = True
        return 2
    if word == b"FROMLONLAT" and remaining >= 2 and not search.from_member:
        search.shape.longitude, search.shape.latitude = parse_lonlat(args[i + 1], args[i + 2])
        search.from_lonlat = True
        return 3
    if word == b"BYRADIUS" and remaining >= 2 and not search.by_box:
        parse_radius(search.shape, args[i + 1], args[i + 2])
        search.by_radius = True
        return 3
    if word == b"BYBOX" and remaining >= 3 and not search.by_radius:
        parse_box(search.shape, args[i + 1], args[i + 2], args[i + 3])
        search.by_box = True
        return 4
    return 0


def _parse_option(search: Search, zset, args, i: int) -> int:
    """One option at args[i] -> how many arguments it took; errors exactly where Redis has them."""
    word = args[i].upper()
    has_value = i + 1 < len(args)
    if word in _FLAG_WORDS:
        setattr(search, _FLAG_WORDS[word], True)
        return 1
    if word in (b"ASC", b"DESC"):
        search.ascending, search.descending = word == b"ASC", word == b"DESC"
        return 1
    if word == b"COUNT" and has_value:
        _parse_count(search, args[i + 1])
        return 2
    if word in (b"STORE", b"STOREDIST") and has_value and search.can_store:
        search.store_key, search.store_distance = args[i + 1], word == b"STOREDIST"
        return 2
    if word == b"STOREDIST" and search.search_store:
        search.store_distance = True
        return 1
    if search.kind == SEARCH:
        taken = _parse_search_word(search, zset, word, args, i)
        if taken:
            return taken
    raise CommandError(errors.SYNTAX)


def _check_search(search: Search):
    if search.store_key is not None and (
            search.with_distance or search.with_hash or search.with_coordinates):
        raise CommandError(STORE_WITH_OPTIONS % (
            "GEOSEARCHSTORE" if search.search_store else "STORE option in GEORADIUS"))
    if search.kind == SEARCH and not (search.from_member or search.from_lonlat):
        raise CommandError(NEED_CENTER % search.name)
    if search.kind == SEARCH and not (search.by_radius or search.by_box):
        raise CommandError(NEED_SHAPE % search.name)
    if search.any and not search.count:
        raise CommandError(ANY_WITHOUT_COUNT)


def parse_search(search: Search, zset, args) -> None:
    """georadiusGeneric's argument handling; `args` excludes the command name."""
    shape = search.shape
    if search.kind == BY_COORDINATES:
        first_option = 5
        shape.longitude, shape.latitude = parse_lonlat(args[1], args[2])
        parse_radius(shape, args[3], args[4])
    elif search.kind == BY_MEMBER:
        first_option = 4
        if zset is not None:  # a missing key parses the options only, then replies empty
            shape.longitude, shape.latitude = member_position(zset, args[1])
            parse_radius(shape, args[2], args[3])
    else:
        first_option = 2 if search.search_store else 1
        if search.search_store:
            search.store_key = args[0]
    i = first_option
    while i < len(args):
        i += _parse_option(search, zset, args, i)
    _check_search(search)


# -- replies -------------------------------------------------------------------------------------
def format_distance(meters: float) -> bytes:
    """addReplyDoubleDistance: Redis's fixedpoint_d2string(value, 4), which rounds
    value * 10000 to an integer (llrint, ties to even) rather than printing "%.4f"."""
    if meters == 0:
        return b"0.0000"
    scaled = meters * 10000.0
    if scaled != scaled or scaled >= TWO_TO_63 or scaled < -TWO_TO_63:
        units = INT64_MIN
    else:
        units = round(scaled)
    sign = b"-" if units < 0 else b""
    integer, fraction = divmod(abs(units), 10000)
    return b"%s%d.%04d" % (sign, integer, fraction)


def format_coordinate(value: float) -> bytes:
    """addReplyHumanLongDouble: %.17Lf without trailing zeros."""
    return format_long_double(value)


def _point_reply(search: Search, point) -> object:
    meters, longitude, latitude, score, member = point
    if not (search.with_distance or search.with_hash or search.with_coordinates):
        return member
    item = [member]
    if search.with_distance:
        item.append(format_distance(meters / search.shape.conversion))
    if search.with_hash:
        item.append(c_double_to_int64(score))
    if search.with_coordinates:
        item.append([format_coordinate(longitude), format_coordinate(latitude)])
    return item


def _store_points(ctx, search: Search, points) -> int:
    result = ZSetValue()
    for meters, _, _, score, member in points:
        result.add(member, meters / search.shape.conversion if search.store_distance else score)
    return store_or_delete(ctx, search.store_key, result)


def run_search(ctx, args, search: Search, source_key: bytes):
    """georadiusGeneric: parse, find, sort, then reply or store."""
    zset = get_zset(ctx, source_key)
    parse_search(search, zset, args)
    if zset is None:
        if search.store_key is not None:
            ctx.delete(search.store_key)
            return 0
        return []
    # COUNT without an order asks for the nearest ones (ANY takes whatever comes first).
    descending = search.descending
    sort = search.ascending or descending or (search.count != 0 and not search.any)
    points = collect_points(zset, search.shape, search.count if search.any else 0)
    if not points and search.store_key is None:
        return []
    returned = len(points) if search.count == 0 else min(len(points), search.count)
    if sort:
        points = sort_points(points, descending, returned)
    points = points[:returned]
    if search.store_key is not None:
        return _store_points(ctx, search, points)
    return [_point_reply(search, point) for point in points]


def _store_keys(first_option: int):
    """keys_fn for GEORADIUS*: the source key, plus the target of STORE / STOREDIST."""
    def keys_fn(argv):
        indexes = [1] if len(argv) > 1 else []
        for index in range(first_option, len(argv) - 1):
            if argv[index].upper() in (b"STORE", b"STOREDIST"):
                indexes.append(index + 1)
        return indexes
    return keys_fn


# -- commands ----------------------------------------------------------------------------------
@command("geoadd", -5, "write denyoom", keys=(1, 1, 1), group=GROUP)
def geoadd(ctx, args):
    """Add members with their longitude and latitude to a geo set (NX XX CH)."""
    flags = {}
    index = 1
    while index < len(args) and args[index].upper() in (b"NX", b"XX", b"CH"):
        flags[args[index].upper()] = True
        index += 1
    triples = args[index:]
    if not triples or len(triples) % 3 or (flags.get(b"NX") and flags.get(b"XX")):
        raise CommandError(errors.SYNTAX)
    elements = []
    for position in range(0, len(triples), 3):
        longitude, latitude = parse_lonlat(triples[position], triples[position + 1])
        elements.append((float(score_of(longitude, latitude)), triples[position + 2]))
    return zadd_generic(ctx, args[0], flags, elements)


@command("geodist", -4, "readonly", keys=(1, 1, 1), group=GROUP)
def geodist(ctx, args):
    """Distance between two members of a geo set (M KM FT MI)."""
    to_meters = 1.0
    if len(args) == 4:
        to_meters = parse_unit(args[3])
    elif len(args) > 4:
        raise CommandError(errors.SYNTAX)
    zset = get_zset(ctx, args[0])
    if zset is None:
        return None
    first, second = zset.scores.get(args[1]), zset.scores.get(args[2])
    if first is None or second is None:
        return None
    first_lon, first_lat = decode_score(first)
    second_lon, second_lat = decode_score(second)
    return format_distance(distance(first_lon, first_lat, second_lon, second_lat) / to_meters)


def geohash_string(score: float) -> bytes:
    """The standard 11-character geohash of a member (re-encoded with latitudes -90..90)."""
    longitude, latitude = decode_score(score)
    bits = encode(longitude, latitude, STEP_MAX, STANDARD_RANGES)
    characters = [GEOHASH_ALPHABET[(bits >> (52 - (i + 1) * 5)) & 0x1F] for i in range(10)]
    # 52 bits make ten characters and two bits; Redis pads with "0" for an 11-character hash.
    return bytes(characters) + b"0"


@command("geohash", -2, "readonly", keys=(1, 1, 1), group=GROUP)
def geohash(ctx, args):
    """Members of a geo set as standard geohash strings."""
    zset = get_zset(ctx, args[0])
    scores = zset.scores if zset is not None else {}
    reply = []
    for member in args[1:]:
        score = scores.get(member)
        reply.append(None if score is None else geohash_string(score))
    return reply


@command("geopos", -2, "readonly", keys=(1, 1, 1), group=GROUP)
def geopos(ctx, args):
    """Longitude and latitude of members of a geo set."""
    zset = get_zset(ctx, args[0])
    scores = zset.scores if zset is not None else {}
    reply = []
    for member in args[1:]:
        score = scores.get(member)
        if score is None:
            reply.append(NULL_ARRAY)
        else:
            longitude, latitude = decode_score(score)
            reply.append([format_coordinate(longitude), format_coordinate(latitude)])
    return reply


@command("georadius", -6, "write denyoom movablekeys", keys=(1, 1, 1), keys_fn=_store_keys(6),
         group=GROUP)
def georadius(ctx, args):
    """Members of a geo set within a radius of a point (STORE / STOREDIST)."""
    return run_search(ctx, args, Search("GEORADIUS", BY_COORDINATES, True, False), args[0])


@command("georadiusbymember", -5, "write denyoom movablekeys", keys=(1, 1, 1),
         keys_fn=_store_keys(5), group=GROUP)
def georadiusbymember(ctx, args):
    """Members of a geo set within a radius of one of its members (STORE / STOREDIST)."""
    return run_search(ctx, args, Search("GEORADIUSBYMEMBER", BY_MEMBER, True, False), args[0])


@command("georadius_ro", -6, "readonly", keys=(1, 1, 1), group=GROUP)
def georadius_ro(ctx, args):
    """Members of a geo set within a radius of a point (read-only)."""
    return run_search(ctx, args, Search("GEORADIUS_RO", BY_COORDINATES, False, False), args[0])


@command("georadiusbymember_ro", -5, "readonly", keys=(1, 1, 1), group=GROUP)
def georadiusbymember_ro(ctx, args):
    """Members of a geo set within a radius of one of its members (read-only)."""
    search = Search("GEORADIUSBYMEMBER_RO", BY_MEMBER, False, False)
    return run_search(ctx, args, search, args[0])


@command("geosearch", -7, "readonly", keys=(1, 1, 1), group=GROUP)
def geosearch(ctx, args):
    """Members of a geo set inside a circle or a box (FROMMEMBER FROMLONLAT BYRADIUS BYBOX)."""
    return run_search(ctx, args, Search("GEOSEARCH", SEARCH, False, False), args[0])


@command("geosearchstore", -8, "write denyoom", keys=(1, 2, 1), group=GROUP)
def geosearchstore(ctx, args):
    """GEOSEARCH, storing the members (or their distances, STOREDIST) in a sorted set."""
    return run_search(ctx, args, Search("GEOSEARCHSTORE", SEARCH, False, True), args[1])
