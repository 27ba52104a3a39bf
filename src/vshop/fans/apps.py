from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FansConfig(AppConfig):
    name = "vshop.fans"
    label = "fans"
    verbose_name = _("Fans")
