"""A region's rules file (JSON) read into a `RulesDocument`, or refused with the line and field of
every fault, so that whoever wrote it can find them."""

from __future__ import annotations

import json
import re

from pydantic import ValidationError

from govrate.kernel.errors import InvalidInput
from govrate.regions.rules import RulesDocument

_BLANK = re.compile(r"[ \t\n\r]*")
FieldPath = tuple[str, ...]


class RulesRefused(InvalidInput):
    """A rules file that breaks a rule; `errors` give the line, the field and what is wrong."""


def parse_rules(text: str) -> RulesDocument:
    """The document a rules file holds; RulesRefused (line and field of each fault) otherwise."""
    try:
        content = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RulesRefused(
            "the rules file is not JSON", [{"line": str(exc.lineno), "field": "", "message": exc.msg}]
        ) from exc
    try:
        return RulesDocument.model_validate(content)
    except ValidationError as exc:
        lines = _lines_of_fields(text)
        errors = [
            {
                "line": str(_line_of(tuple(str(part) for part in error["loc"]), lines)),
                "field": ".".join(str(part) for part in error["loc"]),
                "message": error["msg"],
            }
            for error in exc.errors()
        ]
        raise RulesRefused("the rules file breaks the rules of its fields", errors) from exc


def _line_of(path: FieldPath, lines: dict[FieldPath, int]) -> int:
    """The line of the field at `path`, or of the nearest enclosing one that is written (a missing field)."""
    while path not in lines:
        path = path[:-1]
    return lines[path]


def _lines_of_fields(text: str) -> dict[FieldPath, int]:
    """The line where each member of a valid JSON text starts (object keys by name, array items by index)."""
    lines: dict[FieldPath, int] = {}
    decoder = json.JSONDecoder()

    def skip(position: int) -> int:
        match = _BLANK.match(text, position)
        return match.end() if match else position

    def line(position: int) -> int:
        return text.count("\n", 0, position) + 1

    def value(position: int, path: FieldPath) -> int:
        """Records the members under `path` starting at `position`; returns where the value ends."""
        position = skip(position)
        lines.setdefault(path, line(position))
        opening = text[position]
        if opening not in "{[":
            return int(decoder.raw_decode(text, position)[1])
        position = skip(position + 1)
        index = 0
        while text[position] not in "}]":
            if opening == "{":
                key, after_key = decoder.raw_decode(text, position)  # a key is a JSON string
                member = (*path, key)
                lines[member] = line(position)
                position = skip(after_key) + 1  # the colon
            else:
                member = (*path, str(index))
                index += 1
            position = skip(value(position, member))
            if text[position] == ",":
                position = skip(position + 1)
        return position + 1

    value(0, ())
    return lines
