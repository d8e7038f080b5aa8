"""The repository a command or a build works on, loaded in one place.

The CLI, the site and the MkDocs plugin all start here, so they agree on the
root, the configuration, the taxonomy, the schema and the git history. History
is keyed by display path, the path findings and pages show, relative to a base
the caller names: the git top and the configured root differ in a monorepo.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property
from pathlib import Path

from postmortem_kit.format.config import Config, ConfigError, find_root, load_config
from postmortem_kit.format.schema import SchemaValidator, build_schema
from postmortem_kit.format.taxonomy import Taxonomy, TaxonomyError, load_taxonomy
from postmortem_kit.git.history import FileHistory, History, read_history


class Repository:
    """Root, configuration and taxonomy; the validator and the history are
    made on first use (a `new` needs neither, one file's lint rarely needs git)."""

    def __init__(self, root: Path, config: Config, taxonomy: Taxonomy) -> None:
        self.root = root
        self.config = config
        self.taxonomy = taxonomy

    @property
    def postmortems_dir(self) -> Path:
        return self.config.postmortems_dir

    @cached_property
    def validator(self) -> SchemaValidator:
        return SchemaValidator(build_schema(self.taxonomy, self.config.id_prefix))

    @cached_property
    def history(self) -> History | None:
        """One pass over the git log; None outside a git checkout."""
        return read_history(self.root, self.postmortems_dir)

    def histories(
        self, base: Path, paths: Iterable[Path] | None = None
    ) -> dict[str, FileHistory] | None:
        """The history of each committed postmortem (or of `paths` only), by its
        path relative to `base`; None outside a git checkout."""
        return self.history.by_display_path(base, paths) if self.history else None


def load_repository(start: Path) -> Repository:
    """The repository around `start`; ConfigError says what to fix when it cannot be used."""
    root = find_root(start)
    config = load_config(root)
    try:
        taxonomy = load_taxonomy(config.taxonomy)
    except TaxonomyError as e:
        raise ConfigError(str(e)) from None
    return Repository(root, config, taxonomy)
