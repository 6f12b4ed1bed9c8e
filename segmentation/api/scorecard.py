"""GET /api/scorecard/: a branch's account managers for a month, ranked, with targets and progress; scoped like
the page (an account manager their own row, a branch manager their branch, firm-wide roles any branch)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from futures_crm import people
from futures_crm.api.scorecards import ScorecardAPIView, scorecard_schema
from futures_crm.roles import Role, user_role

from .. import scorecard
from ..selectors import manager_code


def _field(figure):
    if figure.kind == scorecard.COUNT:
        return serializers.IntegerField(allow_null=True)
    return serializers.DecimalField(max_digits=20, decimal_places=4, allow_null=True, coerce_to_string=True)


class FiguresSerializer(serializers.Serializer):
    pass


class TargetsSerializer(serializers.Serializer):
    pass


class ProgressSerializer(serializers.Serializer):
    pass


for _figure in scorecard.FIGURES:
    FiguresSerializer._declared_fields[_figure.key] = _field(_figure)
    if _figure.target:
        TargetsSerializer._declared_fields[_figure.key] = _field(_figure)
        ProgressSerializer._declared_fields[_figure.key] = serializers.DecimalField(
            max_digits=9, decimal_places=1, allow_null=True, coerce_to_string=True,
            help_text="Actual ÷ target, in percent.")


class ScorecardRowSerializer(serializers.Serializer):
    rank = serializers.IntegerField(allow_null=True)
    code = serializers.CharField(help_text="The account manager's employee code.")
    name = serializers.CharField()
    figures = FiguresSerializer(allow_null=True)
    targets = TargetsSerializer(allow_null=True)
    progress = ProgressSerializer()


class ScorecardSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    branch = serializers.CharField()
    sort = serializers.ChoiceField(choices=scorecard.FIGURE_KEYS)
    managers = ScorecardRowSerializer(many=True)


class ScorecardQuerySerializer(serializers.Serializer):
    month = serializers.CharField(required=False, max_length=7)
    branch = serializers.CharField(required=False, max_length=16)
    sort = serializers.ChoiceField(choices=scorecard.FIGURE_KEYS, required=False, default="net_commission")

    def validate_month(self, value):
        month = scorecard.parse_month(value)
        if month is None:
            raise serializers.ValidationError(_("Enter a month as YYYY-MM."))
        return month


class ScorecardView(ScorecardAPIView):
    """The account-manager scorecard of one branch and month, from the stored indicator snapshots."""

    read_roles = scorecard.SCORECARD_ROLES
    serializer_class = ScorecardSerializer

    @scorecard_schema(ScorecardSerializer, scorecard.FIGURE_KEYS, "the newest month with snapshots")
    def get(self, request):
        query = ScorecardQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        month = query.validated_data.get("month") or scorecard.latest_month()
        sort, code = query.validated_data["sort"], query.validated_data.get("branch")
        user = request.user
        if user_role(user) == Role.ACCOUNT_MANAGER:
            branch = user.staff_profile.branch
            if branch is None or code not in (None, branch.code):
                raise NotFound()
            rows = [r for r in scorecard.branch_scorecard(branch, month, sort) if r["manager"].pk == user.pk]
        else:
            branches = scorecard.visible_branches(user)
            branch = branches.filter(code=code).first() if code else branches.first()
            if branch is None:
                raise NotFound()
            rows = scorecard.branch_scorecard(branch, month, sort)
        data = {"month": f"{month:%Y-%m}", "branch": branch.code, "sort": sort, "managers": [{
            "rank": r["rank"], "code": manager_code(r["manager"]), "name": people.display_name(r["manager"]),
            "figures": r["figures"], "targets": {k: t for k, t, _p in r["targets"]} if r["target"] else None,
            "progress": r["progress"]} for r in rows]}
        return Response(ScorecardSerializer(data).data)
