from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from service.views import LookupView

from .account_views import AccountView, PasswordChangeView
from .views import HomeView

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/", AccountView.as_view(), name="account"),
    path("account/password/", PasswordChangeView.as_view(), name="password_change"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", include("futures_crm.api.urls")),
    path("clients/", include("clients.urls")),
    path("relationships/", include("referrals.urls")),
    path("service/", include("service.urls")),
    path("lookup/", LookupView.as_view(), name="lookup"),
    path("segments/", include("segmentation.urls")),
    path("privacy/", include("privacy.urls")),
]

# An oversized form or API request is a 413 that explains itself, in the user's language.
handler400 = "futures_crm.errors.bad_request"
