"""The imports' generated texts (futures_crm.texts): a batch's outcome and its warnings."""

from django.utils.translation import gettext_lazy as _

from futures_crm import texts


def _unknown_links(params: dict) -> str:
    from .imports.rules import CLIENT_LINKS

    label = next((link.label for link in CLIENT_LINKS if link.column == params["column"]), params["column"])
    return f"{label}: " + ", ".join(_("line %(l)s (%(v)s)") % {"l": ln, "v": v} for ln, v in params["lines"])


texts.register({
    # The audit trail's reasons the system gives.
    "audit.suitability_assessment": _("suitability assessment"),
    # A batch's outcome (its report's message).
    "import.imported": _("Imported."),
    "import.partial": _("%(n)s row(s) failed the checks and were quarantined; the other rows were written."),
    "import.rejected_file": _("%(n)s row(s) failed the checks, so the whole file was rejected and nothing was "
                              "written."),
    "import.timeout": _("The import ran longer than its time limit (%(n)s s) and was stopped. Nothing of it "
                        "was written; split the file or send it again."),
    "import.stopped": _("The import was stopped before it finished (%(error)s). Nothing of it was written; "
                        "send the file again."),
    "import.failed": _("The import failed before it finished (%(error)s). Nothing of it was written; send the "
                       "file again."),
    "import.stale": _("The batch was marked failed while it ran (no sign of life from it for a while)."),
    "import.not_started": _("No worker started this import within %(n)s minutes. Nothing of it was written; "
                            "send the file again."),
    "import.worker_lost": _("This import stopped without finishing: its worker gave no sign of life after "
                            "%(when)s (stopped, restarted or killed). Nothing of it was written; send the file "
                            "again."),
    "import.not_queued": _("The import could not be handed to a worker (%(error)s). Nothing of it was written; "
                           "send the file again."),
    "import.in_progress": _("This file is being imported as batch #%(id)s (sent %(when)s); nothing more was done."),
    "import.duplicate": _("This file was already imported as batch #%(id)s on %(when)s; nothing was changed."),
    # Its warnings.
    "import.unknown_columns": _("Unknown column(s) ignored: %(cols)s"),
    "import.repeated_keys": _("%(n)s row(s) repeat a key already given earlier in the file; the last one counts."),
    "import.settlement_mismatch": _("%(day)s %(acc)s: contract rows add up to commission %(kc)s, exchange fee "
                                    "%(kf)s, margin %(km)s; the account row says %(ac)s, %(af)s, %(am)s"),
    "import.settlement_mismatch_more": _("… and %(n)s more accounts whose contract rows do not match the "
                                         "account row"),
    "import.branches_created": _("Unknown branch code(s) created as new branches named by their code: %(c)s"),
    "import.unknown_links": _unknown_links,
    "import.placeholders": _("%(n)s unknown account(s) created as placeholder clients with an incomplete "
                             "profile: %(ids)s"),
})
