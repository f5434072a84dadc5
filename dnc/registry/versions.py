"""One immutable registry version on disk, memory-mapped, and its membership test.

A *base* version holds every number: ``offsets.npy`` (bucket start positions, the high bits
of the key) and ``low.npy`` (the low 16 bits of each key, sorted within its bucket), about
2 bytes a number. A *delta* version refers to a base and adds ``added.npy`` and
``deleted.npy`` (sorted keys): FTC change lists apply without rebuilding the base.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from dnc.interfaces import RegistryKind, RegistryVersion
from dnc.registry.keys import KEY_SPACE

_SMALL_BYTES = 1 << 20


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

    def registry_version(self) -> RegistryVersion:
        return RegistryVersion(self.registry, RegistryKind(self.kind), self.version,
                               datetime.fromisoformat(self.as_of), self.count)

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
        self.offsets = _load(directory / "offsets.npy")
        self.low = _load(directory / "low.npy")
        self.mapped_bytes = int(self.offsets.nbytes + self.low.nbytes)

    def contains(self, key: int) -> bool:
        bucket = key >> self.shift
        start, stop = int(self.offsets[bucket]), int(self.offsets[bucket + 1])
        if start == stop:
            return False
        segment = self.low[start:stop]
        want = key & self.mask
        at = int(segment.searchsorted(want))
        return at < len(segment) and int(segment[at]) == want

    def contains_many(self, keys: np.ndarray) -> np.ndarray:
        """Vectorised: a fixed number of binary-search steps over all keys at once."""
        keys = np.asarray(keys, dtype=np.int64)
        found = np.zeros(len(keys), dtype=bool)
        ok = (keys >= 0) & (keys < KEY_SPACE)
        if not len(self.low) or not ok.any():
            return found
        sel = np.flatnonzero(ok) if not ok.all() else None
        want_keys = keys if sel is None else keys[sel]
        buckets = want_keys >> self.shift
        lo = self.offsets[buckets].astype(np.int64)
        end = self.offsets[buckets + 1].astype(np.int64)
        hi = end.copy()
        want = (want_keys & self.mask).astype(np.uint16)
        last = len(self.low) - 1
        for _ in range(self.steps):
            mid = (lo + hi) >> 1
            below = self.low[np.minimum(mid, last)] < want
            open_ = lo < hi
            lo = np.where(open_ & below, mid + 1, lo)
            hi = np.where(open_ & ~below, mid, hi)
        hit = (lo < end) & (self.low[np.minimum(lo, last)] == want)
        if sel is None:
            return hit
        found[sel] = hit
        return found


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
        self.info = self.meta.registry_version()

    @property
    def mapped_bytes(self) -> int:
        return self.base.mapped_bytes + int(self.added.nbytes + self.deleted.nbytes)

    def contains(self, key: int) -> bool:
        if len(self.added) and _in_sorted(self.added, key):
            return True
        if not self.base.contains(key):
            return False
        return not (len(self.deleted) and _in_sorted(self.deleted, key))

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


def _in_sorted(sorted_keys: np.ndarray, key: int) -> bool:
    at = int(sorted_keys.searchsorted(key))
    return at < len(sorted_keys) and int(sorted_keys[at]) == key


def read_meta(directory: Path) -> dict:
    raw = json.loads((directory / "meta.json").read_text())
    raw["sources"] = tuple(raw.get("sources", ()))
    return raw
