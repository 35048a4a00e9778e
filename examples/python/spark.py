"""Screen an export on Spark with kobalt.spark.screen (mapInArrow on the executors).

    python3 -m pip install ./crates/kobalt-py pyspark
    python3 bench/gen_b12.py 1000000 export.csv --seed 3
    PYSPARK_PYTHON=$(which python3) python3 examples/python/spark.py export.csv flagged.parquet

On a cluster every executor needs the kobalt wheel (see the kobalt.spark docstring:
`pip wheel ./crates/kobalt-py -w dist/`, then a cluster library or a packed environment).
"""
import sys

from pyspark.sql import SparkSession, functions as F

import kobalt.spark

src, out = sys.argv[1], sys.argv[2]
spark = SparkSession.builder.master("local[2]").appName("kobalt").getOrCreate()
df = spark.read.csv(src, header=True)  # text columns, as `kobalt screen` reads them
flagged = kobalt.spark.screen(df).cache()  # used three times below: screened once
flagged.write.mode("overwrite").parquet(out)
flagged.groupBy("status").count().orderBy(F.desc("count")).show()
flagged.where(F.col("rejected").isNotNull()).select("patient_id", "rejected").show(5, truncate=False)
spark.stop()
