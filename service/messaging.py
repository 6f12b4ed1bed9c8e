"""Outgoing SMS and WeChat: a pluggable backend named by `settings.SERVICE_MESSAGE_BACKEND`.

A backend is a class with `send(*, to: str, channel: str, subject: str, body: str) -> str` that
returns a short delivery detail or raises on failure. The default only records the message in
the communications log (which the caller writes anyway), so nothing leaves the building until
a gateway is configured. E-mail always goes through Django's EMAIL_BACKEND.
"""

import logging

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class LogBackend:
    """Default: write the message to the application log; the communications log keeps it too."""

    def send(self, *, to: str, channel: str, subject: str, body: str) -> str:
        logger.info("%s to %s: %s", channel, to, body[:200])
        return "logged"


def get_backend():
    path = getattr(settings, "SERVICE_MESSAGE_BACKEND", "service.messaging.LogBackend")
    return import_string(path)()
