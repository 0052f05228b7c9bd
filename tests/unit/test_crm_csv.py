"""The CRM CSV adapter (transforms/crm_csv.py) on a small export written here: the mapping by hand,
the corrections, a reason for every row it cannot map, and counts that reconcile."""

from __future__ import annotations

from datetime import date

from transforms.crm_csv import map_export

EXPORT = {
    "sales_teams.csv": "sales_agent,manager,regional_office\n"
    "Moses Frase,Dustin Brinkmann,Central\n"
    "Anna Snelling,Dustin Brinkmann,Central\n",
    "accounts.csv": "account,sector,year_established,revenue,employees,office_location,subsidiary_of\n"
    "Acme Corporation,technolgy,1996,1100.04,2822,United States,\n"
    "Betatech,medical,1986,647.18,1185,Kenya,Acme Corporation\n"
    "Cancity,retail,2001,718.62,lots,United States,\n",
    "products.csv": "product,series,sales_price\nGTX Pro,GTX,4821\nMG Special,MG,55\n",
    "sales_pipeline.csv": "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value\n"
    "O1,Moses Frase,GTXPro,Acme Corporation,Won,2016-10-20,2017-03-01,4514\n"
    "O2,Anna Snelling,MG Special,Betatech,Lost,2016-10-25,2017-03-11,0\n"
    "O3,Anna Snelling,MG Special,Betatech,Engaging,2017-01-02,,\n"
    "O4,Anna Snelling,MG Special,,Prospecting,,,\n"
    "O5,Nobody Here,MG Special,Betatech,Won,2016-10-25,2017-03-11,50\n"
    "O6,Moses Frase,GTX Ultra,Betatech,Won,2016-10-25,2017-03-11,50\n"
    "O7,Moses Frase,MG Special,Betatech,Closing,2016-10-25,,\n"
    "O8,Moses Frase,MG Special,Betatech,Won,2016-10-25,2017-13-01,50\n"
    "O1,Moses Frase,GTX Pro,Acme Corporation,Won,2016-10-20,2017-03-01,4514\n",
}
STAMP = "2017-12-31T00:00:00Z"


def export(tmp_path):
    for name, text in EXPORT.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return map_export(tmp_path, "crm.example", date(2017, 12, 31))


def test_users_accounts_and_opportunities_by_hand(tmp_path):
    mapped = export(tmp_path)
    assert mapped.records["users"] == [
        {
            "user_id": "usr-dustin-brinkmann",
            "email": "dustin.brinkmann@crm.example",
            "full_name": "Dustin Brinkmann",
            "team_id": "team-dustin-brinkmann",
            "manager_id": None,
            "regional_office": "Central",
            "modified_at": STAMP,
        },
        {
            "user_id": "usr-moses-frase",
            "email": "moses.frase@crm.example",
            "full_name": "Moses Frase",
            "team_id": "team-dustin-brinkmann",
            "manager_id": "usr-dustin-brinkmann",
            "regional_office": "Central",
            "modified_at": STAMP,
        },
        {
            "user_id": "usr-anna-snelling",
            "email": "anna.snelling@crm.example",
            "full_name": "Anna Snelling",
            "team_id": "team-dustin-brinkmann",
            "manager_id": "usr-dustin-brinkmann",
            "regional_office": "Central",
            "modified_at": STAMP,
        },
    ]
    acme, betatech = mapped.records["accounts"]
    assert acme == {
        "account_id": "acc-acme-corporation",
        "name": "Acme Corporation",
        "industry": "technology",  # corrected
        "employee_count": 2822,
        "annual_revenue": 1_100_040_000.0,
        "country": "United States",
        "parent_account_id": None,
        "modified_at": STAMP,
    }
    assert betatech["parent_account_id"] == "acc-acme-corporation"
    won, lost, engaging = mapped.records["opportunities"]
    assert won == {
        "opportunity_id": "O1",
        "account_id": "acc-acme-corporation",
        "owner_id": "usr-moses-frase",
        "status": "won",
        "name": "Acme Corporation - GTX Pro",  # GTXPro is GTX Pro
        "stage": "close",
        "estimated_revenue": 4821.0,
        "actual_revenue": 4514.0,
        "product_line": "GTX Pro",
        "created_at": "2016-10-20T00:00:00Z",
        "estimated_close_date": "2017-03-01",
        "actual_close_date": "2017-03-01",
        "modified_at": STAMP,
    }
    assert (lost["status"], lost["stage"], lost["actual_revenue"], lost["actual_close_date"]) == (
        "lost",
        "close",
        None,
        "2017-03-11",
    )
    assert (engaging["status"], engaging["stage"], engaging["actual_close_date"]) == ("open", "develop", None)


def test_every_row_not_mapped_has_a_reason_and_the_counts_reconcile(tmp_path):
    mapped = export(tmp_path)
    assert [(r.file, r.line, r.reason, r.field) for r in mapped.rejected] == [
        ("accounts.csv", 4, "wrong_type", "employees"),
        ("sales_pipeline.csv", 5, "missing_required_field", "account"),
        ("sales_pipeline.csv", 6, "unknown_reference", "sales_agent"),
        ("sales_pipeline.csv", 7, "unknown_reference", "product"),
        ("sales_pipeline.csv", 8, "invalid_enum_value", "deal_stage"),
        ("sales_pipeline.csv", 9, "invalid_date", "close_date"),
        ("sales_pipeline.csv", 10, "duplicate_id", "opportunity_id"),
    ]
    rejected = mapped.rejected
    assert rejected[0].detail == "accounts.csv:4: employees 'lots' is not a number"
    assert rejected[0].raw == "Cancity,retail,2001,718.62,lots,United States,"
    assert rejected[5].detail == "sales_pipeline.csv:9: close_date '2017-13-01' is not a YYYY-MM-DD date"
    for name in EXPORT:
        quarantined = sum(1 for r in rejected if r.file == name)
        assert mapped.rows_read[name] == mapped.rows_mapped[name] + quarantined
    assert mapped.rows_read["sales_pipeline.csv"] == 9 and mapped.rows_mapped["sales_pipeline.csv"] == 3


def test_a_file_without_a_required_column_sends_each_of_its_rows_to_quarantine(tmp_path):
    without = dict(EXPORT, **{"products.csv": "product,price\nGTX Pro,4821\nMG Special,55\n"})
    for name, text in without.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    mapped = map_export(tmp_path, "crm.example", date(2017, 12, 31))
    whole = [r for r in mapped.rejected if r.file == "products.csv"]
    assert [(r.line, r.reason, r.field, r.detail) for r in whole] == [
        (n, "missing_column", "series", f"products.csv:{n}: no column series, sales_price in the header")
        for n in (2, 3)
    ]
    assert mapped.rows_read["products.csv"] == 2 and mapped.rows_mapped["products.csv"] == 0
    # Without products no deal can be mapped; each says which product it did not find.
    assert {r.reason for r in mapped.rejected if r.file == "sales_pipeline.csv"} >= {"unknown_reference"}


def test_columns_the_mapping_does_not_read_are_kept_as_text_fields_of_the_records(tmp_path):
    export(tmp_path)
    (tmp_path / "sales_pipeline.csv").write_text(
        "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value,Sales Region,"
        "status,owner_id\n"
        "O1,Moses Frase,GTX Pro,Acme Corporation,Won,2016-10-20,2017-03-01,4514,EMEA,x,y\n"
        "O2,Moses Frase,MG Special,Betatech,Lost,2016-10-25,2017-03-11,0,,x,y\n",
        encoding="utf-8",
    )
    (tmp_path / "sales_teams.csv").write_text(
        "sales_agent,manager,regional_office,desk\nMoses Frase,Dustin Brinkmann,Central,D4\n", encoding="utf-8"
    )

    mapped = map_export(tmp_path, "crm.example", date(2017, 12, 31))

    opportunities = {r["opportunity_id"]: r for r in mapped.records["opportunities"]}
    assert opportunities["O1"]["sales_region"] == "EMEA"
    assert "sales_region" not in opportunities["O2"]  # empty: absent, null downstream
    # A column named like a contract field never replaces what the mapping made of the row.
    assert (opportunities["O1"]["status"], opportunities["O1"]["owner_id"]) == ("won", "usr-moses-frase")
    users = {r["user_id"]: r for r in mapped.records["users"]}
    assert users["usr-moses-frase"]["desk"] == "D4" and "desk" not in users["usr-dustin-brinkmann"]
    assert mapped.extra_columns["sales_pipeline.csv"] == ["sales_region"]
    assert mapped.extra_columns["sales_teams.csv"] == ["desk"]
