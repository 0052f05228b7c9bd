"""One SparkSession for the whole test run, with Delta, UTC and Delta's own fast test settings."""

from __future__ import annotations

import pytest

from jobs.config import load_config

TEST_SPARK_CONF = [
    "spark.master=local[2]",
    "spark.conf.spark.sql.shuffle.partitions=1",
    "spark.conf.spark.default.parallelism=2",
    "spark.conf.spark.databricks.delta.snapshotPartitions=1",
    "spark.conf.spark.ui.enabled=false",
    "spark.conf.spark.ui.showConsoleProgress=false",
    "spark.conf.spark.sql.execution.arrow.maxRecordsPerBatch=1000",
    # Tiny DataFrames: compiling Java for each of the thousands of plans the tests run costs more
    # than it saves. The interpreted path gives the same rows (Spark's own suites run both).
    "spark.conf.spark.sql.codegen.wholeStage=false",
    "spark.conf.spark.sql.codegen.factoryMode=NO_CODEGEN",
]


@pytest.fixture(scope="session")
def catalog_home(tmp_path_factory):
    """Where the session's embedded metastore lives; every test's lake sits elsewhere."""
    return tmp_path_factory.mktemp("catalog")


@pytest.fixture(scope="session")
def spark(catalog_home):
    from jobs.runtime import build_session

    config = load_config(overrides=[f"paths.lake={catalog_home}", *TEST_SPARK_CONF])
    session = build_session(config, "rapport-tests")
    yield session
    session.stop()


_lake_counter = iter(range(1, 10_000))


@pytest.fixture
def lake_config(tmp_path):
    """A configuration with its own landing zone, lake and catalog schema prefix."""

    def make(*overrides: str):
        prefix = f"t{next(_lake_counter)}_"
        return load_config(
            overrides=[
                f"paths.landing={tmp_path / 'landing'}",
                f"paths.lake={tmp_path / 'lake'}",
                f"catalog.schema_prefix={prefix}",
                *TEST_SPARK_CONF,
                *overrides,
            ]
        )

    return make
