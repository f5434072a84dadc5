"""``dialer doctor`` and ``dialer run`` on a campaign's inbound queues: a queue nobody can
serve (its agent list names nobody on the campaign, or it needs skill levels no agent has)
kept every caller waiting until they gave up, and doctor said nothing about queues at all."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from campaigns.queue_callbacks import QueueCallbacks
from campaigns.queue_store import QueueError, QueueStore
from campaigns.store import CampaignStore
from dialer.runner.campaign_link import AgentSpec
from dialer.runner.doctor import Verdict, diagnose_campaign
from dialer.runner.inbound import InboundLink

NOW = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path):
    opened = CampaignStore.open(f"sqlite:///{tmp_path}/dialer.db")
    queues = QueueStore(opened)
    queues.create({"name": "sales", "agents": ["ann", "bob"]}, at=NOW)
    queues.create({"name": "spanish", "strategy": "skills", "skills": {"spanish": 2}}, at=NOW)
    queues.create({"name": "vip", "agents": ["zed"]}, at=NOW)
    opened.create_campaign("spring", {"caller_ids": ["+12025550100"],
                                      "queues": ["sales", "spanish", "vip"]}, at=NOW,
                           agents=[("ann", "user/1001")])
    opened.add_agent("bob", "user/1002", campaign="spring", skills=["spanish:1"])
    yield opened
    opened.close()


def _queue_checks(store, data) -> dict[str, tuple[Verdict, str]]:
    return {c.name: (c.verdict, c.message) for c in diagnose_campaign(store, "spring", data, (),
                                                                      at=NOW)
            if c.name.startswith("queue")}


def test_doctor_names_each_queue_nobody_can_serve_and_its_repair(store, tmp_path) -> None:
    checks = _queue_checks(store, tmp_path)
    assert checks["queue sales"][0] is Verdict.OK
    assert "2 agents can take its calls (ann, bob)" in checks["queue sales"][1]
    verdict, message = checks["queue spanish"]
    assert verdict is Verdict.FAIL and "nobody has spanish:2 at that level or above (skills: " \
        "ann none; bob spanish:1)" in message
    assert "`dialer campaign edit spring --skills NAME=spanish:2`" in message
    verdict, message = checks["queue vip"]
    assert verdict is Verdict.FAIL and "its agents (zed) are none of the 2 here" in message
    assert "dialer campaign edit spring --agent zed=ENDPOINT" in message


def test_doctor_fails_on_a_queue_the_runner_could_not_build(store, tmp_path) -> None:
    """A queue naming a prompt the operator has since removed from <data>/prompts."""
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "jingle.wav").write_bytes(
        (Path(__file__).parents[3] / "dialer/prompts/beep.wav").read_bytes())
    QueueStore(store).edit("sales", {"announcements": {"welcome": ["jingle"]}}, at=NOW)
    (tmp_path / "prompts" / "jingle.wav").unlink()
    verdict, message = _queue_checks(store, tmp_path)["queues"]
    assert verdict is Verdict.FAIL and "prompt 'jingle'" in message and "refuses" in message


def _link(store, tmp_path, agents: dict[str, tuple[str, ...]]) -> InboundLink:
    link = SimpleNamespace(
        store=store, owner="test", name="spring", campaign_id=1,
        settings=SimpleNamespace(queues=("sales", "spanish")), agents={
            name: AgentSpec(name, f"user/{i}", frozenset(skills))
            for i, (name, skills) in enumerate(agents.items())})
    return InboundLink(link, None, prompt_dirs=[tmp_path / "prompts"],  # type: ignore[arg-type]
                       prompts_on_switch=None, clock=lambda: 0.0, post=lambda event: None)


def test_run_refuses_a_queue_whose_skills_no_agent_has(store, tmp_path) -> None:
    with pytest.raises(QueueError, match=r"queue spanish: no agent can take its calls: nobody "
                                         r"has spanish:2 .*`dialer campaign edit spring --skills "):
        _link(store, tmp_path, {"ann": (), "bob": ("spanish:1",)})
    assert _link(store, tmp_path, {"ann": (), "bob": ("spanish:2",)}).served


def _break(store, name: str, config: dict) -> None:
    import sqlalchemy as sa

    from campaigns.models import InboundQueue

    with store.session() as session:
        session.execute(sa.update(InboundQueue).where(InboundQueue.name == name).values(
            config=config))
        session.commit()


def test_doctor_names_menus_stored_before_they_were_refused(store, tmp_path) -> None:
    """A menu nobody reaches and an opt-out on silence, stored by an earlier version: the
    queue set builds, doctor names each with its repair and fails on both (a run refuses
    what saving refuses)."""
    _break(store, "sales", {"name": "sales", "agents": ["ann", "bob"], "ivr": {"menus": {
        "main": {"prompt": "main_menu", "options": {"1": "queue"}, "on_timeout": "opt_out"},
        "billing": {"prompt": "main_menu", "options": {"1": "queue"}}}}})
    checks = [c for c in diagnose_campaign(store, "spring", tmp_path, (), at=NOW)
              if c.name == "queue sales settings"]
    by_field = {c.message.split(":")[0]: c for c in checks}
    assert by_field["ivr.menus.billing"].verdict is Verdict.FAIL
    assert "reached by no key" in by_field["ivr.menus.billing"].message
    assert "`dialer queue edit sales --unset ivr.menus.billing`" in \
        by_field["ivr.menus.billing"].message
    assert by_field["ivr.menus.main.on_timeout"].verdict is Verdict.FAIL
    assert "do-not-call list" in by_field["ivr.menus.main.on_timeout"].message
    assert "`dialer queue edit sales --set ivr.menus.main.on_timeout=queue`" in \
        by_field["ivr.menus.main.on_timeout"].message
    assert "`dialer run` refuses to start" in by_field["ivr.menus.main.on_timeout"].message


# Every rule saving refuses (``QueueConfig.problems`` marked refused), stored directly as an
# earlier version could: (stored settings, the field named, the repair named, the repair as
# ``QueueStore.edit`` arguments: changes, unset).
STORED_BEFORE = {
    "opt_out on silence": (
        {"ivr": {"menus": {"main": {"prompt": "main_menu", "options": {"1": "queue"},
                                    "on_timeout": "opt_out"}}}},
        "ivr.menus.main.on_timeout", "--set ivr.menus.main.on_timeout=queue",
        ({"ivr": {"menus": {"main": {"on_timeout": "queue"}}}}, ())),
    "opt_out on a wrong key": (
        {"ivr": {"menus": {"main": {"prompt": "main_menu", "options": {"1": "queue"},
                                    "on_invalid": "opt_out"}}}},
        "ivr.menus.main.on_invalid", "--set ivr.menus.main.on_invalid=queue",
        ({"ivr": {"menus": {"main": {"on_invalid": "queue"}}}}, ())),
    "a menu nobody reaches": (
        {"ivr": {"menus": {"main": {"prompt": "main_menu", "options": {"1": "queue"}},
                           "billing": {"prompt": "main_menu", "options": {"1": "queue"}}}}},
        "ivr.menus.billing", "--unset ivr.menus.billing", ({}, ("ivr.menus.billing",))),
    "a callback offer max_wait cuts short": (
        {"max_wait": 60, "overflow": "voicemail", "callback": {"offer_after": 90}},
        "callback.offer_after", "--set callback.enabled=false",
        ({"callback": {"enabled": False}}, ())),
    "an alert max_wait cuts short": (
        {"max_wait": 60, "overflow": "voicemail", "alerts": {"longest_wait": 60}},
        "alerts.longest_wait", "--unset alerts.longest_wait", ({}, ("alerts.longest_wait",))),
}


@pytest.mark.parametrize("case", list(STORED_BEFORE))
def test_run_refuses_a_queue_stored_before_a_check_saving_makes(store, tmp_path, case) -> None:
    """A queue stored before the IVR checks with ``on_timeout = "opt_out"`` ran: every
    caller who stayed silent went on the do-not-call list while doctor said FAIL. The run
    now refuses each rule saving refuses, in one line naming the queue, the field and the
    repair; the repair it names lets the run start."""
    stored, field, repair, (changes, unset) = STORED_BEFORE[case]
    with pytest.raises(QueueError) as refused:  # what an earlier version could not store
        QueueStore(store).edit("sales", stored, at=NOW)
    assert f": {field}: " in str(refused.value)
    _break(store, "sales", {"name": "sales", "agents": ["ann", "bob"], **stored})
    with pytest.raises(QueueError) as refused:
        _link(store, tmp_path, {"ann": (), "bob": ("spanish:2",)})
    line = str(refused.value)
    assert "\n" not in line and line.startswith(f"queue sales: {field}: ")
    assert f"`dialer queue edit sales {repair}`" in line
    assert (refused.value.queue, refused.value.field) == ("sales", tuple(field.split(".")))
    QueueStore(store).edit("sales", changes, unset=unset, at=NOW)
    assert _link(store, tmp_path, {"ann": (), "bob": ("spanish:2",)}).served


def test_run_refuses_an_overflow_target_stored_before_a_check(store, tmp_path) -> None:
    """A queue reached only by an overflow is served too, so it is checked too."""
    QueueStore(store).create({"name": "late"}, at=NOW)
    QueueStore(store).edit("sales", {"max_wait": 300, "overflow": "queue:late"}, at=NOW)
    _break(store, "late", {"name": "late", "ivr": {"menus": {"main": {
        "prompt": "main_menu", "options": {"1": "queue"}, "on_invalid": "opt_out"}}}})
    with pytest.raises(QueueError, match=r"^queue late: ivr.menus.main.on_invalid: opt_out"):
        _link(store, tmp_path, {"ann": (), "bob": ("spanish:2",)})


def test_dialer_run_prints_the_refusal_in_one_line(store, tmp_path, monkeypatch) -> None:
    """``dialer run`` on a campaign serving such a queue: exit 1, one ``error:`` line with
    the queue, the field and the repair, before any switch is reached."""
    from typer.testing import CliRunner

    import cli

    _break(store, "sales", {"name": "sales", "agents": ["ann", "bob"], "ivr": {"menus": {
        "main": {"prompt": "main_menu", "options": {"1": "queue"}, "on_timeout": "opt_out"}}}})
    import sqlalchemy as sa

    from campaigns.models import Campaign
    from tests.campaigns.ready import DECLARED

    with store.session() as session:
        session.execute(sa.update(Campaign).values(settings={
            "caller_ids": ["+12025550100"], "queues": ["sales"], "compliance": DECLARED}))
        session.commit()
    _state(store, "running")
    monkeypatch.setenv("DIALER_HOME", str(tmp_path))
    result = CliRunner().invoke(cli.app, ["run", "spring", "--db", str(store.engine.url),
                                          "--switch", "esl://127.0.0.1:1", "--duration", "1"])
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "queue sales: ivr.menus.main.on_timeout: opt_out" in lines[0]
    assert "`dialer queue edit sales --set ivr.menus.main.on_timeout=queue`" in lines[0]


def _state(store, state: str) -> None:
    import sqlalchemy as sa

    from campaigns.models import Campaign

    with store.session() as session:
        session.execute(sa.update(Campaign).values(state=state))
        session.commit()


def test_doctor_names_queue_callbacks_nobody_will_call_back(store, tmp_path) -> None:
    """A retired queue's callbacks, and those of a queue no campaign that can run serves,
    stayed pending for ever and nothing said so."""
    from datetime import timedelta

    queues, callbacks = QueueStore(store), QueueCallbacks(store)
    queues.create({"name": "old"}, at=NOW)
    queues.create({"name": "lonely"}, at=NOW)
    for number, queue in enumerate(("old", "old", "lonely", "sales")):
        callbacks.add_callback(f"cb{number}", queue, f"+1202555010{number}",
                               NOW - timedelta(hours=number), at=NOW)
    _break(store, "old", {"name": "old", "overflow": "voicemail"})  # and it did not read
    with pytest.raises(QueueError, match="2 pending callback"):
        queues.delete("old", at=NOW)
    queues.delete("old", at=NOW, callbacks_to="lonely")
    _state(store, "running")

    def callbacks_check():
        (check,) = [c for c in diagnose_campaign(store, "spring", tmp_path, (), at=NOW)
                    if c.name == "queue callbacks"]
        return check

    check = callbacks_check()
    assert check.verdict is Verdict.WARN
    assert "queue lonely (served by no running or paused campaign): 3 pending callback(s), " \
           "the oldest due 2026-12-07 13:00 UTC" in check.message
    assert "--queue lonely --move-to OTHER_QUEUE" in check.message
    assert "queue sales" not in check.message  # spring can run: its queues are served
    _state(store, "stopped")
    assert "queue sales (served by no running or paused campaign): 1 pending" in \
        callbacks_check().message
    queues.create({"name": "old"}, at=NOW)  # a retired queue's callbacks, stored earlier
    callbacks.add_callback("cb9", "old", "+12025550109", NOW, at=NOW)
    _break(store, "old", {"name": "old"})
    import sqlalchemy as sa

    from campaigns.models import InboundQueue

    with store.session() as session:
        session.execute(sa.update(InboundQueue).where(InboundQueue.name == "old").values(
            active=False))
        session.commit()
    assert "queue old (retired): 1 pending callback(s)" in callbacks_check().message
    assert callbacks.resettle_callbacks("old", to=None, at=NOW) == 1
    assert "queue old" not in callbacks_check().message
