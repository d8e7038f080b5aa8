"""Commands that print what the format is: schema, template, rules, taxonomy."""

from __future__ import annotations

from pathlib import Path

import click

from postmortem_kit.cli.common import repository


@click.command()
@click.option("--output", type=click.Path(path_type=Path), help="Write to a file instead.")
def schema(output: Path | None) -> None:
    """Print the JSON Schema of the front matter (generated from the taxonomy)."""
    from postmortem_kit.format.schema import build_schema, schema_text

    repo = repository()
    text = schema_text(build_schema(repo.taxonomy, repo.config.id_prefix))
    if output:
        output.write_text(text, encoding="utf-8")
        click.echo(f"Wrote {output}")
    else:
        click.echo(text, nl=False)


@click.command()
def template() -> None:
    """Print the blank postmortem template."""
    from postmortem_kit.format.draft import render_blank

    click.echo(render_blank(), nl=False)


@click.command()
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "markdown"]),
    default="text",
    help="markdown: the table of docs/format.md.",
)
def rules(output_format: str) -> None:
    """List the lint rules with their default levels."""
    from postmortem_kit.lint.rules import RULES
    from postmortem_kit.lint.rules.base import markdown_table

    if output_format == "markdown":
        click.echo(markdown_table(RULES.values()), nl=False)
        return
    for rule in sorted(RULES.values(), key=lambda r: r.id):
        click.echo(f"{rule.id:24} {rule.level:8} {rule.summary}")


@click.command()
def taxonomy() -> None:
    """List the incident types, root-cause patterns and controls."""
    tax = repository().taxonomy
    click.echo("Incident types:")
    for category in tax.categories.values():
        click.echo(f"  {category.slug}: " + ", ".join(t.slug for t in tax.types_of(category.slug)))
    click.echo("Root-cause patterns and their manifestations:")
    for pattern in tax.patterns.values():
        manifestations = ", ".join(m.slug for m in tax.manifestations_of(pattern.slug))
        click.echo(f"  {pattern.slug}: {manifestations}")
    click.echo("Controls: " + ", ".join(tax.controls))
