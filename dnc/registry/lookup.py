"""``DncStore``: every registry under ``<data>/dnc`` behind the ``DncLookup`` protocol."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from dnc.interfaces import RegistryHit, RegistryVersion
from dnc.internal import InternalDnc
from dnc.registry.keys import key_in_plan, keys_of_e164, plan_of
from dnc.registry.store import RegistryDir
from dnc.registry.versions import LoadedVersion


class DncStore:
    """National, state and other registries (memory-mapped) plus the internal list.

    Opening maps the current version of each registry (headers only: instant).
    ``refresh()`` picks up versions published since (cheap: one small file read per
    registry); the internal list needs no refresh (every look-up reads it).
    """

    def __init__(self, dnc_dir: Path, *, internal: bool = True) -> None:
        self.dnc_dir = Path(dnc_dir)
        self.registries_root = self.dnc_dir / "registries"
        self.internal = InternalDnc(self.dnc_dir / "internal.db") if internal else None
        self._loaded: dict[str, tuple[str, LoadedVersion]] = {}
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
        self._loaded = loaded

    def close(self) -> None:
        if self.internal is not None:
            self.internal.close()

    def loaded(self) -> list[LoadedVersion]:
        return [version for _, version in self._loaded.values()]

    def hits(self, number_e164: str) -> Sequence[RegistryHit]:
        found: list[RegistryHit] = []
        keys: dict[str, int | None] = {}
        for version in self.loaded():
            plan = plan_of(version.info.registry)
            if plan not in keys:
                keys[plan] = key_in_plan(plan, number_e164)
            key = keys[plan]
            if key is not None and version.contains(key):
                found.append(RegistryHit(version.info))
        if self.internal is not None:
            found.extend(self.internal.hits(number_e164))
        return found

    def versions(self) -> Sequence[RegistryVersion]:
        found = [version.info for version in self.loaded()]
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
            listed = self.internal.listed(numbers)
            result["internal"] = np.fromiter((n in listed for n in numbers), dtype=bool,
                                             count=len(numbers))
        return result

    def mapped_bytes(self) -> int:
        return sum(version.mapped_bytes for version in self.loaded())


def open_lookup(dnc_dir: Path) -> DncStore:
    """The store the rules engine, the hopper and the runner use (``DncLookup``)."""
    return DncStore(dnc_dir)
