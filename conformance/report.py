"""Writers for a finished run: the console summary table, JUnit XML and a Markdown report.

Pure functions from a `SuiteRun` to text; the CLI decides where the text goes.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from conformance.results import Outcome, ScenarioResult, SuiteRun

# ---------------------------------------------------------------------------------------------
# Console


def summary_table(run: SuiteRun) -> str:
    """A per-group table with a total row, then every failure with expected and actual."""
    rows = [("group", "scenarios", "passed", "failed", "errors", "seconds")]
    for totals in [*(run.totals(group) for group in run.groups), run.totals()]:
        rows.append(
            (
                totals.group,
                str(totals.total),
                str(totals.passed),
                str(totals.failed),
                str(totals.errors),
                f"{totals.seconds:.2f}",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]

    def line(row: tuple[str, ...]) -> str:
        cells = [row[0].ljust(widths[0])] + [
            cell.rjust(w) for cell, w in zip(row[1:], widths[1:], strict=True)
        ]
        return "  ".join(cells)

    rule = "  ".join("-" * w for w in widths)
    out = [line(rows[0]), rule, *(line(row) for row in rows[1:-1]), rule, line(rows[-1])]
    for result in run.failures:
        out.append("")
        out.extend(failure_lines(result))
    out.append("")
    verdict = "PASSED" if run.ok else "FAILED"
    total = run.totals()
    out.append(
        f"{verdict}: {total.passed}/{total.total} scenarios passed against {run.hosts}"
        + (f" ({run.server})" if run.server else "")
        + f" in {run.seconds:.1f}s"
    )
    return "\n".join(out) + "\n"


def failure_lines(result: ScenarioResult) -> list[str]:
    lines = [f"{result.outcome.value.upper()} {result.id}: {result.message}"]
    if result.outcome is Outcome.FAILED:
        lines.append(f"    expected: {result.expected}")
        lines.append(f"    actual:   {result.actual}")
    return lines


# ---------------------------------------------------------------------------------------------
# JUnit XML


def junit_xml(run: SuiteRun) -> str:
    """JUnit XML in the shape CI systems read: one <testsuite> per group."""
    total = run.totals()
    root = ET.Element(
        "testsuites",
        name="zookeeper-conformance",
        tests=str(total.total),
        failures=str(total.failed),
        errors=str(total.errors),
        time=f"{run.seconds:.3f}",
    )
    for group in run.groups:
        totals = run.totals(group)
        suite = ET.SubElement(
            root,
            "testsuite",
            name=group,
            tests=str(totals.total),
            failures=str(totals.failed),
            errors=str(totals.errors),
            skipped="0",
            time=f"{totals.seconds:.3f}",
            timestamp=run.started.isoformat(timespec="seconds"),
        )
        properties = ET.SubElement(suite, "properties")
        ET.SubElement(properties, "property", name="hosts", value=run.hosts)
        if run.server:
            ET.SubElement(properties, "property", name="server", value=run.server)
        for result in run.in_group(group):
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"conformance.{group}",
                name=result.name,
                time=f"{result.seconds:.3f}",
            )
            if result.outcome is Outcome.FAILED:
                failure = ET.SubElement(
                    case, "failure", message=_xml_safe(result.message), type="ExpectationFailed"
                )
                failure.text = _xml_safe(
                    f"{result.what}\nexpected: {result.expected}\nactual:   {result.actual}\n"
                )
            elif result.outcome is Outcome.ERROR:
                error = ET.SubElement(
                    case, "error", message=_xml_safe(result.message), type="error"
                )
                error.text = _xml_safe(result.detail or result.message)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _xml_safe(text: str) -> str:
    """Drop the characters XML 1.0 cannot carry (a server may send any byte back)."""
    return "".join(
        ch
        for ch in text
        if ch in "\t\n\r"
        or 0x20 <= ord(ch) <= 0xD7FF
        or 0xE000 <= ord(ch) <= 0xFFFD
        or ord(ch) > 0xFFFF
    )


# ---------------------------------------------------------------------------------------------
# Markdown

_RESULT_MARK = {Outcome.PASSED: "pass", Outcome.FAILED: "**FAIL**", Outcome.ERROR: "**ERROR**"}


def markdown(run: SuiteRun) -> str:
    """Every scenario with its result; a failure shows what was checked, expected and actual."""
    total = run.totals()
    out = [
        "# ZooKeeper conformance report",
        "",
        f"- endpoint: `{run.hosts}`",
    ]
    if run.server:
        out.append(f"- server: {_cell(run.server)}")
    out += [
        f"- started: {run.started.isoformat(timespec='seconds')}",
        f"- result: **{'PASSED' if run.ok else 'FAILED'}**, {total.passed} of {total.total} "
        f"scenarios passed ({total.failed} failed, {total.errors} errors) in {run.seconds:.1f}s",
        "",
        "## Summary",
        "",
        "| group | scenarios | passed | failed | errors |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for totals in [*(run.totals(group) for group in run.groups), total]:
        name = f"[{totals.group}](#{totals.group})" if totals.group != "total" else "**total**"
        out.append(
            f"| {name} | {totals.total} | {totals.passed} | {totals.failed} | {totals.errors} |"
        )
    for group in run.groups:
        out += [
            "",
            f"## {group}",
            "",
            "| scenario | result | checks | expected | actual |",
            "| --- | --- | --- | --- | --- |",
        ]
        for result in run.in_group(group):
            if result.outcome is Outcome.FAILED:
                checks, expected, actual = result.what, _code(result.expected), _code(result.actual)
            elif result.outcome is Outcome.ERROR:
                checks, expected, actual = result.description, "", _cell(result.message)
            else:
                checks, expected, actual = result.description, "", ""
            out.append(
                f"| `{result.name}` | {_RESULT_MARK[result.outcome]} | {_cell(checks)} "
                f"| {expected} | {actual} |"
            )
    if run.failures:
        out += ["", "## Failures"]
        for result in run.failures:
            out += ["", f"### {result.id}", ""]
            if result.description:
                out += [_cell(result.description), ""]
            if result.outcome is Outcome.FAILED:
                out += [f"Checked: {_cell(result.what)}", ""]
                text = f"expected: {result.expected}\nactual:   {result.actual}"
                out += ["```", _fenced(text), "```"]
            else:
                out += ["```", _fenced(result.detail or result.message), "```"]
    return "\n".join(out) + "\n"


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell: one line, pipes escaped, controls visible."""
    return _visible(" ".join(text.split())).replace("|", "\\|")


def _visible(text: str) -> str:
    return "".join(
        f"\\x{ord(ch):02x}" if (ord(ch) < 0x20 and ch != "\t") or ord(ch) == 0x7F else ch
        for ch in text
    )


def _code(text: str) -> str:
    if not text:
        return ""
    body = _cell(text).replace("`", "'")
    return f"`{body}`"


def _fenced(text: str) -> str:
    """Text safe inside a fenced block: no line may close the fence early."""
    lines = (_visible(line) for line in text.rstrip().splitlines())
    return "\n".join(lines).replace("```", "` ` `")
