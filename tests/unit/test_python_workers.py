"""Spark's Python workers on this machine: started by `jobs.python_daemon`, without Spark's own
archives on their path (each would be read again before every task), and a session's settings
changed for a block only."""

from __future__ import annotations

import os
from importlib.util import find_spec

from jobs.python_daemon import without_archives
from jobs.runtime import session_settings

SITE_PACKAGES = os.path.dirname(os.path.dirname(find_spec("pyspark").origin))
SPARK_HOME = os.path.join(SITE_PACKAGES, "pyspark")
ARCHIVES = [
    os.path.join(SPARK_HOME, "python", "lib", "pyspark.zip"),
    os.path.join(SPARK_HOME, "python", "lib", "py4j-0.10.9.9-src.zip"),
    os.path.join(SPARK_HOME, "jars", "spark-core_2.13-4.1.1.jar"),
]


def test_spark_archives_leave_the_path_when_pyspark_and_py4j_are_installed(tmp_path):
    other_zip = str(tmp_path / "rapport.zip")  # a zip of the user's own: stays
    path = [*ARCHIVES, str(tmp_path), other_zip, SITE_PACKAGES]

    assert without_archives(path) == [str(tmp_path), other_zip, SITE_PACKAGES]


def test_the_path_stays_whole_where_pyspark_is_only_in_the_archives(tmp_path):
    path = [*ARCHIVES, str(tmp_path)]

    assert without_archives(path) == path


def test_the_sessions_python_workers_run_without_sparks_archives(spark):
    def worker_path(_rows):
        import sys as worker_sys

        yield [os.path.basename(entry) for entry in worker_sys.path]

    paths = spark.sparkContext.parallelize(range(4), 2).mapPartitions(worker_path).collect()

    assert len(paths) == 2 and all("site-packages" in p for p in paths)  # the workers did report their path
    spark_archives = [name for p in paths for name in p if name.startswith(("pyspark.zip", "py4j-", "spark-core_"))]
    assert spark_archives == []


def test_session_settings_are_the_blocks_own_and_the_sessions_come_back(spark):
    key, unset_key = "spark.sql.files.openCostInBytes", "spark.rapport.test.unset"
    before = spark.conf.get(key)

    with session_settings(spark, {key: "131072", unset_key: "x"}):
        assert (spark.conf.get(key), spark.conf.get(unset_key)) == ("131072", "x")

    assert spark.conf.get(key) == before
    assert spark.conf.get(unset_key, None) is None
