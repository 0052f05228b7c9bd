"""A CRM CSV export (the Maven Analytics "CRM Sales Opportunities" layout) mapped to the landing
contract's CRM sources: users, accounts and opportunities, as JSON-ready records.

The export's files and what becomes of them (docs/decisions.md has the reasons):

- sales_teams.csv (sales_agent, manager, regional_office): a user per agent and per manager, in
  the manager's team; addresses are made up in a domain you give (the export has none).
- accounts.csv (account, sector, year_established, revenue in USD millions, employees,
  office_location, subsidiary_of): an account; industry = sector, country = office_location.
- products.csv (product, series, sales_price): the names and list prices deals are matched to.
- sales_pipeline.csv (opportunity_id, sales_agent, product, account, deal_stage, engage_date,
  close_date, close_value): an opportunity; Won and Lost close it, Engaging is `develop`,
  Prospecting `qualify`; estimated revenue = the product's list price, actual = close_value.

Columns the mapping does not read (a `region` a CRM added to its export) are kept: each becomes a
text field of the row's record under its name in snake_case (`Sales Region` -> `sales_region`),
unless the record or the contract has that field already; empty values are left out. Ingest keeps
them in bronze's raw_record and `crm.extra_fields` can carry them into silver. A sales_teams.csv
row's go to its agent, not the manager.

Ids are made from names (`usr-moses-frase`, `acc-acme-corporation`), so the same export gives
the same records. Known misspellings are corrected by a table below, products are matched ignoring
case, spaces and punctuation (`GTXPro` is `GTX Pro`), and a row that cannot be mapped is a
`Rejected` with a reason, its file and line: rows read = records mapped + rows rejected, per file.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from schemas.landing import SOURCES_BY_NAME

FILES = ("sales_teams.csv", "accounts.csv", "products.csv", "sales_pipeline.csv")
COLUMNS = {
    "sales_teams.csv": ("sales_agent", "manager", "regional_office"),
    "accounts.csv": ("account", "sector", "year_established", "revenue", "employees", "office_location"),
    "products.csv": ("product", "series", "sales_price"),
    "sales_pipeline.csv": (
        "opportunity_id",
        "sales_agent",
        "product",
        "account",
        "deal_stage",
        "engage_date",
        "close_date",
        "close_value",
    ),
}
# Columns read beyond the required ones; every other column is carried as an extra field.
OPTIONAL_COLUMNS = {"accounts.csv": ("subsidiary_of",)}
# The landing source each file's rows become.
TARGETS = {"sales_teams.csv": "crm_users", "accounts.csv": "crm_accounts", "sales_pipeline.csv": "crm_opportunities"}
# Misspellings found in the export, and what they stand for.
CORRECTIONS = {"sector": {"technolgy": "technology"}}
# deal_stage -> (status, stage)
DEAL_STAGES = {
    "won": ("won", "close"),
    "lost": ("lost", "close"),
    "engaging": ("open", "develop"),
    "prospecting": ("open", "qualify"),
}
REVENUE_UNIT = 1_000_000  # accounts.csv gives revenue in millions


class Reason:
    """Why a CSV row was not mapped (the quarantine `reason`)."""

    MISSING_VALUE = "missing_required_field"
    UNKNOWN_REFERENCE = "unknown_reference"
    INVALID_NUMBER = "wrong_type"
    INVALID_DATE = "invalid_date"
    INVALID_ENUM_VALUE = "invalid_enum_value"
    DUPLICATE_ID = "duplicate_id"
    MISSING_COLUMN = "missing_column"


@dataclass(frozen=True)
class Rejected:
    file: str
    line: int  # 1 is the header; 0: the whole file
    reason: str
    field: str | None
    detail: str
    raw: str


@dataclass
class Mapped:
    """What an export became: records per landing source, rejected rows, and rows read per file."""

    records: dict[str, list[dict]] = field(default_factory=lambda: {"users": [], "accounts": [], "opportunities": []})
    rejected: list[Rejected] = field(default_factory=list)
    rows_read: dict[str, int] = field(default_factory=dict)
    rows_mapped: dict[str, int] = field(default_factory=dict)
    extra_columns: dict[str, list[str]] = field(default_factory=dict)  # file -> fields carried as they came


def extra_key(header: str) -> str:
    """A CSV header as a field name: lower case, runs of other characters as one underscore."""
    return re.sub(r"[^a-z0-9]+", "_", header.lower()).strip("_")


def extra_fields(name: str, row: dict[str, str], record: dict) -> dict[str, str]:
    """The values of the row's columns the mapping does not read, by `extra_key`, for a record of
    file `name`: never a field the record or the contract's source has, nor an empty value."""
    read = {*COLUMNS[name], *OPTIONAL_COLUMNS.get(name, ())}
    taken = {*record, *(f.name for f in SOURCES_BY_NAME[TARGETS[name]].fields)}
    extra = {}
    for column, value in row.items():
        key = extra_key(column)
        if column not in read and key and key not in taken and key not in extra and value:
            extra[key] = value
    return extra


class _Bad(Exception):
    def __init__(self, reason: str, column: str | None, detail: str):
        super().__init__(detail)
        self.reason, self.column, self.detail = reason, column, detail


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _key(text: str) -> str:
    """A product name as compared: letters and digits only, lower case."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str], str]]:
    """(line, row, raw line) of a CSV file with a header, values trimmed."""
    text = path.read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    reader = csv.DictReader(io.StringIO(text))
    for row in reader:
        line = reader.line_num
        yield line, {k: (v or "").strip() for k, v in row.items() if k is not None}, lines[line - 1] if line else ""


def _required(row: dict, column: str) -> str:
    value = row.get(column, "")
    if not value:
        raise _Bad(Reason.MISSING_VALUE, column, f"{column} is empty")
    return value


def _number(row: dict, column: str, kind=float) -> float | int | None:
    value = row.get(column, "")
    if not value:
        return None
    try:
        return kind(value)
    except ValueError:
        raise _Bad(Reason.INVALID_NUMBER, column, f"{column} {value!r} is not a number") from None


def _date(row: dict, column: str) -> str | None:
    value = row.get(column, "")
    if not value:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise _Bad(Reason.INVALID_DATE, column, f"{column} {value!r} is not a YYYY-MM-DD date") from None


def _corrected(column: str, value: str) -> str:
    return CORRECTIONS.get(column, {}).get(value.lower(), value)


def map_export(folder: Path, email_domain: str, exported_on: date) -> Mapped:
    """Map the export in `folder` (the four files of `FILES`); every CRM record is stamped
    `modified_at` = midnight UTC of `exported_on`, so a later export's versions win."""
    mapped = Mapped()
    modified_at = f"{exported_on.isoformat()}T00:00:00Z"
    users: dict[str, str] = {}  # agent or manager name -> user id
    accounts: dict[str, str] = {}
    products: dict[str, tuple[str, float]] = {}  # key -> (name, list price)
    opportunities: set[str] = set()

    def each(name: str, build) -> None:
        path = folder / name
        mapped.rows_read[name] = mapped.rows_mapped[name] = 0
        header = path.read_text(encoding="utf-8-sig").splitlines()[:1]
        columns = next(csv.reader(header), [])
        missing = [c for c in COLUMNS[name] if c not in columns]
        if name in TARGETS:
            read = {*COLUMNS[name], *OPTIONAL_COLUMNS.get(name, ())}
            contract = {f.name for f in SOURCES_BY_NAME[TARGETS[name]].fields}
            keys = [extra_key(c) for c in columns if c not in read]
            mapped.extra_columns[name] = [k for k in dict.fromkeys(keys) if k and k not in contract]
        for line, row, raw in _rows(path):
            mapped.rows_read[name] += 1
            try:
                if missing:
                    raise _Bad(Reason.MISSING_COLUMN, missing[0], f"no column {', '.join(missing)} in the header")
                build(row)
                mapped.rows_mapped[name] += 1
            except _Bad as bad:
                mapped.rejected.append(
                    Rejected(name, line, bad.reason, bad.column, f"{name}:{line}: {bad.detail}", raw)
                )

    def team_member(row: dict) -> None:
        agent, manager = _required(row, "sales_agent"), _required(row, "manager")
        if agent in users:
            raise _Bad(Reason.DUPLICATE_ID, "sales_agent", f"sales_agent {agent!r} is listed twice")
        for person, manager_name in ((manager, None), (agent, manager)):
            if person in users:
                continue
            users[person] = f"usr-{slug(person)}"
            record = {
                "user_id": users[person],
                "email": f"{slug(person).replace('-', '.')}@{email_domain}",
                "full_name": person,
                "team_id": f"team-{slug(manager)}",
                "manager_id": f"usr-{slug(manager_name)}" if manager_name else None,
                "regional_office": row.get("regional_office") or None,
                "modified_at": modified_at,
            }
            if person == agent:
                record |= extra_fields("sales_teams.csv", row, record)
            mapped.records["users"].append(record)

    def account(row: dict) -> None:
        name = _required(row, "account")
        if name in accounts:
            raise _Bad(Reason.DUPLICATE_ID, "account", f"account {name!r} is listed twice")
        employees, revenue = _number(row, "employees", int), _number(row, "revenue")
        accounts[name] = f"acc-{slug(name)}"
        record = {
            "account_id": accounts[name],
            "name": name,
            "industry": _corrected("sector", row["sector"]) or None,
            "employee_count": employees,
            "annual_revenue": None if revenue is None else round(revenue * REVENUE_UNIT, 2),
            "country": row.get("office_location") or None,
            "parent_account_id": f"acc-{slug(row['subsidiary_of'])}" if row.get("subsidiary_of") else None,
            "modified_at": modified_at,
        }
        mapped.records["accounts"].append(record | extra_fields("accounts.csv", row, record))

    def product(row: dict) -> None:
        name, price = _required(row, "product"), _number(row, "sales_price")
        products[_key(name)] = (name, price)

    def opportunity(row: dict) -> None:
        opportunity_id = _required(row, "opportunity_id")
        if opportunity_id in opportunities:
            raise _Bad(Reason.DUPLICATE_ID, "opportunity_id", f"opportunity_id {opportunity_id} is listed twice")
        stage_text = _required(row, "deal_stage")
        if stage_text.lower() not in DEAL_STAGES:
            known = ", ".join(s.title() for s in DEAL_STAGES)
            raise _Bad(Reason.INVALID_ENUM_VALUE, "deal_stage", f"deal_stage {stage_text!r} is not one of {known}")
        status, stage = DEAL_STAGES[stage_text.lower()]
        agent, account_name = _required(row, "sales_agent"), _required(row, "account")
        if agent not in users:
            raise _Bad(Reason.UNKNOWN_REFERENCE, "sales_agent", f"sales_agent {agent!r} is in no sales team")
        if account_name not in accounts:
            raise _Bad(Reason.UNKNOWN_REFERENCE, "account", f"account {account_name!r} is not in accounts.csv")
        product_text = _required(row, "product")
        if _key(product_text) not in products:
            raise _Bad(Reason.UNKNOWN_REFERENCE, "product", f"product {product_text!r} is not in products.csv")
        product_name, price = products[_key(product_text)]
        engaged, closed, value = _date(row, "engage_date"), _date(row, "close_date"), _number(row, "close_value")
        if status != "open" and closed is None:
            raise _Bad(Reason.MISSING_VALUE, "close_date", f"a {status} deal without close_date")
        opportunities.add(opportunity_id)
        record = {
            "opportunity_id": opportunity_id,
            "account_id": accounts[account_name],
            "owner_id": users[agent],
            "status": status,
            "name": f"{account_name} - {product_name}",
            "stage": stage,
            "estimated_revenue": price,
            "actual_revenue": value if status == "won" else None,
            "product_line": product_name,
            "created_at": f"{engaged}T00:00:00Z" if engaged else None,
            "estimated_close_date": closed,
            "actual_close_date": closed if status != "open" else None,
            "modified_at": modified_at,
        }
        mapped.records["opportunities"].append(record | extra_fields("sales_pipeline.csv", row, record))

    for name, build in zip(FILES, (team_member, account, product, opportunity), strict=True):
        each(name, build)
    return mapped
