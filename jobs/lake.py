"""Where tables live: `<paths.lake>/<layer>/<table>` on storage, `<prefix><layer>.<table>` in the catalog.

Every table is a Delta table created once with its schema and properties, then written by
replacing an exact slice (`replaceWhere`) or appending, so a retried run rewrites what it wrote.
A table created by an earlier release gets the columns added since on its next write, by an
explicit, logged `ALTER TABLE ... ADD COLUMNS` (earlier rows hold null there); a column whose type
changed stops the job with a message naming it, before anything is written.
"""

from __future__ import annotations

import logging
import random
import time
from pathlib import Path

from delta import exceptions as delta_exceptions
from delta.tables import DeltaTable
from py4j.protocol import Py4JJavaError
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from jobs import faults
from jobs.config import Config, is_uri
from jobs.delta_log import DeltaLog
from jobs.runtime import DELTA_CATALOG, JobError
from schemas.bronze import BRONZE_SCHEMAS, QUARANTINE_SCHEMA, QUARANTINE_TABLE
from schemas.comments import TABLES, commented, stale_comments
from schemas.gold import GOLD_TABLES
from schemas.landing import SOURCES
from schemas.ops import OPS_SCHEMAS
from schemas.silver import SILVER_SCHEMAS, SILVER_TABLES

log = logging.getLogger("rapport.lake")
# Delta's answers to a commit that lost a race with another run's (optimistic concurrency control).
# (ConcurrentAppendException, ConcurrentDeleteReadException, MetadataChangedException, ...: all of them.)
CONFLICTS = tuple(getattr(delta_exceptions, name) for name in delta_exceptions.__all__)
CONFLICT_NAMES = frozenset(c.__name__ for c in CONFLICTS)
COMMIT_ATTEMPTS = 4

BRONZE, SILVER, GOLD, QUARANTINE, OPS = "bronze", "silver", "gold", "quarantine", "ops"
# Every table a user reads, in the order data flows through them.
USER_TABLES: tuple[tuple[str, str], ...] = (
    *((BRONZE, s.name) for s in SOURCES),
    (QUARANTINE, QUARANTINE_TABLE),
    *((OPS, t) for t in OPS_SCHEMAS),
    *((SILVER, t) for t in SILVER_TABLES),
    *((GOLD, t) for t in GOLD_TABLES),
)


def schema_of(layer: str, table: str) -> T.StructType:
    """The declared schema of a table of USER_TABLES."""
    if layer == GOLD:
        return GOLD_TABLES[table][0]
    by_layer = {
        BRONZE: BRONZE_SCHEMAS,
        QUARANTINE: {QUARANTINE_TABLE: QUARANTINE_SCHEMA},
        OPS: OPS_SCHEMAS,
        SILVER: SILVER_SCHEMAS,
    }
    return by_layer[layer][table]


def beside_lake(config: Config) -> Path:
    """Where pages about the lake go (the report, the data docs), never into it: the lake's folder
    (`data/` in the embedded default), or the working directory when the lake is a URI."""
    lake = config.paths.lake
    return Path(".") if is_uri(lake) else Path(lake).parent


class Lake:
    def __init__(self, spark: SparkSession, config: Config):
        self.spark = spark
        self.root = config.paths.lake
        self.prefix = config.catalog.schema_prefix
        self._known_schemas: set[str] = set()
        self._builtin: bool | None = None  # whether the lake's catalog is Spark's built-in one (see registered)

    def path(self, layer: str, table: str) -> str:
        return f"{self.root}/{layer}/{table}"

    def name(self, layer: str, table: str) -> str:
        return f"{self.prefix}{layer}.{table}"

    def registered(self, layer: str, table: str) -> bool:
        """Whether the catalog has an entry for the table. Asked of the metastore alone:
        `spark.catalog.tableExists` loads the Delta table the entry points at, and fails when that
        location is gone or elsewhere (a lake copied with its catalog, whose entries still name the
        original's folders), where every read and write here is by path. Where tables are made in
        Spark's built-in catalog (Delta's `DeltaCatalog` over the Hive metastore, as every
        configuration here has it), its metastore client answers directly (it holds no temporary
        views, and keeps names lower case); with another catalog, `SHOW TABLES` does, which plans a
        query each time (a tenth to half a second, some fifty times a pipeline day)."""
        schema = f"{self.prefix}{layer}"
        if (metastore := self._metastore()) is not None:
            schema, table = schema.lower(), table.lower()
            return metastore.databaseExists(schema) and metastore.tableExists(schema, table)
        if not self.spark.catalog.databaseExists(schema):
            return False
        listed = self.spark.sql(f"SHOW TABLES IN {schema} LIKE {sql_string(table)}")
        return bool(listed.filter("NOT isTemporary").take(1))  # a temporary view of that name is not an entry

    def _metastore(self):
        """The Hive metastore client of Spark's built-in catalog when that is the catalog the lake's
        tables are made in (the current one, with Delta's catalog as `spark_catalog`), else None."""
        if self._builtin is None:
            catalog_class = self.spark.conf.get("spark.sql.catalog.spark_catalog", "")
            self._builtin = self.spark.catalog.currentCatalog() == "spark_catalog" and catalog_class == DELTA_CATALOG
        return self.spark._jsparkSession.sharedState().externalCatalog() if self._builtin else None

    def ensure_table(
        self,
        layer: str,
        table: str,
        schema: T.StructType,
        *,
        stats_columns: tuple[str, ...] = (),
        change_feed: bool = False,
        partition_by: tuple[str, ...] = (),
    ) -> str:
        """Create the table (and its catalog schema) if it does not exist; return its name."""
        name = self.name(layer, table)
        if self.registered(layer, table):
            stored = self.read(layer, table).schema
            self.add_missing_columns(layer, table, schema, check_types=True, stored=stored)
            self.describe(layer, table, stored)
            return name
        self._ensure_schema(layer)
        builder = (
            DeltaTable.createIfNotExists(self.spark)
            .tableName(name)
            .addColumns(commented(f"{layer}.{table}", schema))
            .location(self.path(layer, table))
        )
        if description := TABLES.get(f"{layer}.{table}"):
            builder = builder.comment(description)
        if partition_by:
            builder = builder.partitionedBy(*partition_by)
        if stats_columns:
            builder = builder.property("delta.dataSkippingStatsColumns", ",".join(stats_columns))
        if change_feed:
            builder = builder.property("delta.enableChangeDataFeed", "true")
        # Two runs making the table at once: the second's commit conflicts, and finds it made when it tries again.
        self.commit(layer, table, builder.execute)
        return name

    def add_missing_columns(
        self,
        layer: str,
        table: str,
        schema: T.StructType,
        *,
        check_types: bool = False,
        stored: T.StructType | None = None,
    ) -> list[str]:
        """Migrate an existing table to `schema`: add the columns it lacks, with their comments; return
        their names. Columns the table has and `schema` lacks stay (Delta fills them with null on writes).
        With `check_types` (a declared schema), a column whose type changed is an error. `stored`: the
        table's schema when the caller has read it already."""
        stored = stored or self.read(layer, table).schema
        current = {f.name: f.dataType.simpleString() for f in stored.fields}
        changed = [
            f"{f.name} is {current[f.name]} in the table, {f.dataType.simpleString()} now"
            for f in schema.fields
            if check_types and f.name in current and current[f.name] != f.dataType.simpleString()
        ]
        if changed:
            raise JobError(
                f"{self.name(layer, table)} at {self.path(layer, table)}: column types changed "
                f"({'; '.join(changed)}); migrate the table or write it from scratch"
            )
        missing = [f for f in schema.fields if f.name not in current]
        if not missing:
            return []
        columns = ", ".join(_column_ddl(f) for f in commented(f"{layer}.{table}", T.StructType(missing)).fields)
        statement = f"ALTER TABLE delta.`{self.path(layer, table)}` ADD COLUMNS ({columns})"
        self.commit(layer, table, lambda: self.spark.sql(statement))
        log.warning(
            "migrated %s: added %s (the table predates them; its earlier rows hold null there)",
            self.name(layer, table),
            columns,
        )
        return [f.name for f in missing]

    def register_existing(self) -> list[str]:
        """Register in the catalog every table of USER_TABLES that is on storage but not in the
        catalog (a lake written by another process or copied from elsewhere); return their names.
        The catalog entry only points at the table's Delta log: nothing is written to the table."""
        registered = []
        for layer, table in USER_TABLES:
            name = self.name(layer, table)
            if self.exists(layer, table) and not self.registered(layer, table):
                self._ensure_schema(layer)
                self.spark.sql(f"CREATE TABLE {name} USING DELTA LOCATION {sql_string(self.path(layer, table))}")
                registered.append(name)
        if registered:
            log.info("registered %d tables found under %s in the catalog", len(registered), self.root)
        return registered

    def describe(self, layer: str, table: str, stored: T.StructType | None = None) -> bool:
        """Give the table and its columns the comments of `schemas.comments` where a column's differs (a
        table made before they existed, or a description changed since): one commit for the columns, one
        for the table; none when they agree. Return whether anything changed. `stored`: the table's
        schema when the caller has read it already."""
        key = f"{layer}.{table}"
        stale = stale_comments(key, stored or self.read(layer, table).schema)
        if not stale:
            return False
        path = self.path(layer, table)
        columns = ", ".join(f"`{column}` COMMENT {sql_string(comment)}" for column, comment in stale.items())
        self.commit(layer, table, lambda: self.spark.sql(f"ALTER TABLE delta.`{path}` ALTER COLUMN {columns}"))
        self.commit(layer, table, lambda: self._comment_table(layer, table))
        log.info("described %s: comments on %d columns and the table", self.name(layer, table), len(stale))
        return True

    def _comment_table(self, layer: str, table: str) -> None:
        if description := TABLES.get(f"{layer}.{table}"):
            self.spark.sql(f"COMMENT ON TABLE delta.`{self.path(layer, table)}` IS {sql_string(description)}")

    def _ensure_schema(self, layer: str) -> None:
        schema_name = f"{self.prefix}{layer}"
        if schema_name not in self._known_schemas:
            self.spark.sql(f"CREATE SCHEMA IF NOT EXISTS {schema_name}")
            self._known_schemas.add(schema_name)

    def replace_where(self, df: DataFrame, layer: str, table: str, condition: str) -> int:
        """Replace exactly the rows matching `condition` with `df`; return the rows written."""
        self.add_missing_columns(layer, table, df.schema)
        before = self.version(layer, table)
        writer = df.write.format("delta").mode("overwrite").option("replaceWhere", condition)
        self.commit(layer, table, lambda: writer.save(self.path(layer, table)))
        return self._rows_added_since(layer, table, before)

    def replace_slice(self, df: DataFrame, layer: str, table: str, condition: str) -> int:
        """Like `replace_where`, also when `df` is empty: Delta commits nothing for an empty frame,
        so the slice is then deleted instead, and a re-run that finds nothing leaves nothing."""
        if df.isEmpty():
            self.delete(layer, table, condition)
            return 0
        return self.replace_where(df, layer, table, condition)

    def delete(self, layer: str, table: str, condition: str) -> None:
        self.commit(layer, table, lambda: DeltaTable.forPath(self.spark, self.path(layer, table)).delete(condition))

    def overwrite(self, df: DataFrame, layer: str, table: str, partition_by: tuple[str, ...] = ()) -> int:
        """Replace the whole table (registered in the catalog on first write), partitioned by the
        columns `partition_by` if any are given; return the rows written.

        Once registered, the table is written by path: the catalog entry points at the Delta log,
        which holds the schema, and re-registering would only make the Hive metastore complain."""
        key, name = f"{layer}.{table}", self.name(layer, table)
        before = self.version(layer, table) if self.exists(layer, table) else None
        # The new schema carries the columns' comments; the table's own is set once, when it is made
        # (or the first time a table made before comments existed is written again).
        described = before is not None and not stale_comments(key, self.read(layer, table).schema)
        writer = (
            df.select(*[F.col(f.name).alias(f.name, metadata=f.metadata) for f in commented(key, df.schema).fields])
            .write.format("delta")
            .mode("overwrite")
            .option("overwriteSchema", "true")
        )
        if partition_by:
            writer = writer.partitionBy(*partition_by)

        def write() -> None:
            if self.registered(layer, table):
                writer.save(self.path(layer, table))
            else:
                self._ensure_schema(layer)
                writer.option("path", self.path(layer, table)).saveAsTable(name)

        self.commit(layer, table, write)
        written = self._rows_added_since(layer, table, before)
        if not described:
            self.commit(layer, table, lambda: self._comment_table(layer, table))
        return written

    def replace_keys(
        self,
        df: DataFrame,
        layer: str,
        table: str,
        keys_df: DataFrame,
        key: str | tuple[str, ...],
        within: str | None = None,
    ) -> int:
        """Replace every row whose `key` (a column, or several) is in `keys_df` with `df` (the rows of
        those keys, recomputed) in one commit; return the rows written. `within`: a condition on the
        table's columns (named `t.<column>`) that every row replaced meets, such as the partitions
        they are in: Delta then reads only the files that may hold them. A row of the keys outside it
        stays.

        One MERGE does both: its source is the keys, marked to delete the rows they match, and the
        new rows, marked to insert, which match nothing. A run that dies leaves the table as it was
        or replaced; two runs at once conflict, and the one that commits second tries again."""
        self.add_missing_columns(layer, table, df.schema)
        mark = "_rapport_change"
        columns = (key,) if isinstance(key, str) else key
        source = (
            keys_df.select(*columns)
            .distinct()
            .withColumn(mark, F.lit("delete"))
            .unionByName(df.withColumn(mark, F.lit("insert")), allowMissingColumns=True)
        )
        matches = " AND ".join(f"t.`{c}` = s.`{c}`" for c in columns)
        before = self.version(layer, table)

        def merge() -> None:
            (
                DeltaTable.forPath(self.spark, self.path(layer, table))
                .alias("t")
                .merge(source.alias("s"), f"s.{mark} = 'delete' AND {matches}" + (f" AND ({within})" if within else ""))
                .whenMatchedDelete()
                .whenNotMatchedInsert(
                    condition=f"s.{mark} = 'insert'", values={c: F.col(f"s.`{c}`") for c in df.columns}
                )
                .execute()
            )

        self.commit(layer, table, merge)
        return self._rows_added_since(layer, table, before)

    def append(self, df: DataFrame, layer: str, table: str) -> int:
        self.add_missing_columns(layer, table, df.schema)
        before = self.version(layer, table)
        self.commit(layer, table, lambda: df.write.format("delta").mode("append").save(self.path(layer, table)))
        return self._rows_added_since(layer, table, before)

    def commit(self, layer: str, table: str, write) -> None:
        """Run `write`, one Delta commit to the table that is safe to repeat (it replaces a slice, a
        table or some keys, or appends what did not commit), and run it again when a concurrent
        commit by another run conflicts with it: Delta then rejected it whole, so nothing of it is
        in the table. Both are points the recovery tests kill the job at."""
        faults.reached(f"writing {layer}.{table}")
        for attempt in range(1, COMMIT_ATTEMPTS + 1):
            try:
                write()
                break
            except Exception as error:
                conflict = conflict_name(error)
                if conflict is None:
                    raise
                if attempt == COMMIT_ATTEMPTS:
                    raise JobError(
                        f"{self.name(layer, table)}: {attempt} attempts to commit conflicted with other runs' "
                        f"commits ({conflict}); run the job again when the other run has finished"
                    ) from None
                log.warning(
                    "%s: another run committed to the table at the same time (%s): writing again (attempt %d of %d)",
                    self.name(layer, table),
                    conflict,
                    attempt + 1,
                    COMMIT_ATTEMPTS,
                )
                time.sleep(random.uniform(0.5, 2.0) * attempt)
        faults.committed(f"{layer}.{table}")

    def version(self, layer: str, table: str) -> int:
        """The table's latest version, from its Delta log (no Spark job)."""
        return DeltaLog(self.spark, self.path(layer, table)).version()

    def _metrics_since(self, layer: str, table: str, before: int | None) -> dict[str, str]:
        """The latest commit's operation metrics (Delta's own counts), or none when nothing was
        committed since version `before`."""
        delta_log = DeltaLog(self.spark, self.path(layer, table))
        latest = delta_log.version()
        if before is not None and latest == before:
            return {}
        return delta_log.operation_metrics(latest)

    def counted_since(self, layer: str, table: str, before: int, *metrics: str) -> int:
        """The sum of the latest commit's operation `metrics` (e.g. `numTargetRowsDeleted`), or 0
        when nothing was committed since version `before`."""
        counts = self._metrics_since(layer, table, before)
        return sum(int(counts.get(name, 0)) for name in metrics)

    def _rows_added_since(self, layer: str, table: str, before: int | None) -> int:
        """Rows the latest commit added, from Delta's own operation metrics: 0 if the write made no
        commit (Delta commits nothing for an empty frame), and rows copied from rewritten files
        (when `replaceWhere` rewrites a file) are not new rows."""
        metrics = self._metrics_since(layer, table, before)
        if "numTargetRowsInserted" in metrics:  # a MERGE
            return int(metrics["numTargetRowsInserted"]) + int(metrics.get("numTargetRowsUpdated", 0))
        return int(metrics.get("numOutputRows", 0)) - int(metrics.get("numCopiedRows", 0))

    def properties(self, layer: str, table: str) -> dict[str, str]:
        """The table's properties (from its Delta log, no Spark job)."""
        return DeltaLog(self.spark, self.path(layer, table)).properties()

    def rows(self, layer: str, table: str) -> int:
        """Rows in the table's latest version: from Delta's checksum of it where that lists the
        table's files with their record counts (no Spark job), else counted."""
        counted = DeltaLog(self.spark, self.path(layer, table)).rows()
        return counted if counted is not None else self.read(layer, table).count()

    def partition_columns(self, layer: str, table: str) -> tuple[str, ...]:
        """The columns the table is partitioned by (from its Delta log, no Spark job)."""
        return DeltaLog(self.spark, self.path(layer, table)).partition_columns()

    def set_properties(self, layer: str, table: str, properties: dict[str, str]) -> None:
        """Set table properties, committing only when one differs."""
        current = self.properties(layer, table)
        changed = {k: v for k, v in properties.items() if current.get(k) != v}
        if changed:
            pairs = ", ".join(f"{sql_string(k)} = {sql_string(v)}" for k, v in sorted(changed.items()))
            statement = f"ALTER TABLE delta.`{self.path(layer, table)}` SET TBLPROPERTIES ({pairs})"
            self.commit(layer, table, lambda: self.spark.sql(statement))

    def read(self, layer: str, table: str, version: int | None = None) -> DataFrame:
        """The table's latest version, or `version`."""
        reader = self.spark.read.format("delta")
        if version is not None:
            reader = reader.option("versionAsOf", version)
        return reader.load(self.path(layer, table))

    def exists(self, layer: str, table: str) -> bool:
        return DeltaTable.isDeltaTable(self.spark, self.path(layer, table))


def conflict_name(error: Exception) -> str | None:
    """The name of the Delta conflict `error` is (a commit that lost a race), or None. PySpark turns
    some into Delta's Python exceptions; a DataFrame write's arrives as the JVM's own."""
    if isinstance(error, CONFLICTS):
        return type(error).__name__
    if isinstance(error, Py4JJavaError):
        java_class = error.java_exception.getClass()
        if java_class.getName().startswith("io.delta.exceptions.") and java_class.getSimpleName() in CONFLICT_NAMES:
            return java_class.getSimpleName()
    return None


def cast_to(df: DataFrame, schema: T.StructType, table: str | None = None) -> DataFrame:
    """`df`'s columns in the order and types of a table's schema (the write's contract). Given the
    `table`'s name, `df` must have exactly the schema's columns: a transform that forgot one or
    added one stops the job, naming them, instead of writing a table its readers do not expect."""
    if table is not None:
        missing = [name for name in schema.fieldNames() if name not in df.columns]
        extra = [name for name in df.columns if name not in schema.fieldNames()]
        if missing or extra:
            raise JobError(
                f"{table}: the rows to write do not match the table's schema"
                + (f"; missing {', '.join(missing)}" if missing else "")
                + (f"; not in the schema {', '.join(extra)}" if extra else "")
            )
    return df.select(*[F.col(f.name).cast(f.dataType).alias(f.name) for f in schema.fields])


def _column_ddl(field: T.StructField) -> str:
    """`name type [COMMENT '...']`, as ALTER TABLE ... ADD COLUMNS takes it."""
    comment = field.metadata.get("comment")
    return f"`{field.name}` {field.dataType.simpleString()}" + (f" COMMENT {sql_string(comment)}" if comment else "")


def sql_string(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def in_list(column: str, values: list[str]) -> str:
    return f"{column} IN ({', '.join(sql_string(v) for v in values)})"
