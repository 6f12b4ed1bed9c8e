"""Reactions to the site's security events: every login lockout goes into the audit trail."""

from axes.backends import AxesStandaloneBackend
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.dispatch import receiver

from .audit import audit_record


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check for every log-in over HTTP (the login page, the admin's, the API's).

    A call without a request comes from code, not from a guesser (the test client's `login`, a shell):
    there is no address to count, so it is left to the password backend instead of raised as an error.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


@receiver(user_locked_out, dispatch_uid="futures_crm.audit_lockout")
def audit_lockout(sender, request=None, username=None, ip_address=None, **kwargs):
    """Record who was locked out from where (the attempt row holds the failures counted)."""
    attempt = (AccessAttempt.objects.filter(username=username or "", ip_address=ip_address)
               .order_by("-attempt_time").first()
               or AccessAttempt.objects.filter(ip_address=ip_address).order_by("-attempt_time").first())
    if attempt is None:
        return
    audit_record(actor=None, action="auth.lockout", obj=attempt,
                 after={"username": username or "", "ip_address": ip_address or "",
                        "failures": attempt.failures_since_start})
