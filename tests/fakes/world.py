"""The in-memory stores wired as `govrate.runtime` wires the real ones, with the sample catalogue."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from govrate.cases.service import CaseStores
from govrate.evaluations.service import IntakeStores
from govrate.kernel.qr_codes import KIOSK_SALT, FormTokenSigner, TicketSigner, WindowTokenSigner
from govrate.rating.service import RatingStores
from govrate.regions.rules import RulesBook

from tests.fakes.cases import InMemoryCases, InMemoryVault
from tests.fakes.evaluations import InMemoryEvaluations, InMemoryFollowUps
from tests.fakes.records import InMemoryRecords
from tests.fakes.reference import InMemoryCatalogue, InMemoryRules, InMemorySiteKeys, InMemoryWindows

SIGNING_KEY = "unit-test-signing-key"
BASE_URL = "https://govrate.example.cn"
UTC_OFFSET_HOURS = 8


@dataclass
class FakeWorld:
    evaluations: InMemoryEvaluations = field(default_factory=InMemoryEvaluations)
    follow_ups: InMemoryFollowUps = field(default_factory=InMemoryFollowUps)
    records: InMemoryRecords = field(default_factory=InMemoryRecords)
    catalogue: InMemoryCatalogue = field(default_factory=InMemoryCatalogue.sample)
    rules: InMemoryRules = field(default_factory=InMemoryRules)
    windows: InMemoryWindows = field(default_factory=InMemoryWindows)
    site_keys: InMemorySiteKeys = field(default_factory=InMemorySiteKeys)
    cases: InMemoryCases = field(default_factory=InMemoryCases)
    vault: InMemoryVault = field(default_factory=InMemoryVault)
    tickets: TicketSigner = field(default_factory=lambda: TicketSigner(SIGNING_KEY))
    window_signer: WindowTokenSigner = field(default_factory=lambda: WindowTokenSigner(SIGNING_KEY))
    kiosk_signer: WindowTokenSigner = field(default_factory=lambda: WindowTokenSigner(SIGNING_KEY, KIOSK_SALT))
    form_tokens: FormTokenSigner = field(default_factory=lambda: FormTokenSigner(SIGNING_KEY, timedelta(minutes=120)))

    @property
    def intake(self) -> IntakeStores:
        return IntakeStores(
            evaluations=self.evaluations,
            records=self.records,
            catalogue=self.catalogue,
            rules=self.rules_book,
            vault=self.vault,
            windows=self.windows,
        )

    @property
    def rating(self) -> RatingStores:
        return RatingStores(
            intake=self.intake,
            windows=self.windows,
            site_keys=self.site_keys,
            window_signer=lambda: self.window_signer,
            tickets=lambda: self.tickets,
            form_tokens=lambda: self.form_tokens,
        )

    @property
    def rules_book(self) -> RulesBook:
        """The reader over the stored rules, reading them again on every call (no TTL)."""
        return RulesBook(self.rules, UTC_OFFSET_HOURS, ttl_seconds=0)

    def case_stores(self) -> CaseStores:
        return CaseStores(
            follow_ups=self.follow_ups,
            cases=self.cases,
            evaluations=self.evaluations,
            vault=self.vault,
            rules=self.rules_book,
            catalogue=self.catalogue,
            windows=self.windows,
            bursts=self.cases,
        )
