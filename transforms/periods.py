"""The home page's periods and trends (kpis.md section 13).

A period is a half-open window of instants [start, end) that ends at the as-of instant E (the end
of the as-of day T, midnight UTC, for the daily job; any instant for the functions here):

| period          | window                                   | previous window (equal length)     |
|-----------------|------------------------------------------|------------------------------------|
| last_24_hours   | [E - 24 h, E)                            | [E - 48 h, E - 24 h)               |
| last_7_days     | [E - 7 d, E)                             | the 7 days before                  |
| this_month      | [first of T's month, E)  (month to date) | as many days before the 1st        |
| last_month      | the calendar month before T's            | as many days before its 1st        |
| all_time        | everything before E                      | none: its trend is null            |
| custom:F..L     | [F 00:00, min(L + 1 day, E))             | as many days before F              |

T's month is the month of the last instant before E. `days_left` is the whole days from E to the
end of the period: the rest of the month for `this_month`, the rest of a custom range that goes
past T, 0 for the others. A trend is `100 * (now - before) / before`, null when before is 0 (or
there is no previous window). Something that happened on a day (a deal's close date) happened at
that day's midnight.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

LAST_24_HOURS, LAST_7_DAYS, THIS_MONTH, LAST_MONTH, ALL_TIME = (
    "last_24_hours",
    "last_7_days",
    "this_month",
    "last_month",
    "all_time",
)
STANDARD_PERIODS = (LAST_24_HOURS, LAST_7_DAYS, THIS_MONTH, LAST_MONTH, ALL_TIME)
NOW, BEFORE = "now", "before"


@dataclass(frozen=True)
class Period:
    name: str
    start: datetime | None  # None: since the beginning
    end: datetime
    days_left: int

    @property
    def previous(self) -> tuple[datetime, datetime] | None:
        """The window of equal length just before this one."""
        if self.start is None:
            return None
        return self.start - (self.end - self.start), self.start


def _first_of_month(day: date) -> datetime:
    return datetime(day.year, day.month, 1)


def _month_after(first: datetime) -> datetime:
    return datetime(first.year + first.month // 12, first.month % 12 + 1, 1)


def custom_name(first: date, last: date) -> str:
    return f"custom:{first.isoformat()}..{last.isoformat()}"


def periods_at(end: datetime, custom: tuple[date, date] | None = None) -> list[Period]:
    """The standard periods (and the custom range) that end at the instant `end` (naive UTC)."""
    month_start = _first_of_month((end - timedelta(microseconds=1)).date())
    next_month = _month_after(month_start)
    last_month_start = _first_of_month((month_start - timedelta(days=1)).date())
    periods = [
        Period(LAST_24_HOURS, end - timedelta(hours=24), end, 0),
        Period(LAST_7_DAYS, end - timedelta(days=7), end, 0),
        Period(THIS_MONTH, month_start, end, (next_month - end).days),
        Period(LAST_MONTH, last_month_start, month_start, 0),
        Period(ALL_TIME, None, end, 0),
    ]
    if custom is not None:
        first, last = custom
        start, stop = datetime.combine(first, datetime.min.time()), datetime.combine(last, datetime.min.time())
        stop += timedelta(days=1)
        periods.append(Period(custom_name(first, last), start, min(stop, end), max(0, (stop - end).days)))
    return periods


WINDOWS_SCHEMA = T.StructType(
    [
        T.StructField("period", T.StringType(), False),
        T.StructField("window", T.StringType(), False),  # now or before
        T.StructField("window_start", T.TimestampNTZType(), True),  # null: since the beginning
        T.StructField("window_end", T.TimestampNTZType(), False),
        T.StructField("days_left", T.IntegerType(), False),
    ]
)


def windows_frame(spark: SparkSession, periods: list[Period]) -> DataFrame:
    """One row per period and window (`now`, and `before` where there is one), in UTC."""
    rows = []
    for period in periods:
        rows.append((period.name, NOW, period.start, period.end, period.days_left))
        if period.previous is not None:
            rows.append((period.name, BEFORE, *period.previous, period.days_left))
    windows_df = spark.createDataFrame(rows, WINDOWS_SCHEMA)
    # The instants are UTC wall times: as timestamps they are read in UTC whatever the session zone.
    return windows_df.select(
        "period",
        "window",
        F.to_utc_timestamp(F.col("window_start").cast("timestamp"), F.current_timezone()).alias("window_start"),
        F.to_utc_timestamp(F.col("window_end").cast("timestamp"), F.current_timezone()).alias("window_end"),
        "days_left",
    )


def in_windows(facts_df: DataFrame, windows_df: DataFrame, at: Column) -> DataFrame:
    """`facts_df` once per window whose [start, end) holds `at` (a timestamp)."""
    inside = ((F.col("window_start").isNull()) | (at >= F.col("window_start"))) & (at < F.col("window_end"))
    return facts_df.join(F.broadcast(windows_df), on=inside, how="inner")


def trend_pct(now: Column, before: Column) -> Column:
    """100 * (now - before) / before; null when before is 0 or null."""
    return F.when(before != 0, 100.0 * (now - before) / before)
