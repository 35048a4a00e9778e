"""kobalt.spark.screen on the 10 M row Parquet export, pyspark local[2] (issue 18; run by hand after
bench/screen.sh has made the export):
    PYSPARK_PYTHON=target/py/bin/python target/py/bin/python bench/spark_screen.py \
        target/bench-screen/b12_10000000.parquet"""
import os
import sys
import time

from pyspark.sql import SparkSession

import kobalt.spark

path = sys.argv[1]
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
spark = (SparkSession.builder.master("local[2]").appName("kobalt-bench")
         .config("spark.ui.enabled", "false").config("spark.driver.memory", "4g").getOrCreate())
df = spark.read.parquet(path)
rows = df.count()
out = os.path.join(os.path.dirname(path), "spark_out.parquet")
start = time.perf_counter()
kobalt.spark.screen(df).write.mode("overwrite").parquet(out)
seconds = time.perf_counter() - start
counts = spark.read.parquet(out).groupBy("status").count().collect()
print(f"{rows} rows on local[2]: {seconds:.1f} s ({rows / seconds / 1e6:.2f} M rows/s), "
      f"Parquet to Parquet with the shuffle by patient; statuses {sorted((r['status'] or 'rejected', r['count']) for r in counts)}")
spark.stop()
