"""Real gateways built from the environment.

``wechatpay()``, ``alipay()`` and ``stripe()`` (the names the registry in ``__init__`` looks up)
each return its adapter, or None when none of its variables is set (the provider is not
offered). Some set but not all is a deployment mistake and raises ``ImproperlyConfigured``
naming the missing variables, never a value. Keys are read from files (PEM, or Alipay's bare
base64), so they stay out of the environment and ``ps``; short secrets come from variables.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from .alipay import AlipayGateway
from .base import Gateway
from .stripe import StripeGateway
from .wechatpay import WeChatPayGateway

WECHATPAY_REQUIRED = (
    "WECHATPAY_MCHID",
    "WECHATPAY_APPID",
    "WECHATPAY_CERT_SERIAL_NO",
    "WECHATPAY_PRIVATE_KEY_FILE",
    "WECHATPAY_APIV3_KEY",
)
WECHATPAY_PUBLIC_KEY = ("WECHATPAY_PUBLIC_KEY_FILE", "WECHATPAY_PUBLIC_KEY_ID")
WECHATPAY_CERT_DIR = "WECHATPAY_CERT_DIR"  # platform certificates mode, if no public key
ALIPAY_REQUIRED = ("ALIPAY_APP_ID", "ALIPAY_APP_PRIVATE_KEY_FILE", "ALIPAY_PUBLIC_KEY_FILE")
STRIPE_REQUIRED = ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET")


def _values(env: Mapping[str, str], names: tuple[str, ...]) -> dict[str, str]:
    return {name: env.get(name, "").strip() for name in names}


def _complete(provider: str, values: dict[str, str]) -> bool:
    """False when nothing is set, True when all is; a half configuration raises."""
    missing = [name for name, value in values.items() if not value]
    if len(missing) == len(values):
        return False
    if missing:
        raise ImproperlyConfigured(f"{provider} is half configured: set {', '.join(missing)}.")
    return True


def _read(env_name: str, path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError:
        # The path is not a secret, the file's content is.
        raise ImproperlyConfigured(f"{env_name}: cannot read {path}.") from None


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def wechatpay(env: Mapping[str, str] | None = None) -> WeChatPayGateway | None:
    env = os.environ if env is None else env
    values = _values(env, WECHATPAY_REQUIRED)
    public = _values(env, WECHATPAY_PUBLIC_KEY)
    cert_dir = env.get(WECHATPAY_CERT_DIR, "").strip()
    if not (any(values.values()) or any(public.values()) or cert_dir):
        return None
    needed = dict(values)
    if any(public.values()) or not cert_dir:
        needed.update(public)  # platform public key mode, the default
    missing = [name for name, value in needed.items() if not value]
    if missing:
        raise ImproperlyConfigured(f"WeChat Pay is half configured: set {', '.join(missing)}.")
    try:
        return WeChatPayGateway(
            mchid=values["WECHATPAY_MCHID"],
            appid=values["WECHATPAY_APPID"],
            cert_serial_no=values["WECHATPAY_CERT_SERIAL_NO"],
            private_key=_read("WECHATPAY_PRIVATE_KEY_FILE", values["WECHATPAY_PRIVATE_KEY_FILE"]),
            apiv3_key=values["WECHATPAY_APIV3_KEY"],
            public_key=_read("WECHATPAY_PUBLIC_KEY_FILE", public["WECHATPAY_PUBLIC_KEY_FILE"])
            if public["WECHATPAY_PUBLIC_KEY_FILE"]
            else "",
            public_key_id=public["WECHATPAY_PUBLIC_KEY_ID"],
            cert_dir="" if public["WECHATPAY_PUBLIC_KEY_FILE"] else cert_dir,
        )
    except ValueError as error:  # our own messages, which name no secret
        raise ImproperlyConfigured(f"WeChat Pay: {error}") from None


def alipay(env: Mapping[str, str] | None = None) -> AlipayGateway | None:
    env = os.environ if env is None else env
    values = _values(env, ALIPAY_REQUIRED)
    if not _complete("Alipay", values):
        return None
    try:
        return AlipayGateway(
            app_id=values["ALIPAY_APP_ID"],
            app_private_key=_read(
                "ALIPAY_APP_PRIVATE_KEY_FILE", values["ALIPAY_APP_PRIVATE_KEY_FILE"]
            ),
            alipay_public_key=_read("ALIPAY_PUBLIC_KEY_FILE", values["ALIPAY_PUBLIC_KEY_FILE"]),
            sandbox=_bool(env.get("ALIPAY_SANDBOX", "")),
        )
    except ValueError as error:
        raise ImproperlyConfigured(f"Alipay: {error}") from None


def stripe(env: Mapping[str, str] | None = None) -> StripeGateway | None:
    env = os.environ if env is None else env
    values = _values(env, STRIPE_REQUIRED)
    if not _complete("Stripe", values):
        return None
    return StripeGateway(
        secret_key=values["STRIPE_SECRET_KEY"], webhook_secret=values["STRIPE_WEBHOOK_SECRET"]
    )


def configured_gateways(env: Mapping[str, str] | None = None) -> dict[str, Gateway]:
    """Every real gateway the environment configures, by name."""
    gateways: dict[str, Gateway] = {}
    for build in (wechatpay, alipay, stripe):
        gateway = build(env)
        if gateway is not None:
            gateways[gateway.name] = gateway
    return gateways
