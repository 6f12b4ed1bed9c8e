"""The trading-history chart as plain SVG geometry: ending equity as a line, the period's P&L as bars.

Computed here, drawn by the template (no script, no inline style: CSP). Money stays Decimal all the way: a value's
height is its Decimal share of the range, rounded to a tenth of a pixel.
"""

from decimal import Decimal

WIDTH, LEFT, RIGHT = 720, 92, 12
EQUITY_TOP, EQUITY_HEIGHT = 12, 150
PNL_TOP, PNL_HEIGHT = 190, 90
HEIGHT = PNL_TOP + PNL_HEIGHT + 24
PIXEL = Decimal("0.1")


def _scale(values, top, height):
    low, high = min(values), max(values)
    span = (high - low) or Decimal(1)
    return lambda v: (top + (high - v) / span * height).quantize(PIXEL)


def history_chart(rows: list[dict], labels: list[str]) -> dict | None:
    """Geometry for `rows` (oldest first) with their axis `labels`; None when there is nothing to draw."""
    if not rows:
        return None
    plot = WIDTH - LEFT - RIGHT
    step = plot / len(rows)
    centre = [round(LEFT + step * (i + 0.5), 1) for i in range(len(rows))]
    chart = {"width": WIDTH, "height": HEIGHT, "left": LEFT, "right": WIDTH - RIGHT, "equity": None,
             "first_label": labels[0], "last_label": labels[-1], "label_y": HEIGHT - 6}
    equity = [(x, r["end_equity"]) for x, r in zip(centre, rows, strict=True) if r["end_equity"] is not None]
    if equity:
        y = _scale([v for _, v in equity], EQUITY_TOP, EQUITY_HEIGHT)
        high, low = max(v for _, v in equity), min(v for _, v in equity)
        chart["equity"] = {"points": " ".join(f"{x},{y(v)}" for x, v in equity), "high": high, "low": low,
                           "high_y": EQUITY_TOP + 4, "low_y": EQUITY_TOP + EQUITY_HEIGHT,
                           "dots": [{"x": x, "y": y(v)} for x, v in equity] if len(equity) <= 40 else []}
    pnl = [r["close_profit"] + (r["position_profit"] or 0) for r in rows]
    y = _scale([*pnl, Decimal(0)], PNL_TOP, PNL_HEIGHT)
    zero = y(Decimal(0))
    width = round(max(step * 0.7, 1), 1)
    chart["pnl"] = {
        "zero": zero, "high": max(pnl), "low": min(pnl), "high_y": PNL_TOP + 4, "low_y": PNL_TOP + PNL_HEIGHT,
        "bars": [{"x": round(x - width / 2, 1), "y": min(zero, y(v)), "w": width, "h": round(abs(zero - y(v)), 1),
                  "loss": v < 0} for x, v in zip(centre, pnl, strict=True)],
    }
    return chart
