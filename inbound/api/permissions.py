from rest_framework import exceptions
from rest_framework.permissions import BasePermission

from inbound.choices import Scope
from inbound.models import ApiKey

WRITE_SCOPES = (Scope.TARGETS_WRITE, Scope.TARGETS_WRITE_ALIAS, Scope.TARGETS_BATCH_WRITE)


def scope_required(*scopes: str) -> type[BasePermission]:
    """A permission granted by any one of `scopes`; without one, 403 naming what is missing."""

    class HasScope(BasePermission):
        def has_permission(self, request, view) -> bool:
            if not isinstance(request.auth, ApiKey):
                return False  # DRF turns this into 401 for an unauthenticated request
            if any(request.auth.has_scope(scope) for scope in scopes):
                return True
            raise exceptions.PermissionDenied(
                f"This API key lacks the scope {' or '.join(f"'{s}'" for s in scopes)}."
            )

    HasScope.__name__ = f"HasScope[{'|'.join(scopes)}]"
    return HasScope
