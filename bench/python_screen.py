"""kobalt.screen on a pyarrow Table of the 10 M row Parquet export against DuckDB's SQL on the same file
(issue 18; run by hand after bench/screen.sh has made the export):
    target/py/bin/python bench/python_screen.py target/bench-screen/b12_10000000.parquet"""
import sys
import time

import duckdb
import pyarrow.parquet as pq

import kobalt

path = sys.argv[1]
table = pq.read_table(path)
rows = table.num_rows
sql = open("bench/rules-nhg-2026-12.sql").read().replace("{SRC}", f"read_parquet('{path}')")
con = duckdb.connect()
con.execute("SET threads TO 2")
k, d = [], []
for _ in range(3):
    t = time.perf_counter()
    out = kobalt.screen(table)
    k.append(time.perf_counter() - t)
    t = time.perf_counter()
    con.sql(sql).to_arrow_table()
    d.append(time.perf_counter() - t)
k, d = sorted(k)[1], sorted(d)[1]
print(f"{rows} rows: kobalt.screen {k:.2f} s ({rows / k / 1e6:.2f} M rows/s); "
      f"DuckDB SQL on the file {d:.2f} s ({rows / d / 1e6:.2f} M rows/s); ratio {d / k:.2f}x; "
      f"output rows {out.num_rows}")
