"""A nightly run as people read it: each step with its time and its figures under translated labels."""

import re

from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from service.choices import TaskKind

STEPS = {
    "prepare": pgettext_lazy("nightly step", "Prepare the day"),
    "metrics": pgettext_lazy("nightly step", "Client metrics"),
    "axes": pgettext_lazy("nightly step", "Segments"),
    "signals": pgettext_lazy("nightly step", "Churn signals"),
    "value": pgettext_lazy("nightly step", "Value and loyalty"),
    "publish": pgettext_lazy("nightly step", "Publish"),
    "tasks": pgettext_lazy("nightly step", "Tasks"),
    # A step of the runs recorded before the dashboards read the indicator snapshot (their records keep it).
    "rollups": pgettext_lazy("nightly step", "Dashboard figures"),
    "indicators": pgettext_lazy("nightly step", "Indicator history"),
}
MODES = {"rolling": pgettext_lazy("nightly mode", "rolling (yesterday's sums carried forward)"),
         "full": pgettext_lazy("nightly mode", "full (the whole window recomputed)")}
# A step's figures: a dict of named counts (these names), or one count of what the step wrote (ROWS).
FIGURES = {
    "days_summarised": pgettext_lazy("nightly figure", "trading days summarised"),
    "client_days": pgettext_lazy("nightly figure", "client-days summarised"),
    "client_days_pruned": pgettext_lazy("nightly figure", "client-days pruned"),
    "metrics": pgettext_lazy("nightly figure", "client metrics written"),
    "transitions": pgettext_lazy("nightly figure", "segment changes"),
    "segments": pgettext_lazy("nightly figure", "client segments written"),
    "suitability_alerts": pgettext_lazy("nightly figure", "suitability mismatches raised"),
    "suitability_renewals": pgettext_lazy("nightly figure", "suitability renewal tasks opened"),
    "return_visits_opened": pgettext_lazy("nightly figure", "return visits scheduled"),
    "return_visits_overdue": pgettext_lazy("nightly figure", "return visits now overdue"),
}
TASKS_OPENED = pgettext_lazy("nightly figure", "tasks opened: %(kind)s")  # the tasks step: one count per kind
ROWS = {"rollups": pgettext_lazy("nightly figure", "dashboards rebuilt"),  # older runs' records
        "indicators": pgettext_lazy("nightly figure", "indicator snapshots written")}
CLIENTS = pgettext_lazy("nightly figure", "clients")
_SHARD = re.compile(r"^(\w+)\[(\d+)/(\d+)\]$")


def _figure(key: str) -> str:
    if key in TaskKind.values and key not in FIGURES:
        return TASKS_OPENED % {"kind": TaskKind(key).label}
    return str(FIGURES.get(key, key))


def _number(value) -> str:
    return number_format(value, force_grouping=True) if isinstance(value, int | float) else str(value)


def step_rows(run) -> list[dict]:
    """[{"step", "seconds", "figures": [(label, number)]}] of a run's recorded steps, in the order they ran."""
    rows = []
    for step in run.steps or []:
        name, shard = step.get("name", ""), ""
        found = _SHARD.match(name)
        if found:
            name, shard = found.group(1), _("part %(n)s of %(of)s") % {"n": int(found.group(2)) + 1,
                                                                       "of": found.group(3)}
        figures = step.get("rows")
        if isinstance(figures, dict):
            shown = [(_figure(k), _number(v)) for k, v in figures.items()]
        elif figures is None:
            shown = []
        else:
            shown = [(ROWS.get(name, CLIENTS), _number(figures))]
        label = STEPS.get(name, name)
        rows.append({"step": f"{label} ({shard})" if shard else label, "seconds": step.get("seconds"),
                     "figures": shown})
    return rows
