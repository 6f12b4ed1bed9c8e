"""Relationship API: the same selectors, services and row-level rules as the pages."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from clients.models import Client
from futures_crm.api.permissions import IsStaffMember, RolePermission
from futures_crm.api.viewsets import ScopedModelViewSet, ScopedReadOnlyViewSet
from futures_crm.roles import Role, user_role

from .. import selectors, services
from ..access import (
    ASSIGNERS,
    CLUB_EDITORS,
    CLUB_READERS,
    INTERMEDIARY_API_READERS,
    INTERMEDIARY_EDITORS,
    MANAGEMENT,
    REFERRAL_EDITORS,
    REFERRAL_READERS,
    REWARD_APPROVERS,
    STATEMENT_READERS,
)
from ..filtersets import IntermediaryFilterSet, IntermediaryLinkFilterSet, ReferralFilterSet
from ..models import (
    ClubMembership,
    Handover,
    Intermediary,
    IntermediaryLink,
    ManagerAssignment,
    RebateStatement,
    Referral,
)
from ..parsing import parse_manual_plan, parse_transfers
from .serializers import (
    AdvanceSerializer,
    AssignmentSerializer,
    HandoverRequestSerializer,
    HandoverSerializer,
    IntermediarySerializer,
    LeaveSerializer,
    LinkSerializer,
    MembershipSerializer,
    OrphanSerializer,
    RebateStatementSerializer,
    ReferralSerializer,
    RelativeSerializer,
    RevealedIdSerializer,
    RewardSerializer,
    StatementDraftSerializer,
    TrainingSerializer,
    WorkloadRowSerializer,
)


def _list_or_add(request, serializer_class, records, add):
    """A nested collection: GET lists `records`, POST validates and hands the data to the `add` service."""
    if request.method == "GET":
        return Response(serializer_class(records, many=True).data)
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return Response(serializer_class(add(**serializer.validated_data)).data, status=status.HTTP_201_CREATED)


class IntermediaryViewSet(ScopedModelViewSet):
    """The registry; managers see only the intermediaries of their own clients."""

    queryset = Intermediary.objects.select_related("branch")
    serializer_class = IntermediarySerializer
    filterset_class = IntermediaryFilterSet
    read_roles = INTERMEDIARY_API_READERS
    write_roles = INTERMEDIARY_EDITORS

    @extend_schema(request=None, responses=RevealedIdSerializer)
    @action(detail=True, methods=["post"], url_path="reveal-id", filterset_class=None, pagination_class=None,
            permission_classes=[IsStaffMember], serializer_class=RevealedIdSerializer)
    def reveal_id(self, request, pk=None):
        """The full ID number, for a role allowed to reveal one; audited, never cached."""
        number = services.intermediary_reveal_id_number(intermediary=self.get_object(), by=request.user)
        response = Response({"id_number": number})
        response["Cache-Control"] = "no-store"
        return response

    def perform_create(self, serializer):
        serializer.instance = services.intermediary_save(by=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.intermediary_save(by=self.request.user, intermediary=serializer.instance,
                                                         **serializer.validated_data)

    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def compliance(self, request, pk=None):
        """Each check's flag for this intermediary, with the clients behind the warning signs."""
        report = selectors.intermediary_compliance(intermediary=self.get_object(), user=request.user)
        flags, signs = report["flags"], report["signs"]
        # The flags describe the intermediary; the account numbers are only those of clients the caller sees.
        return Response({
            "contract_expiring": flags["contract"],
            "training_missing": flags["training"],
            "relative_conflict": flags["relatives"],
            "warning_signs": flags["warning"],
            "relative_clients": [r["client"].account_id for r in report["relatives"]],
            "over_trading": [c.account_id for c in signs["over_trading"]],
            "negative_equity": [c.account_id for c in signs["negative_equity"]],
            "converging_trades": [
                {"trade_date": g["trade_date"], "instrument": g["instrument"], "direction": g["direction"],
                 "clients": g["clients"], "members": [c.account_id for c in g["members"]]}
                for g in signs["converging"]],
        })

    @extend_schema(request=LeaveSerializer, responses={200: dict})
    @action(detail=True, methods=["post"], serializer_class=LeaveSerializer, filterset_class=None)
    def leave(self, request, pk=None):
        """The intermediary leaves; each listed client goes to "manager:<code>" or "intermediary:<code>"."""
        obj = self.get_object()
        serializer = LeaveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        d = serializer.validated_data
        moved = services.intermediary_leave(intermediary=obj, by=request.user, reason=d["reason"],
                                            left_on=d["left_on"],
                                            transfers=parse_transfers(d["transfers"], intermediary=obj))
        return Response(moved)

    @extend_schema(request=TrainingSerializer, responses={201: TrainingSerializer})
    @action(detail=True, methods=["get", "post"], serializer_class=TrainingSerializer, filterset_class=None,
            pagination_class=None)
    def trainings(self, request, pk=None):
        obj = self.get_object()
        return _list_or_add(request, TrainingSerializer, obj.trainings.all(), lambda **data: (
            services.intermediary_training_add(intermediary=obj, by=request.user, **data)))

    @extend_schema(request=RelativeSerializer, responses={201: RelativeSerializer})
    @action(detail=True, methods=["get", "post"], serializer_class=RelativeSerializer, filterset_class=None,
            pagination_class=None)
    def relatives(self, request, pk=None):
        obj = self.get_object()
        return _list_or_add(request, RelativeSerializer, obj.relatives.all(), lambda **data: (
            services.intermediary_relative_add(intermediary=obj, by=request.user, **data)))


class IntermediaryLinkViewSet(mixins.CreateModelMixin, ScopedReadOnlyViewSet):
    """Dated client attributions; POST links a client from a date (the previous link is closed)."""

    queryset = IntermediaryLink.objects.select_related("client", "intermediary")
    serializer_class = LinkSerializer
    filterset_class = IntermediaryLinkFilterSet
    read_roles = INTERMEDIARY_API_READERS
    write_roles = INTERMEDIARY_EDITORS

    def perform_create(self, serializer):
        d = serializer.validated_data
        serializer.instance = services.intermediary_link(
            client=d["client"], intermediary=d["intermediary"], by=self.request.user, valid_from=d["valid_from"],
            reason=d.get("reason", ""))


class ManagerAssignmentViewSet(mixins.CreateModelMixin, ScopedReadOnlyViewSet):
    """Manager changes of the clients the caller sees; POST reassigns a client with a reason."""

    queryset = ManagerAssignment.objects.select_related("client", "from_manager__staff_profile",
                                                        "to_manager__staff_profile", "by")
    serializer_class = AssignmentSerializer
    read_roles = ASSIGNERS | {Role.ACCOUNT_MANAGER, Role.COMPLIANCE}
    write_roles = ASSIGNERS

    def perform_create(self, serializer):
        d = serializer.validated_data
        serializer.instance = services.client_reassign(client=d["client"], to_manager=d["to_manager"],
                                                       by=self.request.user, reason=d["reason"])


class RebateStatementViewSet(ScopedReadOnlyViewSet):
    """Monthly rebate statements with their per-client lines; `draft` (re)computes one, `confirm` freezes it."""

    queryset = RebateStatement.objects.select_related("intermediary").prefetch_related("lines__client")
    serializer_class = RebateStatementSerializer
    read_roles = STATEMENT_READERS
    write_roles = INTERMEDIARY_EDITORS

    @extend_schema(request=StatementDraftSerializer, responses={201: RebateStatementSerializer})
    @action(detail=False, methods=["post"], serializer_class=StatementDraftSerializer)
    def draft(self, request):
        serializer = StatementDraftSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        d = serializer.validated_data
        statement = services.rebate_statement_draft(intermediary=d["intermediary"], month=d["month"], by=request.user,
                                                    exchange_refund_rate=d["exchange_refund_rate"])
        return Response(RebateStatementSerializer(statement).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: RebateStatementSerializer})
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        statement = services.rebate_statement_confirm(statement=self.get_object(), by=request.user)
        return Response(RebateStatementSerializer(statement).data)


class HandoverViewSet(viewsets.GenericViewSet):
    """Handovers done (list) and a new one (POST): `confirm: false` previews the plan, `true` carries it out."""

    permission_classes = [RolePermission]
    read_roles = ASSIGNERS
    write_roles = ASSIGNERS
    serializer_class = HandoverSerializer

    def get_queryset(self):
        qs = Handover.objects.select_related("leaving_manager__staff_profile", "by").order_by("-created_at")
        if user_role(self.request.user) == Role.BRANCH_MANAGER:
            qs = qs.filter(leaving_manager__staff_profile__branch_id=self.request.user.staff_profile.branch_id)
        return qs

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(HandoverSerializer(page, many=True).data)

    @extend_schema(request=HandoverRequestSerializer, responses={200: dict, 201: HandoverSerializer})
    def create(self, request):
        serializer = HandoverRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        d = serializer.validated_data
        manual = parse_manual_plan(d["manual"], successors=d["successors"]) if d.get("manual") else None
        plan = services.handover_preview(by=request.user, leaving_manager=d["leaving_manager"],
                                         successors=d["successors"], strategy=d["strategy"], manual=manual)
        if not d["confirm"]:
            codes = {u.pk: u.staff_profile.employee_code for u in d["successors"]}
            accounts = dict(Client.objects.filter(pk__in=[pk for ids in plan.values() for pk in ids])
                            .values_list("pk", "account_id"))
            return Response({codes[sid]: sorted(accounts[pk] for pk in ids) for sid, ids in plan.items()})
        handover = services.manager_handover(leaving_manager=d["leaving_manager"], plan=plan, strategy=d["strategy"],
                                             by=request.user, reason=d.get("reason", ""), notify=d["notify"])
        return Response(HandoverSerializer(handover).data, status=status.HTTP_201_CREATED)


class ReferralViewSet(ScopedModelViewSet):
    """Referrals visible through either client; POST records one, `advance` moves it forward."""

    queryset = Referral.objects.select_related("referrer_client", "referrer_staff__staff_profile",
                                               "referred_client")
    serializer_class = ReferralSerializer
    filterset_class = ReferralFilterSet
    read_roles = REFERRAL_READERS
    write_roles = REFERRAL_EDITORS
    http_method_names = ["get", "post", "head", "options"]

    def perform_create(self, serializer):
        d = serializer.validated_data
        referrer = d.get("referrer_client")
        serializer.instance = services.referral_create(
            by=self.request.user, prospect_name=d.get("prospect_name", ""), referred_on=d["referred_on"],
            referrer_client=referrer, referrer_staff=None if referrer else self.request.user,
            referred_client=d.get("referred_client"), prospect_phone=d.get("prospect_phone", ""),
            note=d.get("note", ""))

    @extend_schema(request=AdvanceSerializer, responses={200: ReferralSerializer})
    @action(detail=True, methods=["post"], serializer_class=AdvanceSerializer, filterset_class=None)
    def advance(self, request, pk=None):
        referral = self.get_object()
        serializer = AdvanceSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        d = serializer.validated_data
        referral = services.referral_advance(referral=referral, status=d["status"], on=d["on"], by=request.user,
                                             referred_client=d.get("referred_client"))
        return Response(ReferralSerializer(referral, context={"request": request}).data)

    @extend_schema(request=RewardSerializer, responses={201: RewardSerializer})
    @action(detail=True, methods=["get", "post"], serializer_class=RewardSerializer, filterset_class=None,
            pagination_class=None)
    def rewards(self, request, pk=None):
        """Rewards given for a referral; recording one needs an approving role."""
        referral = self.get_object()
        if request.method != "GET" and user_role(request.user) not in REWARD_APPROVERS:
            raise PermissionDenied
        return _list_or_add(request, RewardSerializer, referral.rewards.select_related("approved_by"), lambda **data: (
            services.referral_reward_add(referral=referral, by=request.user, **data)))


class ClubMembershipViewSet(ScopedModelViewSet):
    """Club members; POST enrols, PATCH changes level or status."""

    queryset = ClubMembership.objects.select_related("client")
    serializer_class = MembershipSerializer
    read_roles = CLUB_READERS
    write_roles = CLUB_EDITORS

    def perform_create(self, serializer):
        d = dict(serializer.validated_data)
        serializer.instance = services.club_membership_set(by=self.request.user, **d)

    def perform_update(self, serializer):
        m = serializer.instance
        d = serializer.validated_data
        serializer.instance = services.club_membership_set(
            client=m.client, by=self.request.user, level=d.get("level", m.level), status=d.get("status", m.status),
            joined_on=d.get("joined_on"))


class WorkloadViewSet(viewsets.ViewSet):
    """Per-manager workload, as on the page."""

    permission_classes = [RolePermission]
    read_roles = MANAGEMENT

    @extend_schema(responses=WorkloadRowSerializer(many=True))
    def list(self, request):
        return Response(WorkloadRowSerializer(selectors.manager_workload(user=request.user), many=True).data)


class OrphanViewSet(viewsets.ViewSet):
    """Orphaned clients the caller may see (the same list as the page)."""

    permission_classes = [RolePermission]
    read_roles = MANAGEMENT
    selector = staticmethod(selectors.orphaned_client_list)

    @extend_schema(responses=OrphanSerializer(many=True))
    def list(self, request):
        return Response(OrphanSerializer(self.selector(user=request.user), many=True).data)


class UnmanagedKeyClientViewSet(OrphanViewSet):
    """Key clients with no active manager the caller may see (the worklist page)."""

    selector = staticmethod(selectors.key_clients_without_manager)
