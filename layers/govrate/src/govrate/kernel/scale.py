"""The five-level evaluation scale (GB/T 39734-2020) and the bad-review rule."""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from pydantic import GetCoreSchemaHandler, ValidationInfo
from pydantic_core import core_schema


class Level(IntEnum):
    VERY_DISSATISFIED = 1
    DISSATISFIED = 2
    BASICALLY_SATISFIED = 3
    SATISFIED = 4
    VERY_SATISFIED = 5

    @property
    def label_zh(self) -> str:
        return _LABELS_ZH[self]

    @property
    def label_en(self) -> str:
        return _LABELS_EN[self]

    @property
    def is_bad_review(self) -> bool:
        """A bad review (差评) is level 1 or 2; levels 3-5 count as good."""
        return self <= Level.DISSATISFIED

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        # An enum of integers compares equal to true and to 4.0, which pydantic would take as levels
        # 1 and 4 even in strict mode: in a JSON document a level is a whole number, nothing else.
        return core_schema.with_info_before_validator_function(_whole_number_in_json, handler(source))


def _whole_number_in_json(value: Any, info: ValidationInfo) -> Any:
    if info.mode == "json" and type(value) is not int:
        raise ValueError("a level is a whole number from 1 to 5")
    return value


_LABELS_ZH = {
    Level.VERY_SATISFIED: "非常满意",
    Level.SATISFIED: "满意",
    Level.BASICALLY_SATISFIED: "基本满意",
    Level.DISSATISFIED: "不满意",
    Level.VERY_DISSATISFIED: "非常不满意",
}
_LABELS_EN = {
    Level.VERY_SATISFIED: "Very satisfied",
    Level.SATISFIED: "Satisfied",
    Level.BASICALLY_SATISFIED: "Basically satisfied",
    Level.DISSATISFIED: "Dissatisfied",
    Level.VERY_DISSATISFIED: "Very dissatisfied",
}

# Points per level for the 0-100 satisfaction score (10/8/6/3/0, x10); regions may configure their own.
DEFAULT_LEVEL_SCORES: dict[Level, int] = {
    Level.VERY_SATISFIED: 100,
    Level.SATISFIED: 80,
    Level.BASICALLY_SATISFIED: 60,
    Level.DISSATISFIED: 30,
    Level.VERY_DISSATISFIED: 0,
}


def satisfaction_score(levels: list[Level], scores: dict[Level, int] = DEFAULT_LEVEL_SCORES) -> float | None:
    """Mean 0-100 score of the given levels, or None when nothing was rated."""
    if not levels:
        return None
    return sum(scores[level] for level in levels) / len(levels)
