"""The functions' environment contract: the variables the settings models read.

Names are derived from the settings model itself (`govrate.settings.Settings`), so a renamed setting breaks
synthesis instead of silently leaving a function unconfigured.
"""

from __future__ import annotations

from govrate.settings import Settings

# Powertools reads these; the namespace and service match govrate.kernel.observability.
POWERTOOLS_SERVICE_NAME = "govrate"
POWERTOOLS_METRICS_NAMESPACE = "Govrate"


def setting(field: str) -> str:
    """The environment variable that fills `Settings.<field>`, e.g. `GOVRATE_EVALUATIONS_TABLE`."""
    if field not in Settings.model_fields:
        raise KeyError(f"govrate.settings.Settings has no field {field!r}")
    prefix = Settings.model_config.get("env_prefix", "")
    return f"{prefix}{field}".upper()


EVALUATIONS_TABLE = setting("evaluations_table")
CASES_TABLE = setting("cases_table")
REFERENCE_TABLE = setting("reference_table")
NEGATIVE_REVIEWS_QUEUE_URL = setting("negative_reviews_queue_url")
ANALYTICS_BUCKET = setting("analytics_bucket")
SEAL_BUCKET = setting("seal_bucket")
SEAL_KEY_ID = setting("seal_key_id")
QR_SIGNING_SECRET_ARN = setting("qr_signing_secret_arn")
CONTACT_KEY_ID = setting("contact_key_id")
INVITATION_QUEUE_URL = setting("invitation_queue_url")
NOTICE_QUEUE_URL = setting("notice_queue_url")
UPSTREAM_QUEUE_URL = setting("upstream_queue_url")
UPSTREAM_DEAD_LETTER_QUEUE_URL = setting("upstream_dead_letter_queue_url")
UPSTREAM_URL = setting("upstream_url")
UPSTREAM_KEY_ID = setting("upstream_key_id")
UPSTREAM_SECRET_ARN = setting("upstream_secret_arn")
PUBLIC_BASE_URL = setting("public_base_url")
PLATFORMS = setting("platforms")
SUPERVISOR_ALERT_TOPIC_ARN = setting("supervisor_alert_topic_arn")
STAFF_NETWORKS = setting("staff_networks")

STAFF_USER_POOL_ID = setting("staff_user_pool_id")
STAFF_CLIENT_ID = setting("staff_client_id")
