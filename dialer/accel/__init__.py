"""The compiled engine, an opt-in accelerator for simulations.

``dialer accel build`` compiles the engine's and the simulator's hot modules with Cython
(typed by the augmenting ``.pxd`` files of ``pxd/``) into a cache outside the source tree,
with a manifest of each source's hash. ``dialer simulate``, ``dialer sweep`` and the
benchmarks load that build only while every source is the one it was compiled from (all
modules or none); otherwise they run the pure-Python sources, which are the only truth, and
say so in one line. ``dialer run`` (live dialing) never loads it. docs/engine.md, "Eleventh
step: the compiled engine, adopted opt-in".

Nothing here imports the modules it compiles: ``cache`` (where a build lives, what it was
built from, whether it is fresh), ``build`` (the builder), ``loader`` (the import hook).
"""
