"""API errors: Django validation errors become 400s with field messages, never 500s.

A service raises `django.core.exceptions.ValidationError` with field names (or PermissionDenied, which
DRF answers 403 with its message); here the field names become the keys of the 400's body, and Django's
`__all__` becomes DRF's `non_field_errors`.
"""

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            detail = {api_settings.NON_FIELD_ERRORS_KEY if key == NON_FIELD_ERRORS else key: messages
                      for key, messages in exc.message_dict.items()}
        else:
            detail = {api_settings.NON_FIELD_ERRORS_KEY: exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, IntegrityError):
        return Response({"non_field_errors": [str(exc).splitlines()[0]]}, status=status.HTTP_409_CONFLICT)
    return drf_exception_handler(exc, context)
