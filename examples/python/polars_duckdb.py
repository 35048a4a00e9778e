"""Screen a lab export with Kobalt from polars and from DuckDB, and assess one person.

    python3 -m pip install ./crates/kobalt-py polars duckdb
    python3 bench/gen_b12.py 100000 export.csv --seed 3
    python3 examples/python/polars_duckdb.py export.csv
"""
import sys

import duckdb
import polars as pl

import kobalt

path = sys.argv[1] if len(sys.argv) > 1 else "export.csv"

# polars: read, screen, and count the statuses. Every input row comes back, in order;
# a row Kobalt could not use has its reason in `rejected`.
export = pl.read_csv(path, schema_overrides={"patient_id": pl.Utf8})
flagged = pl.from_arrow(kobalt.screen(export))
print(flagged.group_by("status").len().sort("len", descending=True))
print(flagged.filter(pl.col("rejected").is_not_null()).select("row", "rejected").head())

# DuckDB: screen the result of a query, then join the flags back to the lab values.
con = duckdb.connect()
relation = con.sql(f"SELECT * FROM read_csv('{path}', types={{'patient_id': 'VARCHAR'}}) WHERE age >= 65")
older = kobalt.screen(relation)  # the relation itself: a reader from .arrow() can be read only once
con.register("older", older)
print(con.sql("""
    SELECT o.status, count(*) AS patients,
           round(avg(CASE WHEN e.b12_unit = 'pmol/L' THEN e.b12_value ELSE e.b12_value * 0.738 END), 1)
             AS mean_b12_pmol
    FROM older o JOIN read_csv(?, types={'patient_id': 'VARCHAR'}) e USING (patient_id)
    WHERE o.rejected IS NULL GROUP BY o.status ORDER BY patients DESC
""", params=[path]))

# One person, as `kobalt assess --format json` would answer.
a = kobalt.assess({"person": {"age_years": 72, "sex": "male"},
                   "medications": [{"id": "metformin", "years": 10}],
                   "labs": [{"analyte": "b12_total", "value": 160, "unit": "pmol/L"}]},
                  language="en", audience="clinician")
print(a["b12_status"]["category"], "-", a["b12_status"]["text"])
print([t["analyte"] for t in a["next_tests"]])
