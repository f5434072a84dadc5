"""Simulation lab: a discrete-event driver of the real dialer engine under virtual time."""
