"""segmentation API routes."""

urlpatterns = []
