"""Column header normalisation, shared by the readers and the profiles' row models."""

from __future__ import annotations

import re
from functools import lru_cache

_NOT_WORD = re.compile(r"[^0-9a-z]+")


@lru_cache(maxsize=4096)
def snake_header(header: str) -> str:
    """A column header as lower_snake_case: "Phone #" -> "phone_no", "E-mail" -> "e_mail"."""
    text = header.replace("#", " no ").lower()
    return _NOT_WORD.sub("_", text).strip("_")
