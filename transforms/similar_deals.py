"""Similar won deals and opportunity benchmarks (kpis.md section 11), refreshed weekly.

For each open opportunity: the k won deals closed in the `lookback_months` before T that are most
like it, why they are alike, and how its relationship KPIs compare with theirs.

- Features of a deal: its estimated revenue (log), product line and lead source, its account's
  industry, country and employee count (log), plus the opportunity or account columns named in
  `kpi.similar_deals.extra_features` (text and booleans are categories, numbers are numbers).
- Weights: a random forest learns to tell won from lost among the deals closed in the window
  (Spark ML: imputer, string indexer, one-hot encoder, assembler, forest); a feature's weight is its
  share of the forest's importance (the sum over its one-hot slots), so the weights sum to 1. The
  area under the ROC curve on a held-out fifth of those deals says how much the weights are worth.
- Similarity of deals a and b (in [0, 1], `transforms.nearest`):
      sum over categorical f of w_f * [a and b have the same known value]
    + sum over numeric f of w_f * (1 - (z_a - z_b) ** 2),
  z = a number (log, missing imputed with the median of the closed deals) scaled to [0, 1] by the
  closed deals' range, clipped. Two missing values are not alike.
- Fewer than `min_won` won or `min_lost` lost deals in the window: no model; every open deal gets
  the `fallback_size` most recently closed won deals (any age up to T), `is_fallback` true and no
  similarity.
- What a match carries comes from `gold.relationship_kpis` as of T (the latest day computed up to
  T), the numbers an analyst sees there for the same deals (docs/decisions.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from schemas.silver import SILVER_SCHEMAS
from transforms.nearest import SearchParams, Space, nearest
from transforms.parameters import Parameters

PositiveInt = Annotated[int, Field(gt=0)]
SEED = 7
HOLDOUT_BUCKETS = 5  # one fifth of the closed deals is held out to measure the model
WEAK_AUC = 0.6  # below it the features hardly tell won from lost, and the log says so
MAX_CELLS = 4096


@dataclass(frozen=True)
class Feature:
    name: str  # the feature as people read it: the column's name
    table: Literal["opportunities", "accounts"]
    column: str
    kind: Literal["categorical", "numeric"]
    log: bool = False  # numbers spread over orders of magnitude: compared as log(1 + x)


BASE_FEATURES = (
    Feature("estimated_revenue", "opportunities", "estimated_revenue", "numeric", log=True),
    Feature("product_line", "opportunities", "product_line", "categorical"),
    Feature("lead_source", "opportunities", "lead_source", "categorical"),
    Feature("industry", "accounts", "industry", "categorical"),
    Feature("country", "accounts", "country", "categorical"),
    Feature("employee_count", "accounts", "employee_count", "numeric", log=True),
)
# Columns that tell the outcome (or are set when a deal closes), and keys: never features.
NOT_FEATURES = {
    "opportunities": {
        "opportunity_id": "an id",
        "account_id": "an id",
        "status": "the outcome itself",
        "stage": "set to close when a deal is won",
        "actual_revenue": "known only once a deal is won",
        "actual_close_date": "known only once a deal closes",
        "is_actual_estimated": "known only once a deal closes",
        "modified_at": "changes when a deal closes",
    },
    "accounts": {"account_id": "an id", "modified_at": "changes with every edit"},
}
NUMERIC_TYPES = ("bigint", "int", "double", "float", "smallint", "tinyint")


def resolve_features(extra: list[str]) -> tuple[Feature, ...]:
    """The base features and the extra columns (`column`, `opportunities.column` or
    `accounts.column`); a ValueError naming every column that cannot be a feature."""
    features, problems = list(BASE_FEATURES), []
    for name in extra:
        table, _, column = name.rpartition(".")
        tables = [table] if table else [t for t in ("opportunities", "accounts") if column in _columns(t)]
        if table and table not in ("opportunities", "accounts"):
            problems.append(f"{name}: only opportunities.<column> or accounts.<column>")
        elif not tables or column not in _columns(tables[0]):
            where = f"silver.{table}" if table else "silver.opportunities or silver.accounts"
            known = ", ".join(sorted(set(_columns("opportunities")) | set(_columns("accounts"))))
            problems.append(f"{name}: no such column in {where} (columns: {known})")
        elif len(tables) > 1:
            problems.append(f"{name}: in opportunities and accounts; name opportunities.{name} or accounts.{name}")
        elif column in NOT_FEATURES[tables[0]]:
            problems.append(f"{name}: cannot be a feature ({NOT_FEATURES[tables[0]][column]})")
        elif any(f.table == tables[0] and f.column == column for f in features):
            problems.append(f"{name}: already a feature")
        else:
            data_type = _columns(tables[0])[column]
            if data_type.startswith("array"):
                problems.append(f"{name}: a list ({data_type}) cannot be a feature")
            else:
                kind = "numeric" if data_type in NUMERIC_TYPES else "categorical"
                features.append(Feature(column if not table else name.replace(".", "_"), tables[0], column, kind))
    if problems:
        raise ValueError("; ".join(problems))
    return tuple(features)


def _columns(table: str) -> dict[str, str]:
    return {f.name: f.dataType.simpleString() for f in SILVER_SCHEMAS[table].fields}


class SimilarDealsParams(Parameters):
    """`kpi.similar_deals`: the parameters of section 11 and of its search."""

    k: PositiveInt = 10  # similar won deals per open deal
    min_won: PositiveInt = 30  # fewer won (or lost) deals closed in the window: the fallback
    min_lost: PositiveInt = 30
    fallback_size: PositiveInt = 100  # the most recently closed won deals the fallback lists
    lookback_months: PositiveInt = 24  # won deals closed in the months before T are candidates
    extra_features: list[str] = Field(default_factory=list)  # more opportunity or account columns to compare deals by
    trees: PositiveInt = 40  # the win/loss forest
    max_depth: Annotated[int, Field(ge=1, le=12)] = 6
    training_deals: PositiveInt = 200_000  # closed deals the forest learns from, at most (a hash sample)
    # The search: k-means cells over the won deals (None: about the square root of their number),
    # cells each open deal visits, and the most won deals one task scores at once.
    cells: PositiveInt | None = None
    probe_cells: PositiveInt = 12
    max_block_deals: PositiveInt = 20_000
    kmeans_sample: PositiveInt = 50_000

    @field_validator("extra_features")
    @classmethod
    def _features_exist(cls, names: list[str]) -> list[str]:
        resolve_features(names)
        return names

    @property
    def features(self) -> tuple[Feature, ...]:
        return resolve_features(self.extra_features)

    def search(self, won_deals: int) -> SearchParams:
        cells = self.cells or max(1, min(MAX_CELLS, round(math.sqrt(won_deals))))
        return SearchParams(
            k=self.k,
            cells=cells,
            probe=self.probe_cells,
            max_block=self.max_block_deals,
            kmeans_sample=self.kmeans_sample,
        )


# --- the deals -----------------------------------------------------------------------------------


def window_start(as_of: date, months: int) -> Column:
    """The first day whose closes count: the day after T minus `months` months."""
    return F.date_add(F.add_months(F.lit(as_of), -months), 1)


def deal_features(opportunities_df: DataFrame, accounts_df: DataFrame, features: tuple[Feature, ...]) -> DataFrame:
    """(opportunity_id, status, closed_on, one column per feature): numbers as doubles (log(1 + x)
    where the feature says so), categories as text."""
    accounts = accounts_df.select(
        "account_id", *[F.col(f.column).alias(f"_a_{f.name}") for f in features if f.table == "accounts"]
    )

    def value(feature: Feature) -> Column:
        column = F.col(f"_a_{feature.name}" if feature.table == "accounts" else feature.column)
        if feature.kind == "categorical":
            return column.cast("string").alias(feature.name)
        number = column.cast("double")
        return (F.log1p(F.greatest(number, F.lit(0.0))) if feature.log else number).alias(feature.name)

    return opportunities_df.join(accounts, on="account_id", how="left").select(
        "opportunity_id", "status", F.col("actual_close_date").alias("closed_on"), *[value(f) for f in features]
    )


def closed_in_window(deals_df: DataFrame, as_of: date, months: int) -> DataFrame:
    """Deals won or lost on a day in (T - months, T]."""
    start = window_start(as_of, months)
    return deals_df.filter(
        F.col("status").isin("won", "lost") & (F.col("closed_on") >= start) & (F.col("closed_on") <= F.lit(as_of))
    )


# --- the weights -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Model:
    """What the forest learned and what the similarity needs to encode deals like it."""

    weights: dict[str, float]  # feature -> share of importance, summing to 1
    auc: float | None  # on the held-out fifth; None when it holds only one class
    trained_on: int
    held_out: int
    labels: dict[str, list[str]]  # categorical feature -> its known values, code = position
    ranges: dict[str, tuple[float, float, float]]  # numeric feature -> (median, low, high)


def _sample(df: DataFrame, size: int, salt: str) -> DataFrame:
    """About `size` rows, always the same ones: by a hash of the id."""
    count = df.count()
    if count <= size:
        return df
    return df.filter(F.pmod(F.xxhash64("opportunity_id", F.lit(salt)), F.lit(1_000_000)) < size * 1_000_000 // count)


def learn(closed_df: DataFrame, features: tuple[Feature, ...], params: SimilarDealsParams) -> Model:
    """Train the win/loss forest on closed deals (one fifth held out) and read its weights."""
    from pyspark.ml import Pipeline
    from pyspark.ml.classification import RandomForestClassifier
    from pyspark.ml.evaluation import BinaryClassificationEvaluator
    from pyspark.ml.feature import Imputer, OneHotEncoder, StringIndexer, VectorAssembler

    numeric = [f.name for f in features if f.kind == "numeric"]
    categorical = [f.name for f in features if f.kind == "categorical"]
    labelled_df = _sample(closed_df, params.training_deals, "training").withColumn(
        "label", (F.col("status") == "won").cast("double")
    )
    # A number no closed deal has (an extra column nobody fills) is 0 for all: it weighs nothing.
    present = labelled_df.agg(*[F.count(n).alias(n) for n in numeric]).first() if numeric else {}
    labelled_df = labelled_df.withColumns({n: F.lit(0.0) for n in numeric if present[n] == 0})
    held_out = F.pmod(F.xxhash64("opportunity_id", F.lit("holdout")), F.lit(HOLDOUT_BUCKETS)) == 0
    # The same rows in the same partitions on every run: the forest's bootstrap depends on them.
    labelled_df = labelled_df.repartition(4, "opportunity_id").sortWithinPartitions("opportunity_id")
    train_df, test_df = labelled_df.filter(~held_out).localCheckpoint(), labelled_df.filter(held_out)
    stages = [
        Imputer(inputCols=numeric, outputCols=[f"{n}__num" for n in numeric], strategy="median"),
        StringIndexer(
            inputCols=categorical,
            outputCols=[f"{n}__idx" for n in categorical],
            handleInvalid="keep",
            stringOrderType="alphabetAsc",
        ),
        OneHotEncoder(
            inputCols=[f"{n}__idx" for n in categorical],
            outputCols=[f"{n}__hot" for n in categorical],
            dropLast=False,
            handleInvalid="keep",
        ),
        VectorAssembler(
            inputCols=[f"{n}__num" for n in numeric] + [f"{n}__hot" for n in categorical], outputCol="features"
        ),
        RandomForestClassifier(numTrees=params.trees, maxDepth=params.max_depth, seed=SEED, labelCol="label"),
    ]
    fitted = Pipeline(stages=stages).fit(train_df)
    imputer, indexer, forest = fitted.stages[0], fitted.stages[1], fitted.stages[-1]
    scored_df = fitted.transform(test_df)
    test_counts = {row["label"]: row["count"] for row in test_df.groupBy("label").count().collect()}
    auc = None
    if len(test_counts) == 2:
        auc = BinaryClassificationEvaluator(labelCol="label", metricName="areaUnderROC").evaluate(scored_df)
    weights = _feature_importances(fitted.transform(train_df.limit(1)), forest.featureImportances.toArray(), features)
    medians = imputer.surrogateDF.first().asDict()
    bounds = train_df.agg(
        *[F.min(F.coalesce(F.col(n), F.lit(medians[n]))).alias(f"lo_{n}") for n in numeric],
        *[F.max(F.coalesce(F.col(n), F.lit(medians[n]))).alias(f"hi_{n}") for n in numeric],
    ).first()
    return Model(
        weights=weights,
        auc=auc,
        trained_on=train_df.count(),
        held_out=sum(test_counts.values()),
        labels={name: list(labels) for name, labels in zip(categorical, indexer.labelsArray, strict=True)},
        ranges={n: (float(medians[n]), float(bounds[f"lo_{n}"]), float(bounds[f"hi_{n}"])) for n in numeric},
    )


def _feature_importances(assembled_df: DataFrame, importances, features: tuple[Feature, ...]) -> dict[str, float]:
    """Each feature's share: the importances of its slots of the assembled vector, summed."""
    attributes = assembled_df.schema["features"].metadata["ml_attr"]["attrs"]
    shares = dict.fromkeys((f.name for f in features), 0.0)
    for group in attributes.values():
        for attribute in group:
            owner = attribute["name"].split("__", 1)[0]
            shares[owner] += float(importances[attribute["idx"]])
    total = sum(shares.values())
    if total <= 0:  # a forest of stumps: nothing told won from lost; every feature alike
        return {name: 1 / len(shares) for name in shares}
    return {name: share / total for name, share in shares.items()}


# --- the search -------------------------------------------------------------------------------------


def space_of(model: Model, features: tuple[Feature, ...]) -> Space:
    categorical = [f.name for f in features if f.kind == "categorical"]
    numeric = [f.name for f in features if f.kind == "numeric"]
    return Space(
        category_sizes=tuple(len(model.labels[n]) for n in categorical),
        category_weights=tuple(model.weights[n] for n in categorical),
        numeric_weights=tuple(model.weights[n] for n in numeric),
    )


def encoded(deals_df: DataFrame, model: Model, features: tuple[Feature, ...]) -> DataFrame:
    """(id, codes, numbers) of each deal, as `transforms.nearest` takes them: a value the closed
    deals never had, or none, is a code that matches nothing."""
    codes, numbers = [], []
    for feature in features:
        column = F.col(feature.name)
        if feature.kind == "categorical":
            labels = model.labels[feature.name]
            if not labels:  # no closed deal had a value: nothing matches
                codes.append(F.lit(0))
                continue
            mapping = F.create_map(*[x for code, label in enumerate(labels) for x in (F.lit(label), F.lit(code))])
            codes.append(F.coalesce(mapping[column], F.lit(len(labels))).cast("int"))
        else:
            median, low, high = model.ranges[feature.name]
            span = high - low
            value = F.coalesce(column, F.lit(median))
            scaled = (value - F.lit(low)) / F.lit(span) if span > 0 else F.lit(0.0)
            numbers.append(F.least(F.lit(1.0), F.greatest(F.lit(0.0), scaled)).cast("double"))
    return deals_df.select(
        F.col("opportunity_id").alias("id"),
        F.array(*codes).cast("array<int>").alias("codes"),
        F.array(*numbers).cast("array<double>").alias("numbers") if numbers else F.array().cast("array<double>"),
    )


def similar_matches(spark, open_df: DataFrame, won_df: DataFrame, model: Model, features, params) -> DataFrame:
    """(opportunity_id, rank, similar_opportunity_id, similarity) of each open deal's k nearest won deals."""
    search = params.search(won_df.count())
    matches_df = nearest(
        spark, encoded(open_df, model, features), encoded(won_df, model, features), space_of(model, features), search
    )
    return matches_df.select(
        F.col("query_id").alias("opportunity_id"),
        F.col("rank").cast("int").alias("rank"),
        F.col("match_id").alias("similar_opportunity_id"),
        F.least(F.lit(1.0), F.greatest(F.lit(0.0), F.col("similarity"))).alias("similarity"),
    )


def fallback_matches(open_df: DataFrame, won_df: DataFrame, size: int) -> DataFrame:
    """The `size` most recently closed won deals for every open deal (later close first, then id)."""
    latest = Window.orderBy(F.col("closed_on").desc(), F.col("opportunity_id"))
    recent_df = (
        won_df.withColumn("rank", F.row_number().over(latest))
        .filter(F.col("rank") <= size)
        .select(F.col("opportunity_id").alias("similar_opportunity_id"), F.col("rank").cast("int").alias("rank"))
    )
    return (
        open_df.select("opportunity_id")
        .crossJoin(F.broadcast(recent_df))
        .withColumn("similarity", F.lit(None).cast("double"))
    )


# --- the tables --------------------------------------------------------------------------------------

# The benchmark's KPIs, each beside its average over the similar won deals (`similar_<kpi>`).
BENCHMARK_KPIS = (
    "interactions_by_team",
    "team_hours",
    "customer_hours",
    "avg_response_hours_by_us",
    "avg_response_hours_by_them",
    "email_ratio_by_us",
    "email_ratio_by_them",
)


def opportunity_kpis(kpis_df: DataFrame) -> DataFrame:
    """Per opportunity, what a match carries and what the benchmark compares, from one day of
    `relationship_kpis`. A deal's activities: its emails, meetings, calls and tasks."""
    return kpis_df.filter(F.col("record_type") == "opportunity").select(
        F.col("record_id").alias("opportunity_id"),
        (F.col("interactions_by_team") + F.col("interactions_by_customer") + F.col("tasks_completed")).alias(
            "activities"
        ),
        *BENCHMARK_KPIS,
        "response_rate_by_us",
    )


def similar_won_deals(matches_df: DataFrame, won_df: DataFrame, kpis_df: DataFrame, is_fallback: bool) -> DataFrame:
    """The rows of gold `similar_won_deals` (without the refresh columns)."""
    won = won_df.select(F.col("opportunity_id").alias("similar_opportunity_id"), "closed_on")
    carried = opportunity_kpis(kpis_df).select(
        F.col("opportunity_id").alias("similar_opportunity_id"),
        "activities",
        "team_hours",
        F.col("avg_response_hours_by_us").alias("avg_response_hours"),
        F.col("response_rate_by_us").alias("response_rate"),
    )
    return (
        matches_df.join(won, on="similar_opportunity_id", how="inner")
        .join(carried, on="similar_opportunity_id", how="left")
        .select(
            "opportunity_id",
            "rank",
            "similar_opportunity_id",
            "similarity",
            F.col("closed_on").alias("similar_closed_on"),
            F.coalesce("activities", F.lit(0)).cast("long").alias("activities"),
            F.coalesce("team_hours", F.lit(0.0)).alias("team_hours"),
            "avg_response_hours",
            "response_rate",
            F.lit(is_fallback).alias("is_fallback"),
        )
    )


def opportunity_benchmark(open_df: DataFrame, matches_df: DataFrame, kpis_df: DataFrame, is_fallback: bool):
    """One row per open deal: its KPIs beside their averages over its similar won deals (nulls,
    such as a ratio without emails, left out of an average), and how many deals were averaged."""
    kpis = opportunity_kpis(kpis_df)
    theirs = kpis.select(
        F.col("opportunity_id").alias("similar_opportunity_id"), *[F.col(k).alias(f"_{k}") for k in BENCHMARK_KPIS]
    )
    averages_df = (
        matches_df.join(theirs, on="similar_opportunity_id", how="left")
        .groupBy("opportunity_id")
        .agg(
            F.count("*").alias("similar_deals"),
            *[F.round(F.avg(f"_{k}"), 4).alias(f"similar_{k}") for k in BENCHMARK_KPIS],
        )
    )
    return (
        open_df.select("opportunity_id")
        .join(kpis, on="opportunity_id", how="left")
        .join(averages_df, on="opportunity_id", how="left")
        .select(
            "opportunity_id",
            F.coalesce("similar_deals", F.lit(0)).cast("int").alias("similar_deals"),
            *[c for k in BENCHMARK_KPIS for c in (F.col(k), F.col(f"similar_{k}"))],
            F.lit(is_fallback).alias("is_fallback"),
        )
    )


def feature_rows(model: Model, features: tuple[Feature, ...]) -> list[tuple]:
    """(feature, kind, source, weight) per feature, the heaviest first."""
    rows = [(f.name, f.kind, f"{f.table}.{f.column}", round(model.weights[f.name], 6)) for f in features]
    return sorted(rows, key=lambda row: (-row[3], row[0]))
