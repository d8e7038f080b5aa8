"""Rules that keep secrets and personal data out of the repository.

Messages never repeat what they found: a lint log is itself a place secrets leak.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from postmortem_kit.read import Postmortem
from postmortem_kit.rules.base import Context, Problem, rule

SECRETS = [
    ("a private key", re.compile(r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----")),
    ("an AWS access key", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("a GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_\w{60,})")),
    ("a Slack token", re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}")),
    ("an API key (sk-…)", re.compile(r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}")),
    ("a Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    ("a JSON Web Token", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[\w-]{8,}")),
    ("a credential in a URL", re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s/:@]+:[^\s/@]{3,}@")),
    (
        "a password or secret assignment",
        re.compile(
            r"(?i)\b(?:password|passwd|secret|api[_-]?key|access[_-]?token|auth[_-]?token)"
            r"\s*[:=]\s*['\"]?(?=[A-Za-z0-9/+_.-]*[0-9])[A-Za-z0-9/+_.-]{12,}"
        ),
    ),
]

# Reserved for documentation (RFC 2606, RFC 6761): safe to use in examples.
_EXAMPLE_DOMAIN = re.compile(r"(^|\.)(example\.(com|org|net)|example|test|invalid|localhost)$")
EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})\b")
PERSONAL_DATA = [
    ("a phone number", re.compile(r"(?<![\w.+-])\+[1-9][0-9]{0,2}(?:[ .-]?[0-9]{2,4}){2,5}\b")),
    ("a phone number", re.compile(r"(?<![\w.-])\(?[0-9]{3}\)?[ .-][0-9]{3}[ .-][0-9]{4}\b")),
    ("a US social security number", re.compile(r"(?<![\w-])[0-9]{3}-[0-9]{2}-[0-9]{4}(?![\w-])")),
]


@rule("secret", "error", needs_front_matter=False)
def check_secrets(postmortem: Postmortem, context: Context) -> Iterable[Problem]:
    """Credentials, keys or tokens anywhere in the file."""
    for number, line in enumerate(postmortem.text.split("\n"), start=1):
        for kind, pattern in SECRETS:
            for match in pattern.finditer(line):
                yield Problem(
                    number,
                    match.start() + 1,
                    f"this looks like {kind}: remove it, rotate the credential, and refer to "
                    "it by name (e.g. 'the support-bot API key') instead",
                )


@rule("pii-in-public", "error")
def check_personal_data(postmortem: Postmortem, context: Context) -> Iterable[Problem]:
    """E-mail addresses, phone numbers or similar in a `visibility: public` postmortem."""
    if postmortem.get("visibility") != "public":
        return
    for number, line in enumerate(postmortem.text.split("\n"), start=1):
        for match in EMAIL.finditer(line):
            if not _EXAMPLE_DOMAIN.search(match.group(1).lower()):
                yield _personal(number, match.start(), "an e-mail address")
        for kind, pattern in PERSONAL_DATA:
            for match in pattern.finditer(line):
                yield _personal(number, match.start(), kind)


def _personal(line: int, start: int, kind: str) -> Problem:
    return Problem(
        line,
        start + 1,
        f"{kind} in a public postmortem: remove it or replace it with a role "
        "(e.g. 'the on-call engineer'), or set visibility to internal",
    )
