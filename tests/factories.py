"""Factories for tests: staff of every role, branches, clients."""

import datetime
import itertools

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from clients.identity import id_card_with_check
from clients.models import Branch, Client, StaffProfile
from clients.pinyin import pinyin_keys
from futures_crm.roles import Role

PASSWORD = "test-pass-123"
_seq = itertools.count(1)


class BranchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Branch
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"B{n:03d}")
    name = factory.Sequence(lambda n: f"营业部{n}")
    city = "上海"


def make_staff(role: str, *, branch=None, username=None, code=None, name=None):
    """A user with a staff profile of `role`, in its role's group; password PASSWORD."""
    n = next(_seq)
    user = get_user_model().objects.create_user(username=username or f"{role}{n}", password=PASSWORD)
    StaffProfile.objects.create(
        user=user, employee_code=code or f"E{n:05d}", display_name=name or f"{role} {n}",
        branch=branch, role=role,
    )
    group, _ = Group.objects.get_or_create(name=role)
    user.groups.add(group)
    return user


class ClientFactory(factory.django.DjangoModelFactory):
    """A client; pinyin and ID keys derived the way the service derives them."""

    class Meta:
        model = Client
        skip_postgeneration_save = True

    account_id = factory.Sequence(lambda n: f"8001{n:06d}")
    name = "张三"
    client_type = "individual"
    id_type = "id_card"
    id_number = factory.Sequence(lambda n: id_card_with_check(f"11010119800101{n % 1000:03d}"))
    phone = factory.Sequence(lambda n: f"138{n:08d}")
    branch = factory.SubFactory(BranchFactory)
    open_date = datetime.date(2024, 1, 2)
    status = "active"
    # The flags given here become consent records (see `consents` below); a test withdraws one with False.
    consent_phone = consent_sms = consent_email = consent_wechat = True

    @factory.post_generation
    def derive_keys(obj, create, extracted, **kwargs):
        obj.name_pinyin, obj.name_initials = pinyin_keys(obj.name, person=obj.client_type == "individual")
        obj.id_last4 = obj.id_number[-4:]
        if create:
            obj.save(update_fields=["name_pinyin", "name_initials", "id_last4"])

    @factory.post_generation
    def consents(obj, create, extracted, **kwargs):
        # As the migration did for stored clients: the flags become service and marketing consent records.
        if create:
            from privacy.services import consents_from_flags

            consents_from_flags(Client.objects.filter(pk=obj.pk))


ALL_ROLES = list(Role)
