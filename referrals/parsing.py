"""Request parsing shared by the pages and the API: both doors send the same shapes, read here once.

These functions only turn codes into records; whether a record may be used (an active account manager the
caller may assign to, an active intermediary, a client in the caller's scope) is the services' rule.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from clients.models import Client

from . import selectors
from .models import Intermediary

MANAGER, INTERMEDIARY = "manager", "intermediary"


def staff_by_code(codes) -> dict:
    """Employee code → staff user, for the codes given (unknown codes are simply absent)."""
    users = get_user_model().objects.filter(staff_profile__employee_code__in=list(codes)).select_related(
        "staff_profile__branch")
    return {u.staff_profile.employee_code: u for u in users}


def parse_transfers(raw: dict, *, intermediary: Intermediary) -> dict:
    """A leaving intermediary's transfers: {fund account: "manager:<employee code>" | "intermediary:<code>"}
    → {client id: (kind, target)}. Blank targets are skipped (the client keeps its link).

    Every entry naming a client that is not the intermediary's, an unknown kind or an unknown code is
    reported at once, on `transfers`; nothing is silently dropped.
    """
    wanted = {str(account).strip(): str(target).strip() for account, target in raw.items() if str(target).strip()}
    clients = dict(selectors.current_clients_of(Intermediary.objects.filter(pk=intermediary.pk))
                   .filter(account_id__in=wanted.keys()).values_list("account_id", "pk"))
    split = {account: target.partition(":")[::2] for account, target in wanted.items()}
    managers = staff_by_code(code for kind, code in split.values() if kind == MANAGER)
    others = {i.code: i for i in Intermediary.objects.exclude(pk=intermediary.pk).filter(
        code__in=[code for kind, code in split.values() if kind == INTERMEDIARY])}
    transfers, bad = {}, []
    for account, (kind, code) in split.items():
        pool = managers if kind == MANAGER else others if kind == INTERMEDIARY else {}
        if account not in clients or code not in pool:
            bad.append(f"{account}: {wanted[account]}")
            continue
        transfers[clients[account]] = (kind, pool[code])
    if bad:
        raise ValidationError({"transfers": _("Not one of this intermediary's clients, or an unknown target: "
                                              "%(entries)s.") % {"entries": "; ".join(sorted(bad))}})
    return transfers


def parse_manual_plan(raw: dict, *, successors) -> dict:
    """A by-hand handover: {fund account: successor's employee code} → {client id: successor user id}.

    Entries that do not resolve are left out; the plan then misses those clients and `handover_plan`
    refuses it, naming how many clients have no successor.
    """
    by_code = {u.staff_profile.employee_code: u.pk for u in successors}
    accounts = dict(Client.objects.filter(account_id__in=[str(a) for a in raw]).values_list("account_id", "pk"))
    return {accounts[str(account)]: by_code[str(code)] for account, code in raw.items()
            if str(account) in accounts and str(code) in by_code}
