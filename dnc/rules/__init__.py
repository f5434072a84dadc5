"""Compliance rules engine: jurisdiction profiles, calling windows, attempt limits, audit."""
