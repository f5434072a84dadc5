"""Load the real FreeSWITCH captures in tests/fixtures/esl, repaired as their SOURCES notes say."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "esl"

# (file, frames) of every byte-faithful server→client stream.
STREAMS: dict[str, int] = {
    "neventsocket__Fixtures_Example1.outbound-stream.txt": 27,
    "neventsocket__Fixtures_Example2.outbound-stream.txt": 26,
    "neventsocket__Fixtures_Example3.outbound-stream.txt": 22,
    "neventsocket__Fixtures_Example4.outbound-stream.txt": 59,
    "neventsocket__Fixtures_Example5.outbound-stream.txt": 25,
    "neventsocket__Fixtures_Example6.outbound-stream.txt": 114,
    "neventsocket__MessageParsingTests_inbound-auth-bgapi-BACKGROUND_JOB.stream.txt": 5,
    "neventsocket__MessageParsingTests_disconnect-notice.txt": 1,
    "fsock__test_data.inbound-stream.txt": 45,  # SOURCES says 46: it counts the stray text
    "hateeyan-esl__inbound_test_HEARTBEAT-x4.stream.txt": 4,
    "davec82-outboundsocket__fs_events_command-reply+CHANNEL_EXECUTE_COMPLETE.stream.txt": 2,
    "davec82-outboundsocket__fs_events_connect-reply_CHANNEL_DATA.txt": 1,
    "davec82-outboundsocket__fs_events_api-response_uuid_dump.txt": 1,
    "davec82-outboundsocket__fs_events_disconnect-notice.txt": 1,
    "zhifeichen-esl__message_test_msg1_bgapi-reply_Job-UUID.txt": 1,
    "zhifeichen-esl__message_test_msg2_BACKGROUND_JOB_event-plain.txt": 1,
    "zhifeichen-esl__message_test_msg3_auth-request.txt": 1,
    "zhifeichen-esl__message_test_msg4_auth-reply_OK-accepted.txt": 1,
    "zhifeichen-esl__message_test_msg5_event-json-reply.txt": 1,
    "zhifeichen-esl__message_test_msg6_bgapi-reply_Job-UUID_2.txt": 1,
    "zhifeichen-esl__message_test_msg7_BACKGROUND_JOB_event-json.txt": 1,
    "neventsocket__TestMessages_PlaybackComplete_CHANNEL_EXECUTE_COMPLETE.trimmed.txt": 1,
}

BODIES = [
    "cgrates__general_tests_fsevcorelate_test_answerEvent_CHANNEL_ANSWER.body.txt",
    "cgrates__sessionmanager_fsevent_test_hangupEv_CHANNEL_HANGUP_COMPLETE.body.txt",
    "greenswitch__test_lib_esl_HEARTBEAT.body.txt",
    "freeswitch-docs__mod_avmd_avmd-start.body.txt",
    "freeswitch-docs__mod_avmd_avmd-beep.body.txt",
    "freeswitch-docs__mod_avmd_avmd-stop.body.txt",
]

_TRIMMED_ONE_NEWLINE = ("msg1_", "msg3_", "msg4_", "msg5_", "msg6_")
_FSOCK_STRAY = b"\nuuid_transfer Content-Length: 720\n"


def stream(name: str) -> bytes:
    """The capture's bytes with the documented repairs applied."""
    data = (FIXTURES / name).read_bytes()
    if name.startswith("fsock__"):
        assert data.count(_FSOCK_STRAY) == 1
        data = data.replace(_FSOCK_STRAY, b"\nContent-Length: 720\n")
    elif any(marker in name for marker in _TRIMMED_ONE_NEWLINE):
        data += b"\n"
    elif name.endswith(".trimmed.txt"):
        data += b"\n\n"
    return data


def body(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()
