"""The embedded-database writer: the same semantics as writer_pg, in plain chunked ORM work.

Rows are staged in a temporary file (so all-or-nothing holds without keeping the file in memory),
then applied 2,000 at a time: look up clients, create placeholders, delete replaced keys, insert.
"""

import csv
import tempfile
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from referrals.models import Intermediary

from ..models import AccountSettlement, Branch, Client, ContractSettlement, SettlementAlert, StaffProfile
from .formats import DATE, LOTS, MONEY, Format
from .validate import CLIENT_DERIVED
from .writer_common import WARNING_EXAMPLES, placeholder_branch

CHUNK = 2000


class SqliteWriter:
    def __init__(self, fmt: Format):
        self.fmt = fmt
        self.columns = fmt.names + (CLIENT_DERIVED if fmt.kind == "clients" else [])
        self.types = {c.name: c.type for c in fmt.columns}
        self._spool = tempfile.TemporaryFile("w+", newline="", encoding="utf-8")  # noqa: SIM115

    def stage(self, rows) -> None:
        writer = csv.writer(self._spool)
        for line, values in rows:
            writer.writerow([line] + ["\x00" if v is None else v for v in values])
        self._spool.seek(0)

    def _chunks(self):
        chunk = []
        for raw in csv.reader(self._spool):
            row = {"line": int(raw[0])}
            for name, value in zip(self.columns, raw[1:], strict=True):
                kind = self.types.get(name)
                if value == "\x00":
                    value = None
                elif kind == MONEY:
                    value = Decimal(value)
                elif kind == LOTS:
                    value = int(value)
                elif kind == DATE:
                    value = timezone.datetime.fromisoformat(value).date()
                row[name] = value
            chunk.append(row)
            if len(chunk) == CHUNK:
                yield self._dedupe(chunk)
                chunk = []
        if chunk:
            yield self._dedupe(chunk)
        self._spool.close()

    def _dedupe(self, chunk):
        # A key repeated inside one file counts once, its last line wins (as on PostgreSQL).
        return list({tuple(r[k] for k in self.fmt.key): r for r in chunk}.values())

    def apply(self, batch) -> dict:
        return getattr(self, f"_apply_{self.fmt.kind}")(batch)

    def _settlements(self, batch, model, key_fields):
        written = replaced = alerts = 0
        created_ids = []
        branch = None
        for chunk in self._chunks():
            accounts = {r["account_id"] for r in chunk}
            ids = dict(Client.objects.filter(account_id__in=accounts).values_list("account_id", "id"))
            missing = sorted(accounts - set(ids))
            if missing:
                branch = branch or placeholder_branch()
                Client.objects.bulk_create([Client(account_id=a, name=a, branch=branch, profile_complete=False)
                                            for a in missing])
                created_ids += missing
                ids.update(Client.objects.filter(account_id__in=missing).values_list("account_id", "id"))
            objs = []
            # Replaced keys, deleted per group: one OR per row would overflow SQLite's expression depth.
            groups: dict[tuple, list[int]] = {}
            rest = [k for k in key_fields if k not in ("trade_date", "account_id")]
            for r in chunk:
                r["client_id"] = ids[r.pop("account_id")]
                r.pop("line")
                groups.setdefault((r["trade_date"], *(r[k] for k in rest)), []).append(r["client_id"])
                objs.append(model(**r))
            deleted = 0
            for group, client_ids in groups.items():
                where = dict(zip(["trade_date", *rest], group, strict=True))
                deleted += model.objects.filter(client_id__in=client_ids, **where).delete()[0]
            model.objects.bulk_create(objs)
            written += len(objs)
            replaced += deleted
            if model is AccountSettlement:
                alerts += self._alerts(batch, objs, replacing=deleted > 0)
        warnings = []
        if created_ids:
            shown = ", ".join(created_ids[:WARNING_EXAMPLES]) + (" …" if len(created_ids) > WARNING_EXAMPLES else "")
            warnings.append(_("%(n)s unknown account(s) created as placeholder clients with an incomplete profile: "
                              "%(ids)s") % {"n": len(created_ids), "ids": shown})
        return {"written": written, "replaced": replaced, "alerts": alerts, "warnings": warnings}

    def _alerts(self, batch, objs, replacing: bool) -> int:
        count = 0
        # (day, kind) → clients whose corrected row no longer bears the alert out (the key's last row decides).
        withdrawn: dict[tuple, set[int]] = {}
        for o in objs:
            for kind, amount, hit in (("negative_equity", o.equity, o.equity < 0),
                                      ("margin_call", o.margin_call, o.margin_call > 0)):
                if not hit and replacing:
                    withdrawn.setdefault((o.trade_date, kind), set()).add(o.client_id)
                if hit:
                    withdrawn.get((o.trade_date, kind), set()).discard(o.client_id)
                    alert, created = SettlementAlert.objects.get_or_create(
                        client_id=o.client_id, trade_date=o.trade_date, kind=kind,
                        defaults={"amount": amount, "batch": batch})
                    if not created:
                        if alert.amount != amount:  # a changed amount re-opens an acknowledged alert
                            alert.acknowledged_at, alert.acknowledged_by = None, None
                        alert.amount, alert.batch = amount, batch
                        alert.save()
                    count += 1
        for (day, kind), client_ids in withdrawn.items():
            SettlementAlert.objects.filter(trade_date=day, kind=kind, client_id__in=client_ids,
                                           acknowledged_at__isnull=True).delete()
        return count

    def _apply_accounts(self, batch):
        return self._settlements(batch, AccountSettlement, ["trade_date", "account_id"])

    def _apply_contracts(self, batch):
        return self._settlements(batch, ContractSettlement, ["trade_date", "account_id", "instrument", "hedge_flag"])

    def _apply_clients(self, batch):
        written = replaced = 0
        warnings, new_branches, unknown = [], [], {"manager_code": [], "intermediary_code": [],
                                                   "referrer_account_id": []}
        referrals = []
        optional = ["gender", "phone", "email", "province", "city", "channel", "investor_class", "risk_level",
                    "birthday", "close_date"]
        for chunk in self._chunks():
            branches = {b.code: b for b in Branch.objects.filter(code__in={r["branch_code"] for r in chunk})}
            managers = dict(StaffProfile.objects.filter(employee_code__in={r["manager_code"] for r in chunk})
                            .values_list("employee_code", "user_id"))
            intermediaries = set(Intermediary.objects.filter(code__in={r["intermediary_code"] for r in chunk})
                                 .values_list("code", flat=True))
            existing = {c.account_id: c for c in Client.objects.filter(account_id__in={r["account_id"] for r in chunk})}
            for r in chunk:
                code = r["branch_code"]
                if code not in branches:
                    branches[code] = Branch.objects.create(code=code, name=code, is_complete=False)
                    new_branches.append(code)
                client = existing.get(r["account_id"])
                replaced += client is not None
                client = client or Client(account_id=r["account_id"], status="active")
                for name in ["name", "name_pinyin", "name_initials", "client_type", "id_type", "id_number",
                             "id_last4", "open_date"]:
                    setattr(client, name, r[name])
                for name in optional:
                    if r[name] not in (None, ""):
                        setattr(client, name, r[name])
                client.branch = branches[code]
                client.profile_complete = True
                if r["close_date"]:
                    client.status = "closed"
                if r["manager_code"]:
                    if r["manager_code"] in managers:
                        client.account_manager_id = managers[r["manager_code"]]
                    else:
                        unknown["manager_code"].append((r["line"], r["manager_code"]))
                if r["intermediary_code"]:
                    if r["intermediary_code"] in intermediaries:
                        client.intermediary_code = r["intermediary_code"]
                    else:
                        unknown["intermediary_code"].append((r["line"], r["intermediary_code"]))
                client.save()
                written += 1
                if r["referrer_account_id"]:
                    referrals.append((r["line"], client.pk, r["referrer_account_id"]))
        for line, client_id, referrer in referrals:
            ref = Client.objects.filter(account_id=referrer).exclude(pk=client_id).values_list("id", flat=True).first()
            if ref is None:
                unknown["referrer_account_id"].append((line, referrer))
            else:
                Client.objects.filter(pk=client_id).update(referrer_id=ref)
        if new_branches:
            warnings.append(_("Unknown branch code(s) created as new branches named by their code: %(c)s")
                            % {"c": ", ".join(sorted(new_branches))})
        labels = {"manager_code": _("Unknown account-manager code(s), link left empty"),
                  "intermediary_code": _("Unknown intermediary code(s), link left empty"),
                  "referrer_account_id": _("Unknown referrer account(s), link left empty")}
        for column, items in unknown.items():
            if items:
                warnings.append(f"{labels[column]}: " + ", ".join(_("line %(l)s (%(v)s)") % {"l": ln, "v": v}
                                                                  for ln, v in items[:50]))
        return {"written": written, "replaced": replaced, "alerts": 0, "warnings": warnings}
