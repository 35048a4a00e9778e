"""Kobalt on the OMOP Common Data Model: screen every person of a CDM.

``screen(con)`` reads PERSON, MEASUREMENT (the screening analytes by their
LOINC codes), DRUG_EXPOSURE (metformin and acid blockers by their RxNorm
ingredients, through CONCEPT_ANCESTOR) and the CDM's own CONCEPT table, takes
the latest result per analyte within ``window_days`` before ``as_of``, screens
as ``kobalt screen`` does and can write the flags back as a table.

The LOINC and RxNorm codes come from Kobalt's knowledge base (analytes.toml,
fhir.toml, with their sources); their concept ids are looked up in the CDM's
vocabulary tables, so no concept id is written in Kobalt: a CDM loaded with the
OHDSI Athena vocabularies has them.
"""

from __future__ import annotations

import datetime
import json
from typing import Any, Optional

from . import _kobalt, screen as _screen


def _analytes() -> list:
    """The analytes screening reads (Kobalt's list, in its order): a value and a
    unit (the UCUM code of the unit concept) column each."""
    return list(json.loads(_kobalt.omop_codes())["analytes"])


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def query(*, as_of: datetime.date, window_days: int = 730) -> str:
    """The SQL (standard; DuckDB and PostgreSQL) that gives one row per person."""
    codes = json.loads(_kobalt.omop_codes())
    analytes = list(codes["analytes"])
    lab_rows = ", ".join(
        f"({_literal(a)}, {_literal(code)})" for a in analytes for code in codes["analytes"][a]
    )
    drug_rows = ", ".join(
        f"({_literal(m)}, {_literal(code)})" for m, cs in codes["medications"].items() for code in cs
    )
    day = f"DATE {_literal(as_of.isoformat())}"
    labs = ",\n".join(
        f"  max(CASE WHEN l.analyte = {_literal(a)} THEN l.value END) AS {a}_value,\n"
        f"  max(CASE WHEN l.analyte = {_literal(a)} THEN l.unit END) AS {a}_unit"
        for a in analytes
    )
    return f"""
WITH lab_codes(analyte, loinc) AS (VALUES {lab_rows}),
drug_codes(medication, rxnorm) AS (VALUES {drug_rows}),
results AS (
  SELECT m.person_id, c.analyte, m.value_as_number AS value, u.concept_code AS unit,
         row_number() OVER (PARTITION BY m.person_id, c.analyte
                            ORDER BY m.measurement_date DESC, m.measurement_id DESC) AS newest
  FROM measurement m
  JOIN concept lc ON lc.concept_id = m.measurement_concept_id AND lc.vocabulary_id = 'LOINC'
  JOIN lab_codes c ON c.loinc = lc.concept_code
  LEFT JOIN concept u ON u.concept_id = m.unit_concept_id
  WHERE m.value_as_number IS NOT NULL
    AND m.measurement_date <= {day}
    AND m.measurement_date > {day} - INTERVAL '{int(window_days)} days'
),
l AS (SELECT * FROM results WHERE newest = 1),
drugs AS (
  SELECT de.person_id, d.medication,
         min(de.drug_exposure_start_date) AS first_day,
         max(coalesce(de.drug_exposure_end_date, de.drug_exposure_start_date)) AS last_day
  FROM drug_exposure de
  JOIN concept_ancestor ca ON ca.descendant_concept_id = de.drug_concept_id
  JOIN concept ic ON ic.concept_id = ca.ancestor_concept_id AND ic.vocabulary_id = 'RxNorm'
  JOIN drug_codes d ON d.rxnorm = ic.concept_code
  WHERE de.drug_exposure_start_date <= {day}
  GROUP BY de.person_id, d.medication
)
SELECT CAST(p.person_id AS VARCHAR) AS patient_id,
  EXTRACT(YEAR FROM {day}) - p.year_of_birth AS age,
  g.concept_code AS sex,
  (SELECT (max(last_day) - min(first_day)) / 365.25 FROM drugs x
    WHERE x.person_id = p.person_id AND x.medication = 'metformin') AS metformin_years,
  (SELECT (max(last_day) - min(first_day)) / 365.25 FROM drugs x
    WHERE x.person_id = p.person_id AND x.medication = 'proton_pump_inhibitor') AS acid_years,
{labs}
FROM person p
LEFT JOIN concept g ON g.concept_id = p.gender_concept_id AND g.vocabulary_id = 'Gender'
LEFT JOIN l ON l.person_id = p.person_id
GROUP BY p.person_id, p.year_of_birth, g.concept_code
ORDER BY p.person_id
"""


def mapping() -> dict:
    """The mapping of ``query``'s columns (OMOP Gender codes F and M)."""
    return {
        "patient_id": "patient_id",
        "age": "age",
        "sex": "sex",
        "sex_values": {"F": "female", "M": "male"},
        "metformin_years": "metformin_years",
        "acid_suppressant_years": "acid_years",
        "lab": [{"analyte": a, "value": f"{a}_value", "unit_column": f"{a}_unit"} for a in _analytes()],
    }


def _table(con: Any, sql: str):
    """The query's rows as a pyarrow Table: DuckDB's Arrow, or any DB-API cursor."""
    import pyarrow as pa

    if hasattr(con, "sql") and hasattr(con, "register"):
        return con.sql(sql).arrow()
    cur = con.cursor()
    cur.execute(sql)
    names = [d[0] for d in cur.description]
    rows = cur.fetchall()
    columns = list(zip(*rows)) if rows else [[] for _ in names]
    fixed = []
    for name, values in zip(names, columns):
        values = [float(v) if v is not None and not isinstance(v, (str, float, int)) else v for v in values]
        fixed.append(pa.array(values))
    return pa.table(fixed, names=names)


def screen(
    con: Any,
    *,
    as_of: Optional[datetime.date] = None,
    window_days: int = 730,
    guideline: str = "nhg",
    write_table: Optional[str] = None,
):
    """Screen every person of an OMOP CDM; returns a ``pyarrow.Table`` as ``kobalt.screen``.

    ``con`` is a DuckDB connection or any DB-API connection (PostgreSQL through
    psycopg). ``as_of`` (default today) and ``window_days``: only results taken
    in that window count, the latest per analyte. With ``write_table``, the
    flags are written back to the database as that table (replaced).
    """
    as_of = as_of or datetime.date.today()
    flags = _screen(_table(con, query(as_of=as_of, window_days=window_days)),
                    mapping=mapping(), guideline=guideline)
    if write_table:
        _write(con, write_table, flags)
    return flags


def _write(con: Any, name: str, flags) -> None:
    import pyarrow as pa

    if not name.replace("_", "").isalnum():
        raise ValueError(f"table name {name!r}: letters, digits and _ only")
    plain = pa.table({c: flags.column(c).cast(pa.string()) if c != "row" else flags.column(c)
                      for c in flags.column_names})
    if hasattr(con, "sql") and hasattr(con, "register"):
        con.register("kobalt_flags_view", plain)
        con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM kobalt_flags_view")
        con.unregister("kobalt_flags_view")
        return
    cur = con.cursor()
    cur.execute(f"DROP TABLE IF EXISTS {name}")
    columns = ", ".join(f"{c} BIGINT" if c == "row" else f"{c} TEXT" for c in plain.column_names)
    cur.execute(f"CREATE TABLE {name} ({columns})")
    marks = ", ".join(["%s"] * plain.num_columns)
    cur.executemany(f"INSERT INTO {name} VALUES ({marks})", [tuple(r.values()) for r in plain.to_pylist()])
    con.commit()
