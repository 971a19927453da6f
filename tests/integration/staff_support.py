"""Staff accounts on moto's Cognito, as every integration test that signs in needs them (no tests here)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from govrate import runtime

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp.type_defs import AttributeTypeTypeDef

    from tests.integration.conftest import AwsResources

# moto, like botocore, has no Cognito in the China regions; the pool lives in Hong Kong.
COGNITO_REGION = "ap-east-1"
PASSWORD = "Correct-Horse-9-Battery"


@dataclass
class Staff:
    username: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token}", "content-type": "application/json"}


def create_staff_pool() -> tuple[str, str]:
    """A staff user pool and its app client, as the stack creates them: (pool id, client id)."""
    cognito = boto3.client("cognito-idp", region_name=COGNITO_REGION)
    pool_id = cognito.create_user_pool(
        PoolName="govrate-staff",
        Schema=[
            {"Name": name, "AttributeDataType": "String", "Mutable": True}
            for name in ("agency_code", "region_code", "role")
        ],
    )["UserPool"]["Id"]
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id, ClientName="console", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    return pool_id, client_id


class StaffPool:
    """The staff user pool of the test resources, named in the functions' settings; accounts created as
    administrators create them."""

    def __init__(self, aws: AwsResources, monkeypatch: pytest.MonkeyPatch) -> None:
        self._cognito = boto3.client("cognito-idp", region_name=COGNITO_REGION)
        self.pool_id = aws.staff_pool_id
        self.client_id = aws.staff_client_id
        monkeypatch.setenv("GOVRATE_STAFF_USER_POOL_ID", self.pool_id)
        monkeypatch.setenv("GOVRATE_STAFF_CLIENT_ID", self.client_id)
        runtime.reset()

    def account(self, username: str, role: str, region: str, agency: str | None = None) -> None:
        attributes: list[AttributeTypeTypeDef] = [
            {"Name": "custom:role", "Value": role},
            {"Name": "custom:region_code", "Value": region},
        ]
        if agency:
            attributes.append({"Name": "custom:agency_code", "Value": agency})
        self._cognito.admin_create_user(
            UserPoolId=self.pool_id, Username=username, UserAttributes=attributes, MessageAction="SUPPRESS"
        )
        self._cognito.admin_set_user_password(
            UserPoolId=self.pool_id, Username=username, Password=PASSWORD, Permanent=True
        )

    def sign_in(self, username: str) -> Staff:
        result = self._cognito.initiate_auth(
            ClientId=self.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
        )["AuthenticationResult"]
        return Staff(username, result["IdToken"])

    def staff(self, username: str, agency: str = "110105-GA", region: str = "110105") -> Staff:
        self.account(username, "staff", region, agency)
        return self.sign_in(username)

    def supervisor(self, username: str, region: str = "110105") -> Staff:
        self.account(username, "supervisor", region)
        return self.sign_in(username)


class SignedIn:
    """A Chalice test client whose every request carries a staff member's ID token (the tests of the
    administrators' routes use it as their client)."""

    def __init__(self, client: Any, staff: Staff) -> None:
        self.unsigned = client
        self.http = _SignedInHttp(client.http, staff)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.unsigned, name)


class _SignedInHttp:
    def __init__(self, http: Any, staff: Staff) -> None:
        self._http = http
        self._authorization = {"authorization": f"Bearer {staff.token}"}

    def request(self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b"") -> Any:
        return self._http.request(method, path, headers={**self._authorization, **(headers or {})}, body=body)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.request("POST", path, **kwargs)
