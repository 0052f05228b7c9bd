"""The base of every parameter set: a typed, frozen model that rejects unknown keys and wrong types.

KPI parameters live beside their formula (`transforms/health.py` holds `HealthParams`), with their
defaults and their allowed ranges; `jobs.config` composes them into the whole configuration, so a
value has one home and one check, whether it comes from a YAML file, `--set` or a test.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Parameters(BaseModel):
    """Strict (no `"5"` for 5), frozen, and closed: a key nobody reads is a typo, and an error."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
