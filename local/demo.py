"""Demo data for the local stack: the sample catalogue, one service window per region with its QR code,
staff accounts in the staff user pool, and weeks of evaluation history for the results."""

from __future__ import annotations

import csv
import hashlib
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path

import boto3
from govrate import runtime
from govrate.evaluations.models import Channel, EvaluatorKind, ReasonCode, ServiceItem, Stage
from govrate.evaluations.store import StoredEvaluation
from govrate.identity import staff_admin
from govrate.identity.model import Role
from govrate.kernel import clock
from govrate.kernel.scale import Level
from govrate.records.store import StoredRecord
from govrate.settings import get_settings
from govrate.windows.models import WindowRegistration
from govrate.windows.service import WINDOW_CHANNEL, issue_qr_code, register_window
from ulid import ULID

CATALOGUE_CSV = Path(__file__).resolve().parent.parent / "data" / "catalogue-sample.csv"


@dataclass(frozen=True)
class DemoWindow:
    window_id: str
    name_zh: str
    region_name_zh: str
    landing_url: str
    agency_code: str
    region_code: str


def read_catalogue(path: Path = CATALOGUE_CSV) -> list[ServiceItem]:
    """The catalogue CSV (described in data/README of the shared sample): `|` separates list columns."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            ServiceItem(
                item_code=row["item_code"],
                version=int(row["version"]),
                name_zh=row["name_zh"],
                name_en=row["name_en"],
                agency_code=row["agency_code"],
                agency_name_zh=row["agency_name_zh"],
                region_code=row["region_code"],
                region_name_zh=row["region_name_zh"],
                channels=tuple(row["channels"].split("|")),
                stages=tuple(Stage(stage) for stage in row["stages"].split("|")),
                promised_days=int(row["promised_days"]),
            )
            for row in csv.DictReader(handle)
        ]


def demo_windows(items: Iterable[ServiceItem]) -> list[tuple[WindowRegistration, str]]:
    """Window 1 of the first agency (in catalogue order) of each region that serves at a window,
    handling that agency's window items; with the region's name."""
    by_agency: dict[str, list[ServiceItem]] = {}
    for item in items:
        if WINDOW_CHANNEL in item.channels:
            by_agency.setdefault(item.agency_code, []).append(item)
    windows: dict[str, tuple[WindowRegistration, str]] = {}
    for agency_items in by_agency.values():
        first = agency_items[0]
        if first.region_code in windows:
            continue
        registration = WindowRegistration(
            window_id=f"{first.agency_code}-W01",
            name_zh=f"{first.agency_name_zh} 1号窗口",
            name_en="Window 1",
            agency_code=first.agency_code,
            region_code=first.region_code,
            item_codes=tuple(item.item_code for item in agency_items),
        )
        windows[first.region_code] = (registration, first.region_name_zh)
    return list(windows.values())


def seed(base_url: str) -> list[DemoWindow]:
    """Store the catalogue and the demo windows through the domain repositories; the windows' QR
    codes point at `base_url`."""
    catalogue = runtime.catalogue_repository()
    items = read_catalogue()
    for item in items:
        catalogue.put(item)
    seeded = []
    for registration, region_name in demo_windows(items):
        window = register_window(registration, windows=runtime.window_repository(), catalogue=catalogue)
        issued = issue_qr_code(
            window.window_id,
            windows=runtime.window_repository(),
            signer=runtime.window_token_signer(),
            base_url=base_url,
        )
        seeded.append(
            DemoWindow(
                window.window_id, window.name_zh, region_name, issued.url, window.agency_code, window.region_code
            )
        )
    return seeded


@dataclass(frozen=True)
class DemoStaff:
    """A staff account of the local user pool, with the password the console signs in with."""

    username: str
    password: str
    role: str
    region_code: str
    agency_code: str | None = None


# Meets the pool's password policy (12 characters, upper, lower, digit and symbol); printed in the banner.
DEMO_PASSWORD = "Govrate-Demo-2026"  # noqa: S105 (demo accounts in moto, gone when it stops)


def demo_staff(windows: Iterable[DemoWindow]) -> list[DemoStaff]:
    """A staff member of each demo window's agency, and a supervisor of each demo province: the first
    window's is `supervisor-demo`, the others' `supervisor-<province code>`."""
    accounts = [
        DemoStaff(f"staff-{window.agency_code}".lower(), DEMO_PASSWORD, "staff", window.region_code, window.agency_code)
        for window in windows
    ]
    provinces = list(dict.fromkeys(f"{account.region_code[:2]}0000" for account in accounts))
    accounts += [
        DemoStaff("supervisor-demo" if n == 0 else f"supervisor-{province}", DEMO_PASSWORD, "supervisor", province)
        for n, province in enumerate(provinces)
    ]
    return accounts


def seed_staff(user_pool_id: str, accounts: Iterable[DemoStaff]) -> None:
    """Create the accounts as an administrator would, with permanent passwords and their groups."""
    cognito = boto3.client("cognito-idp")
    for account in accounts:
        cognito.admin_create_user(UserPoolId=user_pool_id, Username=account.username, MessageAction="SUPPRESS")
        cognito.admin_set_user_password(
            UserPoolId=user_pool_id, Username=account.username, Password=account.password, Permanent=True
        )
        staff_admin.assign(
            cognito,
            user_pool_id,
            account.username,
            role=Role(account.role),
            agency_code=account.agency_code,
            division=account.region_code,
        )


@dataclass(frozen=True)
class LocalPlatform:
    """A regional platform of the template, with the key the local stack generated for it in moto."""

    platform_id: str
    key_id: str
    regions: tuple[str, ...]
    key: str
    downstream: bool


def local_platforms() -> list[LocalPlatform]:
    """The platforms the intake function accepts, with their keys, so that a local client can sign."""
    keys = runtime.platform_keys()
    return [
        LocalPlatform(
            platform.platform_id, key_id, platform.regions, keys.key(platform.secret_arn).decode(), platform.downstream
        )
        for key_id, platform in get_settings().platforms.items()
    ]


def seed_history(days: int, items: list[ServiceItem] | None = None, seed: int = 2019) -> int:
    """`days` of past service records and evaluations up to yesterday, so that the results have a trend: a few
    busy items, quiet weekends, about 3 % bad reviews, some records never rated, paper forms entered
    days late. Written through the repositories (bad reviews reach the case loop through the stream).
    Returns the number of evaluations."""
    rng = random.Random(seed)  # noqa: S311 (demo data, not a secret)
    items = items or read_catalogue()
    settings = get_settings()
    today = clock.local_day(clock.now(settings.utc_offset_hours), settings.utc_offset_hours)
    offset = clock.now(settings.utc_offset_hours).tzinfo
    evaluations, records = runtime.evaluation_repository(), runtime.service_record_repository()
    weights = [1 / (rank + 1) for rank in range(len(items))]  # a few items take most of the traffic
    count = 0
    for back in range(days, 0, -1):
        day = today - timedelta(days=back)
        for n in range(rng.randint(40, 60) if day.isoweekday() <= 5 else rng.randint(10, 18)):
            item = rng.choices(items, weights)[0]
            served = datetime.combine(day, time(9), offset) + timedelta(minutes=rng.randint(0, 480))
            record_id = f"DEMO-{day:%Y%m%d}-{n:03d}"
            records.register(
                StoredRecord(
                    record_id=record_id,
                    region_code=item.region_code,
                    item_code=item.item_code,
                    item_version=item.version,
                    agency_code=item.agency_code,
                    window_id=None,
                    stages=(Stage.OVERALL,),
                    completed_at=served,
                    contact_cipher=None,
                    registered_by="demo",
                    fingerprint=hashlib.sha256(record_id.encode()).hexdigest(),
                )
            )
            if rng.random() < 0.25:
                continue  # never rated
            paper = rng.random() < 0.15
            given = served + (timedelta(days=rng.randint(1, 6)) if paper else timedelta(minutes=5))
            if given.date() >= today:
                continue
            level = Level(rng.choices([5, 4, 3, 2, 1], weights=[70, 18, 9, 2, 1])[0])
            evaluations.add(
                StoredEvaluation(
                    evaluation_id=str(ULID.from_datetime(given)),
                    item_code=item.item_code,
                    item_version=item.version,
                    agency_code=item.agency_code,
                    region_code=item.region_code,
                    channel=Channel.PAPER if paper else Channel.WINDOW_QR,
                    stage=Stage.OVERALL,
                    level=level,
                    comment=None,
                    created_at=given,
                    receipt_hash=hashlib.sha256(f"{record_id}-receipt".encode()).hexdigest(),
                    record_id=record_id,
                    reason_codes=(rng.choice(list(ReasonCode)),) if level.is_bad_review else (),
                    evaluator_kind=rng.choice([EvaluatorKind.CITIZEN, EvaluatorKind.CITIZEN, EvaluatorKind.ENTERPRISE]),
                )
            )
            count += 1
    return count
