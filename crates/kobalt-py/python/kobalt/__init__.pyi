import datetime
import os
from typing import Any, Dict, Mapping, Optional, Union

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
    evaluation_date: Union[None, str, "datetime.date"] = ...,
    projection: bool = ...,
) -> Dict[str, Any]: ...

_MappingLike = Union[None, str, "os.PathLike[str]", Mapping[str, Any]]

def screen(data: Any, *, mapping: _MappingLike = ..., guideline: str = ...) -> pyarrow.Table: ...
def screen_batches(
    data: Any, *, mapping: _MappingLike = ..., guideline: str = ...
) -> pyarrow.RecordBatchReader: ...
