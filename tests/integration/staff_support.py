"""Staff accounts on moto's Cognito, as every integration test that signs in needs them (no tests here)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import pytest
from govrate import runtime
from govrate.identity import staff_admin
from govrate.identity.model import Role
from govrate.storage.clients import aws_client

from local.moto_cognito import add_revoke_token

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient

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


def create_staff_pool(custom_attributes: Sequence[str] = ()) -> tuple[str, str]:
    """A staff user pool and its app client, as the stack creates them (password sign-in, no custom
    attributes unless named, as an older stack had them): (pool id, client id)."""
    cognito = aws_client("cognito-idp", COGNITO_REGION)
    pool_id = cognito.create_user_pool(PoolName="govrate-staff")["UserPool"]["Id"]
    if custom_attributes:
        cognito.add_custom_attributes(
            UserPoolId=pool_id,
            CustomAttributes=[
                {"Name": name, "AttributeDataType": "String", "Mutable": True} for name in custom_attributes
            ],
        )
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id, ClientName="console", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    return pool_id, client_id


class StaffPool:
    """The staff user pool of the test resources, named in the functions' settings; accounts created as
    administrators create them."""

    def __init__(self, aws: AwsResources, monkeypatch: pytest.MonkeyPatch) -> None:
        self._cognito = aws_client("cognito-idp", COGNITO_REGION)
        self.cognito: CognitoIdentityProviderClient = self._cognito
        self._monkeypatch = monkeypatch
        add_revoke_token()
        self.use_pool(aws.staff_pool_id, aws.staff_client_id)

    def use_pool(self, pool_id: str, client_id: str) -> None:
        """Name this pool and app client in the functions' settings (the shared pool, or a test's own)."""
        self.pool_id = pool_id
        self.client_id = client_id
        self._monkeypatch.setenv("GOVRATE_STAFF_USER_POOL_ID", pool_id)
        self._monkeypatch.setenv("GOVRATE_STAFF_CLIENT_ID", client_id)
        runtime.reset()

    def account(self, username: str, role: str, region: str, agency: str | None = None) -> None:
        """An account as administrators create it: role, agency and division as its groups."""
        self._cognito.admin_create_user(UserPoolId=self.pool_id, Username=username, MessageAction="SUPPRESS")
        self._cognito.admin_set_user_password(
            UserPoolId=self.pool_id, Username=username, Password=PASSWORD, Permanent=True
        )
        staff_admin.assign(self._cognito, self.pool_id, username, role=Role(role), agency_code=agency, division=region)

    def sign_in(self, username: str) -> Staff:
        result = self._cognito.initiate_auth(
            ClientId=self.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
        )["AuthenticationResult"]
        return Staff(username, result["AccessToken"])

    def staff(self, username: str, agency: str = "110105-GA", region: str = "110105") -> Staff:
        self.account(username, "staff", region, agency)
        return self.sign_in(username)

    def supervisor(self, username: str, region: str = "110105") -> Staff:
        self.account(username, "supervisor", region)
        return self.sign_in(username)


class SignedIn:
    """A Chalice test client whose every request carries a staff member's access token (the tests of the
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


FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


class ConsoleBrowser:
    """What a browser does with the console: keeps its cookies, sends forms with the token of the page
    they are on, and says where a request comes from (`Sec-Fetch-Site`, `Origin`) as browsers do."""

    HOST = "console.test"

    def __init__(self, cases: Any) -> None:
        self._cases = cases
        self.cookies: dict[str, str] = {}

    def headers(self, site: str = "same-origin", origin: str | None = None) -> dict[str, str]:
        cookie = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        return {
            "host": self.HOST,
            "origin": origin or f"https://{self.HOST}",
            "sec-fetch-site": site,
            **({"cookie": cookie} if cookie else {}),
        }

    def keep(self, response: Any) -> Any:
        set_cookies = response.headers.get("Set-Cookie") or []
        for line in [set_cookies] if isinstance(set_cookies, str) else set_cookies:
            name, _, rest = line.partition("=")
            value = rest.split(";", 1)[0]
            if "Max-Age=0" in line:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return response

    def get(self, path: str, http: Any = None) -> Any:
        return self.keep((http or self._cases.http).get(path, headers=self.headers()))

    def post(self, path: str, fields: dict[str, str], http: Any = None, **where: str) -> Any:
        headers = {**self.headers(**where), "content-type": "application/x-www-form-urlencoded"}
        return self.keep((http or self._cases.http).post(path, headers=headers, body=urlencode(fields).encode()))

    def submit(self, page_path: str, action: str, fields: dict[str, str], http: Any = None, **where: str) -> Any:
        """Open `page_path` and send the form at `action` with the page's form token."""
        token = self.token(self.get(page_path, http))
        return self.post(action, {"form_token": token, **fields}, http, **where)

    def sign_in(self, username: str, password: str = PASSWORD) -> Any:
        return self.submit("/console/login", "/console/login", {"username": username, "password": password})

    @staticmethod
    def token(response: Any) -> str:
        found = FORM_TOKEN.search(response.body.decode())
        assert found, "the page has no form token"
        return found.group(1)
