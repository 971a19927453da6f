"""The supervisors' command for a region's rules (evaluation policy, case deadlines, calendar).

    python -m govrate.regions.admin show 513221
    python -m govrate.regions.admin history 513221
    python -m govrate.regions.admin set 513221 --file 513221.json --user wang.fang

The reference table and the staff user pool and app client come from GOVRATE_REFERENCE_TABLE,
GOVRATE_STAFF_USER_POOL_ID and GOVRATE_STAFF_CLIENT_ID (AWS credentials and region from the environment,
as for any AWS CLI). `set` signs the supervisor in (the password is asked for, never an argument) and
changes the rules only for a supervisor of a division that holds the region; a file that breaks a rule
is refused with the line and field of each fault, before the password is asked for, and nothing
changes. Every change is stored with its audit entry (the supervisor, the operator's AWS identity, the
time, the document before and after).
Every function uses a change within a minute (GOVRATE_RULES_TTL_SECONDS of the functions).
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from govrate import runtime
from govrate.kernel.errors import Conflict, Forbidden, InvalidInput, StorageUnavailable, Unauthenticated
from govrate.regions.document import parse_rules
from govrate.regions.service import change_rules, check_division, rules_report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m govrate.regions.admin", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    showing = commands.add_parser("show", help="the division's own document and the rules in force there")
    showing.add_argument("division", help="GB/T 2260 code of a province, prefecture or county")
    listing = commands.add_parser("history", help="every change of the division's document, oldest first")
    listing.add_argument("division")
    setting = commands.add_parser("set", help="replace the division's document with a rules file")
    setting.add_argument("division")
    setting.add_argument("--file", required=True, type=Path, help="the rules file (JSON)")
    setting.add_argument("--user", required=True, help="the supervisor's user name in the staff pool")
    args = parser.parse_args(argv)
    try:
        check_division(args.division)
    except InvalidInput as exc:
        parser.error(f"{args.division}: {exc.errors[0]['message']}")

    store = runtime.rules_repository()
    if args.command == "show":
        report = rules_report(args.division, store=store, utc_offset_hours=runtime.settings().utc_offset_hours)
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0
    if args.command == "history":
        for change in store.history(args.division):
            print(change.model_dump_json())
        return 0

    try:
        text = args.file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        parser.error(f"cannot read {args.file}: {exc}")
    try:
        parse_rules(text)  # a faulty file is refused before the password is asked for
        tokens = runtime.staff_accounts().sign_in(args.user, getpass.getpass(f"password of {args.user}: "))
        actor = runtime.token_verifier().actor(tokens.access_token)
        operator = _operator_identity()
        change = change_rules(actor, args.division, text, store=store, now=runtime.now(), operator=operator)
    except InvalidInput as exc:
        for error in exc.errors:
            where = "".join(
                f"{part}: " for part in (f"line {error['line']}" if "line" in error else "", error["field"]) if part
            )
            print(f"{args.file}: {where}{error['message']}", file=sys.stderr)
        print(f"refused: {exc.detail}; the rules in force are unchanged", file=sys.stderr)
        return 1
    except (Unauthenticated, Forbidden, Conflict) as exc:
        print(f"refused: {exc}; the rules in force are unchanged", file=sys.stderr)
        return 1
    except StorageUnavailable as exc:
        # Against the local stack, most often GOVRATE_STAFF_JWKS_URL not exported from its ready line.
        print(f"error: {exc}; the rules in force are unchanged", file=sys.stderr)
        return 1
    print(json.dumps({"message": "region rules changed", **change.model_dump(mode="json")}, ensure_ascii=False))
    return 0


def _operator_identity() -> str:
    import boto3

    return str(boto3.client("sts").get_caller_identity()["Arn"])


if __name__ == "__main__":
    sys.exit(main())
