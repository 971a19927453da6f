"""Configuration, read once from the environment at cold start, by the composition root and the edge only:
features take what they need as arguments.

Every name here is set by the CDK function factory in the cloud and by the local stack from the
same synthesized template, so the two cannot drift.
"""

from __future__ import annotations

from functools import cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from govrate.integrity.patterns import StaffNetworks, WatchThresholds
from govrate.integrity.seals import DEFAULT_SEAL_DAYS, MAX_SEAL_DAYS
from govrate.platforms.registry import PlatformKey


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GOVRATE_", frozen=True)

    evaluations_table: str = "govrate-evaluations"
    cases_table: str = "govrate-cases"
    reference_table: str = "govrate-reference"
    negative_reviews_queue_url: str = ""
    # The region's SMS / e-mail gateway reads invitations and evaluator notices from these queues.
    invitation_queue_url: str = ""
    notice_queue_url: str = ""
    # The upstream relay (docs/relay.md): the FIFO queue the relay fills (empty: this stage has no
    # upstream), its dead-letter queue, and the upstream's base URL, key id and credentials' secret.
    upstream_queue_url: str = ""
    upstream_dead_letter_queue_url: str = ""
    upstream_url: str = ""
    upstream_key_id: str = ""
    upstream_secret_arn: str = ""
    analytics_bucket: str = ""
    # The analyze job re-exports this many closed days every night (late data, docs/analytics.md); more
    # than the 31 days within which an evaluation still rates its record (facts.RATED_WITHIN_DAYS), so
    # a record's `rated` flag is re-written when a late evaluation arrives.
    analytics_window_days: int = Field(default=45, ge=32, le=400)
    # The public results API suppresses a rate whose denominator is below this; rankings leave out
    # agencies and items with fewer rated evaluations than ranking_min_count in the month.
    results_min_count: int = Field(default=10, ge=1)
    ranking_min_count: int = Field(default=30, ge=1)
    qr_signing_secret_arn: str = ""
    # KMS key that encrypts evaluator and applicant contact data.
    contact_key_id: str = ""
    # Absolute base of links printed in QR codes and receipts; empty means "the host the request came to".
    public_base_url: str = ""
    # Shards of the time-ordered index; fixed once data exists, since readers query every shard.
    day_shards: int = Field(default=16, ge=1, le=256)
    utc_offset_hours: int = Field(default=8, ge=-12, le=14)
    max_comment_length: int = 1000
    form_token_minutes: int = Field(default=120, ge=5, le=24 * 60)
    # Abuse limits of the unauthenticated paths (docs/integrity.md).
    limit_per_client_per_hour: int = Field(default=20, ge=1)
    limit_per_window_per_minute: int = Field(default=20, ge=1)
    limit_per_item_per_minute: int = Field(default=120, ge=1)
    # Interference patterns and supervisor alerts (docs/integrity.md, sections 3 and 4). The staff
    # networks are JSON: a label per network, each a list of CIDR ranges.
    staff_networks: StaffNetworks = Field(default_factory=dict)
    watch_top_burst_seconds: int = Field(default=60, ge=10, le=3600)
    watch_top_burst_per_window: int = Field(default=10, ge=2)
    watch_top_burst_per_item: int = Field(default=30, ge=2)
    watch_client_records_per_day: int = Field(default=5, ge=2)
    watch_identical_comments: int = Field(default=3, ge=2)
    watch_identical_comment_hours: int = Field(default=24, ge=1, le=24 * 7)
    watch_comment_min_chars: int = Field(default=8, ge=1)
    watch_late_record_hours: int = Field(default=24, ge=1)
    watch_late_records_per_hour: int = Field(default=20, ge=2)
    alert_bad_share: float = Field(default=0.3, gt=0, le=1)
    alert_bad_share_min_count: int = Field(default=10, ge=1)
    alert_bad_share_minutes: int = Field(default=60, ge=5, le=24 * 60)
    # The SNS topic of the supervisors' alerts; empty: alerts are written to the log (the local stack).
    supervisor_alert_topic_arn: str = ""
    # Tamper evidence (docs/integrity.md): the Object Lock bucket of the seals, the KMS HMAC key that
    # MACs them, and how many closed days are sealed again each night while their cases are handled.
    seal_bucket: str = ""
    seal_key_id: str = ""
    seal_days: int = Field(default=DEFAULT_SEAL_DAYS, ge=1, le=MAX_SEAL_DAYS)
    # Evaluation devices at windows (kiosks, docs/kiosk.md): how often a kiosk asks for the window's
    # current transaction, when an untouched prompt resets, how long repeat presses are ignored, how
    # long the thanks screen stays, and how long a transaction the window system pushed is offered.
    kiosk_poll_seconds: float = Field(default=2.0, ge=0.5, le=60)
    kiosk_idle_seconds: int = Field(default=60, ge=3, le=600)
    kiosk_debounce_ms: int = Field(default=1500, ge=0, le=10_000)
    kiosk_thanks_seconds: int = Field(default=5, ge=1, le=60)
    kiosk_transaction_minutes: int = Field(default=15, ge=1, le=240)
    # Regional platforms by the key id they sign with (JSON); CDK writes it from the `govrate:platforms` context.
    platforms: dict[str, PlatformKey] = Field(default_factory=dict)

    # The case loop (docs/cases.md).
    # The staff user pool, e.g. `ap-east-1_AbC123`, and the app client staff sign in with.
    staff_user_pool_id: str = ""
    staff_client_id: str = ""
    # Overrides for an OIDC issuer other than Cognito, or moto's JWKS in server mode.
    staff_issuer: str = ""
    staff_jwks_url: str = ""
    # Where poison negative-review messages end up; the redrive command moves them back.
    negative_reviews_dlq_url: str = ""
    # How long a function keeps the regions' rules it read (govrate.regions.rules): a supervisor's change
    # is in force everywhere within this time.
    rules_ttl_seconds: int = Field(default=60, ge=0, le=600)
    # Shards of the overdue index; fixed once data exists, since the sweep queries every shard.
    case_due_shards: int = Field(default=16, ge=1, le=256)
    # Bursts of bad reviews (docs/integrity.md): more than this many of one window, or of one item of an
    # agency without a window, given within `burst_minutes` wait for a supervisor instead of a case each.
    burst_per_window: int = Field(default=10, ge=1)
    burst_per_item: int = Field(default=30, ge=1)
    burst_minutes: int = Field(default=10, ge=1, le=24 * 60)

    @property
    def watch_thresholds(self) -> WatchThresholds:
        return WatchThresholds(
            top_burst_seconds=self.watch_top_burst_seconds,
            top_burst_per_window=self.watch_top_burst_per_window,
            top_burst_per_item=self.watch_top_burst_per_item,
            client_records_per_day=self.watch_client_records_per_day,
            identical_comments=self.watch_identical_comments,
            identical_comment_hours=self.watch_identical_comment_hours,
            comment_min_chars=self.watch_comment_min_chars,
            late_record_hours=self.watch_late_record_hours,
            late_records_per_hour=self.watch_late_records_per_hour,
            bad_share=self.alert_bad_share,
            bad_share_min_count=self.alert_bad_share_min_count,
            bad_share_minutes=self.alert_bad_share_minutes,
        )

    @property
    def issuer(self) -> str:
        if self.staff_issuer:
            return self.staff_issuer
        region = self.staff_user_pool_id.split("_", 1)[0]
        return f"https://cognito-idp.{region}.amazonaws.com/{self.staff_user_pool_id}"

    @property
    def jwks_url(self) -> str:
        return self.staff_jwks_url or f"{self.issuer}/.well-known/jwks.json"

    @property
    def user_pool_region(self) -> str:
        return self.staff_user_pool_id.split("_", 1)[0]


@cache
def get_settings() -> Settings:
    return Settings()
