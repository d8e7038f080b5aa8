"""Linting: the rules, the runner that applies them, and the reporters."""
