"""Do-not-call registry store: compact memory-mapped versions, atomic imports.

``open_lookup(dnc_dir)`` returns a ``DncStore`` implementing ``dnc.interfaces.DncLookup``.
"""

from dnc.registry.lookup import DncStore, open_lookup

__all__ = ["DncStore", "open_lookup"]
