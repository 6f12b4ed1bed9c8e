"""The base viewset: every queryset is scoped to the requesting user before anything else."""

from rest_framework import viewsets

from .permissions import RolePermission


class ScopedViewSetMixin:
    """Subclasses set `queryset`; `get_queryset` narrows it with `.visible_to(user)`.

    An object outside the user's scope is therefore a 404, never a 403 that confirms it exists.
    """

    permission_classes = [RolePermission]

    def get_queryset(self):
        return super().get_queryset().visible_to(self.request.user)


class ScopedModelViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    http_method_names = ["get", "post", "put", "patch", "head", "options"]


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass
