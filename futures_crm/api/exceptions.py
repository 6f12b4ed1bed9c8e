"""API errors: Django validation errors become 400s with field messages, never 500s."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, IntegrityError):
        return Response({"non_field_errors": [str(exc).splitlines()[0]]}, status=status.HTTP_409_CONFLICT)
    return drf_exception_handler(exc, context)
