"""One-line mutations of the safety-critical code, and a runner that checks the suite kills each one.

A maintainer's tool, not part of the suite and not in `.ci/run` (it runs the
targeted tests once per mutation, a few minutes in all):

    .venv/bin/python tests/mutations.py             # every mutation, then the table
    .venv/bin/python tests/mutations.py -k outbox   # the mutations whose name contains "outbox"
    .venv/bin/python tests/mutations.py --list      # the list, without running anything

Why: a test suite can pass while a defect in the code it is meant to guard
goes unnoticed (issue 15 found two: the distress threshold's `>=` and the
outbox fence's `attempts`). Each entry below is such a defect, written as
the exact text of one line and what it becomes, with the tests that must
catch it. The runner copies the repository once into a scratch directory
(the working tree is never touched), and for each entry writes the mutated
file there, runs the entry's tests on SQLite with a timeout, puts the file
back, and prints a table: killed (a test failed, and which) or SURVIVED.
It exits non-zero when anything survives, or when an entry's old text is
not found exactly once: a refactor then makes the entry fail loudly
instead of turning it silently into a no-op. `tests/test_mutations.py`
checks the last part in the suite, so the list cannot rot.

Before the mutations the runner runs every entry's tests once, unmutated:
a test that fails anyway would "kill" every mutation and prove nothing.

What it covers: Slack request signatures, the Teams token check and local
mode's peer check, receipts (one answer per person per stage) and form
tokens, small-number suppression and batched counters, the patient
identifier guard, the outbox's claim and fence, quiet hours, escaping
(Slack mrkdwn, Teams text), authorisation (`Requires`, `requires`,
`Support.allows`, the notes view), retention (free text, answer keys),
signed links (charts, export), the distress threshold and the batch
release of waiting answers.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 240.0
"""Seconds for one mutation's tests; a mutation that hangs them counts as killed (by the timeout)."""


@dataclass(frozen=True)
class Mutation:
    name: str
    file: str
    """Relative to the repository root."""
    old: str
    """The exact text, found exactly once in `file`."""
    new: str
    tests: tuple[str, ...]
    """pytest node ids (or files) that must fail with the mutation in place."""


MUTATIONS: tuple[Mutation, ...] = (
    # -- Slack request signatures ----------------------------------------------------------------
    Mutation(
        "slack: unsigned body let through",
        "adapters/slack/http.py",
        "if body is None or not _signed(request.app[VERIFIER], body, request.headers):",
        "if body is None and not _signed(request.app[VERIFIER], body, request.headers):",
        ("tests/slack/test_slack_edges.py::test_a_forged_request_is_refused_before_anything_reads_or_logs_its_body",
         "tests/slack/test_slack_bad_input.py::test_a_malformed_payload_is_400_when_signed_and_401_when_not"),
    ),
    Mutation(
        "slack: a timestamp that is no number counts as signed",
        "adapters/slack/http.py",
        "    except (ValueError, TypeError, OverflowError):\n        return False",
        "    except (ValueError, TypeError, OverflowError):\n        return True",
        ("tests/slack/test_slack_edges.py::test_a_timestamp_that_is_not_a_number_is_401_not_500",),
    ),
    # -- Teams token check and local mode ---------------------------------------------------------
    Mutation(
        "teams: any token failure read as 'keys unreachable' (503, not 401)",
        "adapters/teams/app.py",
        "        if _unreachable_keys(error):",
        "        if error:",
        ("tests/teams/test_teams_auth.py::test_a_missing_or_forged_token_gets_401",),
    ),
    Mutation(
        "teams: the app id from the settings not given to botbuilder (tokens checked against none)",
        "adapters/teams/app.py",
        '            APP_ID=settings.microsoft_app_id or "",',
        '            APP_ID="",',
        ("tests/teams/test_teams_auth.py::test_a_valid_bot_framework_token_is_let_through",),
    ),
    Mutation(
        "local mode: replies let go to a serviceUrl off this machine",
        "adapters/teams/app.py",
        "    if not authenticated and not _is_loopback(activity.service_url):",
        "    if not authenticated and not activity.service_url:",
        ("tests/teams/test_teams_auth.py::test_local_mode_only_answers_this_machine",),
    ),
    Mutation(
        "local mode: any peer counts as this machine",
        "adapters/local.py",
        "    if not peer or not is_loopback_host(peer):",
        "    if not peer and not is_loopback_host(peer):",
        ("tests/teams/test_teams_local_edges.py::test_the_peer_check_refuses_any_peer_that_is_not_loopback",),
    ),
    Mutation(
        "local mode: the Forwarded header not checked",
        "adapters/local.py",
        "    for header in FORWARDING_HEADERS:",
        "    for header in FORWARDING_HEADERS[1:]:",
        ("tests/teams/test_teams_local_edges.py::test_the_peer_check_refuses_what_came_through_a_proxy",),
    ),
    # -- receipts and form tokens ------------------------------------------------------------------
    Mutation(
        "receipts: a random digest, so a second answer is not refused",
        "bot/debriefs.py",
        'receipt = {"id": uuid.uuid4(), "debrief_id": debrief_id, "stage": stage, "digest": digest}',
        'receipt = {"id": uuid.uuid4(), "debrief_id": debrief_id, "stage": stage, "digest": uuid.uuid4().hex}',
        ("tests/test_anonymity.py::test_a_second_answer_by_the_same_person_is_refused",),
    ),
    Mutation(
        "receipts: the stage left out of the HMAC (a person's stages linkable)",
        "bot/anonymity.py",
        'return hmac.new(key, f"{stage}\\x00{user}".encode(), hashlib.sha256).hexdigest()',
        'return hmac.new(key, f"{user}".encode(), hashlib.sha256).hexdigest()',
        ("tests/test_anonymity.py::test_receipts_of_one_person_differ_between_stages",),
    ),
    Mutation(
        "form token: never expires",
        "bot/anonymity.py",
        'found = self._serializer.loads(token, max_age=FORM_TOKEN_AGE, salt=f"answer form\\x00{user}")',
        'found = self._serializer.loads(token, salt=f"answer form\\x00{user}")',
        ("tests/test_pending.py::test_a_form_token_is_its_persons_own_and_expires",),
    ),
    Mutation(
        "form token: its stage not checked",
        "bot/anonymity.py",
        'return found == {"d": str(debrief_id), "s": stage}',
        'return found["d"] == str(debrief_id)',
        ("tests/test_pending.py::test_a_form_token_is_its_persons_own_and_expires",),
    ),
    # -- small-number suppression and counters -----------------------------------------------------
    Mutation(
        "suppression: a count of min_group - 1 shown",
        "bot/suppression.py",
        "small = [i for i, n in enumerate(counts) if 0 < n < min_group]",
        "small = [i for i, n in enumerate(counts) if 0 < n < min_group - 1]",
        ("tests/test_wellbeing.py::test_no_small_count_can_be_seen_or_derived",),
    ),
    Mutation(
        "suppression: no complementary suppression",
        "bot/suppression.py",
        "            if not leaks:\n                break",
        "            if True:\n                break",
        ("tests/test_wellbeing.py::test_a_small_cell_is_hidden_with_a_partner_in_its_row_and_column",),
    ),
    Mutation(
        "live counter: shows a count below the minimum group",
        "bot/anonymity.py",
        "    if count < min_group:\n        return None",
        "    if count < min_group - 1:\n        return None",
        ("tests/test_anonymity.py::test_live_counters_move_in_whole_batches",),
    ),
    # -- patient identifier guard ---------------------------------------------------------------------
    Mutation(
        "identifiers: NHS check digit computed mod 10",
        "bot/identifiers.py",
        "    check = 11 - total % 11",
        "    check = 11 - total % 10",
        ("tests/test_identifiers.py::test_valid_nhs_numbers_are_always_caught",),
    ),
    Mutation(
        "identifiers: a form with one identifier passes",
        "bot/identifiers.py",
        "    if findings:\n        raise IdentifierFound(findings, dict(labels or {}))",
        "    if len(findings) > 1:\n        raise IdentifierFound(findings, dict(labels or {}))",
        ("tests/test_identifiers.py::test_screen_refuses_a_form_with_a_single_identifier",),
    ),
    Mutation(
        "identifiers: the allowed kinds are the ones reported",
        "bot/identifiers.py",
        "reported = [finding for finding in kept if finding.kind not in allow]",
        "reported = [finding for finding in kept if not allow or finding.kind in allow]",
        ("tests/test_identifiers.py::test_own_contact_lets_phone_and_e_mail_through_and_nothing_else",),
    ),
    # -- the outbox: claim and fence ----------------------------------------------------------------
    Mutation(
        "outbox fence: attempts half removed from writes",
        "bot/followups/outbox.py",
        "            model.leased_by == self.worker_id,\n            model.attempts == claim.attempts,\n",
        "            model.leased_by == self.worker_id,\n",
        ("tests/test_dispatcher.py::test_a_worker_that_reclaims_its_own_expired_row_fences_out_its_first_claim",),
    ),
    Mutation(
        "outbox fence: attempts half removed from renewals",
        "bot/followups/outbox.py",
        "            if renewed.get(claim.id) == claim.attempts:",
        "            if claim.id in renewed:",
        ("tests/test_dispatcher.py::test_a_worker_that_reclaims_its_own_expired_row_fences_out_its_first_claim",),
    ),
    Mutation(
        "outbox fence: leased_by half removed from writes",
        "bot/followups/outbox.py",
        "            model.leased_by == self.worker_id,\n            model.attempts == claim.attempts,\n",
        "            model.attempts >= claim.attempts,\n",
        ("tests/test_dispatcher.py::test_a_process_that_lost_its_lease_cannot_overwrite_the_new_holder",),
    ),
    Mutation(
        "outbox claim: a live lease taken over",
        "bot/followups/outbox.py",
        "and_(model.status == FollowupStatus.SENDING, model.lease_until < bindparam(\"now\")),",
        "and_(model.status == FollowupStatus.SENDING),",
        ("tests/test_dispatcher.py::test_an_expired_lease_is_reclaimed_by_another_process",),
    ),
    Mutation(
        "outbox claim: rows not yet due claimed",
        "bot/followups/outbox.py",
        "and_(model.status == FollowupStatus.PENDING, model.due_at <= bindparam(\"now\")),",
        "and_(model.status == FollowupStatus.PENDING),",
        ("tests/test_dispatcher.py::test_due_follow_ups_go_out_once_each_with_the_stage_and_resources",),
    ),
    # -- quiet hours ---------------------------------------------------------------------------------
    Mutation(
        "quiet hours: overnight hours never apply",
        "bot/followups/schedule.py",
        "        inside = now >= start or now < end",
        "        inside = now >= start and now < end",
        ("tests/test_followups_schedule.py::test_overnight_quiet_hours_in_utc",),
    ),
    Mutation(
        "quiet hours: in UTC, not the person's zone",
        "bot/followups/schedule.py",
        "    local = moment.astimezone(tz)",
        "    local = moment",
        ("tests/test_followups_schedule.py::test_quiet_hours_in_a_zone_far_from_utc",),
    ),
    Mutation(
        "quiet hours: late evening waits for this morning (sent at once)",
        "bot/followups/schedule.py",
        "end_day = local.date() + timedelta(days=1) if now >= start else local.date()",
        "end_day = local.date()",
        ("tests/test_followups_schedule.py::test_overnight_quiet_hours_in_utc",),
    ),
    # -- escaping -----------------------------------------------------------------------------------
    Mutation(
        "slack mrkdwn: `<` not escaped",
        "adapters/slack/text.py",
        "    return html.escape(text, quote=False)",
        '    return text.replace("&", "&amp;").replace(">", "&gt;")',
        ("tests/slack/test_slack_flow.py::test_mentions_and_markup_in_anything_people_type_ping_nobody",),
    ),
    Mutation(
        "teams: a conversation title with patient details kept (officers and the learning digest see it)",
        "adapters/teams/references.py",
        "    if not title or find_identifiers(str(title)):",
        "    if not title:",
        ("tests/teams/test_teams_cards.py::test_a_team_is_named_by_its_conversations_title_never_its_id",),
    ),
    Mutation(
        "teams text: `<at>` not neutralised",
        "adapters/teams/text.py",
        "    return clip(neutralise(text), limit)",
        "    return clip(text, limit)",
        ("tests/teams/test_teams_commands.py::test_user_text_is_never_markdown_or_a_mention",),
    ),
    Mutation(
        "teams text: `<AT>` in capitals not neutralised",
        "adapters/teams/text.py",
        '_MENTION_TAG = re.compile(r"<(\\s*/?\\s*at\\b)", re.IGNORECASE)',
        '_MENTION_TAG = re.compile(r"<(\\s*/?\\s*at\\b)")',
        ("tests/teams/test_teams_cards.py::test_a_mention_tag_in_any_case_or_spacing_loses_its_bracket",),
    ),
    # -- authorisation ------------------------------------------------------------------------------
    Mutation(
        "authorisation: a peer supporter passes an officer's check",
        "bot/support.py",
        "        return await self.officers.is_officer(*identities)\n\n    async def lists_emails",
        "        return await self.is_supporter(*identities)\n\n    async def lists_emails",
        ("tests/test_access.py::test_the_core_check_ranks_the_roles",),
    ),
    Mutation(
        "authorisation (Slack): Requires lets everyone through",
        "adapters/slack/access.py",
        "        if allowed:\n",
        "        if allowed is not None:\n",
        ("tests/slack/test_slack_officers.py::test_a_non_officer_gets_nothing",),
    ),
    Mutation(
        "authorisation (Teams): requires checks the wrong role",
        "adapters/teams/access.py",
        "            if not await services.core.support.allows(role, *known):",
        "            if not await services.core.support.allows(Role.ANYONE, *known):",
        ("tests/teams/test_teams_officers.py::test_anyone_else_is_told_the_word_is_unknown_and_nothing_changes",),
    ),
    Mutation(
        "authorisation: the notes view reads before checking the officer",
        "bot/notes.py",
        "        if not await self.officers.is_officer(actor, *identities):\n            raise NotAllowed(NOT_AN_OFFICER)",
        "        if not actor:\n            raise NotAllowed(NOT_AN_OFFICER)",
        ("tests/test_notes.py::test_only_officers_read_notes_and_reading_is_audited",),
    ),
    # -- retention -----------------------------------------------------------------------------------
    Mutation(
        "retention: the cut-off in the future (new text purged)",
        "bot/retention.py",
        "    before = now - timedelta(days=days)",
        "    before = now + timedelta(days=days)",
        ("tests/test_retention.py::test_old_free_text_goes_and_new_stays",),
    ),
    Mutation(
        "retention: a dry run purges",
        "bot/retention.py",
        "            if not dry_run and counts[what]:",
        "            if counts[what]:",
        ("tests/test_retention.py",),
    ),
    Mutation(
        "retention: answer keys outlive their window (receipts testable for longer)",
        "bot/tallies.py",
        "expired = select(col(Debrief.id)).where(col(Debrief.key_expires_at) <= now)",
        "expired = select(col(Debrief.id)).where(col(Debrief.key_expires_at) <= now - timedelta(days=30))",
        ("tests/test_anonymity.py::test_receipts_cannot_be_tested_once_the_key_is_destroyed",),
    ),
    # -- signed links ----------------------------------------------------------------------------------
    Mutation(
        "signed links: never expire",
        "bot/links.py",
        "data = self._serializer.loads(token, max_age=int(self.lifetime.total_seconds()))",
        "data = self._serializer.loads(token)",
        ("tests/test_charts.py::test_an_altered_link_or_one_from_another_deployment_is_invalid_and_an_old_one_expired",),
    ),
    Mutation(
        "signed links: a chart link opens the export",
        "adapters/charts_http.py",
        "    if ticket.kind != EXPORT:",
        "    if ticket.kind not in (EXPORT, *KINDS):",
        ("tests/slack/test_slack_summary.py",),
    ),
    # -- care: the distress threshold --------------------------------------------------------------------
    Mutation(
        "distress threshold: exclusive",
        "bot/care.py",
        "if question.escalates and int(str(value)) >= threshold:",
        "if question.escalates and int(str(value)) > threshold:",
        ("tests/test_debriefs.py::test_the_distress_threshold_is_inclusive",),
    ),
    # -- the batch release of waiting answers ------------------------------------------------------------
    Mutation(
        "batch release: fewer than the minimum group released",
        "bot/pending.py",
        "    if len(taken) < max(at_least, 1):",
        "    if len(taken) < 1:",
        ("tests/test_pending.py::test_answers_wait_sealed_and_move_only_as_a_whole_batch",),
    ),
    Mutation(
        "batch release: answers go in the order they came",
        "bot/pending.py",
        "    _shuffle(rows)",
        "    rows.sort(key=lambda row: 0)",
        ("tests/test_release_order.py",),
    ),
    Mutation(
        "batch release: every release treated as the window's end",
        "bot/debriefs.py",
        "at_least = 1 if everything else self.settings.debrief_min_group",
        "at_least = 1",
        ("tests/test_pending.py::test_answers_wait_sealed_and_move_only_as_a_whole_batch",),
    ),
)


# -- the runner -------------------------------------------------------------------------------------------


def problems(mutations: tuple[Mutation, ...] = MUTATIONS, root: Path = ROOT) -> list[str]:
    """What is wrong with the list: an old text not found exactly once, a no-op, a test file that is gone."""
    found = []
    names = set()
    for mutation in mutations:
        if mutation.name in names:
            found.append(f"{mutation.name}: the name is used twice")
        names.add(mutation.name)
        path = root / mutation.file
        if not path.is_file():
            found.append(f"{mutation.name}: {mutation.file} does not exist")
            continue
        count = path.read_text(encoding="utf-8").count(mutation.old)
        if count != 1:
            found.append(f"{mutation.name}: its old text occurs {count} times in {mutation.file}, not once")
        if mutation.old == mutation.new:
            found.append(f"{mutation.name}: old and new are the same")
        if not mutation.tests:
            found.append(f"{mutation.name}: no tests to run")
        for test in mutation.tests:
            file, _, function = test.partition("::")
            if not (root / file).is_file():
                found.append(f"{mutation.name}: {file} does not exist")
            elif function and not re.search(rf"def {re.escape(function)}\b", (root / file).read_text(encoding="utf-8")):
                found.append(f"{mutation.name}: {file} has no {function}")
    return found


def _scratch_copy() -> Path:
    """The repository, copied without its virtualenv, git data and caches; imports there resolve there."""
    scratch = Path(tempfile.mkdtemp(prefix="debrief-mutations-"))
    ignore = shutil.ignore_patterns(".venv", ".git", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache",
                                    "*.egg-info", "*.sqlite*", "*.db")
    for entry in ROOT.iterdir():
        if entry.name in (".venv", ".git") or entry.name.endswith(".egg-info"):
            continue
        if entry.is_dir():
            shutil.copytree(entry, scratch / entry.name, ignore=ignore)
        else:
            shutil.copy2(entry, scratch / entry.name)
    return scratch


def _environment(scratch: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "TEST_DATABASE_URL"}  # SQLite: fast, no shared state
    env["PYTHONPATH"] = str(scratch)  # before the editable install's finder, which points at the working tree
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _pytest(scratch: Path, tests: tuple[str, ...], timeout: float) -> tuple[int | None, str]:
    """Run `tests` in the scratch copy; (exit status or None on timeout, pytest's output)."""
    command = [sys.executable, "-m", "pytest", "-q", "-x", "-rfE", "-p", "no:cacheprovider", "--no-header",
               "-o", "addopts=", *tests]  # one process: a few targeted tests, one mutation at a time
    try:
        done = subprocess.run(command, cwd=scratch, env=_environment(scratch), capture_output=True, text=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired as expired:
        out = expired.stdout or b""
        return None, out.decode(errors="replace") if isinstance(out, bytes) else out
    return done.returncode, done.stdout + done.stderr


def _first_failure(output: str) -> str:
    """The first test pytest's short summary names (captured log lines also start with "ERROR")."""
    lines = output.splitlines()
    summary = next((i for i, line in enumerate(lines) if "short test summary info" in line), len(lines))
    for line in lines[summary + 1 :]:
        if line.startswith(("FAILED ", "ERROR ")):
            return line.split(" ", 1)[1].split(" - ", 1)[0]
    return "?"


def _check_imports_come_from(scratch: Path) -> None:
    probe = subprocess.run([sys.executable, "-c", "import bot, adapters; print(bot.__file__, adapters.__file__)"],
                           cwd=scratch, env=_environment(scratch), capture_output=True, text=True, check=True)
    if not all(Path(path).resolve().is_relative_to(scratch.resolve()) for path in probe.stdout.split()):
        raise SystemExit(f"the scratch copy imports the working tree's code, not its own: {probe.stdout.strip()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("-k", dest="select", help="only the mutations whose name contains this")
    parser.add_argument("--list", action="store_true", help="list the mutations and stop")
    parser.add_argument("--timeout", type=float, default=TIMEOUT, help="seconds per mutation (default %(default)s)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the unmutated run of the tests")
    options = parser.parse_args(argv)

    chosen = tuple(m for m in MUTATIONS if not options.select or options.select.lower() in m.name.lower())
    broken = problems(chosen)
    if broken:
        print("the mutation list does not match the code:", *broken, sep="\n  ")
        return 2
    if options.list:
        for mutation in chosen:
            print(f"{mutation.name}\n  {mutation.file}: {mutation.old.strip()!r} -> {mutation.new.strip()!r}")
        return 0

    scratch = _scratch_copy()
    started = time.monotonic()
    try:
        _check_imports_come_from(scratch)
        if not options.no_baseline:
            every = tuple(dict.fromkeys(test for mutation in chosen for test in mutation.tests))
            status, output = _pytest(scratch, every, options.timeout * 2)
            if status != 0:
                print(output[-3000:])
                print("the targeted tests fail without any mutation: fix them first")
                return 2
            print(f"baseline: {len(every)} targeted test ids pass unmutated ({time.monotonic() - started:.0f}s)")
        rows = []
        for number, mutation in enumerate(chosen, 1):
            target = scratch / mutation.file
            original = target.read_text(encoding="utf-8")
            target.write_text(original.replace(mutation.old, mutation.new, 1), encoding="utf-8")
            began = time.monotonic()
            try:
                status, output = _pytest(scratch, mutation.tests, options.timeout)
            finally:
                target.write_text(original, encoding="utf-8")
            seconds = time.monotonic() - began
            if status is None:
                verdict, by = "killed", f"timeout after {options.timeout:.0f}s"
            elif status == 1:
                verdict, by = "killed", _first_failure(output)
            elif status == 0:
                verdict, by = "SURVIVED", "-"
            else:  # 2-5: interrupted, internal error, usage error, nothing collected: the entry is broken
                verdict, by = "ERROR", f"pytest exit {status}: {_first_failure(output)}"
            rows.append((mutation, verdict, by))
            print(f"[{number}/{len(chosen)}] {verdict:8} {mutation.name} ({seconds:.0f}s)", flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    print()
    print("| # | mutation | file | result | killed by |")
    print("|---|---|---|---|---|")
    for number, (mutation, verdict, by) in enumerate(rows, 1):
        print(f"| {number} | {mutation.name} | `{mutation.file}` | {verdict} | `{by}` |")
    killed = sum(verdict == "killed" for _, verdict, _ in rows)
    print(f"\n{killed} of {len(rows)} mutations killed in {time.monotonic() - started:.0f}s")
    return 0 if killed == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
