from django.utils.translation import gettext_lazy as _

from vshop.errors import Conflict, PermissionDenied, ValidationFailed


class SupplierNotApproved(PermissionDenied):
    code = "supplier_not_approved"
    default_message = _("Only approved suppliers can publish products.")


class SupplierExists(Conflict):
    code = "supplier_exists"
    default_message = _("This account has already applied as a supplier.")


class LicenceTaken(Conflict):
    code = "licence_taken"
    default_message = _("A supplier with this licence number already exists.")


class BadPriceBounds(ValidationFailed):
    code = "bad_price_bounds"
    default_message = _(
        "Prices must satisfy: supply price ≤ minimum ≤ suggested ≤ maximum retail price."
    )


class ProductNotPublishable(ValidationFailed):
    code = "not_publishable"
