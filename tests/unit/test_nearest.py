"""The k-nearest search of transforms/nearest.py: the similarity formula and its embedding, ties,
exactness with one cell, recall of the cell search against exact search, and split blocks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from transforms.nearest import SearchParams, Space, block_matches, nearest, top_k

# Two categorical features (3 and 2 codes) and one number; the weights sum to 1.
SPACE = Space(category_sizes=(3, 2), category_weights=(0.5, 0.2), numeric_weights=(0.3,))


def items(*rows: tuple[str, list[int], list[float]]) -> pd.DataFrame:
    return pd.DataFrame({"id": [r[0] for r in rows], "codes": [r[1] for r in rows], "numbers": [r[2] for r in rows]})


def test_similarity_is_one_minus_the_squared_distance_of_the_embedding():
    rng = np.random.default_rng(3)
    codes = np.column_stack([rng.integers(0, 4, 50), rng.integers(0, 3, 50)])  # 3 and 2 are unknown codes
    numbers = rng.random((50, 1))
    vectors = SPACE.embed(codes, numbers).astype(np.float64)
    distances = ((vectors[:, None, :] - vectors[None, :, :]) ** 2).sum(axis=2)
    scores = SPACE.similarity(codes, numbers, codes, numbers)
    known = (codes[:, 0] < 3) & (codes[:, 1] < 2)  # an unknown code matches nothing, not even itself
    assert np.allclose(scores[np.ix_(known, known)], 1 - distances[np.ix_(known, known)], atol=1e-6)
    assert scores.min() >= 0 and scores.max() <= 1 + 1e-12


def test_similarity_by_hand():
    # a: (0, 1, 0.2); b: (0, 0, 0.7): same first code 0.5, other second 0, number 0.3 (1 - 0.25) = 0.225.
    # c: (2, 1, 0.2): 0 + 0.2 + 0.3 = 0.5. An unknown code (3) against a itself: 0.2 + 0.3 = 0.5.
    a = (np.array([[0, 1]]), np.array([[0.2]]))
    others = (np.array([[0, 0], [2, 1], [3, 1]]), np.array([[0.7], [0.2], [0.2]]))
    assert SPACE.similarity(*a, *others).round(12).tolist() == [[0.725, 0.5, 0.5]]


def test_top_k_keeps_the_best_and_breaks_ties_by_the_lower_column():
    scores = np.array([[0.1, 0.9, 0.5, 0.9, 0.5], [0.3, 0.3, 0.3, 0.3, 0.8]])
    rows, columns = top_k(scores, 3)
    assert list(zip(rows.tolist(), columns.tolist(), strict=True)) == [(0, 1), (0, 3), (0, 2), (1, 4), (1, 0), (1, 1)]
    rows, columns = top_k(scores[:, :2], 3)  # fewer columns than k: all of them, best first
    assert list(zip(rows.tolist(), columns.tolist(), strict=True)) == [(0, 1), (0, 0), (1, 0), (1, 1)]


def test_block_matches_by_hand_with_ties_by_id():
    queries = items(("q1", [0, 1], [0.2]))
    base = items(("w4", [2, 1], [0.2]), ("w2", [0, 0], [0.7]), ("w3", [3, 1], [0.2]), ("w1", [1, 0], [0.2]))
    got = block_matches(SPACE, 3, queries, base)
    # w2 0.725; w3 and w4 0.5 each (the lower id first); w1 0.3.
    assert got.assign(similarity=got["similarity"].round(12)).values.tolist() == [
        ["q1", "w2", 0.725],
        ["q1", "w3", 0.5],
        ["q1", "w4", 0.5],
    ]


def random_items(rng, count: int, prefix: str) -> pd.DataFrame:
    """Deals around 8 kinds: the codes of a kind's centre most of the time, numbers near its own."""
    kinds = rng.integers(0, 8, count)
    centres_codes = np.array([[k % 3, k % 2] for k in range(8)])
    codes = np.where(
        rng.random((count, 2)) < 0.8,
        centres_codes[kinds],
        np.column_stack([rng.integers(0, 3, count), rng.integers(0, 2, count)]),
    )
    numbers = np.clip(kinds[:, None] / 8 + rng.normal(0, 0.08, (count, 1)), 0, 1)
    return pd.DataFrame(
        {"id": [f"{prefix}{n:05d}" for n in range(count)], "codes": codes.tolist(), "numbers": numbers.tolist()}
    )


def to_spark(spark, frame: pd.DataFrame):
    return spark.createDataFrame(frame, "id string, codes array<int>, numbers array<double>")


def brute_force(queries: pd.DataFrame, base: pd.DataFrame, k: int) -> dict[str, list[str]]:
    got = block_matches(SPACE, k, queries, base)
    return {q: group["match_id"].tolist() for q, group in got.groupby("query_id")}


def matches_of(df) -> dict[str, list[str]]:
    rows = sorted(df.select("query_id", "rank", "match_id").collect())
    out: dict[str, list[str]] = {}
    for query, _, match in rows:
        out.setdefault(query, []).append(match)
    return out


@pytest.fixture(scope="module")
def deals():
    rng = np.random.default_rng(11)
    return random_items(rng, 150, "q"), random_items(rng, 3000, "w")


def test_one_cell_is_exact_even_when_its_block_is_split(spark, deals):
    queries, base = deals
    params = SearchParams(k=10, cells=1, probe=1, max_block=700, kmeans_sample=500)  # 3000 won in 5 parts
    got = matches_of(nearest(spark, to_spark(spark, queries), to_spark(spark, base), SPACE, params))
    assert got == brute_force(queries, base, 10)


def test_the_cell_search_finds_at_least_95_percent_of_the_exact_ten_best_and_is_repeatable(spark, deals):
    queries, base = deals
    params = SearchParams(k=10, cells=55, probe=12, max_block=20_000, kmeans_sample=3000)
    search = nearest(spark, to_spark(spark, queries), to_spark(spark, base), SPACE, params)
    first = sorted(tuple(r) for r in search.collect())
    exact = brute_force(queries, base, 10)
    found = matches_of(search)
    recall = np.mean([len(set(found.get(q, [])) & set(best)) / len(best) for q, best in exact.items()])
    assert recall >= 0.95, recall
    assert all(len(found[q]) == 10 for q in exact)
    again = nearest(spark, to_spark(spark, queries), to_spark(spark, base), SPACE, params)
    assert sorted(tuple(r) for r in again.collect()) == first
