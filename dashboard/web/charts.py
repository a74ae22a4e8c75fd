"""Server-side SVG charts for the reports page: no script, no asset to download.

Values are ints, or a string such as "<5" where a small count is hidden from a partner
account: such a bar is drawn empty and labelled with the string, so its size tells nothing.
Every text goes through markupsafe's escape.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from markupsafe import Markup, escape

Value = int | str

# Colour per status, matching the badges of the queue.
STATUS_COLOURS = {
    "baru": "#1e6fd9",
    "diproses": "#d89b00",
    "dihubungi": "#7e57c2",
    "terdaftar": "#00703c",
    "ditolak": "#b3261e",
    "dibatalkan": "#8d99a3",
}
BAR_COLOUR = "#00703c"


def _number(value: Value) -> int:
    return value if isinstance(value, int) else 0


def _label(value: Value) -> str:
    return f"{value:,}".replace(",", ".") if isinstance(value, int) else value


def bar_chart(rows: Sequence[tuple[str, Value]], *, title: str, width: int = 640) -> Markup:
    """Horizontal bars, one row per (label, value), longest first as given."""
    bar_height, gap, label_width, value_width = 22, 8, 200, 70
    height = max(1, len(rows)) * (bar_height + gap) + gap
    top = max([_number(v) for _, v in rows] + [1])
    room = width - label_width - value_width
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}"'
        ' xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for index, (label, value) in enumerate(rows):
        y = gap + index * (bar_height + gap)
        length = round(room * _number(value) / top)
        short = label if len(label) <= 28 else label[:27] + "…"
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 15}" text-anchor="end">{escape(short)}</text>'
            f'<rect x="{label_width}" y="{y}" width="{length}" height="{bar_height}" rx="3"'
            f' fill="{BAR_COLOUR}"><title>{escape(label)}: {escape(_label(value))}</title></rect>'
            f'<text x="{label_width + length + 6}" y="{y + 15}">{escape(_label(value))}</text>'
        )
    if not rows:
        parts.append(f'<text x="8" y="20">{escape("Belum ada data.")}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def stacked_columns(
    columns: Sequence[str],
    series: Mapping[str, Sequence[Value]],
    *,
    title: str,
    colours: Mapping[str, str] = STATUS_COLOURS,
    names: Mapping[str, str] | None = None,
    width: int = 720,
) -> Markup:
    """One column per label in `columns`, stacked by series (e.g. weeks by status)."""
    height, bottom, left, top_pad = 240, 40, 40, 12
    plot_h = height - bottom - top_pad
    totals = [sum(_number(values[i]) for values in series.values()) for i in range(len(columns))]
    top = max([*totals, 1])
    step = (width - left - 8) / max(1, len(columns))
    bar_w = max(6.0, min(48.0, step * 0.7))
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}"'
        ' xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - 4}" y2="{height - bottom}"'
        ' stroke="#9aa5ae"/>',
        f'<text x="{left - 6}" y="{top_pad + 10}" text-anchor="end">{escape(_label(top))}</text>',
        f'<text x="{left - 6}" y="{height - bottom}" text-anchor="end">0</text>',
    ]
    label_every = max(1, round(len(columns) / 10))
    for i, column in enumerate(columns):
        x = left + i * step + (step - bar_w) / 2
        y = float(height - bottom)
        for name, values in series.items():
            value = values[i]
            h = plot_h * _number(value) / top
            if h > 0:
                y -= h
                parts.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}"'
                    f' fill="{colours.get(name, BAR_COLOUR)}"><title>{escape(column)} ·'
                    f" {escape((names or {}).get(name, name))}:"
                    f" {escape(_label(value))}</title></rect>"
                )
        if i % label_every == 0:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{height - bottom + 16}" text-anchor="middle">'
                f"{escape(column)}</text>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def legend(
    names: Sequence[str], labels: Mapping[str, str] | None = None, colours: Mapping[str, str] = STATUS_COLOURS
) -> Markup:
    items = "".join(
        f'<li><svg width="12" height="12" aria-hidden="true"><rect width="12" height="12" rx="2"'
        f' fill="{colours.get(n, BAR_COLOUR)}"/></svg> {escape((labels or {}).get(n, n))}</li>'
        for n in names
    )
    return Markup(f'<ul class="legend">{items}</ul>')
