"""Issue 18 item 2: kobalt.spark.screen on pyspark in local mode gives the
CLI's status for every patient of the same export, and loses no row."""

import csv
import os
import subprocess
import sys

import pytest

pyspark = pytest.importorskip("pyspark")

import kobalt  # noqa: E402
import kobalt.spark  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
KOBALT = os.environ.get("KOBALT_BIN", os.path.join(ROOT, "target", "debug", "kobalt"))


def test_spark_screen_equals_the_cli(tmp_path):
    path = tmp_path / "export.csv"
    subprocess.run([sys.executable, os.path.join(ROOT, "bench", "gen_b12.py"), "30000", str(path),
                    "--seed", "9"], check=True, capture_output=True)
    with open(path, "a", encoding="utf-8") as f:
        f.write("30001,50,F,,,abc,pmol/L,2025-01-01,,,,,,,\n")
        f.write("17,50,F,,,300,pmol/L,2025-01-01,,,,,,,\n")
    out, rejects = tmp_path / "out.csv", tmp_path / "rejects.csv"
    subprocess.run([KOBALT, "screen", str(path), "--out", str(out), "--rejects", str(rejects)],
                   check=True, capture_output=True)
    with open(out, encoding="utf-8") as f:
        cli = {r["patient_id"]: r["status"] for r in csv.DictReader(f)}
    with open(rejects, encoding="utf-8") as f:
        cli_rejects = list(csv.DictReader(f))

    from pyspark.sql import SparkSession

    # The executors' Python is this one, which has the package (on a cluster: see kobalt.spark).
    os.environ["PYSPARK_PYTHON"] = sys.executable

    spark = (SparkSession.builder.master("local[2]").appName("kobalt-test")
             .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4")
             .getOrCreate())
    try:
        df = spark.read.csv(str(path), header=True)  # every column as text, as the CLI reads it
        rows = [r.asDict() for r in kobalt.spark.screen(df).collect()]
    finally:
        spark.stop()
    assert len(rows) == df_rows(path), "one output row per input row"
    screened = {r["patient_id"]: r["status"] for r in rows if r["rejected"] is None}
    rejected = [r for r in rows if r["rejected"] is not None]
    assert screened == cli
    assert len(rejected) == len(cli_rejects)
    assert any("duplicate" in r["rejected"] for r in rejected), "repeats are found across partitions"


def df_rows(path):
    with open(path, encoding="utf-8") as f:
        return sum(1 for _ in csv.DictReader(f))


def test_spark_checks_the_mapping_and_guideline_on_the_driver():
    from pyspark.sql import SparkSession

    os.environ["PYSPARK_PYTHON"] = sys.executable
    spark = SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false").getOrCreate()
    try:
        df = spark.createDataFrame([("1", "50")], ["patient_id", "leeftijd"])
        with pytest.raises(kobalt.KobaltError, match="age"):
            kobalt.spark.screen(df)  # no action: the error comes at the call
        with pytest.raises(kobalt.KobaltError, match="guideline"):
            kobalt.spark.screen(df, mapping={"patient_id": "patient_id"}, guideline="who")
    finally:
        spark.stop()
