from datetime import datetime

from chispa import assert_df_equality

from transforms.versions import filter_latest_version

COLUMNS = (
    "contact_id string, email string, modified_at timestamp, source_format string, source_file string, source_line long"
)


def test_greatest_modified_at_wins_and_a_missing_one_is_the_oldest(spark):
    df = spark.createDataFrame(
        [
            ("c1", "old@x.io", datetime(2026, 3, 1), "jsonl", "file:/l/crm/contacts/2026-03-02-00000.jsonl", 1),
            ("c1", "new@x.io", datetime(2026, 3, 5), "jsonl", "file:/l/crm/contacts/2026-03-01-00000.jsonl", 9),
            ("c1", "none@x.io", None, "jsonl", "file:/l/crm/contacts/2026-03-09-00000.jsonl", 1),
        ],
        COLUMNS,
    )

    assert [r["email"] for r in filter_latest_version(df, "contact_id").collect()] == ["new@x.io"]


def test_ties_go_to_the_later_file_name_then_the_later_line(spark):
    at = datetime(2026, 3, 1)
    df = spark.createDataFrame(
        [
            ("c1", "a@x.io", at, "jsonl", "file:/l/crm/contacts/2026-03-01-00000.jsonl", 7),
            ("c1", "b@x.io", at, "jsonl", "file:/l/crm/contacts/2026-03-02-00000.jsonl", 1),
            ("c2", "c@x.io", None, "jsonl", "file:/l/crm/contacts/2026-03-02-00000.jsonl", 2),
            ("c2", "d@x.io", None, "jsonl", "file:/l/crm/contacts/2026-03-02-00000.jsonl", 3),
        ],
        COLUMNS,
    )

    expected_df = spark.createDataFrame(
        [
            ("c1", "b@x.io", at, "jsonl", "file:/l/crm/contacts/2026-03-02-00000.jsonl", 1),
            ("c2", "d@x.io", None, "jsonl", "file:/l/crm/contacts/2026-03-02-00000.jsonl", 3),
        ],
        COLUMNS,
    )
    assert_df_equality(filter_latest_version(df, "contact_id"), expected_df, ignore_row_order=True)


def test_a_json_lines_email_wins_over_the_same_message_as_mail(spark):
    df = spark.createDataFrame(
        [
            ("m1", "jsonl", "file:/l/activities/emails/2026-03-01-00000.jsonl", 4, True),
            ("m1", "eml", "file:/l/activities/emails/2026-03-09-00000.eml", 1, False),
        ],
        "email_id string, source_format string, source_file string, source_line long, followed boolean",
    )

    (winner,) = filter_latest_version(df, "email_id").collect()

    assert (winner["source_format"], winner["followed"]) == ("jsonl", True)
