"""Reading and writing pabulib ``.pb`` files (http://pabulib.org/format).

A file has three sections, ``META``, ``PROJECTS`` and ``VOTES``; each title is
followed by a line naming the columns, then ``;``-separated rows (a cell may be
quoted and contain ``;``). What :func:`parse_pb` accepts beyond the letter of
the format, because real files do it:

- a UTF-8 byte-order mark, CRLF or CR line ends, blank lines;
- section titles and column names in any case, cells with spaces around;
- decimal numbers with ``.`` or ``,`` (``1019940.37``, ``100,5``) and ``a/b``
  fractions (``126189987/100``), all kept exact;
- ``None`` (any case) or an empty cell for a missing value;
- a project listed twice in a ballot: approval ballots are sets, cumulative
  and scoring ballots keep the last points given, ordinal ballots keep the
  first position;
- a ``weight`` column in ``VOTES`` (an extension of ours) gives voter weights.

``META`` keys that the :class:`~participation.rules.election.Election` holds
itself (``budget``, ``vote_type``, ``num_projects``, ``num_votes``) are not
copied into ``Election.meta``; :func:`write_pb` writes them from the election.

Anything else that is malformed raises :class:`PabulibError` naming the line.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Mapping
from fractions import Fraction

from .election import BALLOT_KINDS, Election, Money, Project

SECTIONS = ("meta", "projects", "votes")
DERIVED_META = ("budget", "vote_type", "num_projects", "num_votes")
_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?")
_RATIO = re.compile(r"[+-]?\d+\s*/\s*\d+")


class PabulibError(ValueError):
    """A ``.pb`` file that cannot be read; the message names the line."""


def parse_number(text: str, what: str, line: int | None = None) -> Money:
    """Read ``text`` as an exact number (``int`` or ``Fraction``).

    Accepts ``12``, ``12.5``, ``12,5``, ``1e6`` and ``a/b``; raises
    :class:`PabulibError` ("line 17: cost 'abc' is not a number") otherwise.
    """
    where = f"line {line}: " if line is not None else ""
    raw = text.strip()
    try:
        if _NUMBER.fullmatch(raw):
            value = Fraction(raw.replace(",", "."))
        elif _RATIO.fullmatch(raw):
            value = Fraction(raw.replace(" ", ""))
        else:
            raise ValueError(raw)
    except (ValueError, ZeroDivisionError):
        raise PabulibError(f"{where}{what} {text!r} is not a number") from None
    return value.numerator if value.denominator == 1 else value


def _read_text(source: str | bytes | os.PathLike) -> str:
    if isinstance(source, bytes):
        data = source
    elif isinstance(source, str) and (
        not source.strip() or "\n" in source or "\r" in source
    ):
        return source.removeprefix("\ufeff")
    else:
        with open(source, "rb") as handle:
            data = handle.read()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise PabulibError(
            f"the file is not UTF-8 text (byte {error.start} cannot be decoded)"
        ) from None


def _cell(value: str | None) -> str | None:
    """A stripped cell, or ``None`` for an empty or ``None`` cell."""
    if value is None:
        return None
    value = value.strip()
    if not value or value.lower() == "none":
        return None
    return value


def _rows(reader):
    """Non-blank rows with the line each starts on; csv errors name the line."""
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            hint = (
                " (a quoted cell is never closed)"
                if "end of data" in str(error)
                else " (text after a closing quote?)"
            )
            raise PabulibError(f"line {start}: {error}{hint}") from None
        if "".join(row).strip():
            yield start, row


def parse_pb(source: str | bytes | os.PathLike) -> Election:
    """Parse a pabulib file given as a path, as bytes or as its text.

    A ``str`` containing a line break (or blank) is taken as the text of the
    file, any other ``str`` as a path.
    """
    text = _read_text(source)
    if not text.strip():
        raise PabulibError("the file is empty")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";", strict=True)
    # title -> (title line, column names, rows, header line)
    sections: dict[str, tuple[int, list[str], list[tuple[int, list[str]]], int]] = {}
    current: list[tuple[int, list[str]]] | None = None
    rows = _rows(reader)
    for line, row in rows:
        title = row[0].strip().lower()
        if title in SECTIONS and all(not cell.strip() for cell in row[1:]):
            if title in sections:
                raise PabulibError(
                    f"line {line}: second {title.upper()} section "
                    f"(the first starts on line {sections[title][0]})"
                )
            header_line, header_row = next(rows, (line, None))
            if header_row is None:
                raise PabulibError(
                    f"line {line}: {title.upper()} has no line naming its columns"
                )
            current = []
            header = [cell.strip().lower() for cell in header_row]
            sections[title] = (line, header, current, header_line)
            continue
        if current is None:
            raise PabulibError(
                f"line {line}: expected the META section title, got {row[0]!r}"
            )
        current.append((line, row))
    for title in SECTIONS:
        if title not in sections:
            raise PabulibError(f"the file has no {title.upper()} section")
    meta, meta_lines = _parse_meta(*sections["meta"])
    budget_line = meta_lines.get("budget")
    if budget_line is None or meta.get("budget") is None:
        raise PabulibError(
            f"line {sections['meta'][0]}: META has no 'budget' (the total budget)"
        )
    budget = parse_number(meta["budget"], "budget", budget_line)
    if budget < 0:
        raise PabulibError(f"line {budget_line}: budget {meta['budget']!r} is negative")
    kind = (meta.get("vote_type") or "approval").lower()
    if kind not in BALLOT_KINDS:
        raise PabulibError(
            f"line {meta_lines['vote_type']}: vote_type {meta['vote_type']!r} is "
            f"not one of {', '.join(BALLOT_KINDS)}"
        )
    projects = _parse_projects(*sections["projects"])
    votes = _parse_votes(*sections["votes"], kind, {p.id for p in projects})
    return Election(
        budget=budget,
        projects=projects,
        ballot_kind=kind,
        meta={k: v for k, v in meta.items() if k not in DERIVED_META and v is not None},
        **votes,
    )


def _check_width(line: int, row: list[str], header: list[str]) -> None:
    if len(row) > len(header) and any(cell.strip() for cell in row[len(header) :]):
        raise PabulibError(
            f"line {line}: {len(row)} cells but the header names {len(header)} "
            "columns (an unquoted ';'?)"
        )


def _column(header: list[str], name: str, line: int, section: str) -> int:
    try:
        return header.index(name)
    except ValueError:
        raise PabulibError(
            f"line {line}: the {section} header has no {name!r} column "
            f"(it names {';'.join(header)})"
        ) from None


def _parse_meta(title_line, header, rows, header_line):
    meta: dict[str, str | None] = {}
    lines: dict[str, int] = {}
    for line, row in rows:
        key = row[0].strip().lower()
        value = _cell(row[1]) if len(row) > 1 else None
        if key in ("budget", "vote_type") and key in meta and meta[key] != value:
            raise PabulibError(
                f"line {line}: META gives {key} twice ({meta[key]!r} on line "
                f"{lines[key]}, then {value!r})"
            )
        meta[key] = value
        lines[key] = line
    return meta, lines


def _parse_projects(title_line, header, rows, header_line) -> list[Project]:
    id_col = _column(header, "project_id", header_line, "PROJECTS")
    cost_col = _column(header, "cost", header_line, "PROJECTS")
    name_col = header.index("name") if "name" in header else None
    category_col = next(
        (header.index(c) for c in ("category", "categories") if c in header), None
    )
    projects: list[Project] = []
    first_line: dict[str, int] = {}
    for line, row in rows:
        _check_width(line, row, header)
        cells = [_cell(c) for c in row] + [None] * (len(header) - len(row))
        pid = cells[id_col]
        if pid is None:
            raise PabulibError(f"line {line}: project_id is missing")
        if pid in first_line:
            raise PabulibError(
                f"line {line}: project {pid!r} is listed twice "
                f"(first on line {first_line[pid]})"
            )
        first_line[pid] = line
        raw_cost = cells[cost_col]
        if raw_cost is None:
            raise PabulibError(f"line {line}: project {pid!r} has no cost")
        cost = parse_number(raw_cost, "cost", line)
        if cost < 0:
            raise PabulibError(f"line {line}: cost {raw_cost!r} is negative")
        projects.append(
            Project(
                id=pid,
                cost=cost,
                name=(cells[name_col] if name_col is not None else None) or "",
                category=cells[category_col] if category_col is not None else None,
            )
        )
    return projects


def _split(cell: str | None) -> list[str]:
    """The comma-separated items of a cell, stripped, empty ones dropped."""
    if cell is None:
        return []
    items = cell.split(",")
    if " " in cell or "\t" in cell:
        items = [item.strip() for item in items]
    if "" in items:
        items = [item for item in items if item]
    return items


def _parse_votes(title_line, header, rows, header_line, kind, known) -> dict:
    vote_col = _column(header, "vote", header_line, "VOTES")
    id_col = header.index("voter_id") if "voter_id" in header else None
    points_col = header.index("points") if "points" in header else None
    weight_col = header.index("weight") if "weight" in header else None
    with_points = kind in ("cumulative", "scoring") and points_col is not None
    width = len(header)
    approvals: list[frozenset[str]] = []
    points: list[dict[str, Money]] = []
    rankings: list[tuple[str, ...]] = []
    weights: list[Money] = []
    voter_ids: list[str] = []
    for line, row in rows:
        if len(row) > width:
            _check_width(line, row, header)
        vote = _cell(row[vote_col]) if vote_col < len(row) else None
        names = _split(vote)
        if not known.issuperset(names):
            unknown = next(name for name in names if name not in known)
            raise PabulibError(f"line {line}: vote names unknown project {unknown!r}")
        approvals.append(frozenset(names))
        if id_col is not None:
            voter_ids.append((_cell(row[id_col]) if id_col < len(row) else None) or "")
        if with_points:
            given = _split(_cell(row[points_col]) if points_col < len(row) else None)
            if len(given) != len(names):
                raise PabulibError(
                    f"line {line}: {len(names)} projects but {len(given)} points"
                )
            # a project listed twice keeps the last points given
            points.append(
                {
                    n: parse_number(x, "points", line)
                    for n, x in zip(names, given, strict=True)
                }
            )
        if kind == "ordinal":
            # a project listed twice keeps its first position
            rankings.append(tuple(dict.fromkeys(names)))
        if weight_col is not None:
            raw = _cell(row[weight_col]) if weight_col < len(row) else None
            if raw is None:
                weights.append(1)
            else:
                weight = parse_number(raw, "weight", line)
                if weight <= 0:
                    raise PabulibError(f"line {line}: weight {raw!r} is not positive")
                weights.append(weight)
    return {
        "approvals": approvals,
        "points": points if with_points else None,
        "rankings": rankings if kind == "ordinal" else None,
        "weights": weights if weight_col is not None else None,
        "voter_ids": voter_ids if id_col is not None else None,
    }


def format_number(value: Money) -> str:
    """Write an exact number: a decimal when it has one, else ``a/b``."""
    value = Fraction(value)
    if value.denominator == 1:
        return str(value.numerator)
    denominator, twos, fives = value.denominator, 0, 0
    while denominator % 2 == 0:
        denominator //= 2
        twos += 1
    while denominator % 5 == 0:
        denominator //= 5
        fives += 1
    if denominator != 1:
        return f"{value.numerator}/{value.denominator}"
    digits = max(twos, fives)
    scaled = abs(value) * 10**digits
    whole, frac = divmod(int(scaled), 10**digits)
    sign = "-" if value < 0 else ""
    return f"{sign}{whole}.{frac:0{digits}d}"


_META_ORDER = ("description", "country", "unit", "subunit", "instance")


def write_pb(election: Election, meta: Mapping[str, object] | None = None) -> str:
    """The election as the text of a ``.pb`` file.

    ``META`` holds ``election.meta`` updated with ``meta``, plus the keys
    derived from the election itself (budget, vote_type, num_projects,
    num_votes). Voter weights, if any, go to a ``weight`` column.
    """
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    values: dict[str, str] = {k: str(v) for k, v in election.meta.items()}
    values.update({k.lower(): str(v) for k, v in (meta or {}).items()})
    for key in DERIVED_META:
        values.pop(key, None)
    ordered = {k: values.pop(k) for k in _META_ORDER if k in values}
    ordered["num_projects"] = str(len(election.projects))
    ordered["num_votes"] = str(election.num_voters)
    ordered["budget"] = format_number(election.budget)
    ordered["vote_type"] = election.ballot_kind
    ordered.update(values)
    out.write("META\n")
    writer.writerow(["key", "value"])
    for key, value in ordered.items():
        writer.writerow([key, value])

    out.write("PROJECTS\n")
    columns = ["project_id", "cost"]
    with_name = any(p.name for p in election.projects)
    with_category = any(p.category is not None for p in election.projects)
    columns += ["name"] * with_name + ["category"] * with_category
    writer.writerow(columns)
    for p in election.projects:
        row = [p.id, format_number(p.cost)]
        if with_name:
            row.append(p.name or "None")
        if with_category:
            row.append("None" if p.category is None else p.category)
        writer.writerow(row)

    out.write("VOTES\n")
    columns = ["voter_id", "vote"]
    if election.points is not None:
        columns.append("points")
    if election.weights is not None:
        columns.append("weight")
    writer.writerow(columns)
    ids = election.voter_ids
    for i, ballot in enumerate(election.approvals):
        if election.rankings is not None:
            names = list(election.rankings[i])
        elif election.points is not None:
            names = sorted(election.points[i])
        else:
            names = sorted(ballot)
        row = [ids[i] if ids is not None else str(i + 1), ",".join(names)]
        if election.points is not None:
            row.append(",".join(format_number(election.points[i][n]) for n in names))
        if election.weights is not None:
            row.append(format_number(election.weights[i]))
        writer.writerow(row)
    return out.getvalue()
