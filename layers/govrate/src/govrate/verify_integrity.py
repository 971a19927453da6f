"""Verify a sealed day: the seals' MACs, and the tables against the newest authentic seal.

    python -m govrate.verify_integrity --day 2026-11-03 [--region 110105]

Reads the tables and the seal bucket named by the settings (GOVRATE_EVALUATIONS_TABLE,
GOVRATE_CASES_TABLE, GOVRATE_SEAL_BUCKET, GOVRATE_SEAL_KEY_ID, GOVRATE_DAY_SHARDS,
GOVRATE_UTC_OFFSET_HOURS). Exit status: 0 clean, 1 tampered (a report line names each difference),
2 a usage or configuration error. See docs/integrity.md.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from datetime import date
from typing import TextIO

from pydantic import ValidationError

from govrate import runtime
from govrate.integrity.seals import Verification, verify_day
from govrate.kernel.errors import GovrateError, NotFound

CLEAN, TAMPERED, USAGE = 0, 1, 2


def report(verification: Verification, out: TextIO) -> None:
    scope = f"region {verification.region}" if verification.region else "all regions"
    print(f"day {verification.day}, {scope}: {len(verification.seals)} seal(s)", file=out)
    for check in verification.seals:
        state = "MAC verified" if check.authentic else "FORGED: not a seal of this day made with the seal key"
        print(f"seal {check.key}: {state}", file=out)
    if len(verification.forged) == len(verification.seals):
        print("no authentic seal: the tables cannot be compared with anything", file=out)
    for step in verification.history:
        for difference in step.differences:
            note = "after the day was sealed" if not difference.expected_later else "case handled since"
            print(f"between seals, in {step.key}: {difference.line()} ({note})", file=out)
    for difference in verification.since_latest:
        print(f"since the latest seal: {difference.line()}", file=out)
    if verification.clean:
        print("CLEAN: the tables hold what the latest seal holds", file=out)
    else:
        problems = len(verification.forged) + len(verification.since_latest) + len(verification.rewritten_between_seals)
        print(f"TAMPERED: {problems} finding(s)", file=out)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a day (YYYY-MM-DD)") from exc


def _region(text: str) -> str:
    if not re.fullmatch(r"\d{6}", text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a six-digit division code")
    return text


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    parser = argparse.ArgumentParser(prog="python -m govrate.verify_integrity", description=__doc__.splitlines()[0])
    parser.add_argument("--day", type=_day, required=True, help="the local day to verify, YYYY-MM-DD")
    parser.add_argument("--region", type=_region, help="only this division (GB/T 2260 code)")
    try:
        arguments = parser.parse_args(argv)
    except SystemExit as exit_:
        return CLEAN if exit_.code == 0 else USAGE
    try:
        verification = verify_day(
            arguments.day,
            region=arguments.region,
            sources=runtime.seal_sources(),
            store=runtime.seal_bucket(),
            mac=runtime.seal_key(),
            now=runtime.now(),
        )
    except NotFound:
        print(f"error: {arguments.day} has no seal in the seal bucket (days are sealed the night after)", file=err)
        return USAGE
    except (GovrateError, ValidationError) as exc:
        print(f"error: {exc}", file=err)
        return USAGE
    report(verification, out)
    return CLEAN if verification.clean else TAMPERED


if __name__ == "__main__":
    sys.exit(main())
