"""GET /api/intermediary-scorecard/: a branch's intermediaries for a month, ranked, scoped like the page (compliance,
head office and admin any branch, a branch manager their own)."""

from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from futures_crm.api.scorecards import ScorecardAPIView, scorecard_schema
from futures_crm.scorecards import COUNT

from .. import scorecard
from ..scorecard_views import scorecard_request


class IntermediaryFiguresSerializer(serializers.Serializer):
    pass


for _figure in scorecard.FIGURES:
    IntermediaryFiguresSerializer._declared_fields[_figure.key] = (
        serializers.IntegerField() if _figure.kind == COUNT
        else serializers.DecimalField(max_digits=20, decimal_places=2, coerce_to_string=True))


class IntermediaryRowSerializer(serializers.Serializer):
    rank = serializers.IntegerField(allow_null=True)
    code = serializers.CharField(help_text="The intermediary's code.")
    name = serializers.CharField()
    figures = IntermediaryFiguresSerializer()


class IntermediaryScorecardSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    branch = serializers.CharField()
    sort = serializers.ChoiceField(choices=scorecard.FIGURE_KEYS)
    intermediaries = IntermediaryRowSerializer(many=True)


class IntermediaryScorecardView(ScorecardAPIView):
    """The intermediary scorecard of one branch and month: clients, equity, commission, rebate paid, warning signs."""

    read_roles = scorecard.SCORECARD_ROLES
    serializer_class = IntermediaryScorecardSerializer

    @scorecard_schema(IntermediaryScorecardSerializer, scorecard.FIGURE_KEYS, "the month of the newest settlement day")
    def get(self, request):
        outcome, value = scorecard_request(request.user, request.query_params)
        if outcome == "bad":
            raise ValidationError({value: ["Invalid parameter."]})
        if outcome == "missing":
            raise NotFound()
        branch, month, sort, _branches = value
        rows = scorecard.branch_scorecard(request.user, branch, month, sort)
        data = {"month": f"{month:%Y-%m}", "branch": branch.code, "sort": sort, "intermediaries": [
            {"rank": r["rank"], "code": r["code"], "name": r["intermediary"].name, "figures": r["figures"]}
            for r in rows]}
        return Response(IntermediaryScorecardSerializer(data).data)
