"""The privacy domain's own refusals."""

from ..errors import AppError


class PreconditionRequired(AppError):
    """428: something must be agreed to (or confirmed) before this can go on."""

    status, code, message = 428, "precondition_required", "Something must be done before this request."


class Gone(AppError):
    status, code, message = 410, "gone", "This no longer exists."


class SignUpClosed(AppError):
    """503: the service cannot take new accounts now (nothing the person can fix)."""

    status, code, message = 503, "sign_up_closed", "Sign-up is closed for now; please try again later."
