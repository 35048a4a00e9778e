import datetime
from typing import Any, Optional, Union

import pyarrow

def query(*, as_of: Union[datetime.date, str], window_days: Optional[int] = ...) -> str: ...
def mapping() -> dict: ...
def screen(
    con: Any,
    *,
    as_of: Optional[Union[datetime.date, str]] = ...,
    window_days: Optional[int] = ...,
    guideline: str = ...,
    write_table: Optional[str] = ...,
) -> pyarrow.Table: ...
