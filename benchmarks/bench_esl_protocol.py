"""ESL protocol speed: frames parsed and events serialised per second (pure Python).

Run: python benchmarks/bench_esl_protocol.py
"""

from __future__ import annotations

import time
from pathlib import Path

from dialer.esl.event import parse_plain, serialize_json, serialize_plain
from dialer.esl.protocol import ClientProtocol, event_bytes

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "esl"


def main() -> None:
    answer = parse_plain((FIXTURES / "cgrates__general_tests_fsevcorelate_test_answerEvent_"
                                     "CHANNEL_ANSWER.body.txt").read_bytes())
    heartbeat = parse_plain((FIXTURES / "greenswitch__test_lib_esl_HEARTBEAT.body.txt")
                            .read_bytes())
    for label, event, count in (("CHANNEL_ANSWER (~190 headers, 9 KB)", answer, 5_000),
                                ("HEARTBEAT (20 headers)", heartbeat, 50_000)):
        frame = event_bytes(serialize_plain(event))
        stream = frame * count
        protocol = ClientProtocol()
        start = time.perf_counter()
        for offset in range(0, len(stream), 65536):
            protocol.receive_data(stream[offset:offset + 65536])
            for _ in protocol.messages():
                pass
        parse_rate = count / (time.perf_counter() - start)
        start = time.perf_counter()
        for _ in range(count):
            serialize_plain(event)
        plain_rate = count / (time.perf_counter() - start)
        start = time.perf_counter()
        for _ in range(count):
            serialize_json(event)
        json_rate = count / (time.perf_counter() - start)
        print(f"{label}: parse {parse_rate:,.0f} events/s "
              f"({parse_rate * len(frame) / 1e6:,.1f} MB/s), serialise plain "
              f"{plain_rate:,.0f}/s, json {json_rate:,.0f}/s")


if __name__ == "__main__":
    main()
