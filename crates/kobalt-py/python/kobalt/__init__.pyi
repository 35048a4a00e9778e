import os
from typing import Any, Iterator, Mapping, Optional, Union

import pyarrow

__version__: str

class KobaltError(Exception):
    error: Optional[dict]
    def __init__(self, message: str, error: Optional[dict] = ...) -> None: ...

def assess(
    request: Mapping[str, Any],
    *,
    guideline: Optional[str] = ...,
    language: Optional[str] = ...,
    audience: Optional[str] = ...,
    evaluation_date: Optional[str] = ...,
    projection: bool = ...,
) -> dict: ...

MappingLike = Union[None, str, "os.PathLike[str]", Mapping[str, Any]]

def screen(data: Any, *, mapping: MappingLike = ..., guideline: str = ...) -> pyarrow.Table: ...
def screen_batches(
    data: Any, *, mapping: MappingLike = ..., guideline: str = ...
) -> pyarrow.RecordBatchReader: ...
