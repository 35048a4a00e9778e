"""Kobalt: decision support for vitamin B12 deficiency, in Python.

``assess`` gives the same assessment as ``kobalt assess --format json``;
``screen`` and ``screen_batches`` screen lab exports held as Arrow data
(a pyarrow Table, a polars or pandas DataFrame, a DuckDB relation, a
RecordBatchReader: anything with ``__arrow_c_stream__``) as ``kobalt screen``
does. Kobalt never diagnoses: it is decision support, checked against the
guideline it cites.
"""

from __future__ import annotations

import datetime
import json
import math
import os
from typing import TYPE_CHECKING, Any, Mapping, Optional, Union

if TYPE_CHECKING:
    import pyarrow

from . import _kobalt

__version__ = _kobalt.__version__
__all__ = ["KobaltError", "assess", "screen", "screen_batches", "__version__"]


class KobaltError(Exception):
    """A request or input Kobalt cannot use.

    ``error`` is the contract's error object (``{"error": {"code", "message",
    "path"}}``) when the request was refused, else ``None``.
    """

    def __init__(self, message: str, error: Optional[dict] = None):
        super().__init__(message)
        self.error = error


def _raise(e: Exception) -> None:
    """The native error (message, contract error object as JSON) as a KobaltError."""
    message = str(e.args[0]) if e.args else str(e)
    document = e.args[1] if len(e.args) > 1 else ""
    raise KobaltError(message, json.loads(document) if document else None) from None


def _json_value(value: Any, path: str) -> Any:
    """A request value as JSON takes it: NumPy scalars as numbers, dates as
    YYYY-MM-DD; a NaN is refused with its JSON pointer (a missing value is an
    absent field, not NaN)."""
    if isinstance(value, Mapping):
        return {k: _json_value(v, f"{path}/{k}") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_value(v, f"{path}/{i}") for i, v in enumerate(value)]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()[:10]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()  # a NumPy scalar
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        error = {"error": {"code": "invalid_value", "message": f"{value} is not a number", "path": path}}
        raise KobaltError(f"invalid request: invalid_value at {path}: {value} is not a number", error)
    return value


def assess(
    request: Mapping[str, Any],
    *,
    guideline: Optional[str] = None,
    language: Optional[str] = None,
    audience: Optional[str] = None,
    evaluation_date: Optional[str] = None,
    projection: bool = True,
) -> dict:
    """Assess one person (a ``kobalt.request/v1`` dict); returns the assessment dict.

    The keyword arguments override the request's ``guideline`` (``"nhg"`` or
    ``"nice"``), ``language`` (``"nl"``, ``"en"``) and ``audience``
    (``"patient"``, ``"clinician"``); ``evaluation_date`` (``"YYYY-MM-DD"``) is
    used when the request has none (default: today). ``projection=False``
    leaves out the projection of body B12 stores.
    """
    if isinstance(evaluation_date, datetime.date):
        evaluation_date = evaluation_date.isoformat()
    guideline, language, audience = (v.lower() if isinstance(v, str) else v
                                     for v in (guideline, language, audience))
    try:
        text = _kobalt.assess_json(
            json.dumps(_json_value(request, "")), guideline, language, audience, evaluation_date, projection
        )
    except _kobalt.NativeError as e:
        _raise(e)
    return json.loads(text)


def _mapping(mapping: Union[None, str, "os.PathLike[str]", Mapping[str, Any]]):
    """(TOML text, JSON text) of a mapping: a dict, a path to a TOML file, or TOML text."""
    if mapping is None:
        return None, None
    if isinstance(mapping, Mapping):
        return None, json.dumps(mapping)
    if not isinstance(mapping, (str, os.PathLike)):
        raise TypeError(f"mapping is a dict, a path or TOML text, not {type(mapping).__name__}")
    text = str(mapping)
    looks_like_a_path = isinstance(mapping, os.PathLike) or ("\n" not in text and "=" not in text)
    if looks_like_a_path:
        try:
            with open(mapping, encoding="utf-8") as f:
                return f.read(), None
        except OSError as e:
            raise KobaltError(f"mapping {text}: {e.strerror.lower() if e.strerror else e}") from None
    return text, None


def _arrow_input(data: Any) -> Any:
    """What the Arrow C stream interface can take: a lazy polars frame is named
    (collect it first), an untyped polars null column becomes text."""
    kind = type(data).__module__.split(".")[0] + "." + type(data).__name__
    if kind == "polars.LazyFrame":
        raise KobaltError("a polars LazyFrame: call .collect() first (or screen_batches on a collected frame)")
    if kind == "polars.DataFrame":
        import polars as pl

        nulls = [c for c, t in data.schema.items() if t == pl.Null]
        if nulls:
            data = data.with_columns([pl.col(c).cast(pl.Utf8) for c in nulls])
    if not hasattr(data, "__arrow_c_stream__"):
        raise KobaltError(
            f"cannot screen a {kind}: give a pyarrow Table or RecordBatchReader, a polars or pandas DataFrame, "
            "a DuckDB relation, or anything else with __arrow_c_stream__"
        )
    return data


def screen(data: Any, *, mapping=None, guideline: str = "nhg"):
    """Screen a lab export held as Arrow data; returns a ``pyarrow.Table``.

    One output row per input row, in input order: ``row`` (from 1), the columns
    of ``kobalt screen``'s output (``patient_id``, ``status``, ``risk_group``,
    ``flags``, ``reflex_test``, ``rules``) and ``rejected``: why a row was not
    screened (then the status columns are null; ``patient_id`` is kept when the
    row has one). ``patient_id`` is text, whatever the input's type. ``mapping`` says which column is
    which: a dict, a TOML file or TOML text in the format of ``kobalt screen
    --mapping``; without it, the benchmark export's columns.
    """
    toml, js = _mapping(mapping)
    data = _arrow_input(data)
    try:
        return _kobalt.screen_table(data, toml, js, guideline.lower())
    except _kobalt.NativeError as e:
        _raise(e)


def screen_batches(data: Any, *, mapping=None, guideline: str = "nhg") -> "pyarrow.RecordBatchReader":
    """As ``screen``, batch by batch as the input is read (larger than memory).

    Returns a ``pyarrow.RecordBatchReader``: iterate it, or pass it on to
    anything that reads Arrow streams.
    """
    toml, js = _mapping(mapping)
    data = _arrow_input(data)
    try:
        return _kobalt.screen_reader(data, toml, js, guideline.lower())
    except _kobalt.NativeError as e:
        _raise(e)
