"""Row-level access: the one place that decides which clients a user may see.

Every page, export and API endpoint goes through `visible_to`; anything hanging off a client
(settlements, contact logs, tickets, tasks…) uses `ClientScopedQuerySet` with the same rule.
"""

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.lookups import DataContains
from django.db import models
from django.db.models import Q

from futures_crm.roles import FIRM_WIDE_ROLES, Role, user_role

NOTHING = Q(pk__in=[])


def client_scope_q(user, prefix: str = "") -> Q:
    """The Q that keeps the clients `user` may see; `prefix` is the path to the client ("client__")."""
    role = user_role(user)
    if role is None:
        return NOTHING
    if role in FIRM_WIDE_ROLES or role == Role.SERVICE_AGENT:
        # The service desk sees every contact card (masked) so it can answer any caller.
        return Q()
    if role == Role.BRANCH_MANAGER:
        branch_id = user.staff_profile.branch_id
        return Q(**{f"{prefix}branch_id": branch_id}) if branch_id else NOTHING
    if role == Role.ACCOUNT_MANAGER:
        return Q(**{f"{prefix}account_manager_id": user.pk})
    return NOTHING


class NameGrams(models.Func):
    """The single characters and neighbouring pairs of a text, upper-cased (migration clients 0013 defines it and
    indexes it on the client's name)."""

    function = "client_name_grams"
    output_field = ArrayField(models.TextField())


def name_contains_q(text: str) -> Q:
    """The name holds `text` (as `name__icontains`), found through the name-grams index, not a scan: a name
    holding the fragment holds each of its characters and pairs."""
    grams = NameGrams(models.Value(text, output_field=models.TextField()))
    # The plain comparison first: where the planner walks rows, it spares most of them the function.
    return Q(name__icontains=text) & Q(DataContains(NameGrams("name"), grams))


class ClientQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Only the clients this user may see."""
        return self.filter(client_scope_q(user))

    def search(self, text: str, *, whole_phone_only: bool = False):
        """Account number, name, phone, last four of the ID, full pinyin or initials.

        `whole_phone_only` (a reader who sees phones masked): a phone matches only as a whole number,
        so searching fragments cannot rebuild the hidden digits one by one.
        """
        from .identity import normalise_phone

        text = (text or "").strip()
        if not text:
            return self
        lowered = text.lower().replace(" ", "")
        q = Q(account_id__startswith=text) | name_contains_q(text)
        if lowered.isascii() and lowered.isalpha():
            q |= Q(name_pinyin__startswith=lowered) | Q(name_initials__startswith=lowered)
        if len(text) >= 4 and all(c.isdigit() or c in " +-" for c in text):
            digits = normalise_phone(text)
            if whole_phone_only:
                q |= Q(phone=digits) | Q(phone_alt=digits)
            else:
                q |= Q(phone__contains=digits) | Q(phone_alt__contains=digits)
        if len(text) == 4 and (text[:3].isdigit() and (text[3].isdigit() or text[3] in "xX")):
            q |= Q(id_last4=text.upper())
        return self.filter(q)


class ClientScopedQuerySet(models.QuerySet):
    """For records that belong to one client: visible when their client is."""

    client_path = "client__"

    def visible_to(self, user):
        return self.filter(client_scope_q(user, self.client_path))
