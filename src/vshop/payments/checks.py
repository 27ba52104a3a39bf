"""A half-configured payment gateway is a deployment mistake: report it when the site starts
(``vshop serve`` runs the checks), not at the first buyer's payment."""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.core.exceptions import ImproperlyConfigured


@checks.register(checks.Tags.compatibility, deploy=False)
def payment_gateways_configured(
    app_configs: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    from vshop.payments.gateways import config

    errors: list[checks.CheckMessage] = []
    for name in ("wechatpay", "alipay", "stripe"):
        try:
            getattr(config, name)()
        except ImproperlyConfigured as exc:
            errors.append(checks.Error(str(exc), id=f"vshop.payments.E_{name}"))
    return errors
