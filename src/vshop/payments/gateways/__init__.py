"""Payment gateways by name. The sandbox is always there unless switched off
(``VSHOP_SANDBOX_PAYMENTS=0``); real providers are there when their settings are."""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from vshop.errors import ValidationFailed
from vshop.payments.gateways.base import Gateway


class UnknownGateway(ValidationFailed):
    code = "unknown_gateway"
    default_message = _("That way of paying is not available.")


@cache
def _configured() -> dict[str, Gateway]:
    gateways: dict[str, Gateway] = {}
    if settings.VSHOP_SANDBOX_PAYMENTS:
        from vshop.payments.gateways.sandbox import SandboxGateway

        gateways["sandbox"] = SandboxGateway()
    try:
        from vshop.payments.gateways import config
    except ImportError:  # pragma: no cover - the adapters ship with VShop
        return gateways
    for name in ("wechatpay", "alipay", "stripe"):
        make = getattr(config, name, None)
        adapter = make() if make else None
        if adapter is not None:
            gateways[name] = adapter
    return gateways


def available_gateways() -> dict[str, Gateway]:
    return _configured()


def gateway_for(name: str) -> Gateway:
    gateway = _configured().get(name)
    if gateway is None:
        raise UnknownGateway(field="gateway")
    return gateway


def forget_gateways() -> None:
    """Tests that change the settings call this to rebuild the registry."""
    _configured.cache_clear()
