"""referrals API routes."""

urlpatterns = []
