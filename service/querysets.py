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


def prospect_scope_q(user, prefix: str = "") -> Q:
    """The Q that keeps the prospects `user` may see; `prefix` is the path to the prospect ("prospect__").
    Account managers see the prospects they own; branch managers their branch's (and their own); firm-wide roles
    and the service desk all."""
    role = user_role(user)
    if role is None:
        return NOTHING
    if role in FIRM_WIDE_ROLES or role == Role.SERVICE_AGENT:
        return Q()
    if role == Role.BRANCH_MANAGER:
        branch_id = user.staff_profile.branch_id
        return Q(**{f"{prefix}branch_id": branch_id}) | Q(**{f"{prefix}owner_id": user.pk}) if branch_id else NOTHING
    if role == Role.ACCOUNT_MANAGER:
        return Q(**{f"{prefix}owner_id": user.pk})
    return NOTHING


class ProspectQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The prospects `user` may see (prospect_scope_q)."""
        return self.filter(prospect_scope_q(user))


def recipient_scope_q(user) -> Q:
    """The activity recipients `user` may see: a client recipient when its client is visible, a prospect
    recipient when its prospect is."""
    return ((Q(client__isnull=False) & client_scope_q(user, "client__"))
            | (Q(prospect__isnull=False) & prospect_scope_q(user, "prospect__")))


class RecipientQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Recipients whose client, or prospect, `user` sees."""
        return self.filter(recipient_scope_q(user))
