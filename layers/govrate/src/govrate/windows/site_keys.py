"""Site keys of the web module: which origins may embed it, for which online service items."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from govrate.identity.auth import authorize_for
from govrate.identity.model import Actor
from govrate.kernel.errors import Forbidden, InvalidInput, NotFound
from govrate.rating.models import SiteKey, SiteKeyRegistration, WidgetQuery

if TYPE_CHECKING:
    from govrate.catalogue.ports import CatalogueReader
    from govrate.windows.ports import SiteKeyStore

ONLINE_CHANNEL = "online"
SITE_KEY_PREFIX = "gw_"


def create_site_key(
    registration: SiteKeyRegistration,
    *,
    actor: Actor,
    site_keys: SiteKeyStore,
    catalogue: CatalogueReader,
    now: datetime,
) -> SiteKey:
    """A new key for an online platform; its items must be in the catalogue, offered online, and of the
    agency of the staff member who creates it (or of the supervisor's division)."""
    errors = []
    for index, item_code in enumerate(registration.item_codes):
        try:
            item = catalogue.get(item_code)
        except NotFound:
            errors.append({"field": f"item_codes[{index}]", "message": f"unknown service item {item_code}"})
            continue
        if ONLINE_CHANNEL not in item.channels:
            errors.append(
                {"field": f"item_codes[{index}]", "message": f"service item {item_code} is not offered online"}
            )
    if errors:
        raise InvalidInput("the site key's service items do not match the catalogue", errors)
    authorize_items(actor, registration.item_codes, catalogue)
    site_key = SiteKey(
        **registration.model_dump(), site_key=SITE_KEY_PREFIX + secrets.token_urlsafe(12), created_at=now
    )
    site_keys.add(site_key)
    return site_key


def get_site_key(site_key: str, *, site_keys: SiteKeyStore) -> SiteKey:
    return site_keys.get(site_key)


def administered_site_key(
    site_key: str, *, actor: Actor, site_keys: SiteKeyStore, catalogue: CatalogueReader
) -> SiteKey:
    """A key, for the staff and supervisors who could have created it."""
    key = site_keys.get(site_key)
    authorize_items(actor, key.item_codes, catalogue)
    return key


def authorize_items(actor: Actor, item_codes: Sequence[str], catalogue: CatalogueReader) -> None:
    """Forbidden unless the actor may act for the agency of every item (see `authorize_for`)."""
    refused = []
    for index, item_code in enumerate(item_codes):
        item = catalogue.get(item_code)
        try:
            authorize_for(actor, item.agency_code, item.region_code)
        except Forbidden:
            refused.append({"field": f"item_codes[{index}]", "message": f"{item_code} is of agency {item.agency_code}"})
    if refused:
        raise Forbidden("site keys are for the items of your own agency, or of your division's agencies", refused)


def widget_frame_url(site_key: str, query: WidgetQuery, origin: str, *, site_keys: SiteKeyStore, base_url: str) -> str:
    """The frame that the script tag renders on a page of `origin`; Forbidden for an origin the key does
    not allow. The frame checks the item or ticket itself, and shows a page saying why it cannot rate."""
    key = site_keys.get(site_key)
    if not key.allows(origin):
        raise Forbidden(f"site key {site_key} is not for pages of {origin or 'an unstated origin'}")
    return f"{base_url.rstrip('/')}/w/{site_key}/rate?" + urlencode(query.model_dump(mode="json", exclude_none=True))
