"""Row-level access for service records: the client rule, plus what a person owns themselves."""

from django.db import models
from django.db.models import Q

from clients.querysets import NOTHING, ClientScopedQuerySet, client_scope_q
from futures_crm.roles import FIRM_WIDE_ROLES, Role, user_role


class OwnedClientScopedQuerySet(ClientScopedQuerySet):
    """Records on visible clients, plus those the user owns (tickets of unknown callers, prospect tasks)."""

    def visible_to(self, user):
        role = user_role(user)
        if role is None:
            return self.none()
        if role in FIRM_WIDE_ROLES or role == Role.SERVICE_AGENT:
            return self.all()
        q = Q(owner_id=user.pk) | (Q(client__isnull=False) & client_scope_q(user, "client__"))
        return self.filter(q | self.extra_scope(user, role))

    def extra_scope(self, user, role) -> Q:
        return NOTHING


class TicketQuerySet(OwnedClientScopedQuerySet):
    pass


class TaskQuerySet(OwnedClientScopedQuerySet):
    def extra_scope(self, user, role) -> Q:
        # Unassigned tasks land on their branch's worklist.
        return Q(branch_id=user.staff_profile.branch_id) if role == Role.BRANCH_MANAGER else NOTHING


class ProspectQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Account managers see the prospects they own; branch managers their branch's; firm-wide roles all."""
        role = user_role(user)
        if role is None:
            return self.none()
        if role in FIRM_WIDE_ROLES or role == Role.SERVICE_AGENT:
            return self.all()
        if role == Role.BRANCH_MANAGER:
            branch_id = user.staff_profile.branch_id
            return self.filter(Q(branch_id=branch_id) | Q(owner_id=user.pk)) if branch_id else self.none()
        if role == Role.ACCOUNT_MANAGER:
            return self.filter(owner_id=user.pk)
        return self.filter(NOTHING)
