"""One generated landing zone, ingested once, shared by the integration tests of every layer."""

from __future__ import annotations

from datetime import date

import pytest

from jobs import ingest
from jobs.config import load_config
from jobs.lake import BRONZE, GOLD, OPS, QUARANTINE, Lake
from samples.landing import generate
from schemas.bronze import LEDGER_TABLE, QUARANTINE_TABLE
from schemas.landing import SOURCES
from tests.conftest import TEST_SPARK_CONF

AS_OF = date(2026, 3, 31)


def table_versions(lake: Lake) -> dict[str, int]:
    tables = [(BRONZE, s.name) for s in SOURCES] + [(QUARANTINE, QUARANTINE_TABLE), (OPS, LEDGER_TABLE)]
    return {f"{layer}.{table}": lake.version(layer, table) for layer, table in tables}


@pytest.fixture(scope="session")
def landed(spark, tmp_path_factory):
    """A tiny landing zone with one bad record of every kind, ingested, then ingested again.

    Returns (manifest, config, lake, first run, second run, table versions after the first, root).
    """
    root = tmp_path_factory.mktemp("lake")
    config = load_config(
        overrides=[
            f"paths.landing={root / 'landing'}",
            f"paths.lake={root / 'lake'}",
            "catalog.schema_prefix=it_",
            *TEST_SPARK_CONF,
        ]
    )
    manifest = generate(root / "landing", as_of=AS_OF, seed=11, bad_lines=True)
    first = ingest.run(spark, config, AS_OF)
    lake = Lake(spark, config)
    versions = table_versions(lake)
    second = ingest.run(spark, config, AS_OF)
    return manifest, config, lake, first, second, versions, root


@pytest.fixture(scope="module")
def every_gold_table(spark, landed):
    """The shared lake with every gold table for AS_OF; a job runs here only where no earlier module ran it.

    It conforms the shared lake, so a module using it must sort after test_conform.py and
    test_ingest.py, which check the first conform and ingest of that lake."""
    from jobs import conform, conversation_insights, daily_kpis, similar_deals
    from schemas.gold import CONVERSATION_TABLES, DAILY_TABLES, WEEKLY_TABLES

    _, config, lake, *_ = landed
    conform.run(spark, config)
    for tables, make in (
        (DAILY_TABLES, lambda: daily_kpis.run(spark, config, [AS_OF])),
        (WEEKLY_TABLES, lambda: similar_deals.run(spark, config, AS_OF)),
        (CONVERSATION_TABLES, lambda: conversation_insights.run(spark, config, AS_OF)),
    ):
        if not all(lake.exists(GOLD, t) for t in tables):
            make()
    return config, lake


@pytest.fixture(scope="session")
def small_lake(spark, tmp_path_factory):
    """A small generated landing zone (about 120 activities over 200 days: emails as JSON Lines,
    .eml and .mbox, meetings, calls with transcripts, CRM), taken to gold for AS_OF by ingest,
    conform, the daily KPIs and conversation intelligence, without the quality suites (other tests
    run them). Shared as it is: a test that changes it works on a copy (`copy_lake`).

    Returns (config, lake, root): the landing zone is root/landing, the lake root/lake."""
    from jobs import conform, conversation_insights, daily_kpis

    root = tmp_path_factory.mktemp("small")
    config = load_config(
        overrides=[
            f"paths.landing={root / 'landing'}",
            f"paths.lake={root / 'lake'}",
            "catalog.schema_prefix=small_",
            "quality.enabled=false",
            *TEST_SPARK_CONF,
        ]
    )
    generate(root / "landing", as_of=AS_OF, seed=5, activities=120, history_days=200)
    ingest.run(spark, config, AS_OF)
    conform.run(spark, config)
    daily_kpis.run(spark, config, [AS_OF])
    conversation_insights.run(spark, config, AS_OF)
    return config, Lake(spark, config), root


def copy_lake(config, root, work, prefix: str, *overrides: str):
    """A copy of the lake under `root` at `work`/lake, its tables named with `prefix` when jobs register them."""
    import shutil

    shutil.copytree(root / "lake", work / "lake", ignore=shutil.ignore_patterns("_catalog"))
    return config.with_overrides([f"paths.lake={work / 'lake'}", f"catalog.schema_prefix={prefix}", *overrides])
