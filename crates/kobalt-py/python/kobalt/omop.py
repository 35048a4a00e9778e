"""Kobalt on the OMOP Common Data Model: screen every person of a CDM.

``screen(con)`` reads PERSON, MEASUREMENT (the screening analytes by their
LOINC codes), DRUG_EXPOSURE (metformin and acid blockers by their RxNorm
ingredients, through CONCEPT_ANCESTOR) and the CDM's own CONCEPT table, takes
the latest result per analyte within ``window_days`` before ``as_of``, screens
as ``kobalt screen`` does and can write the flags back as a table.

The LOINC and RxNorm codes come from Kobalt's knowledge base (analytes.toml,
fhir.toml, with their sources); their concept ids are looked up in the CDM's
vocabulary tables, so no concept id is written in Kobalt: a CDM loaded with the
OHDSI Athena vocabularies has them. Holotranscobalamin has no LOINC code in the
knowledge base, so a CDM's holoTC results are not read. The query and its
mapping are the ones ``kobalt screen --omop`` uses.
"""

from __future__ import annotations

import datetime
import json
import warnings
from typing import Any, Optional

from . import _kobalt, screen as _screen


def query(*, as_of: Any, window_days: Optional[int] = None) -> str:
    """The SQL (standard; DuckDB and PostgreSQL) that gives one row per person:
    the same text ``kobalt screen --omop`` runs (crate kobalt-omop)."""
    return _kobalt.omop_query(_day(as_of).isoformat(), _window(window_days or _kobalt.OMOP_DEFAULT_WINDOW_DAYS))


def mapping() -> dict:
    """The mapping of ``query``'s columns (OMOP Gender codes F, M, U, O and A)."""
    return dict(json.loads(_kobalt.omop_mapping()))


def _types() -> dict:
    """The pyarrow type of each of ``query``'s columns."""
    import pyarrow as pa

    kinds = {"text": pa.string(), "number": pa.float64()}
    return {name: kinds[kind] for name, kind in json.loads(_kobalt.omop_columns())}


def _duckdb(con: Any) -> bool:
    """A DuckDB connection (Arrow out, tables registered from Arrow), not a DB-API one."""
    return hasattr(con, "sql") and hasattr(con, "register")


def _table(con: Any, sql: str):
    """The query's rows as a pyarrow Table: DuckDB's Arrow; PostgreSQL through
    psycopg's COPY as CSV (a million persons in a few seconds, without a Python
    object per value); or any DB-API cursor."""
    import pyarrow as pa

    if _duckdb(con):
        return con.sql(sql).arrow()
    cur = con.cursor()
    if hasattr(cur, "copy"):
        return _copied(cur, sql)
    cur.execute(sql)
    names = [d[0] for d in cur.description]
    rows = cur.fetchall()
    columns = list(zip(*rows)) if rows else [[] for _ in names]
    types = _types()
    return pa.table([pa.array(values, type=types[name]) for name, values in zip(names, columns)], names=names)


def _copied(cur: Any, sql: str):
    """psycopg 3: the rows as CSV through COPY, read by pyarrow with the query's types."""
    import io

    import pyarrow.csv as pcsv

    text = io.BytesIO()
    with cur.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv, HEADER true)") as copy:
        for data in copy:
            text.write(data)
    text.seek(0)
    # COPY writes NULL as an empty field and an empty text as "".
    options = pcsv.ConvertOptions(column_types=_types(), strings_can_be_null=True,
                                  quoted_strings_can_be_null=False)
    return pcsv.read_csv(text, convert_options=options)


def _day(as_of: Any) -> datetime.date:
    """A day: a ``datetime.date`` or its ISO text."""
    if isinstance(as_of, datetime.datetime):
        return as_of.date()
    if isinstance(as_of, datetime.date):
        return as_of
    if isinstance(as_of, str):
        try:
            return datetime.date.fromisoformat(as_of)
        except ValueError:
            pass
    raise ValueError(f"as_of: {as_of!r} is not a date (datetime.date or 'YYYY-MM-DD')")


def _window(days: Any) -> int:
    longest = _kobalt.OMOP_MAX_WINDOW_DAYS
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= longest:
        raise ValueError(f"window_days: {days!r} is not a whole number of days from 1 to {longest}")
    return days


def _rows(con: Any, sql: str) -> list:
    if _duckdb(con):
        return con.execute(sql).fetchall()
    cur = con.cursor()
    cur.execute(sql)
    return cur.fetchall()


def screen(
    con: Any,
    *,
    as_of: Optional[datetime.date] = None,
    window_days: Optional[int] = None,
    guideline: str = "nhg",
    write_table: Optional[str] = None,
):
    """Screen every person of an OMOP CDM; returns a ``pyarrow.Table`` as ``kobalt.screen``.

    ``con`` is a DuckDB connection or any DB-API connection (PostgreSQL through
    psycopg). ``as_of`` (a date or 'YYYY-MM-DD'; default today) and
    ``window_days`` (1 to 36525; default 730): only results taken in that window count, the
    latest per analyte. With ``write_table`` (``name`` or ``schema.name``), the
    flags are written back to the database as that table; only a table Kobalt
    wrote is replaced, never a CDM table. A CDM whose CONCEPT table has none of
    the analytes' LOINC codes (an empty vocabulary, or one not on the search
    path) raises ``ValueError``; one without the RxNorm ingredients, or without
    the CONCEPT_ANCESTOR rows that lead drugs to them, is screened with a
    ``UserWarning`` (years of use are then unknown for everyone).
    """
    day = _day(as_of or datetime.date.today())
    days = _window(_kobalt.OMOP_DEFAULT_WINDOW_DAYS if window_days is None else window_days)
    if write_table is not None:
        _check_table(con, write_table)
    # Raises ValueError without the LOINC codes; a warning without the drugs' ancestry.
    warning = _kobalt.omop_vocabulary_verdict(*(int(n) for n in _rows(con, _kobalt.omop_vocabulary_query())[0]))
    if warning is not None:
        warnings.warn(warning, stacklevel=2)
    flags = _screen(_table(con, query(as_of=day, window_days=days)), mapping=mapping(), guideline=guideline)
    if write_table is not None:
        _write(con, write_table, flags)
    return flags


def _check_table(con: Any, name: str) -> str:
    """``name`` is a valid table name and not a CDM table's, and an existing
    table of that name is Kobalt's own. Gives the name qualified with its
    schema (the current one for a bare name, where CREATE puts it), so that the
    check, DROP and CREATE mean one table whatever the search path."""
    if _kobalt.omop_table_name(name) is None:
        raise ValueError(f"table name {name!r}: letters, digits and _ only (optionally schema.table)")
    if _kobalt.omop_cdm_table(name):
        raise ValueError(f"table name {name!r} is a table of the OMOP CDM: Kobalt writes its output under another name")
    schema, _, table = name.lower().rpartition(".")
    schema = schema or _rows(con, "SELECT current_schema()")[0][0]
    columns = [r[0] for r in _rows(con, "SELECT column_name FROM information_schema.columns "
                                        f"WHERE table_schema = '{schema}' AND table_name = '{table}'")]
    if columns and not _kobalt.omop_is_output_table(columns):
        raise ValueError(f"table {name} exists and is not a Kobalt output table (its columns: "
                         f"{', '.join(columns)}); Kobalt replaces only its own tables: choose another name")
    return f'"{schema}"."{table}"'


def _write(con: Any, name: str, flags) -> None:
    """The flags as table ``name``, replaced in one transaction (checked again in it)."""
    import pyarrow as pa

    plain = pa.table({c: flags.column(c).cast(pa.string()) if c != "row" else flags.column(c)
                      for c in flags.column_names})
    columns = ", ".join(f"{c} BIGINT" if c == "row" else f"{c} TEXT" for c in plain.column_names)
    if _duckdb(con):
        con.execute("BEGIN TRANSACTION")
        try:
            quoted = _check_table(con, name)
            con.register("kobalt_flags_view", plain)
            con.execute(f"CREATE OR REPLACE TABLE {quoted} AS SELECT * FROM kobalt_flags_view")
            con.unregister("kobalt_flags_view")
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        return
    if hasattr(con, "transaction"):
        # psycopg 3: one transaction (also under autocommit) and COPY.
        with con.transaction():
            quoted = _check_table(con, name)
            cur = con.cursor()
            cur.execute(f"DROP TABLE IF EXISTS {quoted}")
            cur.execute(f"CREATE TABLE {quoted} ({columns})")
            with cur.copy(f"COPY {quoted} FROM STDIN") as copy:
                for row in plain.to_pylist():
                    copy.write_row(tuple(row.values()))
        return
    quoted = _check_table(con, name)
    cur = con.cursor()
    cur.execute(f"DROP TABLE IF EXISTS {quoted}")
    cur.execute(f"CREATE TABLE {quoted} ({columns})")
    marks = ", ".join(["%s"] * plain.num_columns)
    cur.executemany(f"INSERT INTO {quoted} VALUES ({marks})", [tuple(r.values()) for r in plain.to_pylist()])
    con.commit()
