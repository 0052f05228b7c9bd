from datetime import date, datetime

from chispa import assert_df_equality

from transforms.conform_crm import conform_accounts, conform_opportunities, conform_users

POSITION = ("jsonl", "file:/l/f.jsonl", 1)


def test_users_keep_the_latest_version_with_a_normalized_address(spark):
    users_df = spark.createDataFrame(
        [
            ("u1", " Ann@Rapport.Example ", "Ann", "t1", None, True, False, datetime(2026, 3, 2), *POSITION),
            ("u1", "ann.old@rapport.example", "Ann", "t1", None, True, False, datetime(2026, 3, 1), *POSITION),
        ],
        "user_id string, email string, full_name string, team_id string, manager_id string, is_active boolean, "
        "analytics_opt_out boolean, modified_at timestamp, source_format string, source_file string, source_line long",
    )

    expected_df = spark.createDataFrame(
        [("u1", "ann@rapport.example", "Ann", "t1", None, True, False, datetime(2026, 3, 2))],
        "user_id string, email string, full_name string, team_id string, manager_id string, is_active boolean, "
        "analytics_opt_out boolean, modified_at timestamp",
    )
    assert_df_equality(conform_users(users_df), expected_df, ignore_nullable=True)


def test_account_domains_are_lowercase_without_at_signs_empties_or_repeats(spark):
    accounts_df = spark.createDataFrame(
        [
            (
                "a1",
                "Acme",
                None,
                None,
                None,
                None,
                ["@Acme.com", "acme.com", " ", "ACME.co.uk"],
                None,
                None,
                None,
                None,
                *POSITION,
            ),
            ("a2", "Nodomain", None, None, None, None, None, None, None, None, None, *POSITION),
        ],
        "account_id string, name string, industry string, employee_count long, annual_revenue double, "
        "country string, email_domains array<string>, primary_contact_id string, owner_id string, "
        "created_at timestamp, modified_at timestamp, source_format string, source_file string, source_line long",
    )

    domains = {r["account_id"]: r["email_domains"] for r in conform_accounts(accounts_df).collect()}

    assert domains == {"a1": ["acme.com", "acme.co.uk"], "a2": []}


def test_won_deals_without_actuals_use_the_estimate_and_the_last_modified_day(spark):
    columns = (
        "opportunity_id string, account_id string, owner_id string, status string, name string, contact_id string, "
        "sales_team_user_ids array<string>, stakeholder_contact_ids array<string>, stage string, "
        "estimated_revenue double, actual_revenue double, product_line string, lead_source string, "
        "created_at timestamp, estimated_close_date date, actual_close_date date, modified_at timestamp, "
        "source_format string, source_file string, source_line long"
    )
    modified = datetime(2026, 3, 20, 23, 30)
    opportunities_df = spark.createDataFrame(
        [
            (
                "o1",
                "a1",
                "u1",
                "won",
                "Big",
                None,
                ["u2", "u2", None],
                None,
                "close",
                100.0,
                None,
                None,
                None,
                None,
                date(2026, 4, 1),
                None,
                modified,
                *POSITION,
            ),
            (
                "o2",
                "a1",
                "u1",
                "won",
                "Done",
                None,
                [],
                [],
                "close",
                100.0,
                90.0,
                None,
                None,
                None,
                None,
                date(2026, 3, 1),
                modified,
                *POSITION,
            ),
            (
                "o3",
                "a1",
                "u1",
                "lost",
                "Gone",
                None,
                [],
                [],
                "propose",
                50.0,
                None,
                None,
                None,
                None,
                None,
                None,
                modified,
                *POSITION,
            ),
            (
                "o4",
                "a1",
                "u1",
                "open",
                "Soon",
                None,
                [],
                [],
                "develop",
                70.0,
                None,
                None,
                None,
                None,
                date(2026, 5, 1),
                None,
                modified,
                *POSITION,
            ),
        ],
        columns,
    )

    rows = {
        r["opportunity_id"]: (
            r["actual_revenue"],
            r["actual_close_date"],
            r["is_actual_estimated"],
            r["sales_team_user_ids"],
            r["stakeholder_contact_ids"],
        )
        for r in conform_opportunities(opportunities_df).collect()
    }

    assert rows == {
        "o1": (100.0, date(2026, 3, 20), True, ["u2"], []),
        "o2": (90.0, date(2026, 3, 1), False, [], []),
        "o3": (None, date(2026, 3, 20), False, [], []),
        "o4": (None, None, False, [], []),
    }
