#!/usr/bin/env bash
# Batch screening benchmark (run by hand, not in CI): Kobalt against DuckDB and polars (streaming) on the same export.
#   bench/screen.sh [rows]          default 10,000,000
# Generates the export with bench/gen_b12.py (and an --only-b12-mma one), converts to Parquet,
# runs Kobalt and DuckDB (bench/rules-nhg-2026-12.sql: the vendored bench/rules-nhg.sql with the review's two corrections; DuckDB from PyPI in a venv made here) alternating,
# 3 runs each, both writing one row per patient in the same format (CSV → CSV, Parquet → CSV, Parquet →
# Parquet), and prints rows/s, peak memory and the ratio. On the --only-b12-mma file it checks that
# Kobalt's status equals DuckDB's for every patient.
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${1:-10000000}"
work="target/bench-screen"
mkdir -p "$work"

if [ ! -x "$work/venv/bin/python" ]; then
  python3 -m venv "$work/venv"
  "$work/venv/bin/pip" install -q duckdb
fi
"$work/venv/bin/python" -c "import polars" 2>/dev/null || "$work/venv/bin/pip" install -q polars
py="$work/venv/bin/python"
cargo build -q --release -p kobalt-cli
kobalt="./target/release/kobalt"

csv="$work/b12_${rows}.csv"
mma="$work/b12_${rows}_mma.csv"
[ -f "$csv" ] || python3 bench/gen_b12.py "$rows" "$csv" --seed 1 --procs 2
[ -f "$mma" ] || python3 bench/gen_b12.py "$rows" "$mma" --seed 2 --procs 2 --only-b12-mma
parquet="${csv%.csv}.parquet"
[ -f "$parquet" ] || "$py" -c "import duckdb; duckdb.sql(\"COPY (SELECT * FROM read_csv('$csv')) TO '$parquet' (FORMAT parquet)\")"

# The reference SQL with DuckDB, one row per patient written to OUT: duck SRC OUT.
cat > "$work/duck.py" <<'PY'
import sys, duckdb
src, out = sys.argv[1], sys.argv[2]
sql = open("bench/rules-nhg-2026-12.sql").read().replace("{SRC}", src)
con = duckdb.connect()
con.execute("SET threads TO 2")
fmt = "(FORMAT parquet)" if out.endswith(".parquet") else "(HEADER, DELIMITER ',')"
con.execute(f"COPY ({sql}) TO '{out}' {fmt}")
PY
duck() { "$py" "$work/duck.py" "$1" "$2"; }

# The same rules with polars' streaming engine (lazy scan, sink), 2 threads.
cat > "$work/polars_rules.py" <<'PY'
import sys, polars as pl
src, out = sys.argv[1], sys.argv[2]
lf = pl.scan_parquet(src) if src.endswith(".parquet") else pl.scan_csv(src, schema_overrides={"patient_id": pl.Utf8})
b12 = (pl.when(pl.col("b12_unit").is_in(["pg/mL", "ng/L"]))
         .then((pl.col("b12_value") * 0.7378).round(0)).otherwise(pl.col("b12_value")))
mma = pl.col("mma_umol")
status = (pl.when(b12.is_null()).then(pl.lit("not_tested"))
          .when(b12 < 148).then(pl.lit("deficient"))
          .when(b12 <= 260).then(pl.when(mma > 0.45).then(pl.lit("deficient"))
                                   .when(mma >= 0.28).then(pl.lit("indeterminate"))
                                   .when(mma.is_not_null()).then(pl.lit("unlikely"))
                                   .otherwise(pl.lit("indeterminate")))
          .when(mma >= 0.28).then(pl.lit("indeterminate"))
          .otherwise(pl.lit("unlikely")))
at_risk = (pl.col("metformin_years").fill_null(0) > 4) | (pl.col("ppi_years").fill_null(0) > 4)
q = lf.select(pl.col("patient_id"), b12.alias("b12_pmol"), at_risk.alias("at_risk"),
              (pl.col("mcv_fl") > 100).fill_null(False).alias("macrocytosis"), status.alias("status"))
q.sink_parquet(out) if out.endswith(".parquet") else q.sink_csv(out)
PY
polars_run() { POLARS_MAX_THREADS=2 "$py" "$work/polars_rules.py" "$1" "$2"; }

peak() { /usr/bin/time -f "%M" -o "$work/time.txt" "$@" >/dev/null; cat "$work/time.txt"; }

report() { # name seconds... : median, with a leading zero
  printf "%.3f\n" "$(printf "%s\n" "${@:2}" | sort -n | sed -n 2p)"
}

echo "rows: $rows"
for job in "$csv csv" "$parquet csv" "$parquet parquet"; do
  read -r input out <<<"$job"
  k=(); d=(); p=()
  for run in 1 2 3; do
    start=$(date +%s.%N)
    kmem=$(peak $kobalt screen "$input" --out "$work/kobalt.$out" --threads 2)
    k+=("$(echo "$(date +%s.%N) - $start" | bc)")
    src="read_csv('$input')"; [ "${input##*.}" = parquet ] && src="read_parquet('$input')"
    start=$(date +%s.%N)
    dmem=$(peak "$py" "$work/duck.py" "$src" "$work/duck.$out")
    d+=("$(echo "$(date +%s.%N) - $start" | bc)")
    start=$(date +%s.%N)
    pmem=$(peak env POLARS_MAX_THREADS=2 "$py" "$work/polars_rules.py" "$input" "$work/polars.$out")
    p+=("$(echo "$(date +%s.%N) - $start" | bc)")
  done
  km=$(report k "${k[@]}"); dm=$(report d "${d[@]}"); pm=$(report p "${p[@]}")
  echo "${input##*.} -> $out: kobalt ${km}s ($(echo "$rows / $km" | bc) rows/s, peak ${kmem} KB); duckdb ${dm}s (peak ${dmem} KB; kobalt $(echo "scale=2; $dm / $km" | bc)x); polars streaming ${pm}s (peak ${pmem} KB; kobalt $(echo "scale=2; $pm / $km" | bc)x)"
done

# Same status for every patient on the B12 + MMA export.
$kobalt screen "$mma" --out "$work/kobalt_mma.csv" --threads 2 >/dev/null
duck "read_csv('$mma')" "$work/duck_mma.csv" >/dev/null
"$py" - "$work/kobalt_mma.csv" "$work/duck_mma.csv" "$work/kobalt_mma.rejects.csv" <<'PY'
import csv, sys
k = {r["patient_id"]: r["status"] for r in csv.DictReader(open(sys.argv[1]))}
d = {r["patient_id"]: r["status"] for r in csv.DictReader(open(sys.argv[2]))}
# Rows Kobalt rejects (with their reason, e.g. metformin longer than the person's life) are not screened.
rejected = {r["row"].split(",")[0] for r in csv.DictReader(open(sys.argv[3]))}
diff = [p for p in d if p not in rejected and k.get(p) != d[p]]
lost = [p for p in d if p not in k and p not in rejected]
print(f"status equality on {len(d) - len(rejected)} patients ({len(rejected)} rejected with a reason): "
      f"{'OK' if not diff and not lost else f'{len(diff)} differ, e.g. {diff[:5]}; {len(lost)} lost'}")
sys.exit(1 if diff or lost else 0)
PY
