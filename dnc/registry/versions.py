"""One immutable registry version on disk, memory-mapped, and its membership test.

A *base* version holds every number: ``offsets.npy`` (bucket start positions, the high bits
of the key) and ``low.npy`` (the low 16 bits of each key, sorted within its bucket), about
2 bytes a number. A *delta* version refers to a base and adds ``added.npy`` and
``deleted.npy`` (sorted keys): FTC change lists apply without rebuilding the base.
"""

from __future__ import annotations

import json
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from dnc.interfaces import RegistryKind, RegistryVersion
from dnc.registry.keys import KEY_SPACE

_SMALL_BYTES = 1 << 20
_SLOT_BITS = 24          # keys < 2**33, so key << 24 | slot fits an int64
_QUERY_CHUNK = 1 << _SLOT_BITS


@dataclass(frozen=True, slots=True)
class VersionMeta:
    """``meta.json`` of a version directory."""

    registry: str
    kind: str
    version: str
    sequence: int
    as_of: str                 # ISO date-time, timezone-aware
    count: int
    base: str                  # directory name of the base version ("" for itself)
    shift: int                 # key >> shift is the bucket
    search_steps: int          # binary-search steps that cover the largest bucket
    added: int = 0
    deleted: int = 0
    created_at: str = ""
    sources: tuple[str, ...] = ()
    sellers: tuple[str, ...] = ()
    """The sellers whose campaigns a list of one's own binds (``dnc import --seller``);
    empty: every campaign. Kept with the version it was imported with, so a past decision
    is explained with the scope then in force."""

    def registry_version(self) -> RegistryVersion:
        return RegistryVersion(self.registry, RegistryKind(self.kind), self.version,
                               datetime.fromisoformat(self.as_of), self.count,
                               self.sellers)

    def to_json(self) -> dict:
        return asdict(self)


def choose_shift(count: int) -> int:
    """Bucket width so an average bucket holds ~64 numbers (kept within 8..16 bits)."""
    if count <= 0:
        return 16
    width = KEY_SPACE * 64 // count
    return max(8, min(16, int(width).bit_length() - 1))


def base_arrays(keys: np.ndarray, shift: int) -> tuple[np.ndarray, np.ndarray, int]:
    """(offsets, low, search_steps) from sorted unique keys."""
    buckets = (KEY_SPACE >> shift) + 1
    dtype = np.uint32 if len(keys) < 2**32 else np.int64
    offsets = np.zeros(buckets + 1, dtype=dtype)
    counts = np.bincount(keys >> shift, minlength=buckets)
    np.cumsum(counts, out=offsets[1:])
    low = (keys & ((1 << shift) - 1)).astype(np.uint16)
    largest = int(counts.max()) if len(counts) else 0
    return offsets, low, largest.bit_length()


def _load(path: Path) -> np.ndarray:
    if path.stat().st_size <= _SMALL_BYTES:
        return np.load(path)
    return np.load(path, mmap_mode="r")


class BaseIndex:
    """Membership in a base version, memory-mapped (opening reads only the headers)."""

    def __init__(self, directory: Path, meta: VersionMeta) -> None:
        self.shift = meta.shift
        self.mask = (1 << meta.shift) - 1
        self.steps = meta.search_steps
        # Plain ndarray views of the maps: numpy's take() is several times slower on a
        # np.memmap subclass than on the same memory as an ndarray.
        self.offsets = np.asarray(_load(directory / "offsets.npy"))
        self.low = np.asarray(_load(directory / "low.npy"))
        self.mapped_bytes = int(self.offsets.nbytes + self.low.nbytes)
        # A single look-up reads Python ints through memoryviews of the same maps: indexing
        # a numpy array returns a numpy scalar (~100 ns each), a memoryview a plain int.
        self._offsets_view = _view(self.offsets)
        self._low_view = _view(self.low)

    def contains(self, key: int) -> bool:
        bucket = key >> self.shift
        offsets = self._offsets_view
        start, stop = offsets[bucket], offsets[bucket + 1]
        if start == stop:
            return False
        want = key & self.mask
        low = self._low_view
        at = bisect_left(low, want, start, stop)
        return at < stop and low[at] == want

    def contains_many(self, keys: np.ndarray) -> np.ndarray:
        """Vectorised membership of many keys (-1 or out of range: not listed).

        Queries are sorted first (key and original position packed into one int64, so no
        argsort is needed): the binary-search probes then walk the mapped arrays in order,
        which is what keeps a 500 MB array fast.
        """
        keys = np.asarray(keys, dtype=np.int64)
        found = np.zeros(len(keys), dtype=bool)
        if not len(self.low):
            return found
        for start in range(0, len(keys), _QUERY_CHUNK):
            part = keys[start:start + _QUERY_CHUNK]
            in_range = (part >= 0) & (part < KEY_SPACE)
            if in_range.all():
                packed = part << _SLOT_BITS
                packed |= np.arange(len(part), dtype=np.int64)
            else:
                slots = np.flatnonzero(in_range)
                packed = (part[slots] << _SLOT_BITS) | slots
            packed.sort()
            sorted_keys = packed >> _SLOT_BITS
            packed &= (1 << _SLOT_BITS) - 1
            found[start + packed] = self._search_sorted(sorted_keys)
        return found

    def _search_sorted(self, keys: np.ndarray) -> np.ndarray:
        """Binary lifting: a fixed number of probe rounds covers the largest bucket.

        A probe past the bucket is clamped to its last element: if that element is smaller
        the key is absent whichever way the position overshoots, so no bound test is needed.
        """
        buckets = keys >> self.shift
        position = self.offsets[buckets].astype(np.int64)
        end = self.offsets[buckets + 1].astype(np.int64)
        last_in_bucket = end - 1
        want = (keys & self.mask).astype(np.uint16)
        probe = np.empty_like(position)
        values = np.empty(len(keys), dtype=np.uint16)
        smaller = np.empty(len(keys), dtype=bool)
        jump = np.empty_like(position)
        step = 1 << max(self.steps - 1, 0)
        while step:
            np.add(position, step - 1, out=probe)
            np.minimum(probe, last_in_bucket, out=probe)
            np.take(self.low, probe, out=values, mode="clip")
            np.less(values, want, out=smaller)
            np.multiply(smaller, step, out=jump)
            position += jump
            step >>= 1
        hit = position < end
        np.minimum(position, len(self.low) - 1, out=position)
        np.take(self.low, position, out=values)
        hit &= values == want
        return hit


def sorted_member(sorted_keys: np.ndarray, keys: np.ndarray) -> np.ndarray:
    if not len(sorted_keys):
        return np.zeros(len(keys), dtype=bool)
    at = np.searchsorted(sorted_keys, keys)
    return sorted_keys[np.minimum(at, len(sorted_keys) - 1)] == keys


class LoadedVersion:
    """A version ready for look-ups: base index plus the change-list overlay."""

    def __init__(self, registry_dir: Path, name: str) -> None:
        directory = registry_dir / name
        self.meta = VersionMeta(**read_meta(directory))
        self.directory = directory
        base_dir = registry_dir / self.meta.base if self.meta.base else directory
        base_meta = VersionMeta(**read_meta(base_dir)) if self.meta.base else self.meta
        self.base = BaseIndex(base_dir, base_meta)
        if self.meta.base:
            self.added = np.load(directory / "added.npy")
            self.deleted = np.load(directory / "deleted.npy")
        else:
            self.added = self.deleted = np.empty(0, dtype=np.int64)
        self._added_view = _view(self.added)
        self._deleted_view = _view(self.deleted)
        self.info = self.meta.registry_version()

    @property
    def mapped_bytes(self) -> int:
        return self.base.mapped_bytes + int(self.added.nbytes + self.deleted.nbytes)

    def probe(self) -> Callable[[int], bool]:
        """``contains``, or the base's own when this version changes nothing over its base
        (one call less per look-up)."""
        if not self._added_view and not self._deleted_view:
            return self.base.contains
        return self.contains

    def contains(self, key: int) -> bool:
        if self._added_view and _in_sorted(self._added_view, key):
            return True
        if not self.base.contains(key):
            return False
        return not (self._deleted_view and _in_sorted(self._deleted_view, key))

    def contains_many(self, keys: np.ndarray) -> np.ndarray:
        hit = self.base.contains_many(keys)
        if len(self.deleted):
            hit &= ~sorted_member(self.deleted, keys)
        if len(self.added):
            hit |= sorted_member(self.added, keys)
        return hit

    def all_keys(self) -> np.ndarray:
        """Every listed key, sorted (used for compaction and tests)."""
        offsets = np.asarray(self.base.offsets, dtype=np.int64)
        counts = np.diff(offsets)
        buckets = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
        keys = (buckets << self.base.shift) | np.asarray(self.base.low, dtype=np.int64)
        if len(self.deleted):
            keys = keys[~sorted_member(self.deleted, keys)]
        if len(self.added):
            keys = np.union1d(keys, self.added)
        return keys


def _view(array: np.ndarray) -> memoryview:
    """A flat read-only view whose items are Python ints (``bisect`` works on it)."""
    return memoryview(np.ascontiguousarray(array).reshape(-1)).toreadonly()


def _in_sorted(sorted_keys: memoryview, key: int) -> bool:
    at = bisect_left(sorted_keys, key)
    return at < len(sorted_keys) and sorted_keys[at] == key


def read_meta(directory: Path) -> dict:
    raw = json.loads((directory / "meta.json").read_text())
    raw["sources"] = tuple(raw.get("sources", ()))
    raw["sellers"] = tuple(raw.get("sellers", ()))
    return raw
