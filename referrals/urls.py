"""referrals pages."""

app_name = "referrals"
urlpatterns = []
