"""The Python package against oracles it does not share code paths with:
the `kobalt` CLI (assess on every vignette and case file; screen on a
generated export) and the row counts of the input itself (issue 18)."""

import csv
import glob
import json
import os
import subprocess
import sys

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

import kobalt

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
KOBALT = os.environ.get("KOBALT_BIN", os.path.join(ROOT, "target", "debug", "kobalt"))
SHARED = os.path.join(ROOT, "..", "shared", "vignettes")


def requests():
    files = sorted(glob.glob(os.path.join(ROOT, "tests", "cases", "*.json")))
    files += sorted(glob.glob(os.path.join(SHARED, "*.json")))
    files += sorted(glob.glob(os.path.join(ROOT, "tests", "errors", "*.json")))
    assert files, "no case files"
    return files


@pytest.mark.parametrize("path", requests(), ids=os.path.basename)
def test_assess_equals_the_cli_on_every_case(path):
    with open(path, encoding="utf-8") as f:
        request = json.load(f)["request"]
    text = json.dumps(request)
    cli = subprocess.run(
        [KOBALT, "assess", "--format", "json", "--date", "2026-11-22", "-"],
        input=text.encode(),
        capture_output=True,
    )
    expected = json.loads(cli.stdout)
    if cli.returncode == 0:
        got = kobalt.assess(request, evaluation_date="2026-11-22")
        assert got == expected
    else:
        with pytest.raises(kobalt.KobaltError) as e:
            kobalt.assess(request, evaluation_date="2026-11-22")
        assert e.value.error == expected


def test_overrides_are_the_cli_flags():
    request = {"person": {"age_years": 40}, "labs": [{"analyte": "b12_total", "value": 200, "unit": "pmol/L"}]}
    cli = subprocess.run(
        [KOBALT, "assess", "--format", "json", "--date", "2026-11-22", "--guideline", "nice",
         "--lang", "en", "--audience", "clinician", "-"],
        input=json.dumps(request).encode(), capture_output=True, check=True,
    )
    got = kobalt.assess(request, guideline="nice", language="en", audience="clinician",
                        evaluation_date="2026-11-22")
    assert got == json.loads(cli.stdout)
    with pytest.raises(kobalt.KobaltError):
        kobalt.assess(request, guideline="bsh")


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    """A generated export with some bad rows, screened by the CLI."""
    d = tmp_path_factory.mktemp("export")
    path = d / "export.csv"
    subprocess.run([sys.executable, os.path.join(ROOT, "bench", "gen_b12.py"), "20000", str(path),
                    "--seed", "5"], check=True, capture_output=True)
    with open(path, "a", encoding="utf-8") as f:
        f.write("20001,50,F,,,abc,pmol/L,2025-01-01,,,,,,,\n")
        f.write("17,50,F,,,300,pmol/L,2025-01-01,,,,,,,\n")
    out, rejects = d / "out.csv", d / "rejects.csv"
    subprocess.run([KOBALT, "screen", str(path), "--out", str(out), "--rejects", str(rejects),
                    "--threads", "2"], check=True, capture_output=True)
    with open(out, encoding="utf-8") as f:
        cli = {r["patient_id"]: r for r in csv.DictReader(f)}
    with open(rejects, encoding="utf-8") as f:
        cli_rejects = list(csv.DictReader(f))
    table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
        column_types={"patient_id": pa.string(), "b12_value": pa.string()}))
    return table, cli, cli_rejects


def statuses(result):
    rows = result.to_pylist()
    return {r["patient_id"]: r for r in rows if r["rejected"] is None}, [r for r in rows if r["rejected"]]


def test_screen_equals_the_cli_and_keeps_every_row(export):
    table, cli, cli_rejects = export
    result = kobalt.screen(table)
    assert result.num_rows == table.num_rows, "one output row per input row"
    assert result.column("row").to_pylist() == list(range(1, table.num_rows + 1))
    screened, rejected = statuses(result)
    assert len(rejected) == len(cli_rejects)
    # A rejected row keeps its patient id, so that it can be found again.
    assert {r["patient_id"] for r in rejected} >= {"20001", "17"}, rejected
    assert set(screened) == set(cli)
    for pid, row in screened.items():
        for column in ["status", "risk_group", "flags", "reflex_test", "rules"]:
            assert (row[column] or "") == cli[pid][column], (pid, column)


def test_polars_pandas_duckdb_and_readers_give_the_same_table(export):
    table = export[0]
    expected = kobalt.screen(table)
    import duckdb
    import polars as pl

    inputs = {
        "polars": pl.from_arrow(table),
        "pandas": table.to_pandas(),
        "reader": pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=3000)),
    }
    con = duckdb.connect()
    con.register("export", table)
    inputs["duckdb"] = con.sql("SELECT * FROM export").arrow()
    for name, data in inputs.items():
        got = kobalt.screen(data)
        assert got.to_pylist() == expected.to_pylist(), name
    batches = list(kobalt.screen_batches(pa.RecordBatchReader.from_batches(
        table.schema, table.to_batches(max_chunksize=3000))))
    assert sum(b.num_rows for b in batches) == table.num_rows
    assert pa.Table.from_batches(batches).to_pylist() == expected.to_pylist()


def test_a_mapping_as_dict_toml_or_file(tmp_path):
    table = pa.table({"pid": ["a", "b"], "leeftijd": [60, 40], "geslacht": ["V", "x"],
                      "b12": [120.0, 300.0], "eenheid": ["pmol/L", "pmol/L"]})
    mapping = {"patient_id": "pid", "age": "leeftijd", "sex": "geslacht", "sex_values": {"V": "female"},
               "lab": [{"analyte": "b12_total", "value": "b12", "unit_column": "eenheid"}]}
    toml = ('patient_id = "pid"\nage = "leeftijd"\nsex = "geslacht"\n[sex_values]\nV = "female"\n'
            '[[lab]]\nanalyte = "b12_total"\nvalue = "b12"\nunit_column = "eenheid"\n')
    path = tmp_path / "mapping.toml"
    path.write_text(toml)
    results = [kobalt.screen(table, mapping=m).to_pylist() for m in (mapping, toml, str(path), path)]
    assert all(r == results[0] for r in results)
    assert results[0][0]["status"] == "deficient"
    assert "sex" in results[0][1]["rejected"], "an unmapped sex code is a reject, not 'unknown'"


def test_requests_from_dataframe_rows_and_a_mistyped_mapping_path(tmp_path):
    np = pytest.importorskip("numpy")
    import datetime

    request = {"person": {"age_years": np.int64(50)},
               "labs": [{"analyte": "b12_total", "value": np.float64(118.0), "unit": "pmol/L",
                         "date": datetime.date(2026, 1, 1)}]}
    a = kobalt.assess(request, evaluation_date=datetime.date(2026, 6, 1))
    assert a["b12_status"]["category"] == "deficient"
    with pytest.raises(kobalt.KobaltError) as e:
        kobalt.assess({"person": {"age_years": 50},
                       "labs": [{"analyte": "b12_total", "value": float("nan"), "unit": "pmol/L"}]})
    assert e.value.error["error"]["path"] == "/labs/0/value"
    with pytest.raises(kobalt.KobaltError, match="no such file"):
        kobalt.screen(pa.table({"patient_id": ["1"]}), mapping=str(tmp_path / "nope" / "mapping.toml"))
    # An int was opened as a file descriptor ("mapping 5: bad file descriptor").
    for wrong in (5, 2.5, ["patient_id"]):
        with pytest.raises(TypeError, match="mapping is a dict, a path or TOML text"):
            kobalt.screen(pa.table({"patient_id": ["1"]}), mapping=wrong)


def test_inputs_as_notebooks_give_them():
    import polars as pl

    table = pa.table({"patient_id": ["1"], "age": [60], "b12_value": [120.0], "b12_unit": ["pmol/L"]})
    mapping = {"patient_id": "patient_id", "age": "age",
               "lab": [{"analyte": "b12_total", "value": "b12_value", "unit_column": "b12_unit"},
                       {"analyte": "mma", "value": "mma", "unit": "umol/L"}]}
    # A missing column added as polars' untyped null column (pl.lit(None)).
    frame = pl.from_arrow(table).with_columns(pl.lit(None).alias("mma"))
    assert kobalt.screen(frame, mapping=mapping).column("status").to_pylist() == ["deficient"]
    # A lazy frame is named, with what to do.
    with pytest.raises(kobalt.KobaltError, match="collect"):
        kobalt.screen(frame.lazy(), mapping=mapping)
    with pytest.raises(kobalt.KobaltError, match="__arrow_c_stream__"):
        kobalt.screen([1, 2, 3])
    # Guideline names in any case, as people type them.
    assert kobalt.screen(frame, mapping=mapping, guideline="NICE").num_rows == 1
    assert kobalt.assess({"person": {"age_years": 40}}, guideline="NICE", language="EN",
                         evaluation_date="2026-11-22")["guideline"] == "nice"


def test_errors_name_the_problem():
    with pytest.raises(kobalt.KobaltError, match="column .age. .* not in the header"):
        kobalt.screen(pa.table({"patient_id": ["1"], "b12_value": [1.0]}))
    with pytest.raises(kobalt.KobaltError) as e:
        kobalt.assess({"person": {"age_years": 40}, "labs": [{"analyte": "b12_total", "value": 1, "unit": "mmol/L"}]})
    assert e.value.error["error"]["code"] == "invalid_unit"
