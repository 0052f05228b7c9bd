"""Spark's Python workers on this machine: started by `jobs.python_daemon`, without Spark's own
archives on their path (each would be read again before every task), and a session's settings
changed for a block only."""

from __future__ import annotations

import os
from importlib.util import find_spec

from jobs.python_daemon import without_archives
from jobs.runtime import session_settings, socket_dir

SITE_PACKAGES = os.path.dirname(os.path.dirname(find_spec("pyspark").origin))
SPARK_HOME = os.path.join(SITE_PACKAGES, "pyspark")
ARCHIVES = [
    os.path.join(SPARK_HOME, "python", "lib", "pyspark.zip"),
    os.path.join(SPARK_HOME, "python", "lib", "py4j-0.10.9.9-src.zip"),
    os.path.join(SPARK_HOME, "jars", "spark-core_2.13-4.1.1.jar"),
]
SPARK_ARCHIVE_NAMES = ("pyspark.zip", "py4j-", "spark-core_")  # how their names start, whatever the versions


def test_spark_archives_leave_the_path_when_pyspark_and_py4j_are_installed(tmp_path):
    other_zip = str(tmp_path / "rapport.zip")  # a zip of the user's own: stays
    path = [*ARCHIVES, str(tmp_path), other_zip, SITE_PACKAGES]

    assert without_archives(path) == [str(tmp_path), other_zip, SITE_PACKAGES]


def test_the_path_stays_whole_where_pyspark_is_only_in_the_archives(tmp_path):
    path = [*ARCHIVES, str(tmp_path)]

    assert without_archives(path) == path


def test_the_path_stays_whole_where_the_archives_are_another_sparks():
    other_spark = [f"/opt/spark/python/lib/{os.path.basename(archive)}" for archive in ARCHIVES]
    path = [*other_spark, SITE_PACKAGES]

    assert without_archives(path) == path


def test_a_folder_named_pyspark_is_not_an_installed_package(tmp_path):
    (tmp_path / "pyspark").mkdir()
    (tmp_path / "py4j").mkdir()
    path = [*ARCHIVES, str(tmp_path)]

    assert without_archives(path) == path


def test_the_sessions_python_workers_run_without_sparks_archives(spark):
    def worker_path(_rows):
        import sys as worker_sys
        import zipimport

        import pyspark

        importers = worker_sys.path_importer_cache.values()
        yield (
            [os.path.basename(entry) for entry in worker_sys.path],
            pyspark.__file__,
            [
                os.path.basename(importer.archive)
                for importer in importers
                if isinstance(importer, zipimport.zipimporter)
            ],
        )

    reports = spark.sparkContext.parallelize(range(4), 2).mapPartitions(worker_path).collect()

    assert len(reports) == 2 and all("site-packages" in path for path, *_ in reports)  # the workers reported
    spark_archives = [name for path, *_ in reports for name in path if name.startswith(SPARK_ARCHIVE_NAMES)]
    assert spark_archives == []
    assert [pyspark_file for _, pyspark_file, _ in reports] == [find_spec("pyspark").origin] * 2
    assert [name for *_, archives in reports for name in archives if name.startswith(SPARK_ARCHIVE_NAMES)] == []


def test_the_sessions_sockets_are_in_a_folder_of_its_own(spark):
    folder = spark.sparkContext.getConf().get("spark.python.unix.domain.socket.dir")

    assert folder == socket_dir()
    assert os.stat(folder).st_mode & 0o777 == 0o700
    assert any(name.endswith(".sock") for name in os.listdir(folder))  # the driver's accumulator server at least


def test_session_settings_are_the_blocks_own_and_the_sessions_come_back(spark):
    key, unset_key = "spark.sql.files.openCostInBytes", "spark.rapport.test.unset"
    before = spark.conf.get(key)

    with session_settings(spark, {key: "131072", unset_key: "x"}):
        assert (spark.conf.get(key), spark.conf.get(unset_key)) == ("131072", "x")

    assert spark.conf.get(key) == before
    assert spark.conf.get(unset_key, None) is None
