"""Job configuration: one YAML file per environment, plus `--set dotted.key=value` overrides.

Read once at job start and passed down as plain values; transforms never read it.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONF = REPO_ROOT / "conf" / "local.yaml"
_MISSING = object()


class ConfigError(ValueError):
    """A configuration file or override that cannot be used; the message says which and why."""


@dataclass(frozen=True)
class Config:
    values: dict
    source: str  # the file it came from, for messages

    def get(self, dotted: str, default=_MISSING):
        node = self.values
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                if default is _MISSING:
                    raise ConfigError(f"{self.source}: missing key {dotted!r}")
                return default
            node = node[part]
        return node

    def path(self, dotted: str) -> str:
        """A path setting as an absolute local path, or the URI as given (s3a://, abfss:// ...)."""
        value = str(self.get(dotted))
        if "://" in value or value.startswith("file:"):
            return value.rstrip("/")
        return str(Path(value).expanduser().resolve())

    def with_overrides(self, assignments: list[str]) -> Config:
        values = copy.deepcopy(self.values)
        for assignment in assignments:
            key, sep, raw = assignment.partition("=")
            if not sep or not key.strip():
                raise ConfigError(f"--set {assignment!r}: expected dotted.key=value")
            *parents, leaf = key.strip().split(".")
            node = values
            for part in parents:
                node = node.setdefault(part, {})
                if not isinstance(node, dict):
                    raise ConfigError(f"--set {assignment!r}: {part!r} is not a section")
            node[leaf] = yaml.safe_load(raw) if raw.strip() else ""
        return Config(values, self.source)


def load_config(path: str | os.PathLike | None = None, overrides: list[str] | None = None) -> Config:
    conf_path = Path(path) if path else DEFAULT_CONF
    try:
        with open(conf_path, encoding="utf-8") as handle:
            values = yaml.safe_load(handle) or {}
    except OSError as error:
        raise ConfigError(f"cannot read configuration {conf_path}: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{conf_path}: not valid YAML: {error}") from None
    if not isinstance(values, dict):
        raise ConfigError(f"{conf_path}: expected a mapping at the top level")
    return Config(values, str(conf_path)).with_overrides(overrides or [])
