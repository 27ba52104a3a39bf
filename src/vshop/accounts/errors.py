from django.utils.translation import gettext_lazy as _

from vshop.errors import Conflict, DomainError, TooManyRequests, ValidationFailed


class InvalidCredentials(DomainError):
    status = 401
    code = "invalid_credentials"
    default_message = _("The email, mobile number or password is not right.")


class AccountExists(Conflict):
    code = "account_exists"
    default_message = _("An account with this email or mobile number already exists.")


class LoginRateLimited(TooManyRequests):
    code = "login_rate_limited"
    default_message = _("Too many failed logins. Please wait 15 minutes and try again.")


class BadPassword(ValidationFailed):
    code = "bad_password"
