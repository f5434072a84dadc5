"""``DncStore``: every registry under ``<data>/dnc`` behind the ``DncLookup`` protocol."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import numpy as np

from dnc.interfaces import RegistryHit, RegistryVersion
from dnc.internal import InternalDnc
from dnc.registry.keys import NANP_BASE, key_in_plan, keys_of_e164, plan_of
from dnc.registry.store import KEEP_VERSIONS, RegistryDir
from dnc.registry.versions import LoadedVersion, read_meta


class DncStore:
    """National, state and other registries (memory-mapped) plus the internal list.

    Opening maps the current version of each registry (headers only: instant).
    ``refresh()`` picks up versions published since (cheap: one small file read per
    registry); the internal list needs no refresh (every look-up first catches its in-memory
    index up with the commits of every process, ``dnc.internal``).
    """

    def __init__(self, dnc_dir: Path, *, internal: bool = True) -> None:
        self.dnc_dir = Path(dnc_dir)
        self.registries_root = self.dnc_dir / "registries"
        self.internal = InternalDnc(self.dnc_dir / "internal.db") if internal else None
        self._loaded: dict[str, tuple[str, LoadedVersion]] = {}
        self._plans: tuple[tuple[bool, LoadedVersion], ...] = ()
        """(numbering plan is NANP, version) per loaded registry: the single look-up's list."""
        self._infos: tuple[RegistryVersion, ...] = ()
        self.loaded_versions: tuple[RegistryVersion, ...] = ()
        """The registries' loaded versions, internal list excluded: the same tuple object
        until ``refresh`` loads another, so a caller may keep what it derives from them
        (a registry version never changes) for as long as this is that tuple. Read-only for
        callers; a plain attribute rather than a property, since the dial-time gate reads it
        at every dial."""
        self.refresh()

    def refresh(self) -> None:
        loaded: dict[str, tuple[str, LoadedVersion]] = {}
        for registry in RegistryDir.discover(self.registries_root):
            current = registry.current_name()
            if current is None:
                continue
            previous = self._loaded.get(registry.name)
            if previous and previous[0] == current:
                loaded[registry.name] = previous
            else:
                loaded[registry.name] = (current, LoadedVersion(registry.path, current))
        if loaded == self._loaded and self._infos:
            return
        self._loaded = loaded
        versions = [version for _, version in loaded.values()]
        self._plans = tuple((plan_of(v.info.registry) == "nanp", v) for v in versions)
        self._infos = self.loaded_versions = tuple(v.info for v in versions)
        self._probes = tuple((is_nanp, v.probe(), RegistryHit(v.info))
                             for is_nanp, v in self._plans)
        self._any_nanp = any(is_nanp for is_nanp, _ in self._plans)

    def close(self) -> None:
        if self.internal is not None:
            self.internal.close()

    def loaded(self) -> list[LoadedVersion]:
        return [version for _, version in self._loaded.values()]

    def hits(self, number_e164: str) -> Sequence[RegistryHit]:
        # The per-dial path (~1.5 µs): the NANP key computed here rather than through
        # ``key_of_e164`` (same rules), each registry probed through its prepared membership
        # function, and the same (immutable) ``RegistryHit`` handed out for every hit.
        found: list[RegistryHit] = []
        nanp = None
        if self._any_nanp and len(number_e164) == 12 and number_e164.startswith("+1"):
            national = number_e164[2:]
            if national.isdigit() and national[0] >= "2" and national[3] >= "2":
                nanp = int(national) - NANP_BASE
        gb = -2   # -2: not computed yet; None: not a number of that plan
        for is_nanp, contains, hit in self._probes:
            if is_nanp:
                key = nanp
            else:
                if gb == -2:
                    gb = key_in_plan("gb", number_e164)
                key = gb
            if key is not None and contains(key):
                found.append(hit)
        internal = self.internal
        if internal is not None and internal.is_listed(number_e164):
            found.extend(internal.hits(number_e164))
        return found

    def versions(self) -> Sequence[RegistryVersion]:
        found = list(self._infos)
        if self.internal is not None:
            found.append(self.internal.version())
        return found

    def listed_many(self, numbers: Sequence[str]) -> dict[str, np.ndarray]:
        """Registry name → boolean array over ``numbers`` (vectorised; internal included)."""
        keys = keys_of_e164(list(numbers))
        result = {}
        for version in self.loaded():
            if plan_of(version.info.registry) == "nanp":
                result[version.info.registry] = version.contains_many(keys)
            else:
                plan_keys = np.array([key_in_plan("gb", n) or -1 for n in numbers],
                                     dtype=np.int64)
                result[version.info.registry] = version.contains_many(plan_keys)
        if self.internal is not None:
            result["internal"] = self.internal.listed_mask(numbers, keys)
        return result

    def mapped_bytes(self) -> int:
        return sum(version.mapped_bytes for version in self.loaded())


class PointInTimeLookup:
    """The registries as they were at an instant: for each registry the version imported
    last at or before it (``created_at``), and the internal list's history replayed to it.

    ``notes`` says which registries had no version yet and which had one that is no longer
    kept (old versions are collected after ``KEEP_VERSIONS`` imports): a decision about that
    instant cannot be reproduced for those, and ``missing`` names them.
    """

    def __init__(self, store: DncStore, at: datetime) -> None:
        self.at = at
        self.internal = store.internal
        self._versions: list[LoadedVersion] = []
        self.notes: list[str] = []
        self.missing: list[str] = []
        for registry in RegistryDir.discover(store.registries_root):
            kept = []
            for path in sorted(registry.path.glob("v[0-9]*")):
                try:
                    meta = read_meta(path)
                except (OSError, ValueError):
                    continue
                kept.append((int(meta["sequence"]), path.name, meta))
            if not kept:
                continue
            then = [k for k in kept if k[2].get("created_at") and
                    datetime.fromisoformat(k[2]["created_at"]) <= at]
            if then:
                _, name, _ = max(then)
                self._versions.append(LoadedVersion(registry.path, name))
                continue
            oldest = min(kept)
            if oldest[0] == 1:
                self.notes.append(f"no version of {registry.name} was loaded at "
                                  f"{at.isoformat()} (first imported {oldest[2]['created_at']})")
            else:
                self.missing.append(registry.name)
                self.notes.append(
                    f"the version of {registry.name} current at {at.isoformat()} is no longer "
                    f"kept (only the last {KEEP_VERSIONS} versions are): the decision cannot "
                    "be reproduced for it")

    def hits(self, number_e164: str) -> Sequence[RegistryHit]:
        found: list[RegistryHit] = []
        for version in self._versions:
            plan = plan_of(version.info.registry)
            key = key_in_plan(plan, number_e164)
            if key is not None and version.contains(key):
                found.append(RegistryHit(version.info))
        if self.internal is not None:
            found.extend(self.internal.hits_at(number_e164, self.at))
        return found

    def versions(self) -> Sequence[RegistryVersion]:
        found = [version.info for version in self._versions]
        if self.internal is not None:
            found.append(self.internal.version_at(self.at))
        return found


def open_lookup(dnc_dir: Path) -> DncStore:
    """The store the rules engine, the hopper and the runner use (``DncLookup``)."""
    return DncStore(dnc_dir)
