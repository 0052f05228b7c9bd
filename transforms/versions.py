"""Which landed version of a record wins (raw contract: "one version wins").

Grain of `filter_latest_version` output: one row per key. CRM sources are snapshots and activity
ids may be re-delivered; for both the greatest `modified_at` wins (a missing one is the oldest),
then the file whose name sorts later, then the later line. Emails also arrive as mail files, which
carry no `modified_at`: a JSON Lines record with the same id wins over them whatever its time.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

MAIL_FORMATS = ("eml", "mbox")


def file_name(path_col: str = "source_file") -> Column:
    """The last path segment: landed files are named so that their names sort in landing order."""
    return F.element_at(F.split(F.col(path_col), "/"), -1)


def version_order() -> list[Column]:
    """Newest version first."""
    return [
        F.col("source_format").isin(*MAIL_FORMATS).asc(),  # JSON Lines before mail, whatever its time
        F.col("modified_at").desc_nulls_last(),
        file_name().desc(),
        F.col("source_file").desc(),
        F.col("source_line").desc(),
    ]


def filter_latest_version(df: DataFrame, key: str) -> DataFrame:
    """Keep the winning version of every `key`; needs `modified_at`, `source_format`,
    `source_file` and `source_line` (a source without `modified_at` gets a null one)."""
    if "modified_at" not in df.columns:
        df = df.withColumn("modified_at", F.lit(None).cast("timestamp"))
    newest_first = Window.partitionBy(key).orderBy(*version_order())
    return (
        df.withColumn("version_rank", F.row_number().over(newest_first)).filter("version_rank = 1").drop("version_rank")
    )
