import datetime
from typing import Any, Optional

import pyarrow

def query(*, as_of: datetime.date, window_days: int = ...) -> str: ...
def mapping() -> dict: ...
def screen(
    con: Any,
    *,
    as_of: Optional[datetime.date] = ...,
    window_days: int = ...,
    guideline: str = ...,
    write_table: Optional[str] = ...,
) -> pyarrow.Table: ...
