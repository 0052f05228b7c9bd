"""The k most similar items of a base set for each query, inside Spark tasks, without comparing
every (query, base) pair: an inverted-file (IVF) search over cells of a k-means quantizer.

Items are points of a weighted feature space (`Space`): categorical features are integer codes,
numeric ones values scaled to [0, 1], and each feature f has a weight w_f, the weights summing to 1.
The similarity of two items is

    similarity = sum over categorical f of w_f * [same code]
               + sum over numeric f of w_f * (1 - (z_a - z_b) ** 2)

which lies in [0, 1]. It is exactly 1 - |v_a - v_b|^2 for the embedding v that puts sqrt(w_f / 2) in
the one-hot slot of a code and sqrt(w_f) * z for a number, so the most similar items are the nearest
ones in plain Euclidean space, and Euclidean k-means and nearest-cell probing apply.

The search (`nearest`):
1. k-means (faiss, seeded, one thread: the same cells on every run) over a bounded sample of the
   base items' embeddings, on the driver: `cells` centroids.
2. Every base item is put in its nearest cell, every query in its `probe` nearest cells. A cell
   holding more than `max_block` base items is split into parts of at most that many, each a block
   of its own that the cell's queries all visit: no task ever holds a giant block.
3. Per block (a Spark group of `cogroup.applyInPandas`), numpy scores every query of the block
   against the block's base items, exactly, and keeps each query's k best.
4. Per query, the k best over its blocks. Equal similarities are ordered by the base item's id, so
   a rerun gives identical rows; with `cells = 1` the search is exact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

# One block's scores are computed this many (query, base) pairs at a time: bounded task memory.
PAIRS_PER_CHUNK = 4_000_000
KMEANS_ITERATIONS = 20
MATCHES_SCHEMA = T.StructType(
    [
        T.StructField("query_id", T.StringType(), False),
        T.StructField("match_id", T.StringType(), False),
        T.StructField("similarity", T.DoubleType(), False),
    ]
)


@dataclass(frozen=True)
class Space:
    """The weighted feature space: per categorical feature its number of codes (codes are
    0..size-1; a code of `size` or more matches nothing, for values the base set never had), and
    the weights of the categorical and then the numeric features."""

    category_sizes: tuple[int, ...]
    category_weights: tuple[float, ...]
    numeric_weights: tuple[float, ...]

    @property
    def dimensions(self) -> int:
        return sum(self.category_sizes) + len(self.numeric_weights)

    def embed(self, codes: np.ndarray, numbers: np.ndarray) -> np.ndarray:
        """The Euclidean embedding (rows of float32) of items given as codes (n x categorical)
        and scaled numbers (n x numeric)."""
        rows = codes.shape[0]
        vectors = np.zeros((rows, self.dimensions), dtype=np.float32)
        offset = 0
        for column, (size, weight) in enumerate(zip(self.category_sizes, self.category_weights, strict=True)):
            code = codes[:, column]
            known = code < size
            vectors[np.flatnonzero(known), offset + code[known]] = math.sqrt(weight / 2)
            offset += size
        vectors[:, offset:] = numbers * np.sqrt(np.asarray(self.numeric_weights, dtype=np.float64))
        return vectors

    def similarity(self, codes_a: np.ndarray, numbers_a: np.ndarray, codes_b: np.ndarray, numbers_b: np.ndarray):
        """The similarity of every a (rows) with every b (columns), in float64."""
        scores = np.zeros((codes_a.shape[0], codes_b.shape[0]), dtype=np.float64)
        for column, weight in enumerate(self.category_weights):
            scores += weight * (codes_a[:, column, None] == codes_b[None, :, column])
        for column, weight in enumerate(self.numeric_weights):
            scores += weight * (1.0 - (numbers_a[:, column, None] - numbers_b[None, :, column]) ** 2)
        return scores


@dataclass(frozen=True)
class SearchParams:
    k: int
    cells: int  # 1: exact search
    probe: int  # cells each query visits
    max_block: int  # base items per block, at most
    kmeans_sample: int  # base items the quantizer is trained on, at most


def top_k(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row of `scores`, the (row, column) pairs of its k highest scores, best first; equal
    scores by the lower column first (callers sort columns by id)."""
    rows, width = scores.shape
    if width > k:
        kth = np.partition(scores, width - k, axis=1)[:, width - k]
        row_index, column_index = np.nonzero(scores >= kth[:, None])  # k or more per row: ties
    else:
        row_index, column_index = np.divmod(np.arange(rows * width), width)
    order = np.lexsort((column_index, -scores[row_index, column_index], row_index))
    row_index, column_index = row_index[order], column_index[order]
    first = np.searchsorted(row_index, row_index, side="left")
    keep = np.arange(row_index.size) - first < k
    return row_index[keep], column_index[keep]


def _arrays(frame: pd.DataFrame, space: Space) -> tuple[np.ndarray, np.ndarray]:
    codes = np.asarray(frame["codes"].tolist(), dtype=np.int64).reshape(len(frame), len(space.category_sizes))
    numbers = np.asarray(frame["numbers"].tolist(), dtype=np.float64).reshape(len(frame), len(space.numeric_weights))
    return codes, numbers


def block_matches(space: Space, k: int, queries: pd.DataFrame, base: pd.DataFrame) -> pd.DataFrame:
    """Each query's k best base items of one block (`id`, `codes`, `numbers` columns)."""
    if queries.empty or base.empty:
        return pd.DataFrame({"query_id": [], "match_id": [], "similarity": []})
    base = base.sort_values("id", kind="stable").reset_index(drop=True)
    base_codes, base_numbers = _arrays(base, space)
    query_codes, query_numbers = _arrays(queries, space)
    step = max(1, PAIRS_PER_CHUNK // len(base))
    parts = []
    for start in range(0, len(queries), step):
        stop = start + step
        scores = space.similarity(query_codes[start:stop], query_numbers[start:stop], base_codes, base_numbers)
        rows, columns = top_k(scores, k)
        parts.append(
            pd.DataFrame(
                {
                    "query_id": queries["id"].to_numpy()[start:stop][rows],
                    "match_id": base["id"].to_numpy()[columns],
                    "similarity": scores[rows, columns],
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def quantizer(space: Space, sample: pd.DataFrame, cells: int, seed: int = 7) -> np.ndarray:
    """`cells` k-means centroids of the sample's embeddings (sorted by id first: the same sample
    gives the same centroids)."""
    import faiss

    sample = sample.sort_values("id", kind="stable")
    vectors = space.embed(*_arrays(sample, space))
    cells = max(1, min(cells, len(vectors)))
    if cells == 1:
        return vectors.mean(axis=0, keepdims=True)
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)  # k-means sums in a fixed order: identical centroids every run
    try:
        # Every sample point trains (faiss would subsample above 256 per cell, and warn below 39).
        kmeans = faiss.Kmeans(
            space.dimensions,
            cells,
            niter=KMEANS_ITERATIONS,
            seed=seed,
            verbose=False,
            min_points_per_centroid=1,
            max_points_per_centroid=max(256, len(vectors)),
        )
        kmeans.train(np.ascontiguousarray(vectors))
    finally:
        faiss.omp_set_num_threads(threads)
    return kmeans.centroids


def nearest_cells(space: Space, centroids: np.ndarray, frame: pd.DataFrame, probe: int) -> np.ndarray:
    """The `probe` nearest cells of each item, nearest first (n x probe); equal distances by cell."""
    vectors = space.embed(*_arrays(frame, space)).astype(np.float64)
    distances = (
        (vectors**2).sum(axis=1)[:, None] - 2 * vectors @ centroids.T.astype(np.float64) + (centroids**2).sum(axis=1)
    )
    _, cells = top_k(-distances, min(probe, centroids.shape[0]))
    return cells.reshape(len(frame), -1)


def nearest(
    spark, queries_df: DataFrame, base_df: DataFrame, space: Space, params: SearchParams, seed: int = 7
) -> DataFrame:
    """(query_id, match_id, similarity, rank) of each query's k most similar base items.

    Both frames have `id` (string), `codes` (array<int>, one per categorical feature) and
    `numbers` (array<double> in [0, 1], one per numeric feature).
    """
    base_df = base_df.select("id", "codes", "numbers")
    queries_df = queries_df.select("id", "codes", "numbers")
    base_count = base_df.count()
    if base_count == 0:
        return spark.createDataFrame([], MATCHES_SCHEMA).withColumn("rank", F.lit(0))
    fraction = min(1.0, params.kmeans_sample / base_count)
    sample = (
        base_df.filter(F.pmod(F.xxhash64("id"), F.lit(1_000_000)) < F.lit(math.ceil(fraction * 1_000_000)))
        .toPandas()
        .sort_values("id", kind="stable")
        .head(params.kmeans_sample)
    )
    centroids = quantizer(space, sample, params.cells, seed)
    cell_schema = "id string, codes array<int>, numbers array<double>, cell int"

    def base_cells(batches):
        for frame in batches:
            yield frame.assign(cell=nearest_cells(space, centroids, frame, 1)[:, 0].astype(np.int32))

    def query_cells(batches):
        for frame in batches:
            cells = nearest_cells(space, centroids, frame, params.probe)
            repeated = frame.loc[frame.index.repeat(cells.shape[1])].reset_index(drop=True)
            yield repeated.assign(cell=cells.reshape(-1).astype(np.int32))

    placed_df = base_df.mapInPandas(base_cells, cell_schema).localCheckpoint()
    sizes = {row["cell"]: row["count"] for row in placed_df.groupBy("cell").count().collect()}
    parts_of = {cell: math.ceil(size / params.max_block) for cell, size in sizes.items()}
    parts_df = spark.createDataFrame(
        [(cell, part) for cell, parts in sorted(parts_of.items()) for part in range(parts)], "cell int, part int"
    )
    base_blocks_df = placed_df.withColumn(
        "part",
        F.pmod(F.xxhash64("id"), F.element_at(F.create_map(*_map_literal(parts_of)), F.col("cell"))).cast("int"),
    )
    query_blocks_df = queries_df.mapInPandas(query_cells, cell_schema).join(
        F.broadcast(parts_df), on="cell", how="inner"
    )

    def score(queries: pd.DataFrame, base: pd.DataFrame) -> pd.DataFrame:
        return block_matches(space, params.k, queries, base)

    candidates_df = (
        query_blocks_df.groupBy("cell", "part")
        .cogroup(base_blocks_df.groupBy("cell", "part"))
        .applyInPandas(score, MATCHES_SCHEMA)
    )
    best = Window.partitionBy("query_id").orderBy(F.col("similarity").desc(), F.col("match_id"))
    return candidates_df.withColumn("rank", F.row_number().over(best)).filter(F.col("rank") <= params.k)


def _map_literal(values: dict[int, int]) -> list:
    return [F.lit(x) for key, value in sorted(values.items()) for x in (key, value)]
