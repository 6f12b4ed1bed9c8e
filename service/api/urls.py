"""service API routes."""

urlpatterns = []
