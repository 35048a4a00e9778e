"""Issue 18 item 3: kobalt.omop.screen on an OMOP CDM (DuckDB, PostgreSQL) and
`kobalt screen --omop` (PostgreSQL) give what the CLI gives for the same
persons written as a wide export by hand: the latest result per analyte within
the window, units from the CDM's UCUM concepts, drugs through
CONCEPT_ANCESTOR, and the flags written back as a table. value_as_number is
NUMERIC, as in the CDM's DDL."""

import csv
import datetime
import json
import glob
import os
import shutil
import socket
import subprocess
import tempfile

import pytest

duckdb = pytest.importorskip("duckdb")

import kobalt.omop  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
KOBALT = os.environ.get("KOBALT_BIN", os.path.join(ROOT, "target", "debug", "kobalt"))

CDM = """
CREATE TABLE concept (concept_id INTEGER, concept_code VARCHAR, vocabulary_id VARCHAR);
INSERT INTO concept VALUES
  (3000593, '2132-9', 'LOINC'), (900001, '13964-2', 'LOINC'), (900002, '718-7', 'LOINC'),
  (900003, '787-2', 'LOINC'), (900004, '1234-5', 'LOINC'),
  (8845, 'pg/mL', 'UCUM'), (8749, 'umol/L', 'UCUM'), (8713, 'g/dL', 'UCUM'), (8583, 'fL', 'UCUM'),
  (8729, 'pmol/L', 'UCUM'), (9529, 'kg', 'UCUM'),
  (8532, 'F', 'Gender'), (8507, 'M', 'Gender'), (8551, 'U', 'Gender'),
  (1503297, '6809', 'RxNorm'), (40163924, '861007', 'RxNorm'), (923645, '7646', 'RxNorm'),
  (900010, '4278', 'RxNorm');
CREATE TABLE concept_ancestor (ancestor_concept_id INTEGER, descendant_concept_id INTEGER);
INSERT INTO concept_ancestor VALUES (1503297, 1503297), (1503297, 40163924), (923645, 923645), (900010, 900010);
CREATE TABLE person (person_id INTEGER, gender_concept_id INTEGER, year_of_birth INTEGER,
  month_of_birth INTEGER, day_of_birth INTEGER);
INSERT INTO person VALUES (1, 8532, 1950, NULL, NULL), (2, 8507, 1980, NULL, NULL), (3, 8532, 1990, NULL, NULL),
  (4, 8507, 1940, NULL, NULL), (5, 8532, 1960, NULL, NULL), (6, 8507, 1990, 12, 31), (7, 8532, 1950, NULL, NULL),
  (8, 8507, 1970, NULL, NULL), (9, 8532, 1980, NULL, NULL), (10, 8507, 1975, NULL, NULL),
  (11, 8551, 1980, NULL, NULL), (12, 8532, 1961, 12, 31), (13, 8507, 1985, NULL, NULL),
  (14, 8532, 1980, NULL, NULL);
CREATE TABLE measurement (measurement_id INTEGER, person_id INTEGER, measurement_concept_id INTEGER,
  measurement_date DATE, measurement_datetime TIMESTAMP, value_as_number NUMERIC, unit_concept_id INTEGER);
INSERT INTO measurement VALUES
  (1, 1, 3000593, DATE '2026-06-01', NULL, 180, 8845),
  (2, 1, 900002, DATE '2026-06-01', NULL, 11.0, 8713),
  (3, 2, 3000593, DATE '2020-01-01', NULL, 400, 8729),
  (4, 2, 3000593, DATE '2026-05-01', NULL, 250, 8729),
  (5, 4, 3000593, DATE '2026-04-01', NULL, 200, 8729),
  (6, 4, 900001, DATE '2026-04-01', NULL, 0.6, 8749),
  (7, 4, 900004, DATE '2026-04-01', NULL, 99, 8749),
  (8, 3, 3000593, DATE '2027-01-01', NULL, 90, 8729),
  (9, 5, 3000593, DATE '2026-06-01', NULL, 300, 8729),
  (10, 8, 3000593, DATE '2026-01-01', NULL, 300, 8729),
  (11, 8, 3000593, DATE '2026-10-01', NULL, NULL, 8729),
  (20, 9, 3000593, DATE '2026-06-01', TIMESTAMP '2026-06-01 18:00:00', 120, 8729),
  (21, 9, 3000593, DATE '2026-06-01', TIMESTAMP '2026-06-01 09:00:00', 300, 8729),
  (22, 10, 3000593, DATE '2026-05-01', NULL, 250, 8729),
  (23, 11, 3000593, DATE '2026-05-01', NULL, 400, 8729),
  (24, 12, 3000593, DATE '2026-05-01', NULL, 400, 8729),
  (25, 14, 3000593, DATE '2026-05-01', NULL, 100, 8729),
  (26, 14, 900001, DATE '2026-05-01', NULL, 0.3, 9529);
CREATE TABLE drug_exposure (person_id INTEGER, drug_concept_id INTEGER,
  drug_exposure_start_date DATE, drug_exposure_end_date DATE);
INSERT INTO drug_exposure VALUES
  (1, 40163924, DATE '2015-01-01', DATE '2026-11-25'),
  (2, 923645, DATE '2019-01-01', DATE '2026-01-01'),
  (5, 1503297, DATE '2000-01-01', DATE '2010-01-01'),
  (6, 1503297, DATE '2026-06-01', DATE '2031-06-01'),
  (7, 1503297, DATE '2018-01-01', NULL),
  (10, 900010, DATE '2019-01-01', DATE '2026-11-20'),
  (13, 1503297, DATE '2005-01-01', DATE '2006-01-01'),
  (13, 1503297, DATE '2024-01-01', DATE '2024-03-01'),
  (13, 1503297, DATE '2024-03-20', DATE '2026-11-30');
"""

# The same persons as a wide export, written by hand from the CDM above (as of 2026-12-01, window 730 days):
# - person 2's result of 2020 is outside the window; person 3's of 2027 is after the day; the unknown LOINC is
#   left out;
# - years of use count only for use that is current (ended at most 30 days before the day), up to the day:
#   person 1 (metformin to 2026-11-25) 11.92 years; person 2 (PPI ended 2026-01-01) and person 5 (metformin
#   2000-2010) none; person 6 (to 2031) 0.50; person 7 (no end date: going on) 8.91; person 10 (famotidine, an
#   H2 blocker, to 2026-11-20) 7.92; person 13: the period from 2024-01-01 (a gap of 19 days is one period; the
#   use of 2005 is not), 2.92;
# - person 8's newest B12 has no number: B12 unknown, the older 300 is not used;
# - person 9's two results of one day: the one of 18:00 is the newest;
# - ages from the month and day of birth when given: persons 6 and 12 were born on 31 December (35 and 64);
# - person 11's gender is OMOP's U, unknown;
# - person 14's MMA is in kg: the person is rejected with the reason (never guessed).
WIDE = """patient_id,age,sex,metformin_years,acid_years,b12_total_value,b12_total_unit,mma_value,mma_unit,haemoglobin_value,haemoglobin_unit
1,76,F,11.92,,180,pg/mL,,,11.0,g/dL
2,46,M,,,250,pmol/L,,,,
3,36,F,,,,,,,,
4,86,M,,,200,pmol/L,0.6,umol/L,,
5,66,F,,,300,pmol/L,,,,
6,35,M,0.50,,,,,,,
7,76,F,8.91,,,,,,,
8,56,M,,,,,,,,
9,46,F,,,120,pmol/L,,,,
10,51,M,,7.92,250,pmol/L,,,,
11,46,,,,400,pmol/L,,,,
12,64,F,,,400,pmol/L,,,,
13,41,M,2.92,,,,,,,
14,46,F,,,100,pmol/L,0.3,kg,,
"""

MAPPING = """patient_id = "patient_id"
age = "age"
sex = "sex"
metformin_years = "metformin_years"
acid_suppressant_years = "acid_years"
[sex_values]
F = "female"
M = "male"
[[lab]]
analyte = "b12_total"
value = "b12_total_value"
unit_column = "b12_total_unit"
[[lab]]
analyte = "mma"
value = "mma_value"
unit_column = "mma_unit"
[[lab]]
analyte = "haemoglobin"
value = "haemoglobin_value"
unit_column = "haemoglobin_unit"
"""


def cli_flags(tmp_path):
    """The CLI's flags for the hand-written wide export."""
    (tmp_path / "wide.csv").write_text(WIDE)
    (tmp_path / "mapping.toml").write_text(MAPPING)
    subprocess.run([KOBALT, "screen", str(tmp_path / "wide.csv"), "--out", str(tmp_path / "out.csv"),
                    "--mapping", str(tmp_path / "mapping.toml")], check=True, capture_output=True)
    with open(tmp_path / "out.csv", encoding="utf-8") as f:
        return {r["patient_id"]: r for r in csv.DictReader(f)}


PERSONS = {str(i) for i in range(1, 14)}


def assert_same(got, cli):
    """`got` by patient id (rejected rows, with a reason, are left out), as the CLI's output of the wide export."""
    got = {pid: r for pid, r in got.items() if not r.get("rejected")}
    assert set(got) == set(cli) == PERSONS
    for pid, row in cli.items():
        for column in ["status", "risk_group", "flags", "reflex_test", "rules"]:
            assert (got[pid][column] or "") == row[column], (pid, column)
    # What the hand-written rows mean (the guideline's statements, not the code's):
    assert got["1"]["status"] == "deficient"
    assert got["3"]["status"] == "not_tested", "a result after the day does not count"
    risk = {pid: got[pid]["risk_group"] for pid in got}
    assert risk["1"] == "long_term_medication" and risk["7"] == "long_term_medication" and risk["10"] == "long_term_medication"
    assert risk["2"] == "none" and risk["13"] == "none" and risk["6"] == "none", "use that ended, or is short, is not long-term"
    assert risk["5"] == "age_65_plus" and risk["12"] == "none", "64 on the day is not 65"
    assert got["8"]["status"] == "not_tested", "an older number is not used in place of a newer result without one"
    assert got["9"]["status"] == "deficient", "the later result of the day counts"
    # Under NHG (the default) nobody is flagged for testing for metformin use alone: "do not test routinely for
    # long-term metformin, PPI use ... without other signs" (NHG-LESA-2018).
    assert all(not r["flags"] or "at_risk_untested" not in r["flags"] for r in got.values())


def test_omop_screen_equals_the_cli_on_the_same_persons(tmp_path):
    con = duckdb.connect(str(tmp_path / "cdm.duckdb"))
    con.execute(CDM)
    flags = kobalt.omop.screen(con, as_of=datetime.date(2026, 12, 1), write_table="kobalt_b12_flags")
    got = {r["patient_id"]: r for r in flags.to_pylist()}
    assert_same(got, cli_flags(tmp_path))
    written = con.execute("SELECT count(*), count(status) FROM kobalt_b12_flags").fetchone()
    assert written == (14, 13), "every person, the rejected one with its reason"


@pytest.fixture
def postgres():
    """A throwaway PostgreSQL cluster (Debian's postgresql), run as the postgres user."""
    psycopg = pytest.importorskip("psycopg")
    initdb = (sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb")) or [shutil.which("initdb")])[-1]
    if not initdb:
        pytest.skip("no PostgreSQL here (test.sh installs it)")
    bindir = os.path.dirname(initdb)
    d = tempfile.mkdtemp(prefix="kobalt-pg-", dir="/tmp")
    os.chmod(d, 0o755)
    as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_pg:
        shutil.chown(d, "postgres")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    subprocess.run(as_pg + [initdb, "-D", d + "/data", "-A", "trust", "-U", "postgres"],
                   check=True, capture_output=True)
    subprocess.run(as_pg + [os.path.join(bindir, "pg_ctl"), "-D", d + "/data", "-w", "-l", d + "/log",
                            "-o", f"-p {port} -k {d} -c listen_addresses=''", "start"],
                   check=True, capture_output=True)
    con = psycopg.connect(host=d, port=port, user="postgres", dbname="postgres")
    try:
        yield con
    finally:
        con.close()
        subprocess.run(as_pg + [os.path.join(bindir, "pg_ctl"), "-D", d + "/data", "-m", "fast", "stop"],
                       capture_output=True)
        shutil.rmtree(d, ignore_errors=True)


def test_omop_screen_on_postgresql(postgres, tmp_path):
    with postgres.cursor() as cur:
        cur.execute(CDM)
    postgres.commit()
    # Under NICE, metformin with a risk factor and no B12 result is flagged for periodic monitoring (MHRA-2022):
    # person 7 (on metformin, 76, untested); person 6 (metformin at 35, no risk factor) is not.
    nice = {r["patient_id"]: r for r in kobalt.omop.screen(postgres, as_of=datetime.date(2026, 12, 1),
                                                           guideline="nice").to_pylist()}
    assert nice["7"]["flags"] == "at_risk_untested" and nice["7"]["rules"] == "check_metformin_periodic"
    assert "at_risk_untested" not in (nice["6"]["flags"] or "")
    flags = kobalt.omop.screen(postgres, as_of=datetime.date(2026, 12, 1), write_table="kobalt_b12_flags")
    assert_same({r["patient_id"]: r for r in flags.to_pylist()}, cli_flags(tmp_path))
    with postgres.cursor() as cur:
        cur.execute("SELECT count(*), count(status) FROM kobalt_b12_flags")
        assert cur.fetchone() == (14, 13)



def dsn(con):
    """The connection settings of the throwaway cluster, for the CLI."""
    return f"host={con.info.host} port={con.info.port} user=postgres dbname=postgres"


def read_csv(path):
    with open(path, encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_cli_omop_on_postgresql_equals_the_cli_on_the_same_persons(postgres, tmp_path):
    with postgres.cursor() as cur:
        cur.execute(CDM)
    postgres.commit()
    out = tmp_path / "flags.csv"
    run = subprocess.run([KOBALT, "screen", "--omop", dsn(postgres), "--as-of", "2026-12-01",
                          "--out", str(out), "--omop-table", "public.kobalt_cli_flags",
                          "--report", str(tmp_path / "report")],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "rows in 14 = rows used 13 + rows rejected 1: ok" in run.stdout
    # How the run was made is said, and kept in the report.
    assert "as of 2026-12-01, results of the last 730 days, guideline nhg" in run.stdout
    report = json.loads((tmp_path / "report" / "summary.json").read_text())
    assert report["run"]["omop"] == {"as_of": "2026-12-01", "window_days": 730, "table": "public.kobalt_cli_flags"}
    assert report["run"]["source"].startswith("OMOP CDM postgresql://postgres@/tmp/")
    rows = read_csv(out)
    assert_same({r["patient_id"]: r for r in rows}, cli_flags(tmp_path))
    assert [r["reason"] for r in read_csv(tmp_path / "flags.rejects.csv")] == ["mma_unit: unknown unit 'kg' for mma"]
    with postgres.cursor() as cur:
        # Every person is in the table: the rejected one with its reason (it was left out).
        cur.execute("SELECT patient_id, status, rejected FROM kobalt_cli_flags WHERE rejected IS NOT NULL")
        assert cur.fetchall() == [("14", None, "mma_unit: unknown unit 'kg' for mma")]
        cur.execute("SELECT patient_id, status, risk_group, flags, reflex_test, rules "
                    "FROM kobalt_cli_flags WHERE rejected IS NULL ORDER BY CAST(patient_id AS INTEGER)")
        table = cur.fetchall()
    assert table == [tuple(r[c] or None for c in ["patient_id", "status", "risk_group", "flags",
                                                  "reflex_test", "rules"]) for r in rows]


def test_cli_omop_and_the_python_package_run_one_query(postgres, tmp_path):
    """One query text: the package's is the CLI's (kobalt-omop), and both give the same flags."""
    with postgres.cursor() as cur:
        cur.execute(CDM)
    postgres.commit()
    out = tmp_path / "flags.csv"
    subprocess.run([KOBALT, "screen", "--omop", dsn(postgres), "--as-of", "2026-12-01", "--window-days", "30",
                    "--out", str(out)], check=True, capture_output=True)
    flags = kobalt.omop.screen(postgres, as_of=datetime.date(2026, 12, 1), window_days=30)
    package = {r["patient_id"]: r for r in flags.to_pylist()}
    for r in read_csv(out):
        for column in ["status", "risk_group", "flags", "reflex_test", "rules"]:
            assert (package[r["patient_id"]][column] or "") == r[column]
    # Within 30 days of 2026-12-01 no result counts: nobody is tested.
    assert {r["status"] for r in read_csv(out)} == {"not_tested"}
    # The same day as text, and the window checked.
    assert kobalt.omop.query(as_of="2026-12-01") == kobalt.omop.query(as_of=datetime.date(2026, 12, 1))
    for bad in [0, -5, 2.5, 40000]:
        with pytest.raises(ValueError, match="window_days"):
            kobalt.omop.screen(postgres, as_of=datetime.date(2026, 12, 1), window_days=bad)


def test_cli_omop_errors_name_the_problem_and_write_nothing(postgres, tmp_path):
    out = tmp_path / "flags.csv"
    # No CDM tables in this database yet.
    run = subprocess.run([KOBALT, "screen", "--omop", dsn(postgres), "--out", str(out)],
                         capture_output=True, text=True)
    assert run.returncode != 0
    assert "the OMOP query failed" in run.stderr and "measurement" in run.stderr.lower()
    assert not out.exists() and not (tmp_path / "flags.rejects.csv").exists()
    # Nobody listens there; the password is not echoed.
    run = subprocess.run([KOBALT, "screen", "--omop", "postgresql://ana:s3cret@127.0.0.1:1/cdm", "--out", str(out)],
                         capture_output=True, text=True)
    assert run.returncode != 0 and "cannot connect" in run.stderr and "s3cret" not in run.stderr
    # A table needs a CSV output; a table name is an identifier.
    run = subprocess.run([KOBALT, "screen", "--omop", dsn(postgres), "--out", str(tmp_path / "f.parquet"),
                          "--omop-table", "flags"], capture_output=True, text=True)
    assert run.returncode != 0 and ".csv --out" in run.stderr
    run = subprocess.run([KOBALT, "screen", "b12.csv", "--omop", dsn(postgres), "--out", str(out)],
                         capture_output=True, text=True)
    assert run.returncode == 2 and "cannot be used with" in run.stderr


def test_the_query_reads_each_table_once_on_postgresql(postgres):
    """PostgreSQL runs a correlated subquery once per person (a CDM of a million persons did not finish in ten
    minutes): the plan has no SubPlan."""
    with postgres.cursor() as cur:
        cur.execute(CDM)
        cur.execute("EXPLAIN " + kobalt.omop.query(as_of=datetime.date(2026, 12, 1)))
        plan = "\n".join(r[0] for r in cur.fetchall())
    assert "SubPlan" not in plan, plan


class PlainCursor:
    """A DB-API cursor without psycopg's COPY (another driver)."""

    def __init__(self, cur):
        self._cur = cur

    def execute(self, *args):
        return self._cur.execute(*args)

    def executemany(self, *args):
        return self._cur.executemany(*args)

    def fetchall(self):
        return self._cur.fetchall()

    @property
    def description(self):
        return self._cur.description


class PlainConnection:
    def __init__(self, con):
        self._con = con

    def cursor(self):
        return PlainCursor(self._con.cursor())

    def commit(self):
        self._con.commit()


def test_omop_screen_through_any_db_api_driver(postgres, tmp_path):
    """psycopg is read through COPY; a driver without it through fetchall: the same flags."""
    with postgres.cursor() as cur:
        cur.execute(CDM)
    postgres.commit()
    flags = kobalt.omop.screen(PlainConnection(postgres), as_of=datetime.date(2026, 12, 1),
                               write_table="kobalt_plain_flags")
    assert_same({r["patient_id"]: r for r in flags.to_pylist()}, cli_flags(tmp_path))
    with postgres.cursor() as cur:
        cur.execute("SELECT count(*) FROM kobalt_plain_flags")
        assert cur.fetchone() == (14,)


def test_a_cdm_table_is_never_replaced(postgres, tmp_path):
    """`--omop-table person` replaced PERSON (a user review): only Kobalt's own tables are replaced, and the
    name is checked before anything is screened or written."""
    with postgres.cursor() as cur:
        cur.execute(CDM)
    postgres.commit()
    out = tmp_path / "flags.csv"
    with postgres.cursor() as cur:
        cur.execute("CREATE TABLE site_notes (note TEXT)")
    postgres.commit()
    for table, why in [("person", "a table of the OMOP CDM"), ("public.measurement", "a table of the OMOP CDM"),
                       ("flags-2026", "letters, digits and _ only"), ("site_notes", "not a Kobalt output table")]:
        run = subprocess.run([KOBALT, "screen", "--omop", dsn(postgres), "--as-of", "2026-12-01", "--out", str(out),
                              "--omop-table", table], capture_output=True, text=True)
        assert run.returncode != 0, table
        assert why in run.stderr, run.stderr
        assert not out.exists()
        with pytest.raises(ValueError):
            kobalt.omop.screen(postgres, as_of=datetime.date(2026, 12, 1), write_table=table)
    with postgres.cursor() as cur:
        cur.execute("SELECT count(*) FROM person")
        assert cur.fetchone() == (14,)
    # Kobalt's own table is replaced, from the CLI and from Python, in a schema too.
    with postgres.cursor() as cur:
        cur.execute("CREATE SCHEMA results")
    postgres.commit()
    for _ in range(2):
        subprocess.run([KOBALT, "screen", "--omop", dsn(postgres), "--as-of", "2026-12-01", "--out", str(out),
                        "--omop-table", "results.kobalt_flags"], check=True, capture_output=True)
    kobalt.omop.screen(postgres, as_of=datetime.date(2026, 12, 1), write_table="results.kobalt_flags")
    # A search path that finds another schema's table of that name first: that table is not dropped (the
    # check and the write both mean the current schema's; found by a code review).
    with postgres.cursor() as cur:
        cur.execute("CREATE SCHEMA s1; CREATE SCHEMA s2; CREATE TABLE s2.other (keep TEXT); INSERT INTO s2.other VALUES ('x')")
    postgres.commit()
    settings = dsn(postgres) + " options='-c search_path=s1,s2,public'"
    subprocess.run([KOBALT, "screen", "--omop", settings, "--as-of", "2026-12-01", "--out", str(out),
                    "--omop-table", "other"], check=True, capture_output=True)
    with postgres.cursor() as cur:
        cur.execute("SELECT keep FROM s2.other")
        assert cur.fetchall() == [("x",)]
        cur.execute("SELECT count(*) FROM s1.other")
        assert cur.fetchone() == (14,)
        cur.execute("SET search_path TO s1, s2, public")
    kobalt.omop.screen(postgres, as_of=datetime.date(2026, 12, 1), write_table="other")
    with postgres.cursor() as cur:
        cur.execute("SELECT keep FROM s2.other")
        assert cur.fetchall() == [("x",)]


def test_a_cdm_without_its_vocabulary_is_refused(postgres, tmp_path):
    """With the vocabulary empty or not on the search path every person came out untested, with exit code 0."""
    with postgres.cursor() as cur:
        cur.execute("CREATE SCHEMA bare")
        cur.execute("SET search_path TO bare")
        cur.execute(CDM)
        cur.execute("DELETE FROM concept WHERE vocabulary_id = 'LOINC'")
    postgres.commit()
    out = tmp_path / "flags.csv"
    settings = dsn(postgres) + " options='-c search_path=bare'"
    run = subprocess.run([KOBALT, "screen", "--omop", settings, "--out", str(out)], capture_output=True, text=True)
    assert run.returncode != 0 and "none of the LOINC codes" in run.stderr and "search_path" in run.stderr
    assert not out.exists()
    with pytest.raises(ValueError, match="none of the LOINC codes"):
        kobalt.omop.screen(postgres)


@pytest.mark.parametrize("emptied, said", [
    ("DELETE FROM concept WHERE vocabulary_id = 'RxNorm'",
     "the CDM's CONCEPT table has none of the RxNorm ingredient codes"),
    ("DELETE FROM concept_ancestor",
     "the CDM's CONCEPT_ANCESTOR table links no drug to the RxNorm ingredients"),
])
def test_a_cdm_without_the_drugs_vocabulary_is_screened_with_a_warning(postgres, tmp_path, emptied, said):
    """Without RxNorm, or without the CONCEPT_ANCESTOR rows that lead drugs to its ingredients, every person's years
    of use were silently unknown: now said, by the CLI and by Python."""
    with postgres.cursor() as cur:
        cur.execute(CDM)
        cur.execute(emptied)
    postgres.commit()
    out = tmp_path / "flags.csv"
    run = subprocess.run([KOBALT, "screen", "--omop", dsn(postgres), "--as-of", "2026-12-01", "--out", str(out)],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert f"warning: {said}" in run.stdout
    with pytest.warns(UserWarning, match="years of use are unknown"):
        kobalt.omop.screen(postgres, as_of=datetime.date(2026, 12, 1))


def test_a_duckdb_cdm_whose_concept_ancestor_leads_no_drug_is_screened_with_a_warning():
    duckdb = pytest.importorskip("duckdb")
    # OHDSI's CONCEPT_ANCESTOR links every concept to itself as well: those rows alone lead no drug anywhere.
    for emptied in ("DELETE FROM concept_ancestor",
                    "DELETE FROM concept_ancestor WHERE ancestor_concept_id <> descendant_concept_id"):
        con = duckdb.connect()
        con.execute(CDM)
        con.execute(emptied)
        with pytest.warns(UserWarning, match="CONCEPT_ANCESTOR"):
            kobalt.omop.screen(con, as_of=datetime.date(2026, 12, 1))
