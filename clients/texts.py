"""The imports' generated texts (futures_crm.texts): a batch's outcome and its warnings."""

from django.utils.translation import gettext_lazy as _

from futures_crm import texts


def _unknown_links(params: dict) -> str:
    from .imports.rules import CLIENT_LINKS

    label = next((link.label for link in CLIENT_LINKS if link.column == params["column"]), params["column"])
    return f"{label}: " + ", ".join(_("line %(l)s (%(v)s)") % {"l": ln, "v": v} for ln, v in params["lines"])


texts.register({
    # Exchange eligibility (准入) not met: the evidence of a suitability alert.
    "eligibility.funds_missing": _("No verified funds on file (%(required)s CNY required)"),
    "eligibility.funds": _("Verified funds %(recorded)s CNY on %(on)s, below the %(required)s CNY required"),
    "eligibility.test_missing": _("No knowledge test on file (pass score %(required)s)"),
    "eligibility.test": _("Knowledge-test score %(recorded)s on %(on)s, below the pass score %(required)s"),
    "eligibility.experience_missing": _("No simulated-trading record on file (%(days)s days and %(trades)s trades "
                                        "required)"),
    "eligibility.experience": _("Simulated trading %(recorded_days)s days and %(recorded_trades)s trades on "
                                "%(on)s, below the %(days)s days and %(trades)s trades required"),
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

# Why an import refuses a row (its errors' `reason_code`, with the cell's value and the bounds as params).
ROW_REASONS = {
    "row.required": _("is required"),
    "row.not_date": _("“%(v)s” is not a date (expected YYYY-MM-DD or YYYYMMDD)"),
    "row.not_real_date": _("“%(v)s” is not a real calendar date"),
    "row.future_day": _("“%(v)s” is after today (%(today)s): a trading day cannot be in the future"),
    "row.too_early": _("“%(v)s” is before %(first)s, the earliest trading day accepted"),
    "row.too_many_decimals": _("“%(v)s” has more than two decimals"),
    "row.not_decimal": _("“%(v)s” is not a decimal amount"),
    "row.negative": _("“%(v)s” must not be negative"),
    "row.not_lots": _("“%(v)s” is not a whole number of lots ≥ 0"),
    "row.not_choice": _("“%(v)s” is not one of: %(allowed)s"),
    "row.too_long": _("is longer than %(n)s characters"),
    "row.nul": _("contains a NUL character (byte 0)"),
    "row.width": _("the line has %(n)s cells but the header has %(width)s columns; nothing of it is imported (a "
                   "cell with a comma must be quoted)"),
    "row.balance": _("balance %(bal)s ≠ pre_balance + deposit − withdrawal + close_profit + position_profit − "
                     "commission = %(exp)s"),
    "row.fee_over_commission": _("exchange_fee %(fee)s is greater than commission %(comm)s"),
    "row.not_instrument": _("“%(v)s” is not an instrument code such as rb2505 or IF2506"),
    "row.not_id_card": _("is not a valid resident ID number (18 characters with a correct check digit)"),
    "row.not_uscc": _("is not a valid unified social credit code (18 characters with a correct check character)"),
    "row.close_before_open": _("close_date %(c)s is before open_date %(o)s"),
    "row.not_phone": _("“%(v)s” is not a phone number"),
    "row.not_email": _("“%(v)s” is not an e-mail address"),
}
# Why an import refuses a whole file (its report's `file_error_code`; the batch's message is the same text).
FILE_REASONS = {
    "file.unknown_encoding": _("Unknown encoding “%(enc)s”: use auto, utf-8 or gb18030."),
    "file.not_text": _("Line %(line)s: the file is not valid %(enc)s text; give its encoding explicitly."),
    "file.no_encoding": _("The file is neither UTF-8 nor GB18030/GBK text; export it in one of those encodings."),
    "file.empty": _("The file is empty: it has no header line."),
    "file.unreadable_csv": _("Line %(line)s: unreadable CSV (%(err)s)."),
    "file.no_rows": _("No rows were given."),
    "file.rows_not_objects": _("Each row must be an object of column names to values."),
    "file.column_twice": _("Column %(c)s appears twice in the header."),
    "file.missing_columns": _("Missing required column(s): %(cols)s. No row was read."),
}
texts.register(ROW_REASONS)
texts.register(FILE_REASONS)
