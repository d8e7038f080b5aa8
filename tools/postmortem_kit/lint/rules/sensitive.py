"""Rules that keep secrets and personal data out of the repository.

Messages never repeat what they found: a lint log is itself a place secrets leak.

The `secret` rule runs the regular expressions of detect-secrets' detectors,
which that project keeps up to date as services change their token formats,
next to a few of our own for what it has no detector for. Its expressions are
read from the installed package at run time, never copied here.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import os
import re
import zlib
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import NamedTuple, cast

from postmortem_kit.format.cache import cache_path, read_json, write_json
from postmortem_kit.format.patterns import LazyPattern
from postmortem_kit.format.read import Postmortem
from postmortem_kit.format.vocabulary import PUBLIC
from postmortem_kit.lint.rules.base import Context, Problem, rule

# Each pattern comes with hints: strings of which every match contains one. It
# runs only on lines with one of its hints, so a clean file is cheap. A hint in
# lower case is looked for in the lowered line, any other as written: so a
# pattern that ignores case needs lower-case hints.

# What detect-secrets has no detector for: (kind, pattern, hints).
OWN_SECRETS = [
    # Theirs know seven armour lines; ours also PKCS#8 ENCRYPTED and any other kind.
    ("a private key", r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----", ("PRIVATE KEY",)),
    # Theirs know ghp_ and its kin, not fine-grained tokens.
    ("a GitHub token", r"\bgithub_pat_\w{60,}", ("github_pat_",)),
    # Theirs see an npm token only in an .npmrc line.
    ("an npm token", r"\bnpm_[A-Za-z0-9]{36}\b", ("npm_",)),
    ("a Google API key", r"\bAIza[0-9A-Za-z_-]{35}\b", ("AIza",)),
    # Theirs match any eyJ….…, then decode it in Python code we do not run; ours
    # needs a header, a payload and a signature.
    (
        "a JSON Web Token",
        r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[\w-]{8,}",
        ("eyJ",),
    ),
]
# Generic shapes: where a specific detector's match overlaps one of these, the
# specific kind is reported (`api_key = 'sk_live_…'` is a Stripe key).
OWN_GENERIC = [
    # Theirs refuse a password with any of !$&'()*+,;= (legal in a URL) in it.
    ("a credential in a URL", r"://[^\s/:@]+:[^\s/@]{3,}@", ("://",)),
    # Theirs know only OpenAI's old keys (…T3BlbkFJ…), not sk-proj- or Anthropic's sk-ant-.
    ("an API key (sk-…)", r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}", ("sk-",)),
    # The value needs a small letter and, after its first character, a capital,
    # digit or +/=: so "Basic authentication" or "Bearer REDACTED" pass.
    (
        "an HTTP Authorization header",
        r"(?i:\bauthorization[\"']?[ \t]*[:=][ \t]*[\"']?(?:basic|bearer|token)[ \t]+)"
        r"(?=[\w+/=.~-]*[a-z])(?=\S[\w+/=.~-]*[A-Z0-9+/=])[\w+/=.~-]{8,}",
        ("authorization",),
    ),
    # After a letter or digit it is another word; after _ it is DB_PASSWORD or client_secret.
    (
        "a password or secret assignment",
        r"(?i)(?<![A-Za-z0-9])(?:password|passwd|secret|api[_-]?key|access[_-]?token|auth[_-]?token)"
        r"\s*[:=]\s*['\"]?(?=[A-Za-z0-9/+_.-]*[0-9])[A-Za-z0-9/+_.-]{12,}",
        ("password", "passwd", "secret", "api_key", "api-key", "apikey")
        + ("access_token", "access-token", "accesstoken", "auth_token", "auth-token", "authtoken"),
    ),
]
# detect-secrets' detectors by class name: the kind our message names, and the
# hints of their expressions. One that a later version adds is used too, named
# by its own description, on every line until it has hints here.
DETECT_SECRETS = {
    "AWSKeyDetector": ("an AWS access key", ("AKIA", "ASIA", "ABIA", "ACCA", "A3T", "aws")),
    "ArtifactoryDetector": ("an Artifactory token", ("AKC", "AP")),
    "AzureStorageKeyDetector": ("an Azure storage account key", ("AccountKey=",)),
    "BasicAuthDetector": ("a credential in a URL", ("://",)),
    # cloudant_password = …, cl-key: …, or https://…:…@….cloudant.com
    "CloudantDetector": ("a Cloudant credential", ("cl",)),
    "DiscordBotTokenDetector": ("a Discord bot token", ()),  # see LONG_TOKENS
    "GitHubTokenDetector": ("a GitHub token", ("ghp_", "gho_", "ghu_", "ghs_", "ghr_")),
    "GitLabTokenDetector": (
        "a GitLab token",
        ("glpat-", "gldt-", "glft-", "glsoat-", "glrt-", "glcbt-", "glimt-", "glptt-")
        + ("glagent-", "gloas-", "GR1348941"),
    ),
    # [ibm_cloud_iam_][api]key = …, pwd, pass(word) or token
    "IbmCloudIamDetector": ("an IBM Cloud IAM key", ("key", "pwd", "pass", "token")),
    # [ibm_cos_hmac_]secret_access_key = …
    "IbmCosHmacDetector": ("an IBM Cloud Object Storage HMAC key", ("secret",)),
    "MailchimpDetector": ("a Mailchimp API key", ("-us",)),
    "NpmDetector": ("an npm token", ("/:_authToken=",)),
    "OpenAIDetector": ("an OpenAI API key", ("T3BlbkFJ",)),
    "PrivateKeyDetector": ("a private key", ("PRIVATE KEY", "PuTTY-User-Key-File-2")),
    "PypiTokenDetector": ("a PyPI token", ("pypi-",)),
    "SendGridDetector": ("a SendGrid API key", ("SG.",)),
    "SlackDetector": ("a Slack token", ("xox", "hooks.slack.com")),
    # softlayer_api_key = …, sl-token: …, or https://api.softlayer.com/soap/v3/…
    "SoftlayerDetector": ("a SoftLayer API key", ("softlayer", "sl")),
    "SquareOAuthDetector": ("a Square OAuth secret", ("sq0csp-",)),
    "StripeDetector": ("a Stripe key", ("sk_live_", "rk_live_")),
    "TelegramBotTokenDetector": ("a Telegram bot token", ()),  # see LONG_TOKENS
    "TwilioKeyDetector": ("a Twilio key", ("AC", "SK")),
}
# These have no fixed part to hint at, but each match is a run of LONG_TOKEN or
# more non-spaces, which few postmortems have: they run over the whole of those.
LONG_TOKENS = {"DiscordBotTokenDetector", "TelegramBotTokenDetector"}
LONG_TOKEN = 44  # Telegram's shortest (8 + 1 + 35); Discord's are 59
# Their regex detectors we leave out. Their entropy and keyword detectors are
# not regex detectors and are left out too: they flag any quoted commit hash or
# checksum, and our assignment pattern above covers `password = …`.
LEFT_OUT = {
    "IPPublicDetector": "an IP address is not a credential",
    "JwtTokenDetector": "half of it is Python code (see OWN_SECRETS)",
}
# With an empty prefix these match any 44- or 48-character value assigned to a
# key or secret: name it our generic way when ours matches too.
GENERIC_DETECTORS = {"IbmCloudIamDetector", "IbmCosHmacDetector"}


@rule("secret", "error", needs_front_matter=False)
def check_secrets(postmortem: Postmortem, context: Context) -> Iterable[Problem]:
    """Credentials, keys or tokens anywhere in the file."""
    for offset, kind in _scanner().find(postmortem.text):
        yield Problem.at(
            postmortem.text_position(offset),
            f"this looks like {kind}: remove it, rotate the credential, and refer to "
            "it by name (e.g. 'the support-bot API key') instead",
        )


def secrets_in(text: str) -> list[str]:
    """The secrets that the `secret` rule finds in `text`, as they are written there:
    for lint to hide them where another rule's message repeats them."""
    return [text[m.start : _end_of_block(text, m.end)] for m in _scanner().spans(text)]


def _end_of_block(text: str, end: int) -> int:
    """Past a private key's whole block: the rule matches its first armour line."""
    if not text[:end].endswith("PRIVATE KEY-----"):
        return end
    close = text.find("-----END", end)
    return len(text) if close == -1 else close


# --- Scanning --------------------------------------------------------------
#
# Combined into one regex, the fifty-odd expressions took 12 ms a file: re tries
# every alternative at every position, and many start with a look-behind or a
# character class, so it cannot skip ahead to a literal. Hints are quicker to
# find: one regex of all of them (two: as written, and lowered) finds the lines
# worth a closer look. On such a line, only the detectors whose hints it has
# run, and only over that line: detect-secrets matches line by line too. A clean
# file costs four quick passes (lower, long token, hints twice): about 0.1 ms.


class _Detector(NamedTuple):
    kind: str
    patterns: list[tuple[str, int]]  # (pattern, flags)
    hints: tuple[str, ...]  # none: it runs over the whole text
    long_token: bool  # without hints: only where there is a long token
    generic: bool


class _Match(NamedTuple):  # ordered by precedence: specific first, then leftmost
    generic: bool
    start: int
    rank: int  # of the detector: ours first
    end: int


# A match with a placeholder or a redaction in it names no secret: ${DB_PASSWORD},
# $TOKEN, {{ token }}, <password>, %(password)s, REDACTED, ****.
_PLACEHOLDER = LazyPattern(
    r"\$\{|\$[A-Z_][A-Z0-9_]*\b|\{\{|<[^<>\s]+>|%\(\w+\)s|(?i:redacted)|\*{3}"
)
# What a pattern may consume before the secret: a separator or an opening quote.
_LEADING = LazyPattern(r"[\s\"'=:\[]+(?=\w)")


class _Scanner:
    def __init__(self, detectors: list[_Detector]) -> None:
        self.detectors = detectors
        # (hint, whether to look for it in the lowered line, rank of its detector)
        self.hints = [(h, h.islower(), r) for r, d in enumerate(detectors) for h in d.hints]
        self.find_hint = _any_of(h for h, lowered, _ in self.hints if not lowered)
        self.find_lowered_hint = _any_of(h for h, lowered, _ in self.hints if lowered)

    def find(self, text: str) -> list[tuple[int, str]]:
        """Offset and kind of each secret in `text`, in order."""
        return [(m.start, self.detectors[m.rank].kind) for m in self.spans(text)]

    def spans(self, text: str) -> list[_Match]:
        """Each secret in `text`, in order: where it starts and ends, and its detector."""
        lowered = _lower(text)
        long_token = _has_long_token(text)
        found: list[_Match] = []
        for rank, detector in enumerate(self.detectors):
            if not detector.hints and (long_token or not detector.long_token):
                found.extend(_matches(detector, rank, text, 0, len(text)))
        lines = _lines_with(self.find_hint, text) | _lines_with(self.find_lowered_hint, lowered)
        for start, end in lines:
            line, line_lowered = text[start:end], lowered[start:end]
            wanted = {r for h, low, r in self.hints if h in (line_lowered if low else line)}
            for rank in wanted:
                found.extend(_matches(self.detectors[rank], rank, text, start, end))
        return _one_per_secret(found)


def _matches(detector: _Detector, rank: int, text: str, start: int, end: int) -> Iterator[_Match]:
    for pattern, flags in detector.patterns:
        for match in _compiled(pattern, flags).finditer(text, start, end):
            if match.end() > match.start() and not _PLACEHOLDER.search(match.group()):
                lead = _LEADING.match(text, match.start(), match.end())
                offset = lead.end() if lead else match.start()
                yield _Match(detector.generic, offset, rank, match.end())


@functools.cache
def _compiled(pattern: str, flags: int) -> re.Pattern[str]:
    """Compiled when first needed: in most files most detectors never run."""
    # MULTILINE: ^ and $ in detect-secrets' expressions mean a line's ends
    return re.compile(pattern, flags | re.MULTILINE)


def _any_of(hints: Iterable[str]) -> re.Pattern[str]:
    """A regex that finds any of the hints. Grouped by first character (a(?:ws|uth…)|…),
    it takes about half the time of a flat a|b|c…, which re tries one by one everywhere."""
    by_first: dict[str, list[str]] = {}
    for hint in sorted(set(hints)):
        by_first.setdefault(hint[0], []).append(re.escape(hint[1:]))
    groups = [f"{re.escape(first)}(?:{'|'.join(rests)})" for first, rests in by_first.items()]
    return re.compile("|".join(groups) or "(?!)")


def _lines_with(finder: re.Pattern[str], text: str) -> set[tuple[int, int]]:
    """(start, end) of each line where `finder` matches."""
    lines: set[tuple[int, int]] = set()
    end = -1
    for hit in finder.finditer(text):
        if hit.start() < end:
            continue  # on the line of the previous hit
        start = text.rfind("\n", 0, hit.start()) + 1
        end = text.find("\n", hit.start())
        end = len(text) if end == -1 else end
        lines.add((start, end))
    return lines


def _lower(text: str) -> str:
    lowered = text.lower()
    # offsets must line up; lower() lengthens a few letters (İ): leave those be
    return lowered if len(lowered) == len(text) else text.translate(_ASCII_LOWER)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
# UTF-8 bytes to b" " (ASCII whitespace) or b"x" (anything else).
_SPACE_OR_X = bytes(32 if chr(b).isspace() else 120 for b in range(128)) + b"x" * 128


def _has_long_token(text: str) -> bool:
    """Whether `text` may have LONG_TOKEN non-space characters in a row (counting a
    character outside ASCII once per byte): 6 µs a file, where a regex takes 90."""
    return b"x" * LONG_TOKEN in text.encode("utf-8", "replace").translate(_SPACE_OR_X)


def _one_per_secret(matches: list[_Match]) -> list[_Match]:
    """Where matches overlap, the specific one, else the leftmost, else the first detector's."""
    kept: list[_Match] = []
    for match in sorted(matches):
        if all(match.end <= k.start or k.end <= match.start for k in kept):
            kept.append(match)
    return sorted(kept, key=lambda m: m.start)


# --- The detectors, and the cache of their patterns ------------------------
#
# Importing any detect-secrets detector imports the whole package (requests,
# its filters and settings): about 100 ms, half of linting one file in a
# pre-commit hook. So their patterns are kept as JSON in the user's cache
# folder, named by a fingerprint of the path, size and time of each
# detect-secrets plugin file and of this file (whose next version may read the
# cache differently), taken without importing the package. Reading it takes
# about a millisecond. Where nothing can be written, the patterns are read from
# detect-secrets on every run: slower, same findings.

# {class name: (its description, [(pattern, flags), …])}; lists once read back from JSON
_Theirs = dict[str, tuple[str, list[tuple[str, int]]]]


@functools.cache
def _scanner() -> _Scanner:
    cache = _cache()
    theirs = _read_cache(*cache) if cache else None
    if theirs is None:
        theirs, version = _detect_secrets_patterns()
        if cache:
            _write_cache(*cache, theirs, version)
    return _Scanner(_detectors(theirs))


def _detectors(theirs: _Theirs) -> list[_Detector]:
    """Ours first, so that where two detectors match alike, ours names the kind."""
    detectors = [_Detector(k, [(p, 0)], h, False, False) for k, p, h in OWN_SECRETS]
    detectors += [_Detector(k, [(p, 0)], h, False, True) for k, p, h in OWN_GENERIC]
    for name, (description, patterns) in sorted(theirs.items()):
        if name not in LEFT_OUT:
            kind, hints = DETECT_SECRETS.get(name, (f"a credential ({description})", ()))
            generic = name in GENERIC_DETECTORS
            detectors.append(_Detector(kind, patterns, hints, name in LONG_TOKENS, generic))
    return detectors


def _detect_secrets_patterns() -> tuple[_Theirs, str]:
    from detect_secrets.__version__ import VERSION
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.plugins.base import BasePlugin, RegexBasedDetector

    theirs: _Theirs = {}
    # Annotated: the function's return type uses a TypeVar that nothing binds.
    plugins: Mapping[str, type[BasePlugin]] = get_mapping_from_secret_type_to_class()
    for description, detector in plugins.items():
        if issubclass(detector, RegexBasedDetector):
            # Each detector sets denylist as a class attribute; the base class
            # declares it as an abstract property, which the class itself is not.
            denylist = cast("Iterable[re.Pattern[str]]", detector.denylist)
            patterns = [(regex.pattern, int(regex.flags)) for regex in denylist]
            theirs[detector.__name__] = (description, patterns)
    return theirs, VERSION


def _cache() -> tuple[Path, str] | None:
    """The cache file, and the fingerprint it must hold to be current."""
    spec = importlib.util.find_spec("detect_secrets")  # finds it, does not import it
    if spec is None or not spec.submodule_search_locations:
        return None
    plugins = Path(next(iter(spec.submodule_search_locations))) / "plugins"
    fingerprint = ""
    with contextlib.suppress(OSError):
        plugin_files = sorted(e.path for e in os.scandir(plugins) if e.name.endswith(".py"))
        for file in [__file__, *plugin_files]:
            stat = os.stat(file)
            fingerprint += f"{file}:{stat.st_size}:{stat.st_mtime_ns};"
    # crc32 names the file (hashlib would add 2-6 ms of OpenSSL to every run); the
    # fingerprint inside it is compared in full
    path = cache_path(f"secret-patterns-{zlib.crc32(fingerprint.encode()):08x}.json")
    return (path, fingerprint) if path else None


def _read_cache(path: Path, fingerprint: str) -> _Theirs | None:
    try:
        content = read_json(path)
        theirs = content["detectors"] if content["fingerprint"] == fingerprint else {}
        patterns = [p for _, patterns in theirs.values() for p, _ in patterns]
    except (ValueError, KeyError, TypeError, AttributeError):
        return None  # missing, from another version of this code, or damaged: rebuild it
    return theirs if patterns and all(isinstance(p, str) for p in patterns) else None


def _write_cache(path: Path, fingerprint: str, theirs: _Theirs, version: str) -> None:
    write_json(path, {"fingerprint": fingerprint, "detect_secrets": version, "detectors": theirs})


# --- Personal data -----------------------------------------------------------

# Reserved for documentation (RFC 2606, RFC 6761): safe to use in examples.
_EXAMPLE_DOMAIN = LazyPattern(r"(^|\.)(example\.(com|org|net)|example|test|invalid|localhost)$")
EMAIL = LazyPattern(r"\b[A-Za-z0-9._%+-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})\b")
# One pass over the text; the group that matched names the kind.
PERSONAL_DATA = LazyPattern(
    r"(?P<international_phone>(?<![\w.+-])\+[1-9][0-9]{0,2}(?:[ .-]?[0-9]{2,4}){2,5}\b)"
    r"|(?P<phone>(?<![\w.-])\(?[0-9]{3}\)?[ .-][0-9]{3}[ .-][0-9]{4}\b)"
    r"|(?P<ssn>(?<![\w-])[0-9]{3}-[0-9]{2}-[0-9]{4}(?![\w-]))"
)
# Where any of them could start: a run of digits and separators, found fast.
_DIGIT_RUN = LazyPattern(r"[+(]?[0-9][0-9 ().-]{7,}[0-9]")
_KIND = {
    "international_phone": "a phone number",
    "phone": "a phone number",
    "ssn": "a US social security number",
}


@rule("pii-in-public", "error")
def check_personal_data(postmortem: Postmortem, context: Context) -> Iterable[Problem]:
    """E-mail addresses, phone numbers or similar in a `visibility: public` postmortem."""
    if postmortem.get("visibility") != PUBLIC:
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
