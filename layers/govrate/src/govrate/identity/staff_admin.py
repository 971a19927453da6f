"""The administrators' command for staff accounts: what a person may do, and ending their access.

    python -m govrate.identity.staff_admin --pool ap-east-1_AbC123 \
        assign li.ming --role staff --agency 110105-GA --division 110105
    python -m govrate.identity.staff_admin --pool ap-east-1_AbC123 revoke li.ming

Role, agency and division are the account's Cognito groups (`govrate.identity.auth`), which only callers
with the pool's administrator permissions change; users cannot. Every change is written to the log
with the operator's AWS identity, and Cognito's administrator calls are recorded by CloudTrail.
`assign` signs the account out everywhere, so that the new groups take effect at the next sign-in;
`revoke` disables the account and signs it out everywhere: console sessions end at their next check
(within RECHECK_AFTER), API tokens within REVOCATION_CHECK_S.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

import boto3

from govrate.identity.auth import AGENCY_GROUP, DIVISION_GROUP, ROLE_GROUP, NotSignedIn, actor_from_groups
from govrate.identity.model import Actor, Role

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient

_KINDS = (ROLE_GROUP, AGENCY_GROUP, DIVISION_GROUP)


def assign(
    cognito: CognitoIdentityProviderClient,
    pool_id: str,
    username: str,
    *,
    role: Role,
    agency_code: str | None,
    division: str | None,
) -> Actor:
    """Give the account exactly these groups (creating a group the pool lacks), and sign it out."""
    wanted = groups(username, role=role, agency_code=agency_code, division=division)
    actor = actor_from_groups(username, username, wanted)
    current = [
        group["GroupName"]
        for group in cognito.admin_list_groups_for_user(UserPoolId=pool_id, Username=username, Limit=60)["Groups"]
    ]
    for group in current:
        if group.startswith(_KINDS) and group not in wanted:
            cognito.admin_remove_user_from_group(UserPoolId=pool_id, Username=username, GroupName=group)
    for group in wanted:
        if group not in current:
            with contextlib.suppress(cognito.exceptions.GroupExistsException):
                cognito.create_group(UserPoolId=pool_id, GroupName=group)
            cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=username, GroupName=group)
    cognito.admin_user_global_sign_out(UserPoolId=pool_id, Username=username)
    return actor


def groups(username: str, *, role: Role, agency_code: str | None, division: str | None) -> list[str]:
    """The groups of an assignment; NotSignedIn (the reason in its message) for an incomplete or
    malformed one, and for a supervisor with an agency (a supervisor acts for a division)."""
    if role is Role.SUPERVISOR and agency_code:
        raise NotSignedIn("a supervisor acts for a division, not an agency: leave out the agency")
    wanted = [f"{ROLE_GROUP}{role}"]
    wanted += [f"{AGENCY_GROUP}{agency_code}"] if agency_code else []
    wanted += [f"{DIVISION_GROUP}{division}"] if division else []
    actor_from_groups(username, username, wanted)
    return wanted


def revoke(cognito: CognitoIdentityProviderClient, pool_id: str, username: str) -> None:
    """Disable the account and end every session and token of it."""
    cognito.admin_disable_user(UserPoolId=pool_id, Username=username)
    cognito.admin_user_global_sign_out(UserPoolId=pool_id, Username=username)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m govrate.identity.staff_admin", description=__doc__.split("\n")[0])
    parser.add_argument("--pool", required=True, help="the staff user pool id, e.g. ap-east-1_AbC123")
    commands = parser.add_subparsers(dest="command", required=True)
    assigning = commands.add_parser("assign", help="set the role, agency and division of an account")
    assigning.add_argument("username")
    assigning.add_argument("--role", required=True, choices=[Role.STAFF.value, Role.SUPERVISOR.value])
    assigning.add_argument("--agency", help="the agency code (staff)")
    assigning.add_argument("--division", help="the GB/T 2260 division code (supervisors; staff optionally)")
    revoking = commands.add_parser("revoke", help="disable an account and end its sessions")
    revoking.add_argument("username")
    args = parser.parse_args(argv)
    if args.command == "assign":
        try:  # before any call to AWS: a refused assignment changes nothing
            groups(args.username, role=Role(args.role), agency_code=args.agency, division=args.division)
        except NotSignedIn as exc:
            parser.error(f"not a valid assignment: {exc}")

    cognito = boto3.client("cognito-idp", region_name=args.pool.split("_", 1)[0])
    operator = boto3.client("sts").get_caller_identity()["Arn"]
    record: dict[str, object] = {
        "operator": operator,
        "pool": args.pool,
        "command": args.command,
        "user": args.username,
    }
    if args.command == "assign":
        actor = assign(
            cognito, args.pool, args.username, role=Role(args.role), agency_code=args.agency, division=args.division
        )
        record |= {"role": actor.role, "agency_code": actor.agency_code, "division": actor.region_code}
    else:
        revoke(cognito, args.pool, args.username)
    print(json.dumps({"message": "staff account changed", **record}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
