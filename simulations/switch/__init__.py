"""ESL switch simulator: a TCP server speaking FreeSWITCH's event-socket protocol."""
