"""The intermediary scorecard page: a branch's intermediaries for a month, ranked by a chosen figure, exportable.
Scope: compliance, head office and admin any branch (a branch selector), a branch manager their own branch; the
intermediaries listed are those the registry shows the user (Intermediary.objects.visible_to)."""

from django.http import Http404, HttpResponseBadRequest
from django.utils.translation import gettext
from django.views.generic import TemplateView

from futures_crm.exports import EXPORT_FORMATS, export_response
from futures_crm.scorecards import add_months, parse_month, with_links
from futures_crm.views import StaffRequiredMixin

from . import scorecard


def scorecard_request(user, params) -> tuple[str, object]:
    """Parse month, branch and sort (page and API alike): ("bad", parameter name), ("missing", None) for a branch
    out of reach, or ("ok", (branch, month, sort, branches))."""
    text = params.get("month")
    month = scorecard.latest_month() if not text else parse_month(text)
    if month is None:
        return "bad", "month"
    sort = params.get("sort") or "net_commission"
    if sort not in scorecard.FIGURE_KEYS:
        return "bad", "sort"
    branches = scorecard.visible_branches(user)
    code = params.get("branch")
    branch = branches.filter(code=code).first() if code else branches.first()
    if branch is None:
        return "missing", None
    return "ok", (branch, month, sort, branches)


class IntermediaryScorecardView(StaffRequiredMixin, TemplateView):
    allowed_roles = scorecard.SCORECARD_ROLES
    template_name = "referrals/scorecard.html"

    def get(self, request, *args, **kwargs):
        outcome, value = scorecard_request(request.user, request.GET)
        if outcome == "bad":
            return HttpResponseBadRequest(gettext("Invalid parameter: %(name)s") % {"name": value})
        if outcome == "missing":
            raise Http404
        branch, month, sort, branches = value
        rows = with_links(scorecard.branch_scorecard(request.user, branch, month, sort),
                          lambda row: scorecard.figure_links(row, month))
        fmt = request.GET.get("export")
        if fmt in EXPORT_FORMATS:
            header = [gettext("Rank"), gettext("Intermediary code"), gettext("Intermediary"),
                      *(str(f.label) for f in scorecard.FIGURES)]
            body = ([r["rank"], r["code"], r["intermediary"].name, *(v for _f, v in r["values"])] for r in rows)
            return export_response(fmt, f"intermediary-scorecard-{branch.code}-{month:%Y-%m}", header, body)
        return self.render_to_response(self.get_context_data(
            month=month, sort=sort, branch=branch, branches=branches if branches.count() > 1 else None, rows=rows,
            figures=scorecard.FIGURES, months={"previous": add_months(month, -1), "next": add_months(month, 1)}))
