from django.utils.translation import gettext_lazy as _

from vshop.errors import Conflict, ValidationFailed


class SlugTaken(Conflict):
    code = "slug_taken"
    default_message = _("This short address is taken. Try another one.")


class PriceOutOfBounds(ValidationFailed):
    code = "price_out_of_bounds"
    default_message = _("The price must stay within the supplier's minimum and maximum.")


class AlreadyListed(Conflict):
    code = "already_listed"
    default_message = _("This product is already in your shop.")


class ProductNotAvailable(ValidationFailed):
    code = "product_not_available"
    default_message = _("This product is not available in the catalogue.")


class ShopSuspended(ValidationFailed):
    code = "shop_suspended"
    default_message = _("This shop is suspended and cannot sell.")
