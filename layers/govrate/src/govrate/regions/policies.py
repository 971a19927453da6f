"""Per-region evaluation policy in the reference table (`POLICY` / `<region code>`: one small partition,
so the daily sweep can read every region's choice with one Query)."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import GetError
from pynamodb.models import Model

from govrate.kernel.scale import Level
from govrate.storage.errors import storage_error, translated
from govrate.storage.tables import bind

POLICY_PK = "POLICY"


class RegionPolicy(BaseModel):
    """What a region chose; the defaults are the national ones."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    evaluation_days: int = Field(default=7, ge=1, le=90, description="Natural days after completion to rate.")
    follow_up_days: int = Field(default=30, ge=1, le=365, description="Natural days to add one follow-up.")
    invite_after_days: int = Field(default=3, ge=1, le=30, description="Invite an unrated applicant after.")
    default_level: Level | None = Field(
        default=None, description="System rating of a record left unrated; null keeps it unrated."
    )

    @field_validator("default_level")
    @classmethod
    def _never_a_bad_review(cls, level: Level | None) -> Level | None:
        if level is not None and level.is_bad_review:
            raise ValueError("a system-given rating is never a bad review")
        return level

    def evaluation_deadline(self, completed_at: datetime) -> datetime:
        return completed_at + timedelta(days=self.evaluation_days)

    def follow_up_deadline(self, evaluated_at: datetime) -> datetime:
        return evaluated_at + timedelta(days=self.follow_up_days)


class RegionPolicyItem(Model):
    class Meta:
        table_name = "reference"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    evaluation_days = NumberAttribute()
    follow_up_days = NumberAttribute()
    invite_after_days = NumberAttribute()
    default_level = NumberAttribute(null=True)


class RegionPolicyRepository:
    def __init__(self, table_name: str) -> None:
        self._model = bind(RegionPolicyItem, table_name)

    def get(self, region_code: str) -> RegionPolicy:
        try:
            item = self._model.get(POLICY_PK, region_code)
        except self._model.DoesNotExist:
            return RegionPolicy()
        except GetError as exc:
            raise storage_error(exc, "reference table") from exc
        return _to_domain(item)

    def all(self) -> dict[str, RegionPolicy]:
        """Every region that chose its own policy; the others follow the national defaults."""
        with translated("reference table"):
            return {item.sk: _to_domain(item) for item in self._model.query(POLICY_PK)}

    def put(self, region_code: str, policy: RegionPolicy) -> None:
        item = self._model(
            POLICY_PK,
            region_code,
            evaluation_days=policy.evaluation_days,
            follow_up_days=policy.follow_up_days,
            invite_after_days=policy.invite_after_days,
            default_level=int(policy.default_level) if policy.default_level is not None else None,
        )
        with translated("reference table"):
            item.save()


def _to_domain(item: RegionPolicyItem) -> RegionPolicy:
    return RegionPolicy(
        evaluation_days=int(item.evaluation_days),
        follow_up_days=int(item.follow_up_days),
        invite_after_days=int(item.invite_after_days),
        default_level=Level(int(item.default_level)) if item.default_level is not None else None,
    )
