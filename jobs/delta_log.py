"""Delta's Scala `DeltaLog` of one table, through py4j: what Delta's Python and SQL APIs lack.

A table's latest version, its properties, partition columns and rows, and a commit's operation
metrics without planning a query (`DeltaTable.history(1)` and `.detail()` plan and collect a DataFrame:
50 ms to 0.75 s a call on a small machine), a checkpoint, the list of a version's files. `DeltaLog` is
Delta's internal API, for the delta-spark that setup.cfg pins; a commit's metrics are read from its
commit file as the Delta protocol lays it out. tests/integration/test_lake.py, test_conform.py,
test_maintenance.py and test_erase.py exercise every call.
"""

from __future__ import annotations

import json

from pyspark.sql import DataFrame, SparkSession


class DeltaLog:
    """The Delta log of the table at `path` (Delta caches one per path and session)."""

    def __init__(self, spark: SparkSession, path: str):
        self.spark = spark
        self.path = path
        self._log = spark._jvm.org.apache.spark.sql.delta.DeltaLog.forTable(spark._jsparkSession, path)

    def snapshot(self):
        """The table's latest version (the log read again): a Scala `Snapshot`."""
        log_ = self._log
        return log_.update(False, getattr(log_, "update$default$2")(), getattr(log_, "update$default$3")())

    def version(self) -> int:
        """The latest committed version, as `DESCRIBE HISTORY`'s first row has it."""
        return self._latest().version()

    def _latest(self):
        """The latest snapshot; a path without a Delta log is an error, not Delta's empty version -1."""
        snapshot = self.snapshot()
        if snapshot.version() < 0:
            raise ValueError(f"no Delta table at {self.path}")
        return snapshot

    def operation_metrics(self, version: int) -> dict[str, str]:
        """The operation metrics of commit `version` (what `DESCRIBE HISTORY` shows for it), from the
        `commitInfo` action of its commit file, `_delta_log/<version, 20 digits>.json`."""
        jvm = self.spark._jvm
        commit = jvm.org.apache.hadoop.fs.Path(self._log.logPath(), f"{version:020d}.json")
        stream = commit.getFileSystem(self._log.newDeltaHadoopConf()).open(commit)
        reader = jvm.java.io.BufferedReader(jvm.java.io.InputStreamReader(stream, "UTF-8"))
        try:  # line by line: Delta writes commitInfo first, before the file's add and remove actions
            while (line := reader.readLine()) is not None:
                action = json.loads(line)
                if "commitInfo" in action:
                    return action["commitInfo"].get("operationMetrics") or {}
        finally:
            reader.close()
        return {}

    def properties(self) -> dict[str, str]:
        """The latest version's table properties (`DESCRIBE DETAIL`'s `properties`)."""
        return dict(self._as_java(self._latest().metadata().configuration()))

    def partition_columns(self) -> tuple[str, ...]:
        """The columns the latest version is partitioned by (`DESCRIBE DETAIL`'s `partitionColumns`)."""
        return tuple(self._as_java(self._latest().metadata().partitionColumns()))

    def rows(self) -> int | None:
        """Rows in the latest version, from the record counts of the files its checksum file lists
        (`_delta_log/<version>.crc`, which Delta writes at each commit, listing the files while they
        are fewer than `spark.databricks.delta.allFilesInCrc.thresholdNumFiles`): no Spark job. None
        where the checksum or its file list is missing, or a file's statistics have no record count."""
        checksum = self._latest().checksumOpt()
        files = checksum.get().allFiles() if checksum.isDefined() else None
        if files is None or not files.isDefined():
            return None
        total = 0
        for add in self._as_java(files.get()):
            records = add.numLogicalRecords()
            if not records.isDefined():
                return None
            total += records.get()
        return total

    @staticmethod
    def setting(snapshot, key: str) -> str | None:
        """The table property `key` of `snapshot`, or None where the table does not set it."""
        value = snapshot.metadata().configuration().get(key)  # a Scala Option
        return value.get() if value.isDefined() else None

    def files(self, snapshot) -> DataFrame:
        """The version's data files: path, partitionValues, size, ..."""
        return DataFrame(snapshot.allFiles().toDF(), self.spark)

    def checkpoint(self, snapshot) -> None:
        """Write a checkpoint of `snapshot`, then delete the log entries older than the table's log
        retention that the checkpoint makes unneeded (Delta's expired log cleanup)."""
        self._log.checkpoint(snapshot, getattr(self._log, "checkpoint$default$2")())

    def forget(self) -> None:
        """Drop Delta's cached `DeltaLog` of the path (after log entries were deleted), so that the next
        reader lists the log again; this object is then stale: make a new one."""
        jvm = self.spark._jvm
        jvm.org.apache.spark.sql.delta.DeltaLog.invalidateCache(
            self.spark._jsparkSession, jvm.org.apache.hadoop.fs.Path(self.path)
        )

    def _as_java(self, scala_collection):
        """A Scala map or sequence as a Java one (py4j's proxy of it reads like a dict or a list)."""
        return self.spark._jvm.scala.jdk.javaapi.CollectionConverters.asJava(scala_collection)
