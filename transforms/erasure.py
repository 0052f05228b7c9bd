"""Erasure of a person: which rows hold them, as pure logic over DataFrames and strings.

A person is asked for by email address. A row holds them when any of its text (every string
column, and every array, struct or map column as its JSON) contains the address, or the
pseudonymous key conform derives from it (`sha2(salt + address)`, transforms/conform_activities).
`jobs.erase` adds the rows that name what was erased with them: their CRM records by id, and the
activities and transcripts that held them.

Addresses are found as tokens, maximal runs of address characters around an `@`, so that
`ann@example.org` never matches inside `joann@example.org`; tokens and keys are compared by a
salted hash (`erasure_hash`), so that no query plan, Delta commit or log line carries the address
or the pseudonym, and so that the erasure register (`ops.erasures`) can recognise the address in
data delivered later without holding it. Matching is case-insensitive (text is lowercased, as
conform lowercases addresses).

Output grain: `holds_person` is one boolean per row of the frame it is given; `keys_holding` one
row per distinct key of the rows that hold the person; `tokens_matching` one row per distinct
registered token found; `kind_ids` and `activity_kind_ids` one row per (kind, id) of what is erased
(kinds: user, contact, lead, account, opportunity, email, meeting, call, task, event), and
`erased_keys` those ids keyed as each table names them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

# Local part and domain of the addresses we can find in text: letters and digits of any script and
# the usual punctuation. An address that is not one such token whole is refused (`is_address`).
_LOCAL = r"[\w.%+'\-]"
_DOMAIN_PART = r"[\w\-]"
ADDRESS_TOKEN = f"{_LOCAL}+@{_DOMAIN_PART}+(?:\\.{_DOMAIN_PART}+)+"
PSEUDONYM_TOKEN = r"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])"
# What Spark looks for, in one pass: address tokens, and 64-hex-digit tokens (pseudonymous keys). A
# token starts where no token character precedes it and its runs are possessive (never given back):
# linear in the text, where a plain pattern backtracks quadratically over long words. Java's \w is
# ASCII unless UNICODE_CHARACTER_CLASS (?U) is on; Python's str patterns are Unicode.
_JAVA_TOKENS = f"(?U)(?<!{_LOCAL}){_LOCAL}++@{_DOMAIN_PART}++(?:\\.{_DOMAIN_PART}++)+|{PSEUDONYM_TOKEN}"
# Leading quotes or dots are the text around a token, never part of an address ('ann@x.org').
_JAVA_TOKEN_LEAD = r"^['.]+"
_ADDRESS_RE = re.compile(ADDRESS_TOKEN)
_SEPARATOR = "\n"
# What keys the erasure hash apart from the pseudonym (sha2(salt + address)) made with the same salt.
ERASURE_HASH_PREFIX = "rapport-erasure:"
REFERENCE_LENGTH = 12


def normalized(address: str) -> str:
    """An address as conform keeps it: trimmed and lowercased."""
    return address.strip().lower()


def is_address(text: str) -> bool:
    """Whether `text` is one email address, as erasure can find it in data (`ADDRESS_TOKEN`)."""
    address = normalized(text)
    return _ADDRESS_RE.fullmatch(address) is not None and not address.startswith(("'", "."))


def pseudonym(address: str, salt: str) -> str:
    """The pseudonymous key conform gives an address no user, contact or lead has: `sha2(salt + address)`."""
    return hashlib.sha256((salt + normalized(address)).encode("utf-8")).hexdigest()


def erasure_hash(token: str, salt: str) -> str:
    """A salted hash of an address or pseudonym that is neither: what the register keeps and
    what tokens found in data are compared by (`token_hash` computes the same in Spark)."""
    return hashlib.sha256(f"{ERASURE_HASH_PREFIX}{salt}{token}".encode()).hexdigest()


def reference(address_hash: str) -> str:
    """The short, non-reversible name of one erasure in logs: the first hex digits of its hash."""
    return address_hash[:REFERENCE_LENGTH]


def targets(addresses: Iterable[str], salt: str) -> list[str]:
    """The hashes a row is compared with: each address's and its pseudonym's."""
    hashes = set()
    for address in addresses:
        hashes.add(erasure_hash(normalized(address), salt))
        hashes.add(erasure_hash(pseudonym(address, salt), salt))
    return sorted(hashes)


def row_text(df: DataFrame) -> Column:
    """Every string of the row, lowercased, in one text: string columns as they are, arrays, structs
    and maps as JSON (their strings inside). Null columns are left out."""
    parts = []
    for field in df.schema.fields:
        column = F.col(f"`{field.name}`")
        if isinstance(field.dataType, T.StringType):
            parts.append(column)
        elif isinstance(field.dataType, T.ArrayType | T.StructType | T.MapType):
            parts.append(F.to_json(column))
    if not parts:
        return F.lit("")
    return F.lower(F.concat_ws(_SEPARATOR, *parts))


def text_tokens(text: Column) -> Column:
    """The address tokens (without leading quotes or dots) and the 64-hex-digit tokens of a
    lowercased text, each once."""
    tokens = F.regexp_extract_all(text, F.lit(_JAVA_TOKENS), 0)
    return F.array_distinct(F.transform(tokens, lambda t: F.regexp_replace(t, _JAVA_TOKEN_LEAD, "")))


def token_hash(token: Column, salt: str) -> Column:
    """`erasure_hash` in Spark."""
    return F.sha2(F.concat(F.lit(f"{ERASURE_HASH_PREFIX}{salt}"), token), 256)


def holds_person(df: DataFrame, target_hashes: list[str], salt: str) -> Column:
    """True for the rows of `df` whose text holds a token whose erasure hash is one of `target_hashes`."""
    if not target_hashes:
        return F.lit(False)
    hashed = F.transform(text_tokens(row_text(df)), lambda t: token_hash(t, salt))
    return F.coalesce(F.arrays_overlap(hashed, F.array(*[F.lit(h) for h in target_hashes])), F.lit(False))


def keys_holding(df: DataFrame, key_columns: list[str], target_hashes: list[str], salt: str) -> DataFrame:
    """The distinct keys of the rows of `df` that hold the person."""
    return df.filter(holds_person(df, target_hashes, salt)).select(*key_columns).distinct()


def tokens_matching(df: DataFrame, target_hashes: DataFrame, salt: str) -> DataFrame:
    """-> (token, address_hash): the address tokens of `df`'s rows whose erasure hash is in
    `target_hashes` (one column `address_hash`): how the register recognises an erased address
    in data that came later, without holding it."""
    tokens = df.select(F.explode(text_tokens(row_text(df))).alias("token")).distinct()
    return tokens.withColumn("address_hash", token_hash(F.col("token"), salt)).join(
        F.broadcast(target_hashes.select("address_hash").distinct()), on="address_hash", how="inner"
    )


ACTIVITY_KINDS = ("email", "meeting", "call", "task")  # silver activity types
RECORD_KINDS = ("contact", "lead", "account", "opportunity")  # record_type values
PERSON_KINDS = ("user", "contact", "lead")  # person_type values, besides pseudonym


def kind_ids(df: DataFrame, kind: Column | str, id_column: str) -> DataFrame:
    """(kind, id): the ids of `id_column`, as strings, with their kind (a name, or a column)."""
    kind_column = F.lit(kind) if isinstance(kind, str) else kind
    return df.select(kind_column.alias("kind"), F.col(id_column).cast("string").alias("id"))


def activity_kind_ids(keys_df: DataFrame) -> DataFrame:
    """(activity_key) as silver keys activities (`<type>:<id>`) -> (kind, id)."""
    kind = F.substring_index(F.col("activity_key"), ":", 1)
    return keys_df.select(
        kind.alias("kind"), F.expr("substring(activity_key, length(substring_index(activity_key, ':', 1)) + 2)")
    ).toDF("kind", "id")


def erased_keys(found: DataFrame, kinds: Iterable[str]) -> dict[str, DataFrame]:
    """The erased keys of `found` (kind, id; `kinds` the kinds it holds) by what they are matched on:
    each kind by `id`; `activity` by activity_key; `record` by (record_type, record_id); `person` by
    (person_type, person_id)."""
    kinds = set(kinds)
    keys = {kind: found.filter(F.col("kind") == kind).select("id") for kind in kinds}
    for name, group in (("activity", ACTIVITY_KINDS), ("record", RECORD_KINDS), ("person", PERSON_KINDS)):
        present = [kind for kind in group if kind in kinds]
        if not present:
            continue
        rows = found.filter(F.col("kind").isin(*present))
        if name == "activity":
            keys[name] = rows.select(F.concat("kind", F.lit(":"), "id").alias("activity_key"))
        else:
            keys[name] = rows.select(F.col("kind").alias(f"{name}_type"), F.col("id").alias(f"{name}_id"))
    return keys


def null_safe_condition(columns: Iterable[str], target: str = "t", source: str = "s") -> str:
    """A merge condition equating `columns` of target and source, nulls equal to nulls."""
    return " AND ".join(f"{target}.`{c}` <=> {source}.`{c}`" for c in columns)
