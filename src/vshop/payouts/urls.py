app_name = "payouts"
urlpatterns: list = []
