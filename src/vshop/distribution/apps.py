from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DistributionConfig(AppConfig):
    name = "vshop.distribution"
    label = "distribution"
    verbose_name = _("Sharing and promoters")

    def ready(self) -> None:
        from vshop.distribution import signals  # noqa: F401  (login links a guest's visits)
