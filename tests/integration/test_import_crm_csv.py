"""The CRM CSV importer as a job: it lands records the raw contract accepts, its rejected rows are in
quarantine.records with their reasons, the same export again changes nothing, and another export
for the same day is refused rather than rewriting a landed file."""

from __future__ import annotations

from datetime import date

import pytest

from jobs import import_crm_csv
from jobs.lake import QUARANTINE, Lake
from jobs.runtime import JobError
from schemas.bronze import QUARANTINE_TABLE
from schemas.landing import ACCOUNTS, OPPORTUNITIES, USERS
from tests.unit.test_crm_csv import EXPORT
from transforms.raw_records import Limits, validate_line

pytestmark = pytest.mark.integration
DAY = date(2017, 12, 31)


def test_an_export_lands_valid_records_and_quarantines_the_rest_once(spark, lake_config, tmp_path):
    config = lake_config()
    folder = tmp_path / "export"
    folder.mkdir()
    for name, text in EXPORT.items():
        (folder / name).write_text(text, encoding="utf-8")

    import_crm_csv.run(spark, config, folder, DAY, "crm.example")

    landing = tmp_path / "landing" / "crm"
    limits = Limits.for_as_of(DAY, 1_048_576, 2)
    landed = {}
    for source in (USERS, ACCOUNTS, OPPORTUNITIES):
        path = landing / source.folder.split("/")[-1] / "crm-csv-2017-12-31.jsonl"
        landed[source.name] = path.read_bytes()
        records = [validate_line(source, line, limits) for line in landed[source.name].splitlines()]
        assert len(records) == {"crm_users": 3, "crm_accounts": 2, "crm_opportunities": 3}[source.name]
    quarantine_df = Lake(spark, config).read(QUARANTINE, QUARANTINE_TABLE)
    rows = sorted(
        (r["source"], r["source_file"].rsplit("/", 1)[-1], r["source_line"], r["reason"])
        for r in quarantine_df.collect()
    )
    assert rows[0] == ("crm_csv", "accounts.csv", 4, "wrong_type") and len(rows) == 7

    import_crm_csv.run(spark, config, folder, DAY, "crm.example")  # the same export again
    assert Lake(spark, config).read(QUARANTINE, QUARANTINE_TABLE).count() == 7
    for source in (USERS, ACCOUNTS, OPPORTUNITIES):
        path = landing / source.folder.split("/")[-1] / "crm-csv-2017-12-31.jsonl"
        assert path.read_bytes() == landed[source.name]

    (folder / "accounts.csv").write_text(EXPORT["accounts.csv"].replace("lots", "900"), encoding="utf-8")
    with pytest.raises(JobError, match="was landed before with other content"):
        import_crm_csv.run(spark, config, folder, DAY, "crm.example")
