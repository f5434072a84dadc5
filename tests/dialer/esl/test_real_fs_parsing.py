"""The 21 real FreeSWITCH captures (tests/fixtures/esl/real-fs) parse into the frames FreeSWITCH
sent, whatever the read chunking, and every event body keeps its meaning."""

from __future__ import annotations

import random
import re

import pytest
from real_fs import FRAMES, REAL_FS, messages, names, sha256

from dialer.esl.protocol import ApiResponse, CommandReply, EventReceived


def test_fixtures_are_the_recorded_bytes() -> None:
    """SOURCE.md lists each capture's SHA-256: an accidental edit of a fixture fails here."""
    listed = dict(re.findall(r"^([0-9a-f]{64})  (\S+)\.esl$",
                             (REAL_FS / "SOURCE.md").read_text(), re.MULTILINE))
    assert sorted(listed.values()) == names()
    assert {name: digest for digest, name in listed.items()} == {n: sha256(n) for n in names()}
    assert sum(FRAMES.values()) == 1540


@pytest.mark.parametrize("name", names())
def test_capture_parses_to_its_frames_in_any_chunking(name: str) -> None:
    whole = messages(name, [1 << 30])
    assert len(whole) == FRAMES[name]
    rng = random.Random(name)
    sizes = [rng.choice([1, 3, 17, 150, 1024, 65536]) for _ in range(4000)]
    assert messages(name, sizes) == whole


def test_event_formats_agree_on_the_same_call() -> None:
    """Flow 02 (event plain) and 13a (event json) are the same call: same event names in the
    same order, and the plain values decode to the json strings (URL decoding)."""
    plain = [m.event for m in messages("02-originate-human-sip") if isinstance(m, EventReceived)]
    json_ = [m.event for m in messages("13a-originate-human-sip-json")
             if isinstance(m, EventReceived)]
    assert [e.name for e in plain if e.name.startswith("CHANNEL_")][:6] == \
        [e.name for e in json_ if e.name.startswith("CHANNEL_")][:6]
    job = next(e for e in json_ if e.name == "BACKGROUND_JOB")
    assert job.body is not None and job.body.startswith("+OK ")
    answer = next(e for e in json_ if e.name == "CHANNEL_ANSWER")
    assert answer["Caller-Orig-Caller-ID-Number"] == "+12015550100"
    xml = [m.event for m in messages("13b-event-xml") if isinstance(m, EventReceived)]
    assert {e.name for e in xml} >= {"CHANNEL_CREATE", "CHANNEL_ANSWER", "BACKGROUND_JOB"}


def test_surprising_frames_read_as_freeswitch_meant_them() -> None:
    """The README's surprises that a parser can get wrong."""
    broadcast = [m for m in messages("06-safe-harbour-broadcast")]
    private = [m.event for m in broadcast if isinstance(m, EventReceived)
               and m.event.name == "COMMAND"]
    # PRIVATE_COMMAND frames hold two header blocks; the first one (COMMAND) wins.
    assert private and all(e.get("execute-app-name") == "playback" for e in private)
    not_found = [m.event for m in broadcast if isinstance(m, EventReceived)
                 and m.event.get("Application-Response") == "FILE NOT FOUND"]
    assert not_found
    bodies = [m.body for m in broadcast if isinstance(m, ApiResponse)]
    assert "+OK Message sent\n" in bodies and "-ERR invalid uuid\n" in bodies
    avmd = [m.event for m in messages("08a-avmd-answering-machine-loopback")
            if isinstance(m, EventReceived) and m.event.subclass == "avmd::beep"]
    assert len(avmd) == 2 and avmd[0]["Event-Sequence"] == avmd[1]["Event-Sequence"]
    hangup = next(m.event for m in messages("02-originate-human-sip")
                  if isinstance(m, EventReceived) and m.event.name == "CHANNEL_HANGUP_COMPLETE")
    assert hangup.get_all("Hangup-Cause") == ["NORMAL_CLEARING", "NORMAL_CLEARING"]
    replies = [m for m in messages("02-originate-human-sip") if isinstance(m, CommandReply)]
    assert any(r.job_uuid for r in replies)
