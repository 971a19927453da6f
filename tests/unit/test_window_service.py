"""Windows and their QR codes on the in-memory stores: registration against the catalogue (a replay
is not a conflict), the demo seed, issuing, rotating and revoking, and who may manage a window."""

from __future__ import annotations

from typing import Any

import pytest
from govrate.identity.model import Actor, Role
from govrate.kernel.errors import Conflict, Forbidden, Gone, InvalidInput, NotFound
from govrate.rating.service import open_window_rating
from govrate.windows.models import ServiceWindow, WindowRegistration
from govrate.windows.service import (
    issue_qr_code,
    register_agency_windows,
    register_window,
    revoke_qr_codes,
    rotate_qr_code,
)

from tests.fakes.world import BASE_URL, FakeWorld

WINDOW_ID = "110105-GA-W01"
WINDOW: dict[str, Any] = {
    "window_id": WINDOW_ID,
    "name_zh": "朝阳区政务服务中心 公安综合窗口1号",
    "name_en": "Chaoyang service centre, police counter 1",
    "agency_code": "110105-GA",
    "region_code": "110105",
    "item_codes": ["110105-GA-001", "110105-GA-002"],
}
POLICE = Actor(role=Role.STAFF, subject="li.ming", agency_code="110105-GA", region_code="110105")
MARKET = Actor(role=Role.STAFF, subject="chen.jing", agency_code="110105-SJ", region_code="110105")
BEIJING = Actor(role=Role.SUPERVISOR, subject="wang.fang", region_code="110000")
ZHEJIANG = Actor(role=Role.SUPERVISOR, subject="zhou.min", region_code="330000")


@pytest.fixture
def world() -> FakeWorld:
    world = FakeWorld()
    register(world, WINDOW)
    return world


def register(world: FakeWorld, body: dict[str, Any]) -> ServiceWindow:
    return register_window(WindowRegistration.model_validate(body), windows=world.windows, catalogue=world.catalogue)


def token(world: FakeWorld) -> str:
    issued = issue_qr_code(WINDOW_ID, windows=world.windows, signer=world.window_signer, base_url=BASE_URL)
    return issued.url.rsplit("/q/", 1)[1]


def rotate(world: FakeWorld, actor: Actor = POLICE) -> int:
    issued = rotate_qr_code(
        WINDOW_ID, actor=actor, windows=world.windows, signer=world.window_signer, base_url=BASE_URL
    )
    return issued.rotation


def test_a_window_starts_at_its_first_rotation_and_a_replay_returns_it(world: FakeWorld) -> None:
    stored = world.windows.get(WINDOW_ID)
    assert (stored.rotation, stored.revoked) == (1, False)
    assert register(world, WINDOW) == stored
    with pytest.raises(Conflict):
        register(world, {**WINDOW, "name_zh": "另一个窗口"})


@pytest.mark.parametrize(
    ("item_codes", "message"),
    [
        (["110105-GA-001", "999999-XX-001"], "unknown service item"),
        (["110105-GA-001", "110105-SJ-001"], "belongs to 110105-SJ"),
    ],
)
def test_a_window_takes_only_items_of_its_agency(item_codes: list[str], message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        register(FakeWorld(), {**WINDOW, "item_codes": item_codes})
    assert [error["field"] for error in refused.value.errors] == ["item_codes[1]"]
    assert message in refused.value.errors[0]["message"]


def test_a_window_takes_only_items_offered_at_a_window() -> None:
    with pytest.raises(InvalidInput) as refused:
        register(FakeWorld(), {**WINDOW, "agency_code": "110105-YB", "item_codes": ["110105-YB-001"]})
    assert "not offered at a window" in refused.value.errors[0]["message"]


def test_the_demo_seed_registers_one_window_per_agency_idempotently() -> None:
    world = FakeWorld()
    items = [world.catalogue.get(code) for code in ("110105-GA-001", "110105-GA-002", "110105-YB-001", "330106-GA-001")]
    seeded = register_agency_windows(items, windows=world.windows, catalogue=world.catalogue)
    assert register_agency_windows(items, windows=world.windows, catalogue=world.catalogue) == seeded
    assert [(window.window_id, window.item_codes) for window in seeded] == [
        ("110105-GA-W01", ("110105-GA-001", "110105-GA-002")),
        ("330106-GA-W01", ("330106-GA-001",)),
    ]
    assert seeded[0].name_zh == "北京市公安局朝阳分局 综合窗口"


def test_a_code_is_the_same_at_every_issue_of_a_rotation(world: FakeWorld) -> None:
    assert token(world) == token(world)
    assert open_window_rating(token(world), stores=world.rating).window_id == WINDOW_ID


def test_rotating_replaces_the_printed_code(world: FakeWorld) -> None:
    old = token(world)
    assert rotate(world) == 2
    new = token(world)
    assert new != old
    with pytest.raises(Gone):
        open_window_rating(old, stores=world.rating)
    assert open_window_rating(new, stores=world.rating).window_id == WINDOW_ID


def test_revoking_refuses_every_code_until_the_next_rotation(world: FakeWorld) -> None:
    printed = token(world)
    assert revoke_qr_codes(WINDOW_ID, actor=POLICE, windows=world.windows).revoked
    with pytest.raises(Gone):
        open_window_rating(printed, stores=world.rating)
    with pytest.raises(Gone):
        token(world)
    assert rotate(world) == 2
    with pytest.raises(Gone):
        open_window_rating(printed, stores=world.rating)
    assert open_window_rating(token(world), stores=world.rating).window_id == WINDOW_ID


def test_a_forged_or_tampered_code_is_not_found(world: FakeWorld) -> None:
    with pytest.raises(NotFound):
        open_window_rating(token(world).replace(WINDOW_ID, "110105-GA-W02"), stores=world.rating)
    with pytest.raises(NotFound):
        issue_qr_code("110105-GA-W99", windows=world.windows, signer=world.window_signer, base_url=BASE_URL)


def test_the_staff_of_the_agency_and_the_supervisors_of_its_division_manage_a_window(world: FakeWorld) -> None:
    for outsider in (MARKET, ZHEJIANG):
        with pytest.raises(Forbidden):
            revoke_qr_codes(WINDOW_ID, actor=outsider, windows=world.windows)
        with pytest.raises(Forbidden):
            rotate(world, outsider)
    assert world.windows.get(WINDOW_ID) == ServiceWindow(**WINDOW, rotation=1, revoked=False)
    assert rotate(world, BEIJING) == 2
    assert rotate(world, POLICE) == 3
