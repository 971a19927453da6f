"""moto's CloudFormation given the properties of the seal bucket and key that it ignores: a KMS key's
`KeySpec` and `KeyUsage` (moto makes every key a symmetric encryption key) and a bucket's
`VersioningConfiguration` and Object Lock (moto creates a plain bucket). Without them the local seal
job could not MAC, and its bucket would not lock. A key's policy is kept as the JSON text the KMS API
keeps (moto keeps the template's object, which its policy check cannot read)."""

from __future__ import annotations

import functools
import json
from typing import Any

from moto.kms.models import Key
from moto.s3.models import FakeBucket, s3_backends
from moto.utilities.utils import get_partition


def _key_from_template(original: Any) -> Any:
    def create(
        cls: type[Key],
        /,
        resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Key:
        key: Key = original(resource_name, cloudformation_json, account_id, region_name, **kwargs)
        properties = cloudformation_json["Properties"]
        key.key_spec = properties.get("KeySpec", key.key_spec)
        key.key_usage = properties.get("KeyUsage", key.key_usage)
        if not isinstance(key.policy, str):
            key.policy = json.dumps(key.policy)
        return key

    return classmethod(create)


def _bucket_from_template(original: Any) -> Any:
    def create(
        cls: type[FakeBucket],
        /,
        resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> FakeBucket:
        bucket: FakeBucket = original(resource_name, cloudformation_json, account_id, region_name, **kwargs)
        properties = cloudformation_json.get("Properties", {})
        backend = s3_backends[account_id][get_partition(region_name)]
        if properties.get("VersioningConfiguration", {}).get("Status") == "Enabled":
            backend.put_bucket_versioning(bucket.name, "Enabled")
        if properties.get("ObjectLockEnabled"):
            retention = properties.get("ObjectLockConfiguration", {}).get("Rule", {}).get("DefaultRetention", {})
            backend.put_object_lock_configuration(
                bucket.name,
                lock_enabled=True,
                mode=retention.get("Mode"),
                # moto adds both to the time an object is written: an absent one is 0, not None.
                days=int(retention.get("Days", 0)),
                years=int(retention.get("Years", 0)),
            )
        return bucket

    return classmethod(create)


@functools.cache  # once per process
def honour_seal_properties() -> None:
    """Install the two changes into moto's CloudFormation (idempotent)."""
    Key.create_from_cloudformation_json = _key_from_template(Key.create_from_cloudformation_json)  # type: ignore[method-assign]
    FakeBucket.create_from_cloudformation_json = _bucket_from_template(  # type: ignore[method-assign]
        FakeBucket.create_from_cloudformation_json
    )
