"""Screen every person of an OMOP CDM and write the flags back as a table.

    python3 -m pip install ./crates/kobalt-py duckdb            # PostgreSQL: "psycopg[binary]"
    python3 examples/python/omop.py cdm.duckdb                   # a DuckDB file holding the CDM
    python3 examples/python/omop.py "host=... dbname=cdm user=..."   # a PostgreSQL CDM

The CDM needs PERSON, MEASUREMENT, DRUG_EXPOSURE, CONCEPT and CONCEPT_ANCESTOR (the OHDSI vocabularies).
Without Python, for a CDM in PostgreSQL, the CLI runs the same query:
    kobalt screen --omop "host=... dbname=cdm user=..." --out flags.csv --omop-table kobalt_b12_flags
"""
import datetime
import sys

import kobalt.omop

target = sys.argv[1]
if target.endswith(".duckdb"):
    import duckdb

    con = duckdb.connect(target)
else:
    import psycopg

    con = psycopg.connect(target)

# The SQL that makes one row per person (latest result per analyte in the last 2 years):
print(kobalt.omop.query(as_of=datetime.date.today())[:400], "...")
flags = kobalt.omop.screen(con, window_days=730, write_table="kobalt_b12_flags")
print(flags.group_by("status").aggregate([("row", "count")]).to_pylist())
