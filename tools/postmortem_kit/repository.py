"""The repository a command or a build works on, loaded in one place.

The CLI, the site and the MkDocs plugin all start here, so they agree on the
root, the configuration, the taxonomy, the schema and the git history. History
is looked up by display path (`History.by_display_path`), the path findings and
pages show, relative to a base the caller names: the git top and the
configured root differ in a monorepo.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property
from pathlib import Path

from postmortem_kit.format.config import Config, ConfigError, find_root, load_config
from postmortem_kit.format.schema import SchemaValidator, build_schema
from postmortem_kit.format.taxonomy import Taxonomy, TaxonomyError, load_taxonomy
from postmortem_kit.git.history import FileHistory, History, read_first_commits, read_history


class Repository:
    """Root, configuration and taxonomy; the validator and the history are
    made on first use (`postmortem new` needs neither)."""

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
    def history(self) -> History[FileHistory] | None:
        """Every postmortem's history, in one pass over the git log; None outside git."""
        return read_history(self.root, self.postmortems_dir)

    @cached_property
    def first_commits(self) -> History[dt.datetime] | None:
        """When each postmortem was first committed; None outside git."""
        return read_first_commits(self.root, self.postmortems_dir)


def load_repository(start: Path) -> Repository:
    """The repository around `start`; ConfigError says what to fix when it cannot be used."""
    root = find_root(start)
    config = load_config(root)
    try:
        taxonomy = load_taxonomy(config.taxonomy)
    except TaxonomyError as e:
        raise ConfigError(str(e)) from None
    return Repository(root, config, taxonomy)
