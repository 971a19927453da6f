"""GB/T 2260 administrative division codes: a province `PP0000` holds its prefecture-level cities
`PPCC00`, and a city its counties and districts `PPCCDD`."""

from __future__ import annotations

from enum import StrEnum


class DivisionLevel(StrEnum):
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"


def level_of(code: str) -> DivisionLevel:
    if code.endswith("0000"):
        return DivisionLevel.PROVINCE
    if code.endswith("00"):
        return DivisionLevel.CITY
    return DivisionLevel.COUNTY


def enclosing(code: str, level: DivisionLevel) -> str:
    """The division of `level` that holds `code` (`code` itself at its own level)."""
    if level is DivisionLevel.PROVINCE:
        return f"{code[:2]}0000"
    if level is DivisionLevel.CITY:
        return f"{code[:4]}00"
    return code


def holds(division: str, code: str) -> bool:
    """Whether `code` lies in `division` (a division holds itself)."""
    return enclosing(code, level_of(division)) == division


def prefix(division: str) -> str:
    """What the codes that `division` holds start with."""
    level = level_of(division)
    return (
        division[:2] if level is DivisionLevel.PROVINCE else division[:4] if level is DivisionLevel.CITY else division
    )
