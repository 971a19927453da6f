"""Staff sign-in: the Cognito user pool whose access tokens the staff routes accept, created here or, where
the region has no Cognito user pools, an existing one named in context."""

from __future__ import annotations

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Validations
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from infra.config import StaffPoolContext
from infra.nag import accepted

# Access tokens live an hour (govrate.identity.auth.MAX_TOKEN_LIFETIME_S refuses longer ones); a console
# session ends after 8 hours at most (govrate.identity.sessions.ABSOLUTE_TIMEOUT), within the refresh
# token's day.
TOKEN_VALIDITY = Duration.hours(1)


class Staff(Construct):
    """Accounts are created by administrators (no self sign-up); role, agency and division are the
    account's groups (`role:…`, `agency:…`, `division:…`, govrate.identity.auth), which only administrators
    change (govrate.identity.staff_admin). No user attribute carries authority.

    `user_pool` is the pool this stack created, or None when the staff sign in to an existing pool in
    another region: API Gateway's Cognito authorizer then cannot check their tokens, and the functions'
    own verification (signature, issuer, audience, expiry, token use) is the check.
    """

    def __init__(self, scope: Construct, construct_id: str, *, existing: StaffPoolContext | None = None) -> None:
        super().__init__(scope, construct_id)
        self.user_pool: cognito.UserPool | None = None
        if existing is not None:
            self.user_pool_id = existing.user_pool_id
            self.client_id = existing.client_id
            return
        user_pool = self.user_pool = cognito.UserPool(
            self,
            "UserPool",
            self_sign_up_enabled=False,
            feature_plan=cognito.FeaturePlan.ESSENTIALS,
            sign_in_aliases=cognito.SignInAliases(username=True, email=True),
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_digits=True,
                require_lowercase=True,
                require_uppercase=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(sms=False, otp=True),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            removal_policy=RemovalPolicy.RETAIN,
        )
        profile = cognito.ClientAttributes().with_standard_attributes(email=True, preferred_username=True)
        client = user_pool.add_client(
            "Console",
            # The console signs in with name and password on the server side (no hosted UI, no secret);
            # no OAuth flow, scope or callback URL is enabled (CDK's default would allow the code and
            # implicit grants with an example callback).
            auth_flows=cognito.AuthFlow(user_password=True),
            disable_o_auth=True,
            generate_secret=False,
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            id_token_validity=TOKEN_VALIDITY,
            access_token_validity=TOKEN_VALIDITY,
            refresh_token_validity=Duration.days(1),
            read_attributes=profile,
            write_attributes=profile,
        )
        self.user_pool_id = user_pool.user_pool_id
        self.client_id = client.user_pool_client_id
        Validations.of(user_pool).acknowledge(
            accepted(
                "COG2",
                "MFA is optional (TOTP) rather than required: agencies in remote counties enrol staff on shared "
                "terminals first; sessions last one hour and every case action is on the audit chain.",
            ),
            *(
                accepted(
                    rule,
                    "Essentials plan, without threat protection (advanced security, part of the Plus plan): it is "
                    "not offered in every partition this stack targets, and sign-in is limited to accounts that "
                    "administrators create.",
                )
                for rule in ("COG3", "COG8")
            ),
        )
        CfnOutput(self, "UserPoolId", value=self.user_pool_id, description="Staff user pool")
        CfnOutput(self, "ConsoleClientId", value=self.client_id, description="Staff app client")
