"""A money-flow chart drawn on the server as SVG (no JavaScript).

Three columns: where the money came from, the projects, where it went. Each
link is a band whose thickness is proportional to its cents. The same links
are given to the template as a table, the chart's text alternative.
"""

from dataclasses import dataclass, field

from core.money import format_money

WIDTH = 760
NODE_WIDTH = 14
GAP = 14
MIN_BAND = 2
COLUMNS_X = (0, (WIDTH - NODE_WIDTH) // 2, WIDTH - NODE_WIDTH)
COLORS = {
    "pledges": "#2f7d5b",
    "match": "#6a4c93",
    "sale": "#c06014",
    "reinvestment": "#b0862a",
    "grant": "#1d5d90",
    "other": "#777777",
    "expense": "#a23b3b",
    "held": "#9aa5b1",
}


@dataclass(frozen=True)
class Ref:
    """One node: ``key`` is unique in its column, ``kind`` picks its colour."""

    key: str
    label: str
    kind: str = "other"


@dataclass(frozen=True)
class Link:
    source: Ref
    target: Ref
    cents: int


@dataclass
class Node:
    ref: Ref
    column: int
    cents: int = 0
    x: float = 0
    y: float = 0
    height: float = 0
    used_out: float = 0
    used_in: float = 0

    @property
    def color(self) -> str:
        return COLORS.get(self.ref.kind, "#555555")

    @property
    def text_x(self) -> float:
        return self.x - 6 if self.column == 2 else self.x + NODE_WIDTH + 6

    @property
    def anchor(self) -> str:
        return "end" if self.column == 2 else "start"

    @property
    def text_y(self) -> float:
        return self.y + self.height / 2

    @property
    def caption(self) -> str:
        return f"{self.ref.label}: {self.amount}"

    amount: str = ""


@dataclass
class Band:
    link: Link
    path: str
    color: str
    title: str


@dataclass
class Chart:
    width: int
    height: int
    nodes: list[Node] = field(default_factory=list)
    bands: list[Band] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)


def flow_chart(
    incoming: list[Link], outgoing: list[Link], *, currency: str = "EUR"
) -> Chart | None:
    """Sources -> projects (``incoming``), projects -> uses (``outgoing``).

    Returns None when no money moved (nothing to draw).
    """
    links = [link for link in incoming + outgoing if link.cents > 0]
    if not links:
        return None
    columns: list[dict[str, Node]] = [{}, {}, {}]
    for link in incoming:
        if link.cents > 0:
            _node(columns, 0, link.source).cents += link.cents
            _node(columns, 1, link.target)
    for link in outgoing:
        if link.cents > 0:
            _node(columns, 1, link.source)
            _node(columns, 2, link.target).cents += link.cents
    inflow = dict.fromkeys(columns[1], 0)
    outflow = dict(inflow)
    for link in incoming:
        if link.cents > 0:
            inflow[link.target.key] += link.cents
    for link in outgoing:
        if link.cents > 0:
            outflow[link.source.key] += link.cents
    for key, node in columns[1].items():
        node.cents = max(inflow[key], outflow[key])

    biggest = max(sum(n.cents for n in column.values()) for column in columns)
    most = max(len(column) for column in columns)
    height = max(160, min(900, 60 + 48 * most))
    scale = (height - GAP * (most + 1)) / biggest
    for index, column in enumerate(columns):
        y = GAP
        for node in column.values():
            node.x, node.y = COLUMNS_X[index], y
            node.height = max(MIN_BAND, node.cents * scale)
            node.amount = format_money(node.cents, currency)
            y += node.height + GAP
    chart = Chart(width=WIDTH, height=int(height), links=links)
    for column in columns:
        chart.nodes.extend(column.values())
    for link, (left, right) in [(link, (0, 1)) for link in incoming] + [
        (link, (1, 2)) for link in outgoing
    ]:
        if link.cents <= 0:
            continue
        source = columns[left][link.source.key]
        target = columns[right][link.target.key]
        thickness = max(MIN_BAND / 2, link.cents * scale)
        y0 = source.y + source.used_out
        y1 = target.y + target.used_in
        source.used_out += thickness
        target.used_in += thickness
        x0, x1 = source.x + NODE_WIDTH, target.x
        middle = (x0 + x1) / 2
        path = (
            f"M{x0:.1f},{y0:.1f} C{middle:.1f},{y0:.1f} {middle:.1f},{y1:.1f} "
            f"{x1:.1f},{y1:.1f} L{x1:.1f},{y1 + thickness:.1f} "
            f"C{middle:.1f},{y1 + thickness:.1f} {middle:.1f},{y0 + thickness:.1f} "
            f"{x0:.1f},{y0 + thickness:.1f} Z"
        )
        color = COLORS.get(
            link.source.kind if left == 0 else link.target.kind, "#555555"
        )
        chart.bands.append(
            Band(
                link=link,
                path=path,
                color=color,
                title=f"{link.source.label} → {link.target.label}: "
                f"{format_money(link.cents, currency)}",
            )
        )
    return chart


def _node(columns, index: int, ref: Ref) -> Node:
    column = columns[index]
    if ref.key not in column:
        column[ref.key] = Node(ref=ref, column=index)
    return column[ref.key]
