"""Job configuration: a typed model with every key and its default, a YAML file per environment,
and `--set dotted.key=value` overrides.

The model below is the one home of every default: a YAML file (`conf/local.yaml`, the embedded
default, or your own) says only what differs. An unknown key or a value of the wrong type or range
is one error naming the key, the value, where it came from and what was expected. Read once at job
start and passed down as plain values; transforms never read it.

`python -m jobs.config [--conf FILE] [--set KEY=VALUE ...]` prints the configuration a job would
run with, defaults included.
"""

from __future__ import annotations

import difflib
import os
import re
import sys
import typing
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, Field, PrivateAttr, ValidationError, field_validator

from transforms.call_insights import ConversationParams
from transforms.health import HealthParams
from transforms.parameters import Parameters
from transforms.people import ConnectionParams
from transforms.similar_deals import SimilarDealsParams

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONF = REPO_ROOT / "conf" / "local.yaml"

PositiveInt = Annotated[int, Field(gt=0)]
NonNegativeInt = Annotated[int, Field(ge=0)]


class ConfigError(ValueError):
    """A configuration file or override that cannot be used; the message says which and why."""


def is_uri(path: str) -> bool:
    """True for a Hadoop URI (s3a://, abfss://, file:...), false for a plain local path."""
    return "://" in path or path.startswith("file:")


def _resolved_path(value: object) -> object:
    """A local path made absolute against the working directory; a URI as given, without a trailing /."""
    if not isinstance(value, str) or not value.strip():
        return value
    if is_uri(value):
        return value.rstrip("/")
    return str(Path(value).expanduser().resolve())


LocationPath = Annotated[str, BeforeValidator(_resolved_path), Field(min_length=1)]


def _spark_value(value: object) -> object:
    """Spark takes every setting as text; YAML gives numbers and booleans (`true`, not `True`)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return str(value)
    return value


SparkValue = Annotated[str, BeforeValidator(_spark_value)]


class PathsConfig(Parameters):
    landing: LocationPath = "data/landing"  # where raw files land; read only
    lake: LocationPath = "data/lake"  # bronze/, silver/, gold/, quarantine/, ops/ and the embedded catalog


class CatalogConfig(Parameters):
    schema_prefix: str = ""  # "acme_" gives acme_bronze.*, acme_silver.*, acme_gold.* ...
    # embedded: a Derby metastore under <lake>/_catalog (one process at a time); external: the cluster's
    metastore: Literal["embedded", "external"] = "embedded"
    # embedded: how long a job waits for another process to close the catalog before it stops
    wait_seconds: NonNegativeInt = 30


class SparkConfig(Parameters):
    master: str | None = None  # None leaves it to spark-submit --master
    app_name: str = "rapport"
    # auto: the jars `make setup` fetched into .jars/, else spark.jars.packages; packages: always
    # spark.jars.packages; anything else: a folder of jars
    delta_jars: str = "auto"
    # Spark settings, each one flat key whatever its dots: --set spark.conf.spark.sql.shuffle.partitions=4
    conf: dict[str, SparkValue] = {}


class OrgConfig(Parameters):
    internal_domains: list[str] = []  # email domains that are ours
    brands: list[str] = []  # our own brand and product names
    mailing_lists: list[str] = []  # list addresses whose From a list rewrites

    @field_validator("internal_domains", "mailing_lists")
    @classmethod
    def _lowercase(cls, values: list[str]) -> list[str]:
        return [v.strip().lower() for v in values]


class TrackingConfig(Parameters):
    keywords: list[str] = []
    competitors: list[str] = []
    best_practice_keywords: list[str] = []


class IngestConfig(Parameters):
    max_record_bytes: PositiveInt = 1_048_576  # a larger record is quarantined (record_too_large)
    future_tolerance_days: NonNegativeInt = 2  # happened-at times may lie this far past the as-of day
    records_per_batch: PositiveInt = 10_000  # rows per Arrow batch from the Python parsers to Spark
    parallel_sources: PositiveInt = 2  # sources ingested side by side (each its own Spark jobs)


class ConformConfig(Parameters):
    # Silver tables an incremental conform merges, and then whose day sums it refreshes, side by side
    # (a day's writes are small: two at once keep two cores busier); 1: one after the other.
    parallel_merges: PositiveInt = 2


class QualityConfig(Parameters):
    enabled: bool = True  # run the Great Expectations suites before publishing


class PrivacyConfig(Parameters):
    salt_env: str = "RAPPORT_PSEUDONYM_SALT"  # the salt of pseudonymous keys comes from this variable
    # Used only with the embedded metastore when the variable is unset, with a warning.
    embedded_default_salt: str | None = None
    # Hours an erased person's rows stay in old table versions (Delta time travel, change data) before
    # the next `python -m jobs.erase` run vacuums them and cuts the log; --purge-now: at once.
    erasure_retention_hours: NonNegativeInt = 168


class KpiConfig(Parameters):
    response_window_days: PositiveInt = 30  # section 4
    link_by_domain: bool = True  # section 1
    meetings_need_regarding_for_opportunity: bool = True  # section 1
    health: HealthParams = HealthParams()  # section 9, beside its formula in transforms/health.py
    who_knows_whom: ConnectionParams = ConnectionParams()  # section 10, in transforms/people.py
    similar_deals: SimilarDealsParams = SimilarDealsParams()  # section 11, in transforms/similar_deals.py
    conversation: ConversationParams = ConversationParams()  # section 13, in transforms/call_insights.py
    activity_days: PositiveInt = 60  # section 7
    backfill_days_per_pass: PositiveInt = 7  # --from/--to computes this many days per pass


class SampleConfig(Parameters):
    seed: int = 7
    scale: str | PositiveInt = "tiny"  # tiny, small, medium, large, or a number of activities

    @field_validator("scale")
    @classmethod
    def _known_scale(cls, value: str | int) -> str | int:
        from samples.landing import SCALES

        if isinstance(value, str) and value not in SCALES:
            raise ValueError(f"expected one of {', '.join(SCALES)} or a number of activities")
        return value


CrmTable = Literal["users", "accounts", "contacts", "leads", "opportunities"]


class CrmConfig(Parameters):
    # Fields outside the landing contract that silver keeps, per CRM table: each one named here is
    # read from the landed record (bronze raw_record) into a text column of silver.<table> of the
    # same name (a JSON scalar as text, an object or array as JSON; null when the record has none),
    # e.g. {opportunities: [region], accounts: [segment]}. Silver only: gold follows the gold spec.
    extra_fields: dict[CrmTable, list[str]] = {}

    @field_validator("extra_fields")
    @classmethod
    def _new_columns(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        from schemas.extra_fields import extra_field_problem

        for table, names in value.items():
            for index, name in enumerate(names):
                if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
                    problem = "is not a lower-case name (letters, digits and _, a letter first)"
                elif name in names[:index]:
                    problem = "named twice"
                else:
                    problem = extra_field_problem(table, name)
                if problem:
                    raise ValueError(f"{table}: {name!r} {problem}")
        return value


class RetentionConfig(Parameters):
    # Days the raw text of an activity is kept after the UTC day it happened: email and meeting
    # subjects, transcript text, and the raw_record that holds them, in bronze and silver (and
    # quarantined records of those sources, counted from when they were ingested); removed by
    # `python -m jobs.retention` and by jobs.pipeline after gold. null: kept forever.
    raw_text_days: NonNegativeInt | None = None


class MaintenanceConfig(Parameters):
    # `python -m jobs.maintenance` (weekly): compaction, Delta log checkpoints and cleanup, VACUUM.
    # OPTIMIZE a table once this many of its files are compactable: smaller than Delta's
    # spark.databricks.delta.optimize.minFileSize (1 GiB) and in a partition with another such file.
    optimize_min_files: Annotated[int, Field(ge=2)] = 10
    # VACUUM deletes the files that left a table more than this many hours ago. Below Delta's safety
    # minimum (delta.deletedFileRetentionDuration, 168) only with
    # --set spark.conf.spark.databricks.delta.retentionDurationCheck.enabled=false.
    vacuum_retain_hours: NonNegativeInt = 168
    # Days of Delta log every table keeps (delta.logRetentionDuration; older entries go when a
    # checkpoint is written). Time travel and the change feed end with VACUUM's 7 days anyway; conform
    # reads bronze's change feed from its last run, so keep this longer than conform may not run.
    # Delta refuses less than the tables' delta.deletedFileRetentionDuration (its default, 7 days).
    log_retention_days: Annotated[int, Field(ge=7)] = 7


class Config(Parameters):
    """Everything a job reads. Sections and keys as in `conf/local.yaml`."""

    paths: PathsConfig = PathsConfig()
    catalog: CatalogConfig = CatalogConfig()
    spark: SparkConfig = SparkConfig()
    org: OrgConfig = OrgConfig()
    tracking: TrackingConfig = TrackingConfig()
    ingest: IngestConfig = IngestConfig()
    conform: ConformConfig = ConformConfig()
    quality: QualityConfig = QualityConfig()
    privacy: PrivacyConfig = PrivacyConfig()
    kpi: KpiConfig = KpiConfig()
    sample: SampleConfig = SampleConfig()
    crm: CrmConfig = CrmConfig()
    retention: RetentionConfig = RetentionConfig()
    maintenance: MaintenanceConfig = MaintenanceConfig()

    _source: str = PrivateAttr(default="defaults")
    _overridden: frozenset[str] = PrivateAttr(default=frozenset())

    @property
    def source(self) -> str:
        """The file the configuration came from, for messages."""
        return self._source

    @property
    def is_embedded_default(self) -> bool:
        """The embedded default: `conf/local.yaml` with its own landing zone and lake, the one
        place sample data may be generated without being asked by name."""
        named_a_location = any(key.startswith("paths.") for key in self._overridden)
        return Path(self._source) == DEFAULT_CONF and not named_a_location

    def with_overrides(self, assignments: list[str]) -> Config:
        """This configuration with `dotted.key=value` assignments applied and checked again."""
        values = self.model_dump()
        keys = [_apply_assignment(values, assignment) for assignment in assignments]
        return _validated(values, self._source, self._overridden | set(keys))


def _is_section(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _is_mapping(annotation: Any) -> bool:
    return typing.get_origin(annotation) is dict


def _split_key(dotted: str) -> list[str]:
    """The path of a dotted key through the model: `spark.conf.spark.sql.shuffle.partitions` is
    ["spark", "conf", "spark.sql.shuffle.partitions"], since a mapping's keys are flat."""
    parts = dotted.split(".")
    model: type[BaseModel] = Config
    path: list[str] = []
    for index, part in enumerate(parts):
        fields = model.model_fields
        if part not in fields:
            where = ".".join(path) or "the top level"
            raise ConfigError(f"--set unknown key {dotted!r}: {where} has no {part!r}{_suggestion(part, fields)}")
        path.append(part)
        annotation = fields[part].annotation
        rest = parts[index + 1 :]
        if _is_mapping(annotation):
            if not rest:
                return path
            return [*path, ".".join(rest)]
        if _is_section(annotation):
            if not rest:
                raise ConfigError(
                    f"--set {dotted} is a section: set one of its keys ({', '.join(annotation.model_fields)})"
                )
            model = annotation
            continue
        if rest:
            raise ConfigError(f"--set unknown key {dotted!r}: {'.'.join(path)} is a value, not a section")
        return path
    return path


def _suggestion(name: str, choices) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _apply_assignment(values: dict, assignment: str) -> str:
    """Set one `dotted.key=value` (the value read as YAML) in `values`; return the dotted key."""
    key, sep, raw = assignment.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ConfigError(f"--set {assignment!r}: expected dotted.key=value")
    *parents, leaf = _split_key(key)
    node = values
    for part in parents:
        node = node.setdefault(part, {})
    try:
        node[leaf] = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError as error:
        raise ConfigError(f"--set {assignment!r}: the value is not valid YAML: {error}") from None
    return key


def _describe(error: dict, source: str, overridden: frozenset[str]) -> str:
    """One line per problem: where it came from, the key, the value and what was expected."""
    loc = [str(part) for part in error["loc"]]
    key = ".".join(loc)
    from_set = sorted(k for k in overridden if k == key or k.startswith(f"{key}.") or key.startswith(f"{k}."))
    origin = "--set" if from_set else f"{source}:"
    if error["type"] == "extra_forbidden":
        model: type[BaseModel] = Config
        for part in loc[:-1]:
            annotation = model.model_fields[part].annotation if part in model.model_fields else None
            if not _is_section(annotation):
                break
            model = annotation
        return f"{origin} unknown key {key!r}{_suggestion(loc[-1], model.model_fields)}"
    expected = error["msg"].removeprefix("Value error, ").replace("Input should be ", "expected ")
    if error["type"] in ("model_type", "model_attributes_type"):
        expected = "expected a section (a mapping of keys to values)"
    shown = error.get("input")
    value = f" = {shown!r}" if loc and not isinstance(shown, dict) else ""
    return f"{origin} {key or 'the top level'}{value}: {expected}"


def _validated(values: dict, source: str, overridden: set[str] | frozenset[str]) -> Config:
    overridden = frozenset(overridden)
    try:
        config = Config.model_validate(values)
    except ValidationError as error:
        problems = [_describe(e, source, overridden) for e in error.errors()]
        raise ConfigError("; ".join(problems)) from None
    config._source, config._overridden = source, overridden
    return config


def load_config(path: str | os.PathLike | None = None, overrides: list[str] | None = None) -> Config:
    """The configuration of a YAML file (default: the embedded default), with `--set` overrides."""
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
    source = str(conf_path.resolve()) if conf_path.exists() else str(conf_path)
    return _validated(values, source, frozenset()).with_overrides(overrides or [])


def main(argv: list[str] | None = None) -> int:
    """Print the effective configuration, defaults included, as YAML."""
    from jobs.runtime import job_parser

    parser = job_parser("config", "Print the configuration a job would run with, every default included.", as_of=False)
    args = parser.parse_args(argv)
    try:
        config = load_config(args.conf, args.overrides)
    except ConfigError as error:
        parser.error(str(error))
    print(f"# {config.source}" + (f" with {', '.join(sorted(config._overridden))}" if config._overridden else ""))
    yaml.safe_dump(config.model_dump(), sys.stdout, sort_keys=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
