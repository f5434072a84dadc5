"""The parser against the real captures' surprises that no earlier test pinned (seventeenth
fidelity pass, docs/esl.md): README "Surprises" 2-5 and 9, read from the recorded bytes."""

from __future__ import annotations

from real_fs import events, legs, messages, raw

from dialer.esl.event import parse_xml, serialize_xml
from dialer.esl.protocol import DisconnectNotice, FrameReader


def test_xml_body_is_cut_at_its_content_length() -> None:
    """13b (Surprise 4): ``<body>`` text is followed by the closing tag's indentation
    (``\\n  </body>``); the body is the ``<Content-Length>`` bytes FreeSWITCH sent, exactly as
    in the plain and json formats (``+OK <uuid>\\n``), and element texts are URL-decoded."""
    xml = events("13b-event-xml")
    job = next(e for e in xml if e.name == "BACKGROUND_JOB")
    assert job.body == f"+OK {legs('13b-event-xml')['CUST-a']}\n"
    assert job["Job-Command-Arg"].startswith("{origination_uuid=")
    answer = next(e for e in xml if e.name == "CHANNEL_ANSWER")
    assert answer["Caller-Orig-Caller-ID-Number"] == "+12015550100"
    assert answer["FreeSWITCH-IPv4"] == "192.0.2.2"


def test_json_body_and_string_numbers() -> None:
    """13a (Surprise 4): every JSON value a string, the body under ``_body`` becomes the
    event's body and no header."""
    job = next(e for e in events("13a-originate-human-sip-json") if e.name == "BACKGROUND_JOB")
    assert job.body is not None and job.body.startswith("+OK ") and job.body.endswith("\n")
    assert "_body" not in dict(job.headers) and isinstance(job["Event-Sequence"], str)


def test_duplicate_headers_subclass_first_and_arrays() -> None:
    """02/08a (Surprises 2, 3, 5): CODEC's doubled write codec, the lower-case read-codec
    headers, avmd's ``Event-Subclass`` before ``Event-Name`` (decoded) and its full copy's two
    ``Unique-ID``, and an ``ARRAY::`` variable decoded as one value."""
    flow = events("02-originate-human-sip")
    codecs = [e for e in flow if e.name == "CODEC"]
    assert any(e.get_all("Channel-Write-Codec-Name") == ["PCMU", "PCMU"] for e in codecs)
    assert any(e.get("channel-read-codec-name") == "PCMU" for e in codecs)
    match = next(e["variable_DP_MATCH"] for e in flow if e.get("variable_DP_MATCH"))
    assert match == "ARRAY::+442079460215|:2|:15"
    avmd = [e for e in events("08a-avmd-answering-machine-loopback") if e.name == "CUSTOM"]
    assert [name for name, _ in avmd[0].headers][:2] == ["Event-Subclass", "Event-Name"]
    assert avmd[0].subclass == "avmd::start"
    assert [len(e.get_all("Unique-ID")) for e in avmd[:2]] == [1, 2]


def test_myevents_notice_keeps_its_session_headers() -> None:
    """15 (Surprise 9): the closing notice names the session and is a disconnect."""
    notice = next(m for m in messages("15-myevents") if isinstance(m, DisconnectNotice))
    headers = dict(notice.headers)
    assert headers["Controlled-Session-UUID"] == legs("15-myevents")["CUST-a"]
    assert headers["Content-Disposition"] == "disconnect"
    assert notice.body.startswith("Disconnected, goodbye.")


def test_xml_events_serialise_to_the_captured_bytes() -> None:
    """13b: the simulator's ``event xml`` serialiser writes every captured event back byte for
    byte, the BACKGROUND_JOB's indented ``</body>`` included."""
    frames, reader = [], FrameReader()
    reader.feed(raw("13b-event-xml"))
    while (frame := reader.next_frame()) is not None:
        if frame.body and frame.body.startswith(b"<event>"):
            frames.append(frame.body)
    assert len(frames) == 7 and sum(b"<body>" in f for f in frames) == 1
    for data in frames:
        assert serialize_xml(parse_xml(data)) == data
