"""The supervisors' list of interference flags in the staff console: each flag with its pattern, its
subject and the counts that raised it, Chinese first with English, one card a flag so that it reads on
a phone. Routes of the case function; the flags come from the integrity watcher (docs/integrity.md)."""

from __future__ import annotations

from datetime import tzinfo
from html import escape

from chalice.app import Response
from govrate import runtime
from govrate.identity.sessions import StaffSession
from govrate.integrity.patterns import Flag
from govrate.integrity.service import division_flags
from govrate.kernel.clock import local_day, zone
from govrate.web import console
from govrate.web.chalice_edge import ApiBlueprint
from govrate.web.console import INTEGRITY_PATH
from govrate.web.operations import Operation

# A flag lists at most this many evaluation ids; the analytics facts carry every one.
SHOWN_IDS = 20

# The evidence counts in both languages.
_EVIDENCE = {
    "top_ratings": "非常满意条数 Top ratings",
    "records": "办件数 Records",
    "evaluations": "评价条数 Evaluations",
    "threshold": "阈值 Threshold",
    "seconds": "时间窗（秒） Window (s)",
    "hours": "时间窗（小时） Window (h)",
    "hours_left_at_most": "登记时剩余评价期不超过（小时） At most hours left when registered",
    "network": "网络 Network",
}

blueprint = ApiBlueprint(__name__)


@console.console_route(
    blueprint,
    INTEGRITY_PATH,
    "GET",
    Operation(
        summary="Console: the interference flags of the supervisor's division, newest first",
        tag="console",
        responses={200: console.PAGE, 303: console.TO_PAGE},
        description=console.SESSION + " Supervisors only (403 for staff).",
    ),
)
def console_integrity() -> Response:
    signed_in = console.session(blueprint.current_request)
    now = runtime.now()
    flags = division_flags(
        signed_in.actor, flags=runtime.watch_store(), today=local_day(now, runtime.settings().utc_offset_hours)
    )
    page = flags_page(
        signed_in, flags, console.stage_base(blueprint.current_request), zone(runtime.settings().utc_offset_hours)
    )
    return console.html_response(page)


def flags_page(signed_in: StaffSession, flags: list[Flag], base: str, local_zone: tzinfo) -> str:
    intro = (
        "<p>本月及上月辖区内的疑似干扰评价标记。被标记的评价不会被删除，仍计入各项指标，评价人不会被告知。"
        "<br>Possible interference flagged in your division this month and last. Flagged evaluations are never "
        "deleted, still count in every rate, and the evaluator is not told.</p>"
    )
    cards = "".join(_card(flag, local_zone) for flag in flags) or "<p>没有标记 No flags.</p>"
    return console.page("干扰评价标记 Interference flags", intro + cards, base, signed_in)


def _card(flag: Flag, local_zone: tzinfo) -> str:
    facts = [
        ("时间 When", flag.raised_at.astimezone(local_zone).strftime("%Y-%m-%d %H:%M")),
        ("部门 · 区划 Agency · region", f"{flag.agency_code} · {flag.region_code}"),
    ]
    if flag.window_id:
        facts.append(("窗口 Window", flag.window_id))
    if flag.item_code:
        facts.append(("事项 Service item", flag.item_code))
    facts += [(_EVIDENCE.get(name, name), str(value)) for name, value in sorted(flag.evidence.items())]
    if flag.evaluation_ids:
        facts.append((f"评价 Evaluations ({len(flag.evaluation_ids)})", _ids(flag.evaluation_ids)))
    if flag.record_ids:
        facts.append((f"办件 Records ({len(flag.record_ids)})", _ids(flag.record_ids)))
    rows = "".join(f"<dt>{escape(label)}</dt><dd>{escape(value)}</dd>" for label, value in facts)
    return (
        f'<section class="flag"><h2>{escape(flag.pattern.label_zh)} {escape(flag.pattern.label_en)}</h2>'
        f'<dl class="facts">{rows}</dl></section>'
    )


def _ids(ids: tuple[str, ...]) -> str:
    shown = ", ".join(ids[:SHOWN_IDS])
    return shown + (f" … (+{len(ids) - SHOWN_IDS})" if len(ids) > SHOWN_IDS else "")
