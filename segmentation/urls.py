"""segmentation pages."""

app_name = "segmentation"
urlpatterns = []
