"""The console's campaign controls across ``dialer web`` processes (docs/web.md, "Two tabs,
two web processes"): two web servers in two processes (the test's own, beside the
runners, and a ``dialer web`` started as a process of its own) on one store, SQLite and
PostgreSQL. Racing Resume and pacing changes, exactly one wins: the store's state
(and the engine) is the winner's, the loser gets the 409 conflict and writes nothing, and
the audit log has one ok entry per won action; racing Pauses are both taken (a Pause dials
less). A tab's Resume after a pause and a resume (or after ``dialer campaign start`` and
``pause`` on the command line) is refused, although the state looks the same. And in
chromium: a stale tab's Resume shows the conflict next to the control.

Before (per-process lock, state fingerprint), both racing requests passed their checks
and both were applied; the stale Resume resumed."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import httpx
import pytest
from browser_kit import WAIT, needs_chromium, sign_in
from web_kit import PASSWORD, Browserless, _free_port, running_web

ROOT = Path(__file__).resolve().parents[3]
SET_BY = r"set by supervisor {} from the console at \d\d:\d\d UTC"


@contextlib.contextmanager
def _pg_database(postgres_url: str) -> Iterator[str]:
    import psycopg

    schema = f"test_console_cas_{uuid.uuid4().hex[:12]}"
    plain = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in postgres_url else "?"
    try:
        yield f"{postgres_url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(plain, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


@contextlib.contextmanager
def _second_web(url: str, home: Path) -> Iterator[str]:
    """``dialer web`` in a process of its own, on the same store and data directory."""
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cli",
            "web",
            "--db",
            url,
            "--home",
            str(home),
            "--listen",
            f"127.0.0.1:{port}",
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/login", timeout=2).status_code == 200:
                    break
            assert process.poll() is None, "dialer web ended"
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(30)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def env(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"console-cas-{request.param}")
    with contextlib.ExitStack() as stack:
        url = (
            stack.enter_context(_pg_database(request.getfixturevalue("postgres_url")))
            if request.param == "postgres"
            else f"sqlite:///{tmp / 'dialer.db'}"
        )
        env = stack.enter_context(running_web(tmp, database=url))
        env.other = stack.enter_context(_second_web(url, tmp))
        env.url = url
        other = _client(env.other, "root")
        # The other process's directory has found the runners' sockets.
        env.wait(lambda: "not running" not in _label(other), timeout=30)
        yield env


def _client(base: str, name: str) -> Browserless:
    client = Browserless(httpx.Client(base_url=base, timeout=30.0))
    client.sign_in(name)
    return client


def _label(client: Browserless) -> str:
    page = client.http.get("/supervisor?campaign=spring").text
    return re.search(r'data-field="campaign-state">([^<]*)<', page).group(1)  # type: ignore[union-attr]


def _view(client: Browserless) -> dict[str, str]:
    """What a supervisor's page shows: the hidden fields its controls send."""
    page = client.http.get("/supervisor?campaign=spring").text
    return {
        name: re.search(rf'name="{name}" value="([^"]*)"', page).group(1)  # type: ignore[union-attr]
        for name in ("state_seen", "state_version", "pacing_seen")
    }


def _together(*calls):
    """Run the calls at the same instant (threads released by one barrier)."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        results[index] = calls[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def _ok_entries(env, action: str) -> int:
    return sum(
        1
        for e in env.store.audit_entries(campaigns=["spring"], limit=1000)
        if e.action == action and e.ok
    )


def _engine(env):
    return env.runners["spring"].engine


def _dialing_is(env, want: str) -> bool:
    return bool(_engine(env).dialing_paused == (want == "paused"))


def _state(env) -> tuple[str, int]:
    row = env.store.campaign("spring")
    return str(row.state), row.state_version


def _put(env, client: Browserless, action: str) -> None:
    """The campaign brought to a state through the console (the page's own version)."""
    want = "paused" if action == "campaign_pause" else "running"
    if env.store.campaign("spring").state != want:
        answer = client.supervise("spring", action, **_view(client)).json()
        assert answer["ok"], answer
    env.wait(lambda: _engine(env).dialing_paused == (want == "paused"))


def test_racing_resumes_from_two_web_processes_exactly_one_wins(env) -> None:
    action = "campaign_resume"
    sam, root = env.client("sam"), _client(env.other, "root")
    for _ in range(3):
        _put(env, sam, "campaign_pause")
        _, version = _state(env)
        seen_sam, seen_root = _view(sam), _view(root)
        assert seen_sam["state_version"] == seen_root["state_version"] == str(version)
        audited = _ok_entries(env, action)
        answers = _together(
            partial(sam.supervise, "spring", action, **seen_sam),
            partial(root.supervise, "spring", action, **seen_root),
        )
        won = [a for a in answers if a.status_code == 200]
        lost = [a for a in answers if a.status_code != 200]
        assert len(won) == 1 and len(lost) == 1, [a.json() for a in answers]
        refused = lost[0].json()
        assert refused["conflict"] and refused["error"].startswith("nothing changed"), refused
        winner = "sam" if won[0] is answers[0] else "root"
        assert re.search(f"running, {SET_BY.format(winner)}", refused["error"]), refused
        assert refused["state_version"] == version + 1
        # The store is the winner's, bumped once; the loser wrote nothing; one ok entry.
        assert _state(env) == ("running", version + 1)
        assert _ok_entries(env, action) == audited + 1
        env.wait(partial(_dialing_is, env, "running"))


def test_racing_pauses_from_two_web_processes_are_both_taken(env) -> None:
    """A Pause dials less: neither tab is refused; the store is paused, written once."""
    action = "campaign_pause"
    sam, root = env.client("sam"), _client(env.other, "root")
    for _ in range(3):
        _put(env, sam, "campaign_resume")
        _, version = _state(env)
        seen_sam, seen_root = _view(sam), _view(root)
        answers = _together(
            partial(sam.supervise, "spring", action, **seen_sam),
            partial(root.supervise, "spring", action, **seen_root),
        )
        assert [a.status_code for a in answers] == [200, 200], [a.json() for a in answers]
        assert all(a.json()["ok"] for a in answers)
        assert _state(env) == ("paused", version + 1)
        env.wait(partial(_dialing_is, env, "paused"))
    _put(env, sam, "campaign_resume")


def test_racing_pacing_changes_from_two_web_processes_exactly_one_wins(env) -> None:
    sam, root = env.client("sam"), _client(env.other, "root")
    for first, second in (("1.5", "2.5"), ("2", "1"), ("2.5", "1.5")):
        version = env.store.campaign("spring").pacing_version
        seen_sam, seen_root = _view(sam), _view(root)
        audited = _ok_entries(env, "pacing")
        answers = _together(
            partial(
                sam.supervise,
                "spring",
                "pacing",
                abandon_target=first,
                pacing_seen=seen_sam["pacing_seen"],
            ),
            partial(
                root.supervise,
                "spring",
                "pacing",
                abandon_target=second,
                pacing_seen=seen_root["pacing_seen"],
            ),
        )
        won = [i for i, a in enumerate(answers) if a.status_code == 200]
        assert len(won) == 1, [a.json() for a in answers]
        refused = answers[1 - won[0]].json()
        assert refused["conflict"] and "changed by supervisor" in refused["error"], refused
        target = float((first, second)[won[0]]) / 100
        assert env.store.settings("spring").abandon_target == pytest.approx(target)
        assert env.store.campaign("spring").pacing_version == version + 1
        assert refused["seen"] == version + 1
        assert _engine(env).config.abandon_target == pytest.approx(target)
        assert _ok_entries(env, "pacing") == audited + 1


def test_a_resume_after_changes_between_view_and_send_is_refused_a_pause_is_taken(env) -> None:
    sam, root = env.client("sam"), _client(env.other, "root")
    _put(env, sam, "campaign_resume")
    stale = _view(sam)
    # In the other web process, root pauses and resumes: the state looks as sam's page.
    _put(env, root, "campaign_pause")
    _put(env, root, "campaign_resume")
    assert _state(env)[0] == stale["state_seen"] == "running"
    version = _state(env)[1]
    # sam's Pause is taken all the same: it dials less, whatever happened in between.
    taken = sam.supervise("spring", "campaign_pause", **stale).json()
    assert taken["ok"], taken
    assert _state(env) == ("paused", version + 1)
    env.wait(lambda: _engine(env).dialing_paused)
    _put(env, root, "campaign_resume")
    # Paused, and resumed and paused again by root: sam's Resume is refused.
    _put(env, root, "campaign_pause")
    stale = _view(sam)
    _put(env, root, "campaign_resume")
    _put(env, root, "campaign_pause")
    version = _state(env)[1]
    refused = sam.supervise("spring", "campaign_resume", **stale).json()
    assert refused["conflict"] and "paused by supervisor root" in refused["error"], refused
    assert _state(env) == ("paused", version) and _engine(env).dialing_paused
    # Sent again with the version the answer showed (what the page takes), it stands.
    again = sam.supervise(
        "spring",
        "campaign_resume",
        state_seen=refused["state_seen"],
        state_version=str(refused["state_version"]),
    ).json()
    assert again["ok"], again
    assert _state(env) == ("running", version + 1)
    env.wait(lambda: not _engine(env).dialing_paused)


def _cli(env, *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cli", *args, "--db", env.url],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "DIALER_HOME": str(env.data)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


def test_a_tab_opened_before_a_command_line_pause_sees_a_conflict_on_resume(env) -> None:
    sam = env.client("sam")
    _put(env, sam, "campaign_pause")
    stale = _view(sam)
    _cli(env, "campaign", "start", "spring")
    _cli(env, "campaign", "pause", "spring")
    state, version = _state(env)
    assert state == stale["state_seen"] == "paused"
    assert version == int(stale["state_version"]) + 2
    refused = sam.supervise("spring", "campaign_resume", **stale).json()
    assert refused["conflict"], refused
    assert re.search(r"paused from the command line at \d\d:\d\d UTC", refused["error"])
    assert _state(env) == ("paused", version)
    _cli(env, "campaign", "start", "spring")
    _put(env, sam, "campaign_pause")
    _put(env, sam, "campaign_resume")


@needs_chromium
def test_a_stale_tabs_resume_shows_the_conflict_next_to_the_control(env, browser, request) -> None:
    if "postgres" in request.node.callspec.id:
        pytest.skip("the browser's half runs once, on SQLite")
    root = _client(env.other, "root")
    _put(env, root, "campaign_pause")
    page = sign_in(browser, env.base_url, "sam", PASSWORD)
    page.goto(f"{env.base_url}/supervisor?campaign=spring")
    page.wait_for_function("() => !!document.body.dataset.updatedAt", timeout=WAIT)
    # Resumed and paused again in the other web process while the tab is open.
    _put(env, root, "campaign_resume")
    _put(env, root, "campaign_pause")
    version = _state(env)[1]
    page.click("#campaign_resume-button")
    message = page.locator(".dialing-controls [data-field=dialing-message]")
    message.wait_for(state="visible")
    assert "nothing changed" in message.inner_text()
    assert "paused by supervisor root" in message.inner_text()
    assert _state(env) == ("paused", version) and _engine(env).dialing_paused
    # The tab took the version now: Resume again applies.
    assert page.locator("[name=state_version]").first.input_value() == str(version)
    page.click("#campaign_resume-button")
    page.wait_for_function(
        "() => document.querySelector('[data-field=dialing-message]').textContent"
        ".includes('dialing resumed')",
        timeout=WAIT,
    )
    assert _state(env) == ("running", version + 1)
    page.context.close()
