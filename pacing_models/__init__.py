"""Pacing mathematics: Erlang B/C/A, online estimators and pacing policies.

Imports nothing else of this project (see ../shared/DESIGN.md, "Dependency direction").
Pick a policy by name: ``make_policy("predictive", margin_z=3.0)``; ``POLICY_NAMES`` lists them.
"""

from pacing_models.policies import POLICY_NAMES, make_policy

__all__ = ["POLICY_NAMES", "make_policy"]
