"""The dialer: sans-I/O engine, agent-pool scheduler, ESL client and the live runner."""
