"""Atomic, versioned storage of one registry under ``<data>/dnc/registries/<name>/``.

A new version is written into a temporary directory, every file fsynced, the directory
renamed to ``vNNNNNN`` and only then ``CURRENT`` replaced (``os.replace`` of an fsynced
file): a reader sees the old version or the new one, never a part. A refused or failed
import never reaches the rename, so the current version stays as it was.
"""

from __future__ import annotations

import difflib
import fcntl
import functools
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from dnc.interfaces import RegistryKind
from dnc.registry.errors import RegistryError
from dnc.registry.versions import LoadedVersion, VersionMeta, base_arrays, choose_shift

_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*(:[a-z0-9_.-]+)?$", re.IGNORECASE)
KEEP_VERSIONS = 3


def registry_kind(name: str) -> RegistryKind:
    """The kind a registry's versions carry, from its name: the one answer a version's kind
    and a name agree on (``internal`` is the company list, ``InternalDnc``'s versions)."""
    if name == "national":
        return RegistryKind.NATIONAL
    if name.startswith("state:"):
        return RegistryKind.STATE
    if name == "internal":
        return RegistryKind.INTERNAL
    return RegistryKind.OTHER


def is_own_list(kind: RegistryKind, registry: str) -> bool:
    """Is a list one of the user's own (a client's or the company's suppression list,
    ``dnc import --registry client-acme``): the kind a loaded version carries is the truth,
    OTHER, less the UK's TPS/CTPS, which are of that kind yet national lists their own rules
    read. The rule ``campaign.own_lists`` asks it of each hit's version; the import's note
    and its ``--seller`` check ask it of a name (``is_own_list_name``), so the three cannot
    drift apart (the internal list: INTERNAL, never one's own, by version or by name)."""
    return kind is RegistryKind.OTHER and not is_uk_national_list(registry)


def is_own_list_name(name: str) -> bool:
    """``is_own_list`` of the registry ``name``'s versions (``registry_kind``)."""
    return is_own_list(registry_kind(name), name)


def is_uk_national_list(name: str) -> bool:
    """The UK's TPS and CTPS files (``tps``, ``ctps:2026-12``): registries of kind OTHER
    by name, yet national lists that Ofcom's rules read (``uk.tps``), not lists of one's
    own. One answer for the rules, the own-list rule and the import's note."""
    return name.lower().split(":")[0] in ("tps", "ctps")


@functools.lru_cache(maxsize=1)
def state_codes() -> frozenset[str]:
    """US states, DC and territories: the codes the state rule tables know (state_zones.csv)."""
    path = Path(__file__).resolve().parents[1] / "data" / "state_zones.csv"
    lines = [line for line in path.read_text().splitlines()
             if line and not line.startswith("#")]
    return frozenset(line.split(",", 1)[0].strip().upper() for line in lines[1:])


def check_name(name: str) -> str:
    """The registry name in its stored form: ``national``, ``state:XX`` for a US state or
    territory, or a plain name of letters, digits, '-', '_', '.'; anything else refused."""
    if name == "internal":
        # The company list is kept number by number, each with who asked and why.
        raise RegistryError("invalid registry name 'internal': the company list is not "
                            "imported; add each number with dialer dnc add NUMBER --reason "
                            "WHY --by WHO (the dial-time rules read it)")
    if not _NAME.match(name) or (
            ":" in name and not name.lower().startswith("state:")):
        meant = _state_meant(name)
        raise RegistryError(f"invalid registry name {name!r}"
                            + (f"; did you mean 'state:{meant}'?" if meant else "")
                            + ": use national, state:XX or a name of letters, digits, '-', "
                            "'_' ('internal' is the company list)")
    if name.lower().startswith("state:"):
        code = name[6:].upper()
        if code not in state_codes():
            raise RegistryError(f"invalid registry name {name!r}: {code!r} is not a US state "
                                f"or territory code (e.g. state:TX, state:FL)")
        return "state:" + code
    return name


@dataclass(frozen=True, slots=True)
class ListScope:
    """Which campaigns a list of one's own binds, as the officer scoped it at import
    (``dnc import --registry client-acme --seller "Acme Solar"``): the campaigns of the
    named sellers (and any campaign that declares no seller). Empty (the default): every
    campaign, the fail-closed reading of a list whose owner nobody stated. Not campaigns
    by name: a renamed campaign would fall out of such a scope without a word."""

    sellers: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.sellers)


def check_scope(name: str, scope: ListScope) -> None:
    """A scope is for lists of one's own only: the national registry, a state's list and
    the UK's TPS/CTPS bind every campaign their law covers, whatever the seller."""
    if scope and not is_own_list_name(name):
        raise RegistryError(f"--seller: {name} is a list the law keeps, binding every "
                            "campaign it covers; only a list of your own (e.g. --registry "
                            "client-acme) may be scoped to a seller's campaigns")


WELL_KNOWN = ("national", "internal", "state")
"""Registry names a new one must not be a near-miss of."""


def check_new_name(name: str, registries_root: Path) -> None:
    """Refuse a registry that does not exist yet under a name that is a near-miss of a
    well-known one ('nationl', 'National'): imported under it, the numbers went to a new
    registry of their own while the national list the user meant stayed as it was."""
    if name == "national" or name.startswith("state:"):
        return
    if (registries_root / name.replace(":", "@")).exists():
        return  # an existing registry keeps its name, however close
    if (state := _state_meant(name)) is not None:
        raise RegistryError(f"no registry named {name!r}; did you mean 'state:{state}'? "
                            f"({name} is a US state: imported under it, its list would be a "
                            "list of one's own, not the state's the rules check)")
    near = difflib.get_close_matches(name.lower(), WELL_KNOWN, n=1, cutoff=0.8)
    if near:
        meant = "state:XX" if near[0] == "state" else near[0]
        raise RegistryError(f"no registry named {name!r}; did you mean {meant!r}? (a new "
                            "registry needs a name not that close to national, internal "
                            "or state)")


_STATE_SPELLED = re.compile(r"(?:sta?te?|st)?[-_.:]*(?P<state>[a-z][a-z .]*)", re.IGNORECASE)


def _state_meant(name: str) -> str | None:
    """The state a new registry's name means (``TX``, ``texas``, ``state-TX``,
    ``stat:TX``): a state's list imported under it became a list of one's own, and the
    state's own list stayed missing for the rules (item 3, sixteenth pass)."""
    from dnc.numbering import US_STATE_NAMES

    found = _STATE_SPELLED.fullmatch(name.strip())
    if found is None:
        return None
    rest = found.group("state").strip()
    if rest.upper() in state_codes():
        return rest.upper()
    names = {n.casefold().replace(" ", "").replace(".", ""): code
             for n, code in US_STATE_NAMES.items()}
    return names.get(rest.casefold().replace(" ", "").replace(".", ""))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _save(path: Path, array: np.ndarray) -> None:
    with open(path, "wb") as handle:
        np.save(handle, array)
        handle.flush()
        os.fsync(handle.fileno())


class RegistryDir:
    """The versions of one registry on disk."""

    def __init__(self, registries_root: Path, name: str) -> None:
        self.name = check_name(name)
        self.path = registries_root / self.name.replace(":", "@")
        self.kind = registry_kind(self.name)

    @staticmethod
    def discover(registries_root: Path) -> list[RegistryDir]:
        if not registries_root.is_dir():
            return []
        found = []
        for child in sorted(registries_root.iterdir()):
            if (child / "CURRENT").is_file():
                found.append(RegistryDir(registries_root, child.name.replace("@", ":")))
        return found

    def current_name(self) -> str | None:
        try:
            return (self.path / "CURRENT").read_text().strip() or None
        except FileNotFoundError:
            return None

    def open_current(self) -> LoadedVersion | None:
        name = self.current_name()
        return LoadedVersion(self.path, name) if name else None

    @contextmanager
    def writer_lock(self) -> Iterator[None]:
        """One importer at a time per registry (readers never wait)."""
        self.path.mkdir(parents=True, exist_ok=True)
        with open(self.path / ".lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _next_sequence(self) -> int:
        numbers = [int(p.name[1:]) for p in self.path.glob("v[0-9]*") if p.name[1:].isdigit()]
        return max(numbers, default=0) + 1

    def _meta(self, sequence: int, as_of: datetime, count: int, base: str, shift: int,
              steps: int, created_at: datetime, sources: list[str], added: int = 0,
              deleted: int = 0, scope: ListScope | None = None) -> VersionMeta:
        version = f"{self.name}@{as_of.date().isoformat()}#{sequence}"
        scope = scope or ListScope()
        return VersionMeta(self.name, self.kind.value, version, sequence, as_of.isoformat(),
                           count, base, shift, steps, added, deleted, created_at.isoformat(),
                           tuple(sources), scope.sellers)

    def publish_base(self, keys: np.ndarray, as_of: datetime, created_at: datetime,
                     sources: list[str], scope: ListScope | None = None) -> VersionMeta:
        """Publish sorted unique ``keys`` as a new full version (caller holds the lock)."""
        shift = choose_shift(len(keys))
        offsets, low, steps = base_arrays(keys, shift)
        sequence = self._next_sequence()
        meta = self._meta(sequence, as_of, len(keys), "", shift, steps, created_at, sources,
                          scope=scope)
        self._publish(sequence, meta, {"offsets.npy": offsets, "low.npy": low})
        return meta

    def publish_delta(self, base: str, base_meta: VersionMeta, added: np.ndarray,
                      deleted: np.ndarray, as_of: datetime, created_at: datetime,
                      sources: list[str], scope: ListScope | None = None) -> VersionMeta:
        """Publish base + sorted overlay (added ∩ base = ∅, deleted ⊆ base)."""
        sequence = self._next_sequence()
        count = base_meta.count + len(added) - len(deleted)
        meta = self._meta(sequence, as_of, count, base, base_meta.shift,
                          base_meta.search_steps, created_at, sources, len(added), len(deleted),
                          scope)
        self._publish(sequence, meta, {"added.npy": added, "deleted.npy": deleted})
        return meta

    def _publish(self, sequence: int, meta: VersionMeta, arrays: dict[str, np.ndarray]) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".tmp-", dir=self.path))
        try:
            for filename, array in arrays.items():
                _save(staging / filename, array)
            with open(staging / "meta.json", "w") as handle:
                json.dump(meta.to_json(), handle, indent=1)
                handle.flush()
                os.fsync(handle.fileno())
            _fsync_dir(staging)
            final = self.path / f"v{sequence:06d}"
            os.rename(staging, final)
            pointer = self.path / "CURRENT.tmp"
            with open(pointer, "w") as handle:
                handle.write(final.name + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(pointer, self.path / "CURRENT")
            _fsync_dir(self.path)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        self._collect_garbage()

    def _collect_garbage(self) -> None:
        """Keep the newest versions and the bases they need (open maps stay valid on POSIX)."""
        versions = sorted(p for p in self.path.glob("v[0-9]*") if p.is_dir())
        keep = {p.name for p in versions[-KEEP_VERSIONS:]}
        for name in list(keep):
            base = json.loads((self.path / name / "meta.json").read_text()).get("base")
            if base:
                keep.add(base)
        for path in versions:
            if path.name not in keep:
                shutil.rmtree(path, ignore_errors=True)
        for stale in self.path.glob(".tmp-*"):
            shutil.rmtree(stale, ignore_errors=True)
