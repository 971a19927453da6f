"""Repositories built once per Lambda container from the settings (lazily, so importing a handler
module, as the CDK app does to read its routes, needs no configuration)."""

from __future__ import annotations

from functools import cache

from govrate.settings import get_settings
from govrate.storage.cases import CaseRepository
from govrate.storage.catalogue import CatalogueRepository
from govrate.storage.evaluations import EvaluationRepository
from govrate.storage.queue import NegativeReviewQueue


@cache
def evaluation_repository() -> EvaluationRepository:
    settings = get_settings()
    return EvaluationRepository(settings.evaluations_table, settings.day_shards, settings.utc_offset_hours)


@cache
def case_repository() -> CaseRepository:
    return CaseRepository(get_settings().cases_table)


@cache
def catalogue_repository() -> CatalogueRepository:
    return CatalogueRepository(get_settings().reference_table)


@cache
def negative_review_queue() -> NegativeReviewQueue:
    return NegativeReviewQueue(get_settings().negative_reviews_queue_url)
