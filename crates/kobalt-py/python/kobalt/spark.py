"""Kobalt on Spark: screen a DataFrame on the executors with ``mapInArrow``.

The ``kobalt`` package must be installed on every executor (the same wheel
as on the driver)::

    pip wheel ./crates/kobalt-py -w dist/        # one abi3 wheel, CPython >= 3.9
    # Databricks: add dist/kobalt-*.whl as a cluster library;
    # spark-submit / YARN / Kubernetes: ship a packed virtual environment that
    # has it installed: --archives kobalt-env.tar.gz#env with
    # PYSPARK_PYTHON=./env/bin/python (venv-pack or conda-pack make the archive).

Rows are first partitioned by the patient id, so that the duplicate check,
which runs per partition, sees every row of a patient.
"""

from __future__ import annotations

import itertools
from typing import Any

from . import _kobalt, _mapping, _raise

OUTPUT = ["patient_id", "status", "risk_group", "flags", "reflex_test", "rules", "rejected"]


def output_schema():
    """The Spark schema of ``screen``'s result: ``row`` (within its partition,
    from 1), the columns of ``kobalt screen``'s output, and ``rejected``."""
    from pyspark.sql.types import LongType, StringType, StructField, StructType

    return StructType(
        [StructField("row", LongType(), False)] + [StructField(c, StringType(), True) for c in OUTPUT]
    )


def _plain(batch):
    """Spark reads plain types: dictionary columns as strings, ``row`` as int64."""
    import pyarrow as pa

    columns = [batch.column("row").cast(pa.int64())]
    columns += [batch.column(c).cast(pa.string()) for c in OUTPUT]
    return pa.RecordBatch.from_arrays(columns, names=["row"] + OUTPUT)


def screen(df: Any, *, mapping=None, guideline: str = "nhg"):
    """Screen a Spark DataFrame as ``kobalt screen`` does; returns a DataFrame.

    One output row per input row: the screened columns, or ``rejected`` with
    the reason. ``mapping`` and ``guideline`` are those of ``kobalt.screen``.
    """
    toml, js = _mapping(mapping)
    try:
        patient_id = _kobalt.mapping_patient_id(toml, js)
        # Checked here, on the driver, not at the first action on the executors:
        # the mapped columns (an empty table of the DataFrame's columns) and the guideline.
        import pyarrow as pa

        empty = pa.table({c: pa.array([], pa.string()) for c in df.columns})
        guideline = guideline.lower()
        _kobalt.screen_table(empty, toml, js, guideline)
    except _kobalt.NativeError as e:
        _raise(e)

    def run(batches):
        import pyarrow as pa

        from kobalt import _kobalt as native

        batches = iter(batches)
        first = next(batches, None)
        if first is None:
            return
        reader = pa.RecordBatchReader.from_batches(first.schema, itertools.chain([first], batches))
        for out in native.screen_reader(reader, toml, js, guideline):
            yield _plain(out)

    return df.repartition(df[patient_id]).mapInArrow(run, output_schema())
