"""What a newcomer stumbled on in the first hour (issue 20), each mended and kept so: the
real command line against the emulator on 127.0.0.1."""

from __future__ import annotations

import json
import re
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bbpr.emulator import Emulator
from bbpr.emulator.messages import Request, Response

from ..conftest import base_environment, bbpr, cloud_environment
from ..terminal import run as on_terminal
from ..terminal import spawn

ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def test_cached_names_the_host_it_looked_for_and_the_hosts_the_file_has(
        emulator: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "copy.sqlite"
    synced = bbpr("sync", "acme/widgets", "--db", str(path), env=cloud_environment(emulator))
    assert synced.code == 0, synced.err
    # The same shell without BITBUCKET_API_URL: bbpr looks for the copy from bitbucket.org.
    run = bbpr("list", "acme/widgets", "--cached", "--db", str(path), env=base_environment())
    assert run.code == 4
    assert "no local copy from https://api.bitbucket.org/2.0" in run.err
    assert f"the copy has it from {emulator.cloud_api_url}" in run.err
    assert "BITBUCKET_API_URL" in run.err
    never = bbpr("list", "acme/nope", "--cached", "--db", str(path), env=base_environment())
    assert never.code == 4
    assert f"the file holds copies from {emulator.cloud_api_url}" in never.err
    assert f"run `bbpr sync acme/nope --db {path}` first" in never.err


def test_the_copy_and_the_directories_bbpr_makes_are_owner_only(
        emulator: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "new" / "deeper" / "copy.sqlite"
    run = bbpr("sync", "acme/widgets", "--db", str(path), env=cloud_environment(emulator),
               umask=0o022)
    assert run.code == 0, run.err
    made = [path, path.with_name("copy.sqlite.lock"), path.with_name("copy.sqlite-wal")]
    for file in made:
        if file.exists():  # the WAL may be checkpointed away at close
            assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for directory in (path.parent, path.parent.parent):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700, directory


def test_an_existing_copy_keeps_the_mode_its_owner_gave_it(
        emulator: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite"
    first = bbpr("sync", "acme/widgets", "--db", str(path), env=cloud_environment(emulator))
    assert first.code == 0, first.err
    path.chmod(0o640)  # shared with a group, on purpose
    again = bbpr("sync", "acme/widgets", "--db", str(path), env=cloud_environment(emulator))
    assert again.code == 0, again.err
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_errors_that_are_not_usage_errors_have_no_usage_banner(
        emulator: Emulator, tmp_path: Path) -> None:
    env = base_environment() | {"BITBUCKET_API_URL": emulator.cloud_api_url,
                                "BBPR_CONFIG_DIR": str(tmp_path),
                                "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    no_keyring = bbpr("auth", "login", "--email", emulator.demo.email, "--with-token", env=env,
                      input=emulator.demo.api_token)
    no_token = bbpr("list", "acme/widgets", "--with-token", env=env, input="")
    for run in (no_keyring, no_token):
        assert run.code == 2
        assert "Usage:" not in run.err and "--help" not in run.err and "-h' for" not in run.err
    assert no_keyring.err.startswith("No OS keyring is available here")
    assert no_token.err.strip() == "No token was given on standard input."
    typo = bbpr("list", "acme/widgets", "--limit", "x", env=env)  # a real usage error keeps it
    assert typo.code == 2 and "Usage:" in typo.err


def test_hints_that_fit(emulator: Emulator) -> None:
    env = cloud_environment(emulator)
    view = bbpr("view", "acme/widgets/pull-requests/119", "--format", "json", env=env)
    assert view.code == 0, view.err
    assert '"id":119' in view.out.replace(" ", "")
    listed = bbpr("list", "acme/widgets/pull-requests/119", env=env)
    assert listed.code == 2 and "`bbpr view URL` shows it" in listed.err
    for github in ("https://github.com/acme/widgets", "git@github.com:acme/widgets.git"):
        run = bbpr("list", github, env=env)
        assert run.code == 2
        assert "is a GitHub address" in run.err and "https://bitbucket.org/" in run.err
    label = bbpr("list", "acme/widgets", "--label", "bug", env=env)
    assert label.code == 2 and "have no labels" in label.err and "'--help'" not in label.err
    typo = bbpr("list", "acme/widgets", "--lmit", "3", env=env)
    assert typo.code == 2 and "Did you mean '--limit'?" in typo.err
    refused = bbpr("list", "acme/widgets", env=env | {"BITBUCKET_API_URL": "http://127.0.0.1:9/2.0"})
    assert refused.code == 5 and "Could not connect" in refused.err
    assert "written" not in refused.err and "incomplete" not in refused.err
    as_json = bbpr("list", "acme/widgets", "--format", "json",
                   env=env | {"BITBUCKET_API_URL": "http://127.0.0.1:9/2.0"})
    assert as_json.code == 5 and as_json.out == "["  # an array begun: that output is incomplete
    assert "the output is incomplete" in as_json.err


def test_ctrl_c_after_some_output_says_the_output_is_incomplete(tmp_path: Path) -> None:
    with Emulator(prs=400, seed=3, latency_ms=250) as slow:
        out = tmp_path / "ids"
        # Titles need the pages (bare IDs would be proved in two requests, before any Ctrl-C).
        child = spawn(f"bbpr list acme/widgets -s all --concurrency 1 --fields id,title > {out}",
                      cloud_environment(slow))
        child.expect(r"Listing: [1-9]\d* of \d+")  # some pages are out: stop it now
        child.sendintr()
        rest = child.read()
        child.close()
    written = len(out.read_text().splitlines())
    assert 0 < written < 400
    assert f"{written} pull requests were written before the interruption; the output is " \
           "incomplete." in rest
    assert rest.index("incomplete") < rest.index("Interrupted.")
    assert child.exitstatus == 130 or child.signalstatus is not None  # sh is interrupted too


def test_ctrl_c_before_a_table_is_laid_out_says_nothing_was_written(tmp_path: Path) -> None:
    with Emulator(prs=400, seed=3, latency_ms=250) as slow:
        child = spawn("bbpr list acme/widgets -s all --concurrency 1",
                      cloud_environment(slow, BBPR_PAGER="cat"))
        child.expect(r"Listing: [1-9]\d* of \d+")
        child.sendintr()
        rest = child.read()
        child.close()
    assert "Interrupted." in rest and "were written" not in rest and "ID  STATE" not in rest


def test_sync_status_fits_80_and_120_columns_with_a_header_when_piped(
        emulator: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "copy.sqlite"
    synced = bbpr("sync", "acme", "--db", str(path), env=cloud_environment(emulator))
    assert synced.code == 0, synced.err
    env = base_environment() | {"BBPR_PAGER": "cat"}
    for columns in (80, 120):
        screen = on_terminal(f"bbpr sync --status --db {path}", env, columns=columns)
        assert screen.code == 0, screen.output
        lines = [ESCAPE.sub("", line) for line in screen.lines if line.strip()]
        assert lines[0].split("  ")[0] == "REPOSITORY"  # the header is one line
        assert "LAST PASS (UTC)" in lines[0] and lines[0].endswith("CLOSE TIMES")
        assert lines[1] == f"{emulator.cloud_api_url}:"  # the host once, above its rows
        rows = lines[2:]
        assert len(rows) == 4 and all(len(line) <= columns for line in rows)
        widgets = next(line for line in rows if line.startswith("acme/widgets "))
        count = len(emulator.pull_requests("acme", "widgets"))
        assert re.search(rf"acme/widgets +{count}  \d{{4}}-\d\d-\d\d \d\d:\d\d +\d+ requests? +no$",
                         widgets), widgets
    piped = bbpr("sync", "--status", "--db", str(path), env=env)
    header, *rows = piped.out.splitlines()
    assert header.startswith("host\trepository\tpull_requests\t") and len(rows) == 4


def test_a_workspace_table_has_a_repository_column_whatever_the_rows(
        emulator: Emulator) -> None:
    env = cloud_environment(emulator, BBPR_PAGER="cat")
    first = bbpr("list", "acme", "-s", "all", "-L", "4", "--format", "ids", env=env)
    assert len({line.split("\t")[0] for line in first.out.splitlines()}) == 1  # one repository
    screen = on_terminal("bbpr list acme -s all -L 4", env, columns=120)
    assert screen.code == 0, screen.output
    assert ESCAPE.sub("", screen.lines[0]).split()[:2] == ["REPOSITORY", "ID"]
    one = on_terminal("bbpr list acme/widgets -L 4", env, columns=120)
    assert ESCAPE.sub("", one.lines[0]).split()[0] == "ID"


def test_names_in_any_case_and_a_slug_with_git(emulator: Emulator) -> None:
    env = cloud_environment(emulator)
    expected = bbpr("list", "acme/widgets", "-s", "all", "-L", "5", "--format", "json",
                    "--fields", "id,title", env=env)
    assert expected.code == 0 and '"title"' in expected.out
    for args in (("acme/widgets", "--fields", "ID,Title", "--format", "JSON"),
                 ("acme/widgets.git", "--fields", "id,title", "--format", "Json")):
        run = bbpr("list", *args, "-s", "all", "-L", "5", env=env)
        assert run.code == 0, run.err
        assert run.out == expected.out
    view = bbpr("view", "acme/widgets.git", "3", "--format", "JSON", env=env)
    assert view.code == 0 and '"id":3' in view.out.replace(" ", "")
    unknown = bbpr("list", "acme/widgets", "--fields", "Titel", env=env)
    assert unknown.code == 2 and "Did you mean 'title'?" in unknown.err


def scope_refusal(request: Request) -> Response | None:
    """A server that refuses for scopes but names none (no `x-oauth-scopes` header)."""
    if request.path.startswith(("/2.0/user", "/2.0/repositories/")):
        body = b'{"type": "error", "error": {"message": "Your credentials lack one or more ' \
               b'required privilege scopes."}}'
        return Response(403, body, {"Content-Type": "application/json"})
    return None


def test_doctor_says_a_scope_problem_once(fresh_emulator: Emulator) -> None:
    token = fresh_emulator.add_api_token(scopes=())
    env = cloud_environment(fresh_emulator, BITBUCKET_TOKEN=token)
    for target in ("acme/widgets", "acme"):
        run = bbpr("doctor", target, env=env)
        assert run.code == 3, run.out
        failed = [line for line in run.out.splitlines() if line.startswith("✗")]
        assert failed == [next(line for line in failed if line.startswith("✗ Scopes: The "
                                                                          "credential has no "
                                                                          "scopes"))]
        assert "did not say which scopes" not in run.out
    fresh_emulator.hooks.append(scope_refusal)
    run = bbpr("doctor", "acme/widgets", env=cloud_environment(fresh_emulator))
    assert run.code == 3, run.out
    assert run.out.count("Create API token with scopes") == 1  # once, on the repository
    assert "! Workspace: Could not list the repositories of acme: refused, as the repository " \
           "is below." in run.out
    workspace = bbpr("doctor", "acme", env=cloud_environment(fresh_emulator))
    assert workspace.code == 3 and "Everything works" not in workspace.out


def test_the_demo_reads_as_the_real_output_does() -> None:
    screen = on_terminal("bbpr demo", base_environment() | {"NO_COLOR": "1"}, columns=100)
    assert screen.code == 0, screen.output
    lines = screen.lines
    # One summary per step, the demo's: bbpr's own ("... pull requests of ... in N requests")
    # is not printed beside it.
    assert not [line for line in lines if re.search(r"pull requests of \S+ in \d+ request", line)]
    ids = lines.index("   $ bbpr list acme/widgets --state all --format ids")
    assert lines[ids + 1:ids + 6] == ["   60", "   59", "   58", "   57", "   56"]  # one a line
    assert re.match(r"   \.\.\. 55 more, one a line: 60 IDs in \d+ requests?\.", lines[ids + 6])
    table = lines.index("   $ bbpr list acme/widgets --state merged --format table")
    assert lines[table + 1].startswith("   ID  STATE")  # indented as every step's output
    body = lines[table + 2:lines.index("", table)]
    assert all(line.startswith("   ") and len(line) <= 100 for line in body)
    assert re.match(r"   \d+ pull requests in \d+ requests?\.", body[-1])
    times = re.findall(r"\d{4}-\d\d-\d\dT[\d:.]+Z", screen.output)
    assert len(times) >= 4 and all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", moment)
                                   for moment in times)  # one precision: the microsecond
    doctor = next(line for line in lines if "Workspace jobSearchDemo was not found" in line)
    assert doctor.startswith("   ")


PRACTICE = {
    "a token made without scopes": (3, "has no scopes"),
    "a token made for another product (Jira)": (3, "another Atlassian product"),
    "an expired token": (3, "expired"),
    "an app password (removed on 28 July 2026)": (3, "28 July 2026"),
    "the Bitbucket username where the email goes": (2, "is not an email address"),
}


def test_the_emulator_prints_wrong_credentials_to_practise_on() -> None:
    server = subprocess.Popen([sys.executable, "-m", "bbpr", "emulator", "--port", "0",
                               "--prs", "20"], stdout=subprocess.PIPE, text=True,
                              env=base_environment())
    try:
        assert server.stdout is not None
        first = server.stdout.readline()
        assert re.search(r"Cloud API at http://127\.0\.0\.1:\d+/2\.0 ", first)
        exports: dict[str, str] = {}
        practice: dict[str, str] = {}
        while len(practice) < len(PRACTICE):
            line = server.stdout.readline().rstrip("\n")
            assert line, "the banner ended early"
            export = re.match(r"export (BITBUCKET_\w+)=(\S+)$", line)
            if export:
                exports[export.group(1)] = export.group(2)
            case = re.match(r"#   (.+?): (BITBUCKET_\w+=\S+ bbpr doctor acme/widgets)$", line)
            if case:
                practice[case.group(1)] = case.group(2)
        assert set(practice) == set(PRACTICE)
        for label, command in practice.items():
            code, says = PRACTICE[label]
            shell = command.replace("bbpr ", f"{sys.executable} -m bbpr ", 1)
            done = subprocess.run(["/bin/sh", "-c", shell], capture_output=True, text=True,
                                  env=base_environment() | exports, timeout=60, check=False)
            assert done.returncode == code, (label, done.stdout, done.stderr)
            failed = next(line for line in done.stdout.splitlines() if line.startswith("✗"))
            assert says in failed, (label, failed)
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_json_fields_as_gh_spells_it(emulator: Emulator) -> None:
    env = cloud_environment(emulator)
    ours = bbpr("list", "acme/widgets", "-s", "all", "--format", "json", "--fields",
                "id,title,state", env=env)
    for args in (("--json", "id,title,state"), ("--json", "id,title,state", "--format", "json")):
        gh = bbpr("list", "acme/widgets", "-s", "all", *args, env=env)
        assert gh.code == 0, gh.err
        assert gh.out == ours.out and len(json.loads(gh.out)) == len(
            emulator.pull_requests("acme", "widgets"))
    clash = bbpr("list", "acme/widgets", "--json", "id", "--format", "csv", env=env)
    assert clash.code == 2 and "cannot go with --format csv" in clash.err
    both = bbpr("list", "acme/widgets", "--json", "id", "--fields", "title", env=env)
    assert both.code == 2 and "drop --fields" in both.err
    view = bbpr("view", "acme/widgets", "3", "--json", "id", env=env)
    assert view.code == 2 and "--format json" in view.err


def test_a_list_cut_by_limit_says_so_on_a_terminal(emulator: Emulator) -> None:
    env = cloud_environment(emulator, BBPR_PAGER="cat")
    total = len(emulator.pull_requests("acme", "widgets"))
    screen = on_terminal("bbpr list acme/widgets -s all -L 8", env, columns=120)
    assert screen.code == 0
    assert f"Showing 8 of {total} pull requests: --limit stopped the list." in screen.output
    workspace = on_terminal("bbpr list acme -s all -L 8", env, columns=120)
    assert "Showing the first 8 pull requests: --limit stopped the list" in workspace.output
    whole = on_terminal(f"bbpr list acme/widgets -s all -L {total + 5}", env, columns=120)
    assert "Showing" not in whole.output
    piped = bbpr("list", "acme/widgets", "-s", "all", "-L", "8", env=env)
    assert piped.code == 0 and "Showing" not in piped.err and len(piped.out.splitlines()) == 8


def test_pr_list_and_pr_view_as_in_gh(emulator: Emulator) -> None:
    env = cloud_environment(emulator)
    for ours, theirs in ((("list", "acme/widgets", "-s", "all", "-L", "7"),
                          ("pr", "list", "acme/widgets", "-s", "all", "-L", "7")),
                         (("view", "acme/widgets", "3", "--format", "json"),
                          ("pr", "view", "acme/widgets", "3", "--format", "json"))):
        expected, aliased = bbpr(*ours, env=env), bbpr(*theirs, env=env)
        assert expected.code == aliased.code == 0, aliased.err
        assert aliased.out == expected.out and expected.out
    debug = bbpr("pr", "--debug", "list", "acme/widgets", "-L", "1", env=env)
    assert debug.code == 0 and "> GET /2.0/repositories/acme/widgets/pullrequests" in debug.err
    help_text = bbpr("--help", env=env).out
    assert "  list " in help_text and "  pr " not in help_text  # listed once, not cluttered


def test_the_emulator_data_is_dated_relative_to_today(tmp_path: Path) -> None:
    start_of_today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    with Emulator(prs=120, seed=5) as emu, Emulator(prs=120, seed=5) as again:
        prs = emu.pull_requests("acme", "widgets")
        def essence(pull_requests: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
            return [(pr["id"], pr["title"], pr["state"], pr["created_on"], pr["updated_on"])
                    for pr in pull_requests]

        # The same seed, the same data (the links differ only by the port).
        assert essence(prs) == essence(again.pull_requests("acme", "widgets"))
        newest = max(datetime.fromisoformat(pr["updated_on"]) for pr in prs)
        assert start_of_today - timedelta(days=1) <= newest <= datetime.now(UTC)
        env = cloud_environment(emu)
        recent = bbpr("list", "acme/widgets", "-s", "all", "--updated-since", "2d",
                      "--format", "ids", env=env)
        since = datetime.now(UTC) - timedelta(days=2)
        expected = sorted((pr["id"] for pr in prs
                           if datetime.fromisoformat(pr["updated_on"]) >= since), reverse=True)
        assert recent.code == 0 and expected and [int(n) for n in recent.out.split()] == expected
        path = tmp_path / "copy.sqlite"
        first = bbpr("sync", "acme/widgets", "--db", str(path), env=env)
        assert first.code == 0 and "120 pull requests stored, 120 read" in first.err
        second = bbpr("sync", "acme/widgets", "--db", str(path), env=env)
        # Only what changed in the last minutes before the newest update is read again.
        again_read = re.search(r", (\d+) read, in 1 request ", second.err)
        assert second.code == 0 and again_read and int(again_read.group(1)) <= 3, second.err
    fixed = datetime(2026, 6, 30, 12, tzinfo=UTC)
    with Emulator(prs=30, seed=5, now=fixed) as pinned:
        moments = [datetime.fromisoformat(pr["updated_on"])
                   for pr in pinned.pull_requests("acme", "widgets")]
        assert max(moments) <= fixed and max(moments) > fixed - timedelta(days=30)
