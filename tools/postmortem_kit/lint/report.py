"""Reporters: they format a lint result and decide nothing."""

from __future__ import annotations

import json
from typing import TextIO

from postmortem_kit.format.findings import printable
from postmortem_kit.lint.runner import LintResult

JSON_VERSION = 1


def summary(result: LintResult) -> str:
    files = f"{result.files_checked} file{'s' if result.files_checked != 1 else ''}"
    if not result.findings:
        return f"{files} checked: no problems found."
    errors = f"{result.errors} error{'s' if result.errors != 1 else ''}"
    warnings = f"{result.warnings} warning{'s' if result.warnings != 1 else ''}"
    return f"{files} checked: {errors}, {warnings}."


def report_text(result: LintResult, out: TextIO) -> None:
    for f in result.findings:
        line = f"{f.path}:{f.line}:{f.column}: {f.level} {f.rule} {f.message}"
        out.write(printable(line) + "\n")
    out.write(summary(result) + "\n")


def report_json(result: LintResult, out: TextIO) -> None:
    document = {
        "version": JSON_VERSION,
        "files_checked": result.files_checked,
        "findings": [f._asdict() for f in result.findings],
    }
    json.dump(document, out, indent=2, ensure_ascii=False)
    out.write("\n")


def report_github(result: LintResult, out: TextIO) -> None:
    """GitHub Actions workflow commands: each finding annotates its line in the diff."""
    for f in result.findings:
        properties = (
            f"file={_property(f.path)},line={f.line},col={f.column},title={_property(f.rule)}"
        )
        out.write(f"::{f.level} {properties}::{_data(f.message)}\n")
    out.write(summary(result) + "\n")


def _data(text: str) -> str:
    return printable(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


REPORTERS = {"text": report_text, "json": report_json, "github": report_github}
