"""Request hygiene that must run before Django's own middleware."""

from django.conf import settings
from django.utils.cache import add_never_cache_headers


class MalformedSessionCookieMiddleware:
    """Forget a session cookie that no session could have issued (keys are ASCII letters and digits).

    Without this a cookie holding a NUL byte reaches the session table lookup and PostgreSQL
    refuses the query: a 500 for what is only a bad cookie. Treated as "not logged in" instead.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        if key is not None and not (key.isascii() and key.isalnum() and len(key) <= 40):
            del request.COOKIES[settings.SESSION_COOKIE_NAME]
        return self.get_response(request)


class NoStoreForStaffMiddleware:
    """Pages and API answers for a signed-in user hold personal data: no browser or proxy may keep them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            add_never_cache_headers(response)  # Cache-Control: max-age=0, no-cache, no-store, must-revalidate, private
        return response
