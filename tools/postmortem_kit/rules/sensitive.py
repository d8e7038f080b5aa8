"""Rules that keep secrets and personal data out of the repository.

Messages never repeat what they found: a lint log is itself a place secrets leak.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from postmortem_kit.read import Postmortem
from postmortem_kit.rules.base import Context, Problem, rule

# (kind, literal hints, pattern): the pattern runs only where a hint occurs,
# which keeps the scan of a clean file to a few substring searches.
SECRETS = [
    ("a private key", ("PRIVATE KEY",), r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----"),
    ("an AWS access key", ("AKIA", "ASIA"), r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    (
        "a GitHub token",
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
        r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_\w{60,})",
    ),
    ("a Slack token", ("xox",), r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    ("an API key (sk-…)", ("sk-",), r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}"),
    ("a Google API key", ("AIza",), r"\bAIza[0-9A-Za-z_-]{35}\b"),
    ("a JSON Web Token", ("eyJ",), r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[\w-]{8,}"),
    ("a credential in a URL", ("://",), r"://[^\s/:@]+:[^\s/@]{3,}@"),
    (
        "a password or secret assignment",
        ("password", "passwd", "secret", "api_key", "api-key", "apikey", "token"),
        r"(?i)\b(?:password|passwd|secret|api[_-]?key|access[_-]?token|auth[_-]?token)"
        r"\s*[:=]\s*['\"]?(?=[A-Za-z0-9/+_.-]*[0-9])[A-Za-z0-9/+_.-]{12,}",
    ),
]
_SECRETS = [(kind, hints, re.compile(pattern)) for kind, hints, pattern in SECRETS]

# Reserved for documentation (RFC 2606, RFC 6761): safe to use in examples.
_EXAMPLE_DOMAIN = re.compile(r"(^|\.)(example\.(com|org|net)|example|test|invalid|localhost)$")
EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})\b")
# One pass over the text; the group that matched names the kind.
PERSONAL_DATA = re.compile(
    r"(?P<international_phone>(?<![\w.+-])\+[1-9][0-9]{0,2}(?:[ .-]?[0-9]{2,4}){2,5}\b)"
    r"|(?P<phone>(?<![\w.-])\(?[0-9]{3}\)?[ .-][0-9]{3}[ .-][0-9]{4}\b)"
    r"|(?P<ssn>(?<![\w-])[0-9]{3}-[0-9]{2}-[0-9]{4}(?![\w-]))"
)
# Where any of them could start: a run of digits and separators, found fast.
_DIGIT_RUN = re.compile(r"[+(]?[0-9][0-9 ().-]{7,}[0-9]")
_KIND = {
    "international_phone": "a phone number",
    "phone": "a phone number",
    "ssn": "a US social security number",
}


@rule("secret", "error", needs_front_matter=False)
def check_secrets(postmortem: Postmortem, context: Context) -> Iterable[Problem]:
    """Credentials, keys or tokens anywhere in the file."""
    text = postmortem.text
    lowered = text.lower()
    for kind, hints, pattern in _SECRETS:
        if not any(hint in text or hint in lowered for hint in hints):
            continue
        for match in pattern.finditer(text):
            yield Problem.at(
                postmortem.text_position(match.start()),
                f"this looks like {kind}: remove it, rotate the credential, and refer to "
                "it by name (e.g. 'the support-bot API key') instead",
            )


@rule("pii-in-public", "error")
def check_personal_data(postmortem: Postmortem, context: Context) -> Iterable[Problem]:
    """E-mail addresses, phone numbers or similar in a `visibility: public` postmortem."""
    if postmortem.get("visibility") != "public":
        return
    text = postmortem.text
    for match in EMAIL.finditer(text) if "@" in text else ():
        if not _EXAMPLE_DOMAIN.search(match.group(1).lower()):
            yield _personal(postmortem, match.start(), "an e-mail address")
    for run in _DIGIT_RUN.finditer(text):
        # one character past the run, so the patterns' boundary checks see it
        for match in PERSONAL_DATA.finditer(text, run.start(), run.end() + 1):
            yield _personal(postmortem, match.start(), _KIND[match.lastgroup or "phone"])


def _personal(postmortem: Postmortem, offset: int, kind: str) -> Problem:
    return Problem.at(
        postmortem.text_position(offset),
        f"{kind} in a public postmortem: remove it or replace it with a role "
        "(e.g. 'the on-call engineer'), or set visibility to internal",
    )
