"""service pages."""

app_name = "service"
urlpatterns = []
