"""URL map: pages, the operator console, the JSON API and uploaded media."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

from vshop.api import api

admin.site.site_header = "VShop operator console"
admin.site.site_title = "VShop operators"
admin.site.index_title = "Operator console"

urlpatterns = [
    path("", include("vshop.web.urls")),
    path("accounts/", include("vshop.accounts.urls")),
    path("s/<slug:slug>/", include("vshop.shops.storefront_urls")),
    # The fans' pages come before the shop pages: they share the /me/shop/ prefix.
    path("", include("vshop.fans.urls_crm")),
    path("", include("vshop.fans.urls_segments")),
    path("", include("vshop.fans.urls_loyalty")),
    path("", include("vshop.fans.urls_mine")),
    path("", include("vshop.trust.urls")),
    path("", include("vshop.campaigns.urls")),
    path("", include("vshop.campaigns.urls_tracking")),
    path("", include("vshop.circle.urls_posts")),
    path("", include("vshop.circle.urls_feed")),
    path("", include("vshop.circle.urls_social")),
    path("me/shop/", include("vshop.shops.urls")),
    path("supplier/", include("vshop.catalog.urls")),
    path("fans/", include("vshop.fans.urls")),
    path("inbox/", include("vshop.messaging.urls")),
    path("", include("vshop.orders.urls")),
    path("pay/", include("vshop.payments.urls")),
    path("", include("vshop.distribution.share_urls")),
    path("", include("vshop.distribution.urls")),
    path("", include("vshop.payouts.urls")),
    path("", include("vshop.analytics.urls")),
    path("operator/", admin.site.urls),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    # Uploaded images are served by VShop itself, so a laptop or a one-box install needs no
    # other web server; behind a proxy, point /media/ at MEDIA_ROOT instead.
    re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
]
