"""Default deadline policies, message templates and care plans (all editable afterwards)."""

from django.db import migrations

TH, TD = "trading_hours", "trading_days"
POLICIES = {
    # type: {priority: (amount, unit)}; complaints are answered within trading hours/days.
    "complaint": {"urgent": (2, TH), "high": (4, TH), "normal": (1, TD), "low": (2, TD)},
    "trading_consultation": {"urgent": (1, TH), "high": (2, TH), "normal": (1, TD), "low": (2, TD)},
    "market_consultation": {"urgent": (2, TH), "high": (4, TH), "normal": (1, TD), "low": (3, TD)},
    "account_change": {"urgent": (4, TH), "high": (1, TD), "normal": (2, TD), "low": (5, TD)},
    "suggestion": {"urgent": (1, TD), "high": (3, TD), "normal": (5, TD), "low": (10, TD)},
}

TEMPLATES = [
    ("birthday", "生日祝福 / Birthday greeting", "生日快乐",
     "尊敬的{{ client.name }}：今天是您的生日，{{ manager|default:'我们' }}和全体同事祝您生日快乐、身体健康！",
     "Happy birthday", "Dear {{ client.name }}, {{ manager|default:'all of us' }} wish you a happy birthday!"),
    ("spring_festival", "春节祝福 / Spring Festival", "新春快乐",
     "尊敬的{{ client.name }}：值此新春佳节，祝您和家人新年快乐、万事如意！",
     "Happy Spring Festival", "Dear {{ client.name }}, we wish you and your family a happy Spring Festival!"),
    ("mid_autumn", "中秋祝福 / Mid-Autumn", "中秋快乐",
     "尊敬的{{ client.name }}：月圆人团圆，祝您中秋快乐！",
     "Happy Mid-Autumn Festival", "Dear {{ client.name }}, happy Mid-Autumn Festival!"),
    ("national_day", "国庆祝福 / National Day", "国庆快乐",
     "尊敬的{{ client.name }}：国庆佳节，祝您假期愉快！节后开市前请留意持仓风险。",
     "Happy National Day", "Dear {{ client.name }}, enjoy the National Day holiday; mind your positions before the "
     "market reopens."),
    ("margin_call", "追加保证金关怀 / After a margin call", "保证金提示",
     "尊敬的{{ client.name }}：您的账户{{ client.account_id }}出现追加保证金，客户经理{{ manager }}将与您联系，"
     "协助您控制风险。",
     "Margin call", "Dear {{ client.name }}, account {{ client.account_id }} received a margin call; "
     "{{ manager }} will call you to help manage the risk."),
    ("heavy_loss", "大额亏损关怀 / After a heavy loss", "关怀问候",
     "尊敬的{{ client.name }}：近期行情波动较大，客户经理{{ manager }}将与您沟通交易计划，欢迎参加我们的培训。",
     "We are here to help", "Dear {{ client.name }}, markets have been volatile; {{ manager }} will review your "
     "trading plan with you."),
    ("activity_invitation", "活动邀请 / Activity invitation", "活动邀请",
     "尊敬的{{ client.name }}：诚邀您参加我司近期举办的活动，详情请咨询客户经理{{ manager }}。",
     "Invitation", "Dear {{ client.name }}, you are invited to our coming event; ask {{ manager }} for details."),
]

CARE_PLANS = [
    ("birthday", 3, "birthday", "sms", False),
    ("spring_festival", 5, "spring_festival", "wechat", True),
    ("mid_autumn", 5, "mid_autumn", "wechat", True),
    ("national_day", 3, "national_day", "sms", True),
    ("margin_call", 0, "margin_call", "sms", False),
    ("heavy_loss", 0, "heavy_loss", "sms", False),
]


def seed(apps, schema_editor):
    DeadlinePolicy = apps.get_model("service", "DeadlinePolicy")
    MessageTemplate = apps.get_model("service", "MessageTemplate")
    CarePlan = apps.get_model("service", "CarePlan")
    for ticket_type, by_priority in POLICIES.items():
        for priority, (amount, unit) in by_priority.items():
            DeadlinePolicy.objects.get_or_create(ticket_type=ticket_type, priority=priority,
                                                 defaults={"amount": amount, "unit": unit})
    templates = {}
    for code, name, subject_zh, body_zh, subject_en, body_en in TEMPLATES:
        templates[code], _ = MessageTemplate.objects.get_or_create(
            code=code, defaults={"name": name, "subject_zh": subject_zh, "body_zh": body_zh,
                                 "subject_en": subject_en, "body_en": body_en})
    for kind, days, template, channel, key_only in CARE_PLANS:
        CarePlan.objects.get_or_create(kind=kind, defaults={"days_ahead": days, "template": templates[template],
                                                            "channel": channel, "key_clients_only": key_only})


class Migration(migrations.Migration):
    dependencies = [("service", "0002_service_desk")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
