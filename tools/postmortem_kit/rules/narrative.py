"""Rules on the narrative (the Markdown body) as the site will show it."""

from __future__ import annotations
