"""Pacing mathematics: Erlang B/C/A, online estimators and pacing policies.

Imports nothing else of this project (see ../shared/DESIGN.md, "Dependency direction").
"""
