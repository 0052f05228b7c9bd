"""Which rows hold a person (transforms/erasure.py), worked by hand on tiny frames, and the addresses
the erase job accepts."""

from __future__ import annotations

import hashlib

import pytest
from pyspark.sql import functions as F

from jobs.erase import requested_addresses
from jobs.runtime import JobError
from transforms.conform_crm import normalized_address
from transforms.erasure import (
    activity_kind_ids,
    erased_keys,
    erasure_hash,
    holds_person,
    is_address,
    keys_holding,
    kind_ids,
    null_safe_condition,
    pseudonym,
    reference,
    targets,
    token_hash,
    tokens_matching,
)

SALT = "unit-salt"
ANN = "ann@example.org"
ANN_KEY = hashlib.sha256(f"{SALT}{ANN}".encode()).hexdigest()
ROWS_SCHEMA = "id string, text string, addresses array<string>, attendees array<struct<email:string,response:string>>"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (ANN, True),
        ("  Ann@Example.ORG ", True),
        ("o'brien.x+tag@mail.example.co.uk", True),
        ("jörg@bücher.example", True),
        ("ann", False),
        ("ann@", False),
        ("@example.org", False),
        ("ann@example", False),  # no dot in the domain
        ("ann smith@example.org", False),
        ("ann@example.org, bob@example.org", False),
        ("'ann@example.org", False),
    ],
)
def test_an_address_is_one_token_erasure_can_find(text, expected):
    assert is_address(text) is expected


def test_the_pseudonym_is_the_key_conform_gives_the_address(spark):
    df = spark.createDataFrame([(" Ann@Example.org",)], "address string").select(
        F.sha2(F.concat(F.lit(SALT), normalized_address("address")), 256).alias("person_key")
    )

    assert df.first()["person_key"] == pseudonym(" Ann@Example.org", SALT) == ANN_KEY


def test_the_erasure_hash_is_neither_the_pseudonym_nor_unsalted_and_spark_computes_the_same(spark):
    spark_hash = spark.createDataFrame([(ANN,)], "token string").select(token_hash(F.col("token"), SALT)).first()[0]

    assert spark_hash == erasure_hash(ANN, SALT)
    assert erasure_hash(ANN, SALT) not in (ANN_KEY, hashlib.sha256(ANN.encode()).hexdigest(), erasure_hash(ANN, "x"))
    assert reference(erasure_hash(ANN, SALT)) == erasure_hash(ANN, SALT)[:12]
    assert targets([ANN, " ANN@example.org"], SALT) == sorted({erasure_hash(ANN, SALT), erasure_hash(ANN_KEY, SALT)})


def test_rows_holding_the_address_or_its_key_in_any_column_are_found_and_no_others(spark):
    rows = [
        ("r1", "Hello ANN@Example.org, see you", None, None),  # any case
        ("r2", "from 'ann@example.org' to <ann@example.org>", None, None),  # quoted
        ("r3", '{"to":["bob@example.org","ann@example.org"]}', None, None),  # a raw JSON record
        ("r4", None, ["bob@example.org", ANN], None),  # in an array
        ("r5", None, None, [("bob@example.org", "accepted"), (ANN, None)]),  # inside structs
        ("r6", ANN_KEY, None, None),  # the pseudonymous key
        ("r7", f"person {ANN_KEY.upper()}.", None, None),  # the key in text, any case
        ("n1", "joann@example.org and ann@example.org.uk and ann.b@example.org", None, None),  # other people
        ("n2", "ann at example.org", ["bob@example.org"], [("bob@example.org", None)]),
        ("n3", "0" + ANN_KEY, None, None),  # a longer hex string is not the key
        ("n4", None, None, None),
        ("n5", "x" * 20_000 + "." + "ann" * 5_000 + "@", None, None),  # long words: scanned in linear time
    ]
    df = spark.createDataFrame(rows, ROWS_SCHEMA)

    found = df.filter(holds_person(df, targets([ANN], SALT), SALT)).select("id").collect()

    assert sorted(r["id"] for r in found) == ["r1", "r2", "r3", "r4", "r5", "r6", "r7"]
    assert df.filter(holds_person(df, [], SALT)).count() == 0


def test_keys_holding_are_each_key_once(spark):
    df = spark.createDataFrame(
        [("e1", f"to {ANN}", None, None), ("e1", "a later version without her", None, None), ("e2", "bob", None, None)],
        ROWS_SCHEMA,
    )

    assert keys_holding(df, ["id"], targets([ANN], SALT), SALT).collect() == [("e1",)]


def test_the_register_recognises_an_address_in_later_data_by_its_hash(spark):
    df = spark.createDataFrame(
        [("x", f"From: Ann <{ANN.upper()}>, cc carl@example.org", ["bob@example.org"], None)], ROWS_SCHEMA
    )
    register = spark.createDataFrame(
        [(erasure_hash(ANN, SALT),), (erasure_hash("zed@example.org", SALT),)], "address_hash string"
    )

    found = tokens_matching(df, register, SALT).collect()

    assert [(r["token"], r["address_hash"]) for r in found] == [(ANN, erasure_hash(ANN, SALT))]


def test_activity_keys_split_into_kind_and_id_whatever_the_id_holds(spark):
    keys = spark.createDataFrame([("email:e1",), ("email:<m1@x.org>:2",), ("call:c1",)], "activity_key string")

    assert sorted(activity_kind_ids(keys).collect()) == [("call", "c1"), ("email", "<m1@x.org>:2"), ("email", "e1")]


def test_erased_ids_are_keyed_as_each_table_names_them(spark):
    found = spark.createDataFrame(
        [("email", "e1"), ("call", "c1"), ("contact", "con-1"), ("user", "usr-1"), ("event", "ev-1")],
        "kind string, id string",
    )

    keys = erased_keys(found, ["email", "call", "contact", "user", "event"])

    assert sorted(keys) == ["activity", "call", "contact", "email", "event", "person", "record", "user"]
    assert sorted(r[0] for r in keys["activity"].collect()) == ["call:c1", "email:e1"]
    assert keys["record"].collect() == [("contact", "con-1")]
    assert keys["record"].columns == ["record_type", "record_id"]
    assert sorted(keys["person"].collect()) == [("contact", "con-1"), ("user", "usr-1")]
    assert keys["event"].collect() == [("ev-1",)]
    assert kind_ids(found.filter("kind = 'user'"), "person", "id").collect() == [("person", "usr-1")]


def test_a_merge_condition_equates_every_column_nulls_included():
    assert null_safe_condition(["a", "b c"]) == "t.`a` <=> s.`a` AND t.`b c` <=> s.`b c`"


def test_addresses_come_from_options_and_files_each_once(tmp_path):
    listed = tmp_path / "requests.txt"
    listed.write_text("# erasure requests of March\n\nBob@Example.org\n  ann@example.org  \n# done\n")

    assert requested_addresses([" ANN@example.org"], [str(listed)]) == [ANN, "bob@example.org"]


def test_a_missing_file_or_a_value_that_is_no_address_stops_without_naming_the_value(tmp_path):
    listed = tmp_path / "requests.txt"
    listed.write_text("ann@example.org\nnot-an-address\n")

    with pytest.raises(JobError, match=r"requests.txt, line 2: not an email address") as bad_line:
        requested_addresses([], [str(listed)])
    with pytest.raises(JobError, match=r"--email number 2 is not an email address") as bad_option:
        requested_addresses([ANN, "ann@example"], [])
    with pytest.raises(JobError, match=r"--file .*missing.txt: no such file"):
        requested_addresses([], [str(tmp_path / "missing.txt")])
    assert "not-an-address" not in str(bad_line.value)
    assert "ann@example" not in str(bad_option.value)
