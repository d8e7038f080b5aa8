"""The `secret` rule: one realistic fake credential of each kind, and no alarms on
what postmortems are full of (commit hashes, ids, digests, images, security prose).

The fake credentials are put together at run time, so that this file holds no
string that a secret scanner would flag.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import random
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import FINAL, FINAL_NAME, Repo
from postmortem_kit.lint.rules import sensitive

TODAY = "2026-01-01"
LINE = 112  # "412 customers received…", in the Impact section of FINAL
UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LOWER = UPPER.lower()
DIGITS = "0123456789"
HEX = DIGITS + "abcdef"
ALNUM = UPPER + LOWER + DIGITS
ADVICE = "remove it, rotate the credential, and refer to it by name"


def fake(alphabet: str, length: int, seed: int = 0) -> str:
    """Random-looking characters, the same on every run."""
    rng = random.Random(f"{alphabet}{length}{seed}")
    return "".join(rng.choice(alphabet) for _ in range(length))


def basic_auth(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


# kind, text before the credential, the credential, text after, column of the finding
CASES = [
    ("a Stripe key", "Billing used ", "sk_" + "live_" + fake(ALNUM, 24), "", 14),
    ("a Twilio key", "Twilio account ", "AC" + fake(LOWER + DIGITS, 32), "", 16),
    ("a SendGrid API key", "mail: ", "SG." + fake(ALNUM + "_-", 22) + "." + fake(ALNUM, 43), "", 7),
    (
        "an Azure storage account key",
        "`DefaultEndpointsProtocol=https;AccountName=supportlogs;",
        "Account" + "Key=" + fake(ALNUM + "+/", 86) + "==",
        "`",
        57,
    ),
    (
        "an npm token",
        "the CI .npmrc had `//registry.npmjs.org/:_authToken=",
        "npm_" + fake(ALNUM, 36),
        "`",
        20,
    ),
    ("an npm token", "publish token ", "npm_" + fake(ALNUM, 36, seed=1), "", 15),
    ("a PyPI token", "", "pypi-" + "AgEIcHlwaS5vcmc" + fake(ALNUM + "_-", 150), "", 1),
    (
        "a credential in a URL",
        "the job pulled from https",
        "://deploy:" + fake(ALNUM, 18),
        "@registry.corp-internal.net/simple",
        26,
    ),
    (
        "a credential in a URL",
        "clone https",
        "://ci:" + fake(ALNUM, 8) + "$!" + fake(ALNUM, 6),
        "@git.corp-internal.net/app.git",
        12,
    ),
    (
        "an HTTP Authorization header",
        "the proxy logged `",
        "Authorization: Basic " + basic_auth("deploy", fake(ALNUM, 16)),
        "`",
        19,
    ),
    (
        "a Discord bot token",
        "bot ",
        "MTA" + fake(ALNUM, 21) + "." + fake(ALNUM, 6) + "." + fake(ALNUM + "_-", 27),
        "",
        5,
    ),
    ("a GitLab token", "runner used ", "glpat-" + fake(ALNUM + "_-", 20), "", 13),
    ("a Mailchimp API key", "list sync ", fake(HEX, 32) + "-us" + "14", "", 11),
    ("a Square OAuth secret", "", "sq0csp-" + fake(ALNUM + "_-", 43), "", 1),
    (
        "a Telegram bot token",
        "alerts bot ",
        "7012345678:" + "AAH" + fake(ALNUM + "_-", 32),
        "",
        12,
    ),
    (
        "an OpenAI API key",
        "old key ",
        "sk-" + fake(ALNUM, 20) + "T3Blbk" + "FJ" + fake(ALNUM, 20),
        "",
        9,
    ),
    ("an API key (sk-…)", "project key ", "sk-" + "proj-" + fake(ALNUM + "_-", 48), "", 13),
    (
        "an IBM Cloud IAM key",
        "`ibm_cloud_iam_api_key = '",
        fake(ALNUM + "_-", 44),
        "'`",
        2,
    ),
    (
        "an IBM Cloud Object Storage HMAC key",
        "`cos_hmac_secret_access_key: ",
        fake(HEX, 48),
        "`",
        2,
    ),
    ("an Artifactory token", "the build used ", "AKC" + "p8" + fake(ALNUM, 68), " to pull", 16),
    ("a Cloudant credential", "`cloudant_password = '", fake(HEX, 64), "'`", 2),
    ("a SoftLayer API key", "`softlayer_api_key = ", fake(LOWER + DIGITS, 64), "`", 2),
    (
        "a Slack token",
        "",
        "xoxb-" + "2712345678" + "-" + "4712345678901" + "-" + fake(ALNUM, 24),
        "",
        1,
    ),
    (
        "a Slack token",
        "webhook ",
        "https://hooks.slack.com/"
        + "services/T"
        + fake(UPPER + DIGITS, 8)
        + "/B"
        + fake(UPPER + DIGITS, 10)
        + "/"
        + fake(ALNUM, 24),
        "",
        9,
    ),
    ("an AWS access key", "Key ", "AKIA" + fake(UPPER + DIGITS, 16), " leaked", 5),
    (
        "an AWS access key",
        '`aws_secret_access_key = "',
        fake(ALNUM + "/+", 40),
        '"`',
        2,
    ),
    ("a GitHub token", "token ", "ghp_" + fake(ALNUM, 36), "", 7),
    ("a GitHub token", "token ", "github_pat_" + fake(ALNUM + "_", 82), "", 7),
    ("a private key", "", "-----BEGIN RSA " + "PRIVATE KEY-----", "", 1),
    ("a private key", "", "-----BEGIN ENCRYPTED " + "PRIVATE KEY-----", "", 1),
    ("a private key", "", "PuTTY-User-" + "Key-File-2: ssh-ed25519", "", 1),
    ("a Google API key", "maps ", "AIza" + fake(ALNUM + "_-", 35), "", 6),
    (
        "a JSON Web Token",
        "cookie ",
        "eyJhbGciOiJIUzI1NiJ9" + "." + "eyJzdWIiOiIxMjM0In0" + "." + fake(ALNUM + "_-", 43),
        "",
        8,
    ),
    (
        "a password or secret assignment",
        "we set `DB_PASSWORD=",
        fake(ALNUM, 20) + "7",
        "`",
        12,
    ),
]


def with_line(line: str) -> str:
    assert "412 customers" in FINAL
    return FINAL.replace("412 customers", f"{line} and 412 customers", 1)


def secret_lines(run_out: str) -> list[str]:
    return [line for line in run_out.splitlines() if " error secret " in line]


@pytest.mark.parametrize(
    ("kind", "before", "secret", "after", "column"),
    CASES,
    ids=[f"{i}-{case[0]}" for i, case in enumerate(CASES)],
)
def test_each_kind_is_found_where_it_is_and_never_repeated(
    repo: Repo, kind: str, before: str, secret: str, after: str, column: int
) -> None:
    repo.write(FINAL_NAME, with_line(before + secret + after))
    run = repo.run("lint", "--today", TODAY)
    assert secret_lines(run.out) == [
        f"{FINAL_NAME}:{LINE}:{column}: error secret this looks like {kind}: {ADVICE} "
        "(e.g. 'the support-bot API key') instead"
    ], run.out
    assert secret not in run.out and secret[-12:] not in run.out
    assert run.exit_code == 1


def test_a_specific_kind_wins_over_the_assignment_around_it(repo: Repo) -> None:
    stripe = "sk_" + "live_" + fake(ALNUM, 24, seed=2)
    repo.write(FINAL_NAME, with_line(f"we set `api_key = '{stripe}'`"))
    run = repo.run("lint", "--today", TODAY)
    assert [line.split(": error ")[0] for line in secret_lines(run.out)] == [
        f"{FINAL_NAME}:{LINE}:20"
    ]
    assert "looks like a Stripe key" in run.out


def test_secret_in_front_matter_points_at_it(repo: Repo) -> None:
    token = "xoxp-" + "2712345678" + "-" + "4712345678901" + "-" + fake(ALNUM, 24, seed=3)
    text = FINAL.replace("prompt did not tell", f"prompt ({token}) did not tell", 1)
    line = text.splitlines()[37]
    assert line.startswith("    evidence: ")
    repo.write(FINAL_NAME, text)
    run = repo.run("lint", "--today", TODAY)
    assert [line.split(" this ")[0] for line in secret_lines(run.out)] == [
        f"{FINAL_NAME}:38:{line.index(token) + 1}: error secret"
    ], run.out


def test_clean_postmortem_has_no_secret(repo: Repo) -> None:
    repo.write(FINAL_NAME, FINAL)
    run = repo.run("lint", "--today", TODAY)
    assert secret_lines(run.out) == [] and run.exit_code == 0, run.out


def wrapped(text: str, width: int = 76) -> str:
    return "\n".join(text[i : i + width] for i in range(0, len(text), width))


# Random bytes. One wrapped base64 line in about 100,000 starts with AP and a hex
# digit and has no + or /: detect-secrets reads that as an Artifactory password.
IMAGE = base64.b64encode(random.Random(5).randbytes(6000)).decode()
BENIGN = {
    "commit hashes": "Fixed in commit "
    + hashlib.sha1(b"fix").hexdigest()
    + ", reverting "
    + hashlib.sha1(b"regression").hexdigest()[:12]
    + ".",
    "digests": "Image sha256:"
    + hashlib.sha256(b"image").hexdigest()
    + ", model md5 "
    + hashlib.md5(b"model").hexdigest()
    + ".",
    "uuids": f"Request {uuid.UUID(int=random.Random(1).getrandbits(128))} and trace "
    + uuid.UUID(int=random.Random(2).getrandbits(128)).hex
    + ".",
    "inline image": f"![Error rate](data:image/png;base64,{IMAGE})",
    "wrapped base64": f"\n\n```\n{wrapped(IMAGE)}\n```\n",
    "security prose": (
        "We rotated the support-bot API key and the deploy token; the password policy "
        "now asks for 16 characters. Basic authentication is off and clients send "
        "`Authorization: Bearer <token>` (logged as `Authorization: Bearer REDACTED`). "
        "The secret key of the Cloudant account was not exposed. The runbook at "
        "https://status.example.com/incidents/42 shows `postgres://app:****@db:5432/app` "
        "and `https://deploy:${DEPLOY_PASSWORD}@registry/simple`; password: see the vault"
    ),
    "placeholders": (
        "Set `https://USER:<password>@registry/simple`, `redis://default:[REDACTED]@cache` "
        "or `https://ci:$CI_JOB_TOKEN@git/app.git`, and `api_key: {{ vault_api_key_2024 }}`"
    ),
    "times and ids": "At 2025-02-11T09:40:00Z (epoch 1739266800) ticket SEC-1234, "
    "issue #8841 and order 4412-9921-0043 were escalated to AIPM-2024-007.",
}


@pytest.mark.parametrize("text", BENIGN.values(), ids=BENIGN.keys())
def test_no_false_alarm_on_ordinary_postmortem_text(repo: Repo, text: str) -> None:
    repo.write(FINAL_NAME, with_line(text))
    run = repo.run("lint", "--today", TODAY)
    assert secret_lines(run.out) == [], run.out


def test_every_detect_secrets_regex_detector_is_named_or_left_out() -> None:
    """A detector added by a new detect-secrets is scanned for anyway; this asks for a name."""
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.plugins.base import RegexBasedDetector

    names = {
        detector.__name__
        for detector in get_mapping_from_secret_type_to_class().values()
        if issubclass(detector, RegexBasedDetector)
    }
    assert names == set(sensitive.DETECT_SECRETS) | set(sensitive.LEFT_OUT)


def test_every_detector_we_use_has_hints() -> None:
    """Without hints a detector runs over every line of every file: correct, but slow.
    A detector that a new detect-secrets adds fails here until it is given hints."""
    unhinted = [
        detector.kind
        for detector in sensitive._scanner().detectors
        if not detector.hints and not detector.long_token
    ]
    assert unhinted == []
    assert all(name in sensitive.DETECT_SECRETS for name in sensitive.LONG_TOKENS)


# More secrets, each with another of the hints of a detector above.
OTHER_HINTS = [
    "AS" + "IA" + fake(UPPER + DIGITS, 16),
    "A3T" + "X" + fake(UPPER + DIGITS, 16),
    "`AWS_SECRET_KEY = '" + fake(ALNUM + "/+", 40, seed=1) + "'`",
    "pass AP" + "6" + fake(ALNUM, 12),
    "SK" + fake(LOWER + DIGITS, 32),
    "rk_" + "live_" + fake(ALNUM, 24, seed=1),
    "gho_" + fake(ALNUM, 36),
    "glrt-" + fake(ALNUM, 24),
    "GR1348941" + fake(ALNUM, 24),
    "glagent-" + fake(ALNUM, 50),
    "`CL_PW: " + fake(HEX, 64, seed=1) + "`",
    "https://acct:" + fake(LOWER, 24) + "@acct.cloudant.com",
    "`iam_token = " + fake(ALNUM, 44, seed=1) + "`",
    "`ibm_pwd: " + fake(ALNUM, 44, seed=2) + "`",
    "`secret_access_key = " + fake(HEX, 48, seed=1) + "`",
    "`sl-token = " + fake(LOWER + DIGITS, 64, seed=1) + "`",
    "https://api.softlayer.com/soap/v3.1/" + fake(LOWER + DIGITS, 64, seed=2),
    "pypi-" + "AgENdGVzdC5weXBpLm9yZw" + fake(ALNUM, 80),
    "-----BEGIN OPENSSH " + "PRIVATE KEY-----",
    "`client_secret: " + fake(ALNUM, 15) + "9`",
    "ACCESS_TOKEN=" + fake(ALNUM, 15, seed=1) + "9",
    "`auth-token = " + fake(ALNUM, 15, seed=2) + "9`",
    "passwd: " + fake(ALNUM, 15, seed=3) + "9",
    "Authorization: Bearer " + fake(ALNUM, 30),
    "sk-" + "ant-" + fake(ALNUM, 40),
]


def test_hints_never_hide_a_secret() -> None:
    """Every line of the cases, in any letter case, is judged the same with hints as
    with every detector run over it: each hint is one that every match contains."""
    scanner = sensitive._scanner()
    everywhere = sensitive._Scanner(
        [d._replace(hints=(), long_token=False) for d in scanner.detectors]
    )
    assert all(scanner.find(line) for line in OTHER_HINTS)
    texts = [before + secret + after for _, before, secret, after, _ in CASES] + OTHER_HINTS
    texts += [f"we set `api_key = '{'sk_' + 'live_' + fake(ALNUM, 24)}'`", *BENIGN.values()]
    lines = [line for text in texts for line in text.splitlines()]
    for line in lines + [line.upper() for line in lines] + [line.lower() for line in lines]:
        assert scanner.find(line) == everywhere.find(line), line


def test_their_patterns_are_read_from_the_installed_package() -> None:
    from detect_secrets.plugins.stripe import StripeDetector

    used = {pattern for d in sensitive._scanner().detectors for pattern, _ in d.patterns}
    assert {regex.pattern for regex in StripeDetector.denylist} <= used


@pytest.fixture
def fresh_scanner(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The scanner is built once a process: rebuild it for a test, and after it."""
    sensitive._scanner.cache_clear()
    yield
    monkeypatch.undo()
    sensitive._scanner.cache_clear()


STRIPE_LINE = "key " + "sk_" + "live_" + fake(ALNUM, 24)


def test_table_is_cached_and_then_read_without_detect_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_scanner: None
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert sensitive._scanner().find(STRIPE_LINE) == [(4, "a Stripe key")]
    [cached] = (tmp_path / "postmortem-kit").glob("secret-patterns-*.json")
    assert json.loads(cached.read_text())["detect_secrets"]

    def no_import() -> None:
        raise AssertionError("detect-secrets was asked again")

    monkeypatch.setattr(sensitive, "_detect_secrets_patterns", no_import)
    sensitive._scanner.cache_clear()
    assert sensitive._scanner().find(STRIPE_LINE) == [(4, "a Stripe key")]


def test_unwritable_cache_folder_costs_time_not_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_scanner: None
) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(not_a_folder))
    assert sensitive._scanner().find(STRIPE_LINE) == [(4, "a Stripe key")]


def test_corrupt_cache_is_rebuilt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_scanner: None
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    sensitive._scanner()
    [cached] = (tmp_path / "postmortem-kit").glob("secret-patterns-*.json")
    cached.write_text('{"detectors": [{"kind": 1}]')
    sensitive._scanner.cache_clear()
    assert sensitive._scanner().find(STRIPE_LINE) == [(4, "a Stripe key")]
    assert json.loads(cached.read_text())["detectors"]


def test_linting_one_file_does_not_import_detect_secrets_once_cached(
    repo: Repo, tmp_path: Path
) -> None:
    """The pre-commit case: importing detect-secrets would cost about 100 ms."""
    repo.write(FINAL_NAME, with_line(STRIPE_LINE))
    script = (
        "import sys\n"
        "from postmortem_kit.cli import main\n"
        f"main(['lint', '--today', '{TODAY}', '{FINAL_NAME}'])\n"
        "print('detect_secrets' in sys.modules)\n"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    runs = [
        subprocess.run(
            [sys.executable, "-c", script], cwd=repo.path, env=env, capture_output=True, text=True
        )
        for _ in range(2)
    ]
    assert [r.stdout.splitlines()[-1] for r in runs] == ["True", "False"], runs
    assert all("looks like a Stripe key" in r.stdout for r in runs)


# --- Other rules' messages ---------------------------------------------------

STRIPE_DOCS_KEY = "sk_" + "live_" + "4eC39HqLyjWDarjtT1zdp7dc"
GITHUB_TOKEN = "ghp_" + fake(ALNUM, 36, seed=4)
# Longer than the 60 characters schema shows of a value: it shows 57 and "...".
LONG_TOKEN = "github_pat_" + fake(ALNUM + "_", 82, seed=4)


def pieces(secret: str, length: int = 12) -> list[str]:
    return [secret[i : i + length] for i in range(len(secret) - length + 1)]


def rules_and_messages(out: str, output_format: str) -> list[tuple[str, str]]:
    if output_format == "json":
        return [(f["rule"], f["message"]) for f in json.loads(out)["findings"]]
    lines = out.splitlines()[:-1]  # the last is the summary
    if output_format == "github":  # ::error file=…,line=…,col=…,title=RULE::MESSAGE
        pairs = [line.split(",title=", 1)[1].split("::", 1) for line in lines]
    else:  # PATH:LINE:COLUMN: LEVEL RULE MESSAGE
        pairs = [line.split(" ", 3)[2:] for line in lines]
    return [(rule, message) for rule, message in pairs]


@pytest.mark.parametrize("output_format", ["text", "json", "github"])
@pytest.mark.parametrize(
    ("severity", "shown"),
    [(STRIPE_DOCS_KEY, "[secret]"), (LONG_TOKEN, "[secret]...")],
    ids=["whole", "cut-short"],
)
def test_other_rules_never_repeat_a_secret(
    repo: Repo, output_format: str, severity: str, shown: str
) -> None:
    """Schema, unknown-key and unknown-related quote values: they still report, with
    a mark where the secret was, since lint logs end up in CI logs."""
    front_matter = f"severity: {severity}\n{GITHUB_TOKEN}: 1\nrelated: [{STRIPE_DOCS_KEY}]\n"
    repo.write(FINAL_NAME, FINAL.replace("severity: high\n", front_matter, 1))
    run = repo.run("lint", "--today", TODAY, "--format", output_format)
    for secret in (severity, GITHUB_TOKEN, STRIPE_DOCS_KEY):
        assert not [p for p in pieces(secret) if p in run.out], run.out
    found = rules_and_messages(run.out, output_format)
    assert [(rule, message) for rule, message in found if rule != "secret"] == [
        ("schema", f"severity: '{shown}' is not one of: near-miss, low, medium, high, critical"),
        ("unknown-key", "unknown key '[secret]'"),
        ("unknown-related", "related[0]: no postmortem has the id '[secret]'"),
    ], run.out
    assert [rule for rule, _ in found].count("secret") == 3, run.out


PRIVATE_KEY_BLOCK = (
    "|\n  -----BEGIN RSA "
    + "PRIVATE KEY-----\n  "
    + fake(ALNUM + "+/", 64, seed=7)
    + "\n  -----END RSA "
    + "PRIVATE KEY-----"
)


@pytest.mark.parametrize(
    "severity",
    [
        "{password: " + fake(ALNUM, 18, seed=5) + "7}",
        "{Authorization: Bearer ey" + fake(ALNUM, 20, seed=6) + "9}",
        PRIVATE_KEY_BLOCK,
    ],
    ids=["value-of-a-keyword", "header-value", "key-block"],
)
def test_a_quoted_value_never_shows_the_secret_part(repo: Repo, severity: str) -> None:
    """The rule matches a keyword with its value, or a key's first armour line;
    schema quotes the value alone, as JSON, or the key's body."""
    repo.write(FINAL_NAME, FINAL.replace("severity: high\n", f"severity: {severity}\n", 1))
    run = repo.run("lint", "--today", TODAY, "--format", "json")
    value = severity.split("-----")[2] if "KEY" in severity else severity.split()[-1][:-1]
    assert not [p for p in pieces(value.strip()) if p in run.out], run.out
    assert '"rule": "schema"' in run.out and '"rule": "secret"' in run.out
