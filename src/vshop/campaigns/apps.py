from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "vshop.campaigns"
    verbose_name = _("Campaigns")

    def ready(self) -> None:
        from vshop.campaigns import receivers  # noqa: F401  (connects the inbox-read signal)
