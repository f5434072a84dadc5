"""Do-not-call registries (national, state, internal) and the compliance rules engine.

Imports nothing else of this project: the campaign store reaches it through small
protocols (attempt history), never the other way round.
"""
