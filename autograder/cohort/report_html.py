"""``report.html``: the class in one self-contained page that opens offline (from ``file://``, nothing fetched).

It holds the figures (PNG data URIs), a student table sortable by any column (a few lines of inline script), each
student's ``feedback.md`` one click away (a link to a section that CSS shows when it is the page's target, so even
that needs no script), and the class summary's sections. Every string from a submission (names, file names,
messages) is HTML-escaped, and a Content-Security-Policy lets only the page's own script and style run, so
markup in a message stays text. Made from finished results only (:mod:`autograder.cohort.exporters`).
"""
from __future__ import annotations

import base64
import hashlib
import html
import re
from pathlib import Path

from . import stats as class_stats

SCRIPT = """\
(function () {
  function key(cell) {
    var value = cell.getAttribute("data-value");
    return value === null ? cell.textContent.trim() : value;
  }
  function isNumber(text) { return /^[-+]?(\\d|\\.\\d)/.test(text) && !isNaN(parseFloat(text)); }
  function sortBy(table, head, column) {
    var ascending = head.getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) { th.removeAttribute("aria-sort"); });
    head.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
    var keys = rows.map(function (row) { return row.cells[column] ? key(row.cells[column]) : ""; });
    var numeric = keys.every(function (k) { return k === "" || isNumber(k); });
    var order = rows.map(function (_, i) { return i; });
    order.sort(function (a, b) {
      var x = keys[a], y = keys[b];
      if (x === "" || y === "") { return (x === "") - (y === "") || a - b; }  // empty cells last, either way
      var c = numeric ? parseFloat(x) - parseFloat(y) : x.localeCompare(y);
      return (ascending ? c : -c) || a - b;
    });
    order.forEach(function (i) { body.appendChild(rows[i]); });
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (head, column) {
      head.tabIndex = 0;
      head.title = "Sort by this column";
      head.addEventListener("click", function () { sortBy(table, head, column); });
      head.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sortBy(table, head, column); }
      });
    });
  });
})();
"""

STYLE = """\
body { font-family: system-ui, sans-serif; margin: 1.5em auto; max-width: 78em; padding: 0 1em; color: #222; }
#students { width: 100%; font-size: 0.8em; }
#students th { overflow-wrap: anywhere; }
#students td.warnings { font-size: 0.9em; color: #7a5a00; max-width: 22em; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.5em; text-align: left; vertical-align: top; }
thead th { background: #f0f0f0; position: sticky; top: 0; }
table.sortable thead th { cursor: pointer; user-select: none; }
th[aria-sort="ascending"]::after { content: " \\25B2"; }
th[aria-sort="descending"]::after { content: " \\25BC"; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
tr.error td { background: #fdecea; }
figure { display: inline-block; margin: 0 1em 1em 0; vertical-align: top; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
.feedback { display: none; border: 2px solid #3b75af; padding: 0 1em 1em; margin: 1em 0; }
.feedback:target { display: block; }
blockquote { border-left: 3px solid #ccc; margin: 0.5em 0; padding-left: 0.8em; color: #444; }
code { background: #f4f4f4; padding: 0 0.2em; }
nav a { margin-right: 1em; }
.scroll { overflow-x: auto; }
.pass { color: #1a7f37; font-weight: bold; }
.fail { color: #c0392b; font-weight: bold; }
.warn { color: #b7791f; font-weight: bold; }
"""


MARKS = (("\u26a0\ufe0f", "<span class=warn>\u26a0</span>"), ("\u2705", "<span class=pass>\u2713</span>"),
         ("\u274c", "<span class=fail>\u2717</span>"))
"""The feedback's emoji marks as symbols every font has (a browser without an emoji font shows boxes)."""


def _inline(text: str) -> str:
    """One line of our markdown as HTML: escaped first, then `code` spans, a leading **bold** and the marks."""
    out = html.escape(text, quote=True)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    out = re.sub(r"^\*\*(.+?)\*\*", r"<strong>\1</strong>", out)
    for mark, symbol in MARKS:
        out = out.replace(mark, symbol)
    return out


def markdown_html(text: str, *, shift=0, sortable=True) -> str:
    """The markdown that feedback.md and summary.md use (headings, paragraphs, ``>`` quotes, ``-`` lists nested by
    two spaces, ``|`` tables) as HTML, every character of the text escaped; headings go ``shift`` levels down."""
    out, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        line = lines[i]
        heading = re.match(r"^(#{1,6}) (.*)$", line)
        if not line.strip():
            i += 1
        elif heading:
            level = min(len(heading.group(1)) + shift, 6)
            out.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
            i += 1
        elif line.startswith("|"):
            block = []
            while i < len(lines) and lines[i].startswith("|"):
                block.append([cell.strip() for cell in lines[i].strip().strip("|").split("|")])
                i += 1
            out.append(_table(block, sortable))
        elif line.startswith(">"):
            quoted = []
            while i < len(lines) and lines[i].startswith(">"):
                quoted.append(_inline(lines[i][1:].strip()))
                i += 1
            out.append("<blockquote>" + "<br>\n".join(quoted) + "</blockquote>")
        elif re.match(r"^\s*- ", line):
            items = []
            while i < len(lines) and re.match(r"^\s*- ", lines[i]):
                indent = len(lines[i]) - len(lines[i].lstrip())
                items.append((indent // 2, lines[i].lstrip()[2:]))
                i += 1
            out.append(_list(items))
        else:
            paragraph = []
            while i < len(lines) and lines[i].strip() and not re.match(r"^(#{1,6} |\||>|\s*- )", lines[i]):
                paragraph.append(_inline(lines[i]))
                i += 1
            out.append("<p>" + "\n".join(paragraph) + "</p>")
    return "\n".join(out)


def _table(rows, sortable) -> str:
    head, body = rows[0], [r for r in rows[1:] if not all(re.fullmatch(r":?-+:?", c or "-") for c in r)]
    out = [f"<table{' class=sortable' if sortable else ''}><thead><tr>"
           + "".join(f"<th>{_inline(c)}</th>" for c in head) + "</tr></thead><tbody>"]
    for row in body:
        out.append("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in row) + "</tr>")
    return "\n".join(out) + "</tbody></table>"


def _list(items) -> str:
    out, depth = [], -1
    for level, text in items:
        level = min(level, depth + 1)
        if level > depth:
            out.append("<ul>" * (level - depth))
        else:
            out.append("</li>" + "</ul></li>" * (depth - level))
        out.append(f"<li>{_inline(text)}")
        depth = level
    return "".join(out) + "</li>" + "</ul></li>" * depth + "</ul>"


def _figures(reports, out_dir) -> list:
    """(title, PNG bytes) of every figure: as the figures exporter wrote them into ``out_dir/figures/``, or drawn."""
    from . import figures

    drawn = []
    for (name, title), (_, function) in zip(figures.FIGURES, figures.EXPORTERS):
        path = Path(out_dir) / "figures" / name if out_dir is not None else None
        drawn.append((title, path.read_bytes() if path is not None and path.is_file() else function(reports)))
    return drawn


def _feedback(out_dir, student) -> str:
    if out_dir is None:
        return ""
    try:
        return (Path(out_dir) / student / "feedback.md").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _number(value) -> str:
    return f"{value:g}"


def _group_maxima(reports) -> dict:
    """Group -> the largest number of points any graded submission could earn in it."""
    maxima = {}
    for report in reports.values():
        per_group = {}
        for r in report.results if report else ():
            if r.group:
                per_group[r.group] = per_group.get(r.group, 0.0) + r.max_score
        for group, most in per_group.items():
            maxima[group] = max(maxima.get(group, 0.0), most)
    return maxima


def _warnings(report) -> list:
    """A student's warnings: the rubric's (from the notes) and the 0-point contract details of passed checks."""
    from .rubric import WARNING

    lines = [n[len(WARNING):] for n in report.notes if n.startswith(WARNING)]
    contract = sorted({r.target for r in report.results if r.status == "passed" and r.warning})
    if contract:
        lines.append(f"contract details (no points lost): {', '.join(contract)}")
    return lines


def _student_table(reports) -> list:
    maxima = _group_maxima(reports)
    groups = sorted(maxima)
    heads = ["student", "score", "max", "%", *[f"{g} ({_number(maxima[g])})" for g in groups], "warnings", "error",
             "source"]
    out = ["<div class=scroll><table class=sortable id=students><thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in heads)
           + "</tr></thead><tbody>"]
    for number, (student, report) in enumerate(reports.items()):
        name = f"<td><a class=student href='#feedback-{number}'>{html.escape(student)}</a></td>"
        if report is None:
            cells = [name, *["<td class=number></td>"] * (3 + len(groups)), "<td></td>", "<td>not graded yet</td>",
                     "<td></td>"]
            out.append("<tr class=error>" + "".join(cells) + "</tr>")
            continue
        per_group = {}
        for r in report.results:
            if r.group:
                per_group[r.group] = per_group.get(r.group, 0.0) + r.score
        percent = 100 * class_stats.score_fraction(report)
        numbers = [report.score, report.max_score, percent, *[per_group.get(g) for g in groups]]
        cells = [name]
        cells += ["<td class=number></td>" if v is None else
                  f"<td class=number data-value='{v!r}'>{_number(round(v, 1) if k == 2 else v)}</td>"
                  for k, v in enumerate(numbers)]
        cells.append("<td class=warnings>" + "<br>".join(html.escape(w) for w in _warnings(report)) + "</td>")
        cells.append(f"<td>{html.escape(report.error)}</td>")
        cells.append(f"<td>{html.escape(report.source)}</td>")
        out.append(f"<tr{' class=error' if report.error else ''}>" + "".join(cells) + "</tr>")
    return out + ["</tbody></table></div>"]


def report_html(reports, out_dir=None) -> str:
    """The class report page (see the module's docstring); ``out_dir`` is the results folder, whose students'
    feedback.md (and figures, if written already) it includes."""
    from .exporters import summary_markdown

    finished = [r for r in reports.values() if r is not None]
    style_hash = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
    script_hash = base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()
    policy = (f"default-src 'none'; img-src data:; style-src 'sha256-{style_hash}'; "
              f"script-src 'sha256-{script_hash}'; base-uri 'none'; form-action 'none'")
    out = ["<!DOCTYPE html>", "<html lang=en><head><meta charset=utf-8>",
           f'<meta http-equiv="Content-Security-Policy" content="{policy}">',
           "<meta name=viewport content='width=device-width, initial-scale=1'>",
           "<title>Class report</title>", f"<style>{STYLE}</style></head><body>",
           "<h1 id=top>Class report</h1>",
           f"<p>Submissions: {len(reports)}, graded: {len(finished)}, "
           f"with errors: {sum(1 for r in finished if r.error)}.</p>",
           "<nav><a href='#students-section'>Students</a><a href='#figures'>Figures</a>"
           "<a href='#summary'>Summary</a></nav>", "<section id=students-section><h2>Students</h2>",
           "<p>Click a column's header to sort by it (again to reverse); click a student to see their feedback. "
           "A group's header shows its maximum.</p>"]
    out += _student_table(reports)
    out += ["</section>", "<section id=figures><h2>Figures</h2>"]
    for title, png in _figures(reports, out_dir):
        data = base64.b64encode(png).decode()
        out.append(f"<figure><img src='data:image/png;base64,{data}' alt='{html.escape(title)}'>"
                   f"<figcaption>{html.escape(title)}</figcaption></figure>")
    out.append("</section>")
    for number, (student, report) in enumerate(reports.items()):
        missing = "Not graded yet." if report is None else "No feedback.md in the results folder."
        text = _feedback(out_dir, student) or f"# Feedback for {student}\n\n{missing}\n"
        out += [f"<section class=feedback id=feedback-{number}>", "<p><a href='#students-section'>Back to the "
                "student table</a></p>", markdown_html(text, shift=2, sortable=False), "</section>"]
    summary = summary_markdown(reports).split("\n", 1)[1]  # without its "# Class summary" title
    out += ["<section id=summary><h2>Summary</h2>", markdown_html(summary, shift=1), "</section>",
            f"<script>{SCRIPT}</script>", "</body></html>"]
    return "\n".join(out) + "\n"
