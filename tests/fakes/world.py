"""The in-memory stores wired as `govrate.runtime` wires the real ones, with the sample catalogue."""

from __future__ import annotations

from dataclasses import dataclass, field

from govrate.cases.service import CaseStores
from govrate.evaluations.service import IntakeStores
from govrate.kernel.qr_codes import KIOSK_SALT, TicketSigner, WindowTokenSigner
from govrate.regions.case_rules import RulesBook

from tests.fakes.cases import InMemoryCases, InMemoryVault
from tests.fakes.evaluations import InMemoryEvaluations, InMemoryFollowUps
from tests.fakes.records import InMemoryRecords
from tests.fakes.reference import InMemoryCatalogue, InMemoryPolicies, InMemoryWindows

SIGNING_KEY = "unit-test-signing-key"
BASE_URL = "https://govrate.example.cn"
UTC_OFFSET_HOURS = 8


@dataclass
class FakeWorld:
    evaluations: InMemoryEvaluations = field(default_factory=InMemoryEvaluations)
    follow_ups: InMemoryFollowUps = field(default_factory=InMemoryFollowUps)
    records: InMemoryRecords = field(default_factory=InMemoryRecords)
    catalogue: InMemoryCatalogue = field(default_factory=InMemoryCatalogue.sample)
    policies: InMemoryPolicies = field(default_factory=InMemoryPolicies)
    windows: InMemoryWindows = field(default_factory=InMemoryWindows)
    cases: InMemoryCases = field(default_factory=InMemoryCases)
    vault: InMemoryVault = field(default_factory=InMemoryVault)
    tickets: TicketSigner = field(default_factory=lambda: TicketSigner(SIGNING_KEY))
    window_signer: WindowTokenSigner = field(default_factory=lambda: WindowTokenSigner(SIGNING_KEY))
    kiosk_signer: WindowTokenSigner = field(default_factory=lambda: WindowTokenSigner(SIGNING_KEY, KIOSK_SALT))

    @property
    def intake(self) -> IntakeStores:
        return IntakeStores(
            evaluations=self.evaluations,
            records=self.records,
            catalogue=self.catalogue,
            policies=self.policies,
            vault=self.vault,
        )

    def case_stores(self, rules: RulesBook | None = None) -> CaseStores:
        return CaseStores(
            cases=self.cases,
            evaluations=self.evaluations,
            vault=self.vault,
            rules=rules or RulesBook(None, UTC_OFFSET_HOURS),
        )
