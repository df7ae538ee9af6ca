"""Staff sign-in and the staff's own account (/api/v1/admin/auth, /api/v1/admin/me),
and the auditors' HTTP check of the audit chain (/api/v1/admin/audit).

Staff tokens (audience ``staff``) are refused by citizen routes, and citizen tokens here.
"""

from flask import g
from flask.views import MethodView

from schemas.admin import (
    PeopleFoundSchema,
    PeopleLookupSchema,
    SecondFactorResetSchema,
    StaffAccountListSchema,
    StaffAccountSchema,
    StaffCreateSchema,
)
from schemas.common import Page
from schemas.identity import (
    SmsCodeSentSchema,
    StaffAuditChainReportSchema,
    StaffMeSchema,
    StaffRefreshRequestSchema,
    StaffSmsCodeRequestSchema,
    StaffTokenRequestSchema,
    StaffUnlockRequestSchema,
    TokenPairSchema,
)

from ..api import Blueprint
from . import people, service, staff

admin_auth_blp = Blueprint("admin_auth", __name__, url_prefix="/api/v1/admin/auth",
                           description="Staff sign-in (password and SMS code), tokens and sign-out.")
admin_me_blp = Blueprint("admin_me", __name__, url_prefix="/api/v1/admin/me", description="The signed-in staff member.")
admin_audit_blp = Blueprint("admin_audit", __name__, url_prefix="/api/v1/admin/audit",
                            description="The audit log, for auditors.")


@admin_auth_blp.route("/sms-codes")
class StaffSmsCodes(MethodView):
    @admin_auth_blp.public
    @admin_auth_blp.arguments(StaffSmsCodeRequestSchema)
    @admin_auth_blp.response(202, SmsCodeSentSchema)
    @admin_auth_blp.alt_response(429, response="TOO_MANY_REQUESTS",
                                 description="Resend too soon or a daily cap reached; see Retry-After.")
    def post(self, body):
        """Send a staff sign-in code by SMS.

        The answer (and its limits) is the same whether or not the phone belongs to an
        active staff account; only such an account is actually texted.
        """
        return staff.send_login_code(body["phone"])


@admin_auth_blp.route("/tokens")
class StaffTokens(MethodView):
    @admin_auth_blp.public
    @admin_auth_blp.arguments(StaffTokenRequestSchema)
    @admin_auth_blp.response(200, TokenPairSchema)
    @admin_auth_blp.alt_response(401, response="UNAUTHORIZED",
                                 description="`invalid_credentials`: one answer for an unknown phone, a wrong "
                                             "password or code, and a deactivated account.")
    @admin_auth_blp.alt_response(429, response="TOO_MANY_REQUESTS",
                                 description="Slowed down after repeated failures: wait Retry-After seconds, "
                                             "or lift the wait with POST /api/v1/admin/auth/unlock.")
    def post(self, body):
        """Sign in with password and SMS code: a token pair with audience `staff`.

        Both are checked every time and the code is spent either way: after a failure,
        ask for a new code.
        """
        return staff.login(body["phone"], body["password"], body["code"])


@admin_auth_blp.route("/unlock")
class StaffUnlock(MethodView):
    @admin_auth_blp.public
    @admin_auth_blp.arguments(StaffUnlockRequestSchema)
    @admin_auth_blp.response(204)
    @admin_auth_blp.alt_response(401, response="UNAUTHORIZED", description="`invalid_code`")
    def post(self, body):
        """Lift the waits that failed sign-ins put on your phone, with a staff sign-in SMS code.

        Ask for the code at POST /api/v1/admin/auth/sms-codes; it is spent here, so ask for
        another to sign in.
        """
        staff.unlock(body["phone"], body["code"])


@admin_auth_blp.route("/refresh")
class StaffRefresh(MethodView):
    @admin_auth_blp.public
    @admin_auth_blp.arguments(StaffRefreshRequestSchema)
    @admin_auth_blp.response(200, TokenPairSchema)
    @admin_auth_blp.alt_response(401, response="UNAUTHORIZED",
                                 description="`invalid_refresh_token`, also for a citizen's refresh token.")
    def post(self, body):
        """Trade a staff refresh token for a new pair.

        Refresh tokens are single use: each refresh returns a new one, and presenting a
        used one ends the whole session.
        """
        return staff.refresh(body["refresh_token"])


@admin_auth_blp.route("/logout")
class StaffLogout(MethodView):
    @admin_auth_blp.login_required("staff")
    @admin_auth_blp.response(204)
    def post(self):
        """End this staff session: its refresh token and access tokens stop working at once."""
        service.logout(g.principal)


@admin_me_blp.route("")
class StaffMe(MethodView):
    @admin_me_blp.login_required("staff")
    @admin_me_blp.response(200, StaffMeSchema)
    def get(self):
        """Your staff account (phone masked) and role."""
        return staff.account(g.principal)


@admin_audit_blp.route("/verify")
class AuditVerify(MethodView):
    @admin_audit_blp.login_required("staff")
    @admin_audit_blp.response(200, StaffAuditChainReportSchema)
    def get(self):
        """Verify the audit log's hash chain (role `auditor`); the first break, if any, is reported.

        The verification itself is audited. The same check runs offline as `flask audit verify`.
        """
        return staff.verify_audit_chain(g.principal)


# --- Operators: people look-ups and staff accounts (issue 24) --------------------------

admin_people_blp = Blueprint("admin_people", __name__, url_prefix="/api/v1/admin/people",
                             description="Look up a citizen or an enterprise (role operator), with a reason.")
admin_staff_blp = Blueprint("admin_staff", __name__, url_prefix="/api/v1/admin/staff",
                            description="Staff accounts (role operator): create, list, disable, reset.")


@admin_people_blp.route("/lookups")
class PeopleLookups(MethodView):
    @admin_people_blp.login_required("staff")
    @admin_people_blp.arguments(PeopleLookupSchema)
    @admin_people_blp.response(200, PeopleFoundSchema)
    def post(self, body):
        """Find a citizen by phone or resident ID number (blind indexes), or an enterprise by USCC.

        Exactly one key and a reason. Results are masked; each one found has the look-up,
        with the reason, in their own access log."""
        reason = body.pop("reason")
        return people.lookup(g.principal, reason=reason, **body)


@admin_staff_blp.route("")
class StaffAccounts(MethodView):
    @admin_staff_blp.login_required("staff")
    @admin_staff_blp.response(200, StaffAccountListSchema)
    def get(self):
        """Every staff account, active or not, oldest first (phones masked)."""
        return Page(staff.list_by(g.principal))

    @admin_staff_blp.login_required("staff")
    @admin_staff_blp.arguments(StaffCreateSchema)
    @admin_staff_blp.response(201, StaffAccountSchema)
    @admin_staff_blp.alt_response(409, response="CONFLICT", description="`staff_phone_taken`")
    def post(self, body):
        """Create a staff account; it signs in with this password and SMS codes to this phone."""
        return staff.create_by(g.principal, body["phone"], body["role"], body["password"])


@admin_staff_blp.route("/<ulid:staff_id>/deactivation")
class StaffDeactivation(MethodView):
    @admin_staff_blp.login_required("staff")
    @admin_staff_blp.response(200, StaffAccountSchema)
    @admin_staff_blp.alt_response(404, response="NOT_FOUND")
    def post(self, staff_id):
        """Disable a staff account; its sessions end at once."""
        return staff.deactivate_by(g.principal, staff_id)


@admin_staff_blp.route("/<ulid:staff_id>/second-factor")
class StaffSecondFactor(MethodView):
    @admin_staff_blp.login_required("staff")
    @admin_staff_blp.arguments(SecondFactorResetSchema)
    @admin_staff_blp.response(200, StaffAccountSchema)
    @admin_staff_blp.alt_response(404, response="NOT_FOUND")
    @admin_staff_blp.alt_response(409, response="CONFLICT", description="`staff_phone_taken`")
    def put(self, body, staff_id):
        """Reset the second factor: sign-in codes go to this phone from now on; every session ends."""
        return staff.reset_second_factor_by(g.principal, staff_id, body["phone"])
