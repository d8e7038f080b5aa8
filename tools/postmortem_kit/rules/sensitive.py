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
import json
import os
import re
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

from postmortem_kit.read import Postmortem
from postmortem_kit.rules.base import Context, Problem, rule

# What detect-secrets has no detector for: (kind, pattern, flags).
OWN_SECRETS = [
    # Theirs know seven armour lines; ours also PKCS#8 ENCRYPTED and any other kind.
    ("a private key", r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----", 0),
    # Theirs know ghp_ and its kin, not fine-grained tokens.
    ("a GitHub token", r"\bgithub_pat_\w{60,}", 0),
    # Theirs see an npm token only in an .npmrc line.
    ("an npm token", r"\bnpm_[A-Za-z0-9]{36}\b", 0),
    ("a Google API key", r"\bAIza[0-9A-Za-z_-]{35}\b", 0),
    # Theirs match any eyJ….…, then decode it in Python code we do not run; ours
    # needs a header, a payload and a signature.
    ("a JSON Web Token", r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[\w-]{8,}", 0),
]
# Generic shapes: where a specific detector's match overlaps one of these, the
# specific kind is reported (`api_key = 'sk_live_…'` is a Stripe key).
OWN_GENERIC = [
    # Theirs refuse a password with any of !$&'()*+,;= (legal in a URL) in it.
    ("a credential in a URL", r"://[^\s/:@]+:[^\s/@]{3,}@", 0),
    # Theirs know only OpenAI's old keys (…T3BlbkFJ…), not sk-proj- or Anthropic's sk-ant-.
    ("an API key (sk-…)", r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}", 0),
    # The value needs a small letter and, after its first character, a capital,
    # digit or +/=: so "Basic authentication" or "Bearer REDACTED" pass.
    (
        "an HTTP Authorization header",
        r"(?i:\bauthorization[\"']?[ \t]*[:=][ \t]*[\"']?(?:basic|bearer|token)[ \t]+)"
        r"(?=[\w+/=.~-]*[a-z])(?=\S[\w+/=.~-]*[A-Z0-9+/=])[\w+/=.~-]{8,}",
        0,
    ),
    # After a letter or digit it is another word; after _ it is DB_PASSWORD or client_secret.
    (
        "a password or secret assignment",
        r"(?<![A-Za-z0-9])(?:password|passwd|secret|api[_-]?key|access[_-]?token|auth[_-]?token)"
        r"\s*[:=]\s*['\"]?(?=[A-Za-z0-9/+_.-]*[0-9])[A-Za-z0-9/+_.-]{12,}",
        re.IGNORECASE,
    ),
]
# detect-secrets' detectors by class name, and the kind our message names. One
# it adds in a later version is used too, named by its own description.
DETECT_SECRETS_KINDS = {
    "AWSKeyDetector": "an AWS access key",
    "ArtifactoryDetector": "an Artifactory token",
    "AzureStorageKeyDetector": "an Azure storage account key",
    "BasicAuthDetector": "a credential in a URL",
    "CloudantDetector": "a Cloudant credential",
    "DiscordBotTokenDetector": "a Discord bot token",
    "GitHubTokenDetector": "a GitHub token",
    "GitLabTokenDetector": "a GitLab token",
    "IbmCloudIamDetector": "an IBM Cloud IAM key",
    "IbmCosHmacDetector": "an IBM Cloud Object Storage HMAC key",
    "MailchimpDetector": "a Mailchimp API key",
    "NpmDetector": "an npm token",
    "OpenAIDetector": "an OpenAI API key",
    "PrivateKeyDetector": "a private key",
    "PypiTokenDetector": "a PyPI token",
    "SendGridDetector": "a SendGrid API key",
    "SlackDetector": "a Slack token",
    "SoftlayerDetector": "a SoftLayer API key",
    "SquareOAuthDetector": "a Square OAuth secret",
    "StripeDetector": "a Stripe key",
    "TelegramBotTokenDetector": "a Telegram bot token",
    "TwilioKeyDetector": "a Twilio key",
}
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


# --- Scanning --------------------------------------------------------------
#
# Combined into one regex, the fifty-odd expressions took 12 ms a file (the
# whole rule used to take 0.13 ms): re tries every alternative at every
# position, and many start with a look-behind or a character class, so it cannot
# skip ahead to a literal. So each detector carries hints, literal strings of
# which every match contains one, derived from its expression (see `_hints`).
# One regex of all hints (two: case-sensitive and not) finds the lines worth a
# closer look. On such a line, only the detectors whose hints it contains run,
# and only over that line: detect-secrets matches line by line too. The two
# without a literal (Telegram, Discord) run only on files with a long enough
# run of non-space characters. A clean file costs three quick passes.


class _Detector(NamedTuple):
    kind: str
    pattern: str
    flags: int
    hints: tuple[str, ...]
    ignorecase: bool  # the hints are lower case, to look for in the lowered text
    token: int  # without hints: each match lies in a run of this many non-spaces, or 0
    generic: bool


class _Match(NamedTuple):  # ordered by precedence: specific first, then leftmost
    generic: bool
    start: int
    index: int  # of the detector
    end: int


# A match with a placeholder or a redaction in it names no secret: ${DB_PASSWORD},
# $TOKEN, {{ token }}, <password>, %(password)s, REDACTED, ****.
_PLACEHOLDER = re.compile(
    r"\$\{|\$[A-Z_][A-Z0-9_]*\b|\{\{|<[^<>\s]+>|%\(\w+\)s|(?i:redacted)|\*{3}"
)
# What a pattern may consume before the secret: a separator or an opening quote.
_LEADING = re.compile(r"[\s\"'=:\[]+(?=\w)")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


class _Scanner:
    def __init__(self, detectors: list[_Detector]) -> None:
        self.detectors = detectors
        self.unhinted = [i for i, d in enumerate(detectors) if not d.hints and not d.token]
        self.in_tokens = [i for i, d in enumerate(detectors) if not d.hints and d.token]
        self.token = min((detectors[i].token for i in self.in_tokens), default=0)
        self.hints = [(h, d.ignorecase, i) for i, d in enumerate(detectors) for h in d.hints]
        self.prefilter = _prefilter(h for h, lowered, _ in self.hints if not lowered)
        self.prefilter_lowered = _prefilter(h for h, lowered, _ in self.hints if lowered)
        self.compiled: dict[int, re.Pattern[str]] = {}

    def find(self, text: str) -> list[tuple[int, str]]:
        """Offset and kind of each secret in `text`, in order."""
        lowered = _lower(text)
        found = [m for i in self.unhinted for m in self._run(i, text, 0, len(text))]
        if self.token and _has_token(text, self.token):
            found.extend(m for i in self.in_tokens for m in self._run(i, text, 0, len(text)))
        lines = _lines_with(text, self.prefilter) | _lines_with(lowered, self.prefilter_lowered)
        for start, end in lines:
            line, line_lowered = text[start:end], lowered[start:end]
            wanted = {i for h, low, i in self.hints if h in (line_lowered if low else line)}
            for i in sorted(wanted):
                found.extend(self._run(i, text, start, end))
        return [(m.start, self.detectors[m.index].kind) for m in _one_per_secret(found)]

    def _run(self, index: int, text: str, start: int, end: int) -> Iterator[_Match]:
        detector = self.detectors[index]
        for match in self._compiled(index).finditer(text, start, end):
            if match.end() > match.start() and not _PLACEHOLDER.search(match.group()):
                lead = _LEADING.match(text, match.start(), match.end())
                offset = lead.end() if lead else match.start()
                yield _Match(detector.generic, offset, index, match.end())

    def _compiled(self, index: int) -> re.Pattern[str]:
        """Compiled when first needed: in most files most detectors never run."""
        if index not in self.compiled:
            detector = self.detectors[index]
            # MULTILINE: ^ and $ in detect-secrets' expressions mean a line's ends
            self.compiled[index] = re.compile(detector.pattern, detector.flags | re.MULTILINE)
        return self.compiled[index]


def _lower(text: str) -> str:
    lowered = text.lower()
    # offsets must line up; lower() lengthens a few letters (İ): leave those be
    return lowered if len(lowered) == len(text) else text.translate(_ASCII_LOWER)


# Bytes of UTF-8 text, ASCII whitespace to b" " and everything else to b"x".
_NON_SPACE = bytes(32 if chr(b).isspace() else 120 for b in range(128)) + b"x" * 128


def _has_token(text: str, length: int) -> bool:
    """Whether a run of `length` non-space characters may be in `text` (a character
    outside ASCII counts one per byte): 6 µs a file, where a regex takes 100."""
    return b"x" * length in text.encode("utf-8", "replace").translate(_NON_SPACE)


def _lines_with(text: str, prefilter: re.Pattern[str] | None) -> set[tuple[int, int]]:
    """(start, end) of each line where the prefilter matches."""
    lines: set[tuple[int, int]] = set()
    end = -1
    for hit in prefilter.finditer(text) if prefilter else ():
        if hit.start() < end:
            continue  # on the line of the previous hit
        start = text.rfind("\n", 0, hit.start()) + 1
        end = text.find("\n", hit.start())
        end = len(text) if end == -1 else end
        lines.add((start, end))
    return lines


def _one_per_secret(matches: list[_Match]) -> list[_Match]:
    """Where matches overlap, the specific one, else the leftmost, else the first detector's."""
    kept: list[_Match] = []
    for match in sorted(matches):
        if all(match.end <= k.start or k.end <= match.start for k in kept):
            kept.append(match)
    return sorted(kept, key=lambda m: m.start)


def _prefilter(words: Iterable[str]) -> re.Pattern[str] | None:
    unique = set(words)
    # a word that contains another adds nothing; what is left shares no prefix
    minimal = {w for w in unique if not any(o != w and o in w for o in unique)}
    return re.compile(_trie(minimal)) if minimal else None


def _trie(words: Iterable[str]) -> str:
    """One regex for many literal words, sharing prefixes: re tries each first letter once,
    where a flat alternation tries every word at every position."""
    branches: dict[str, list[str]] = {}
    for word in sorted(words):
        branches.setdefault(word[0], []).append(word[1:])
    parts = []
    for first, rests in branches.items():
        tails = [rest for rest in rests if rest]
        tail = _trie(tails) if tails else ""
        parts.append(re.escape(first) + (f"(?:{tail})" if len(tails) > 1 else tail))
    return "|".join(parts)


# --- The table of detectors, and its cache ---------------------------------
#
# Importing any detect-secrets detector imports the whole package (requests,
# its filters and settings): about 100 ms, half of linting one file in a
# pre-commit hook. So the table built from it (patterns, flags, kinds, hints) is
# kept as JSON in the user's cache folder, with a fingerprint of the path, size
# and time of each detect-secrets plugin file and of this file, taken without
# importing the package: another version of either, another virtualenv or an
# edit gives another fingerprint, so another file. Reading it takes about a
# millisecond. Where nothing can be written, the table is built on every run:
# slower, same findings.


@functools.cache
def _scanner() -> _Scanner:
    cache = _cache()
    detectors = _read_cache(*cache) if cache else None
    if detectors is None:
        detectors, version = _build_table()
        if cache:
            _write_cache(*cache, detectors, version)
    return _Scanner(detectors)


def _cache() -> tuple[Path, str] | None:
    """The cache file, and the fingerprint it must hold to be current."""
    spec = importlib.util.find_spec("detect_secrets")  # finds it, does not import it
    folder = _cache_folder()
    if spec is None or not spec.submodule_search_locations or folder is None:
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
    return folder / f"secret-patterns-{zlib.crc32(fingerprint.encode()):08x}.json", fingerprint


def _cache_folder() -> Path | None:
    base = os.environ.get("XDG_CACHE_HOME", "")
    try:
        root = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
    except RuntimeError:  # no home directory
        return None
    return root / "postmortem-kit"


def _read_cache(path: Path, fingerprint: str) -> list[_Detector] | None:
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
        rows = content["detectors"] if content["fingerprint"] == fingerprint else None
        detectors = [_Detector(**{**row, "hints": tuple(row["hints"])}) for row in rows or ()]
    except (OSError, ValueError, KeyError, TypeError):
        return None  # missing, from another version of this code, or damaged: rebuild it
    return detectors if detectors and all(isinstance(d.pattern, str) for d in detectors) else None


def _write_cache(path: Path, fingerprint: str, detectors: list[_Detector], version: str) -> None:
    content = {
        "fingerprint": fingerprint,
        "detect_secrets": version,
        "detectors": [d._asdict() for d in detectors],
    }
    with contextlib.suppress(OSError):  # read-only or full: the next run builds it again
        path.parent.mkdir(parents=True, exist_ok=True)
        # written aside, then renamed: parallel lint workers never read half a file
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(content, out, indent=1)
            os.replace(temporary, path)
        except OSError:
            os.unlink(temporary)


def _build_table() -> tuple[list[_Detector], str]:
    """Ours first, so that where two detectors match alike, ours names the kind."""
    from detect_secrets.__version__ import VERSION

    rows = [(kind, pattern, flags, False) for kind, pattern, flags in OWN_SECRETS]
    rows += [(kind, pattern, flags, True) for kind, pattern, flags in OWN_GENERIC]
    rows += _detect_secrets_rows()
    return [_Detector(k, p, f, *_hints(p, f), generic) for k, p, f, generic in rows], VERSION


def _detect_secrets_rows() -> list[tuple[str, str, int, bool]]:
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.plugins.base import RegexBasedDetector

    rows = []
    detectors = get_mapping_from_secret_type_to_class()
    for secret_type, detector in sorted(detectors.items(), key=lambda d: d[1].__name__):
        name = detector.__name__
        if not issubclass(detector, RegexBasedDetector) or name in LEFT_OUT:
            continue
        kind = DETECT_SECRETS_KINDS.get(name, f"a credential ({secret_type})")
        for regex in detector.denylist:
            rows.append((kind, regex.pattern, int(regex.flags), name in GENERIC_DETECTORS))
    return rows


# --- Hints: literal strings every match contains ---------------------------
#
# Derived from the parse tree of the expression (re's own parser), the way
# indexed regex search does it: a run of literal characters, small character
# classes, optional bits and alternations is expanded into the few strings it
# can be, and the best run gives the hints: strings of three characters or more,
# as few as possible. `(?:r|s)k_live_` gives rk_live_ and sk_live_. re._parser
# is private: if it ever changes, a detector just loses its hints and scans the
# whole text.

_CAP = 64  # most strings a piece may expand to before it stops being useful
_Strings = frozenset[str]


class _Literals(NamedTuple):
    """What the matches of a piece of an expression are known to contain."""

    exact: _Strings | None  # the piece matches one of these exactly
    prefix: _Strings | None  # each match starts with one of these
    inside: _Strings | None  # each match contains one of these


_NOTHING = _Literals(None, None, None)
_LONG_TOKEN = 24  # shorter runs of non-spaces (dates, ids, paths) are in most files


def _hints(pattern: str, flags: int) -> tuple[tuple[str, ...], bool, int]:
    """Hints, whether to look for them in the lowered text, and, without hints, the
    length of the run of non-space characters every match lies in (or 0)."""
    try:
        from re import _constants, _parser  # type: ignore[attr-defined]

        tree = _parser.parse(pattern, flags)
        walker = _LiteralWalker(_constants)
        found = walker.sequence(tree.data)
        ignorecase = bool(tree.state.flags & re.IGNORECASE) or walker.ignorecase
        width = tree.getwidth()[0] if _spaceless(tree.data, _constants) else 0
    except Exception:  # a private module: anything unexpected only costs speed
        return (), False, 0
    best = _best(found.exact, found.prefix, found.inside)
    if not best or min(map(len, best)) < 2 or any("\n" in h for h in best):
        # too common to be worth a pass of its own
        return (), False, width if width >= _LONG_TOKEN else 0
    hints = {h.lower() for h in best} if ignorecase else set(best)
    minimal = sorted(h for h in hints if not any(o != h and o in h for o in hints))
    return tuple(minimal), ignorecase, 0


def _spaceless(items: Any, c: Any) -> bool:
    """Whether no match of these parse-tree items can contain a space."""
    for op, av in items:
        if op is c.LITERAL:
            ok = not chr(av).isspace()
        elif op is c.IN:
            ok = all(_spaceless_in_set(o, a, c) for o, a in av)
        elif op in (c.AT, c.ASSERT, c.ASSERT_NOT):
            ok = True  # takes no characters of the match
        elif op is c.SUBPATTERN:
            ok = _spaceless(av[3], c)
        elif op is c.ATOMIC_GROUP:
            ok = _spaceless(av, c)
        elif op is c.BRANCH:
            ok = all(_spaceless(alternative, c) for alternative in av[1])
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
            ok = _spaceless(av[2], c)
        else:  # ., [^…], a back-reference…
            ok = False
        if not ok:
            return False
    return True


def _spaceless_in_set(op: Any, av: Any, c: Any) -> bool:
    if op is c.LITERAL:
        return not chr(av).isspace()
    if op is c.RANGE:
        return av[0] >= 0x21 and av[1] <= 0x7E  # printable ASCII, no space
    return op is c.CATEGORY and av in (c.CATEGORY_DIGIT, c.CATEGORY_WORD)


def _score(strings: _Strings | None) -> tuple[int, ...]:
    if not strings:
        return (-1,)
    shortest = min(map(len, strings))
    return (min(shortest, 3), -len(strings), shortest)  # beyond 3 letters, fewer beats longer


def _best(*options: _Strings | None) -> _Strings | None:
    return max(options, key=_score)


def _exact(strings: Iterable[str]) -> _Literals:
    frozen = frozenset(strings)
    return _Literals(frozen, frozen, None)


def _product(left: _Strings, right: _Strings) -> _Strings:
    return frozenset(a + b for a in left for b in right)


def _union(sets: Iterable[_Strings | None]) -> _Strings | None:
    union: set[str] = set()
    for strings in sets:
        if strings is None:
            return None
        union |= strings
    return frozenset(union) if len(union) <= _CAP else None


class _LiteralWalker:
    def __init__(self, constants: Any) -> None:
        self.c = constants
        self.ignorecase = False  # set by a (?i:…) group

    def sequence(self, items: Any) -> _Literals:
        run: _Strings = frozenset({""})  # what the exact items since the last break match
        prefix: _Strings | None = None
        inside: _Strings | None = None
        whole = True
        for op, av in items:
            piece = self.node(op, av)
            if piece.exact is not None and len(run) * len(piece.exact) <= _CAP:
                run = _product(run, piece.exact)
                inside = _best(inside, run)
                continue
            extended = run
            if piece.prefix and len(run) * len(piece.prefix) <= _CAP:
                extended = _product(run, piece.prefix)
            prefix = extended if whole else prefix
            whole = False
            inside = _best(inside, extended, piece.inside)
            run = piece.exact if piece.exact is not None else frozenset({""})
        if whole:
            return _Literals(run, run, inside)
        return _Literals(None, prefix, _best(inside, run))

    def node(self, op: Any, av: Any) -> _Literals:
        c = self.c
        if op is c.LITERAL:
            return _exact([chr(av)])
        if op is c.IN:
            return self.charset(av)
        if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
            return _exact([""])  # takes no characters of the match
        if op is c.SUBPATTERN:
            self.ignorecase |= bool(av[1] & re.IGNORECASE)
            return self.sequence(av[3])
        if op is c.ATOMIC_GROUP:
            return self.sequence(av)
        if op is c.BRANCH:
            return self.branch(av[1])
        if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
            return self.repeat(*av)
        return _NOTHING

    def charset(self, items: Any) -> _Literals:
        chars: set[str] = set()
        for op, av in items:
            if op is self.c.LITERAL:
                chars.add(chr(av))
            elif op is self.c.RANGE and av[1] - av[0] < 16:
                chars.update(map(chr, range(av[0], av[1] + 1)))
            else:  # negated, wide, or a category (\d is any Unicode digit)
                return _NOTHING
        return _exact(chars) if len(chars) <= 16 else _NOTHING

    def branch(self, alternatives: Any) -> _Literals:
        pieces = [self.sequence(alternative) for alternative in alternatives]
        exact = _union(p.exact for p in pieces)
        if exact is not None:
            return _exact(exact)
        inside = _union(_best(p.exact, p.prefix, p.inside) for p in pieces)
        return _Literals(None, _union(p.prefix for p in pieces), inside)

    def repeat(self, low: int, high: int, items: Any) -> _Literals:
        inner = self.sequence(items)
        strings = _repeated(inner.exact, low, high) if inner.exact is not None else None
        if strings is not None:
            return _exact(strings)  # e.g. [_-]? is "", "_" or "-"
        if low == 0:
            return _NOTHING
        return _Literals(None, inner.prefix, _best(inner.prefix, inner.inside))


def _repeated(strings: _Strings, low: int, high: int) -> _Strings | None:
    """Every string of `low` to `high` of `strings` in a row, if few."""
    found: set[str] = set()
    power: _Strings = frozenset({""})
    for count in range(high + 1):
        if count >= low:
            found |= power
        if len(found) > _CAP or count > 8 or len(power) * len(strings) > _CAP:
            return frozenset(found) if count == high and len(found) <= _CAP else None
        power = _product(power, strings)
    return frozenset(found)


# --- Personal data -----------------------------------------------------------

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
