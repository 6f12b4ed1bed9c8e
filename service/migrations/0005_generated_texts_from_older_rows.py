"""Older rows' generated texts (written out in English or Chinese) mapped back to their codes where they are
recognised; anything else stays as stored and still shows. Template names "中文 / English" are split."""

import re

from django.db import migrations

# What each nightly task kind is titled (segmentation/texts.py).
NIGHTLY = {"retention": "task.retention", "reactivation": "task.reactivation", "hedging_plan": "task.hedging_plan"}
DEMO_RENEWAL = "适当性评估已过期，安排重新测评"


def forward(apps, schema_editor):
    from futures_crm import texts

    Task = apps.get_model("service", "Task")
    for task in Task.objects.filter(title_code="").exclude(title="").iterator():
        code, params = "", {}
        if task.source.startswith("segmentation:") and task.kind in NIGHTLY:
            code = NIGHTLY[task.kind]
            if code == "task.retention":
                found = re.search(r"(\d+(?:\.\d+)?)\s*$", task.title)
                code, params = (code, {"score": found.group(1)}) if found else ("", {})
        elif task.source.startswith("care:"):
            # source "care:<occasion kind>:<date>"
            _care, kind, day = (task.source.split(":") + ["", ""])[:3]
            code, params = ("task.care.birthday", {"date": day}) if kind == "birthday" else (
                "task.care.occasion", {"kind": kind})
        elif task.title == DEMO_RENEWAL:
            code = "task.suitability_renewal"
        if code:
            Task.objects.filter(pk=task.pk).update(title_code=code, title_params=params)

    Change = apps.get_model("service", "ProspectGradeChange")
    for change in Change.objects.filter(reason_code="").exclude(reason="").iterator():
        found = texts.parse(change.reason, ["prospect.first_grade"])
        if found:
            Change.objects.filter(pk=change.pk).update(reason_code=found[0], reason_params=found[1])

    Notification = apps.get_model("service", "Notification")
    for note in Notification.objects.filter(message_code="").iterator():
        found = texts.parse(note.message, ["notification.ticket_overdue"])
        if found:
            Notification.objects.filter(pk=note.pk).update(message_code=found[0], message_params=found[1])

    Template = apps.get_model("service", "MessageTemplate")
    for template in Template.objects.filter(name_en="", name__contains=" / "):
        chinese, english = (part.strip() for part in template.name.split(" / ", 1))
        Template.objects.filter(pk=template.pk).update(name=chinese, name_en=english)


class Migration(migrations.Migration):
    dependencies = [("service", "0004_generated_texts_as_codes")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
