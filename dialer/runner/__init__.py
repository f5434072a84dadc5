"""The live dialer process: the asyncio driver of the sans-I/O engine (real clock, ESL, storage).

Modules, one job each:
- ``settings``: where things live (data directory, database URL, control socket) and switch URLs;
- ``store``: the runner's storage port and its SQLite/PostgreSQL-free embedded implementation;
- ``fsmap``: engine commands to FreeSWITCH API strings, ESL events to engine events;
- ``switches``: the pool of supervised ESL connections (one per switch);
- ``runner``: the event loop that feeds the engine, executes its commands and recovers;
- ``control``: the local control socket (agents, snapshots, stop);
- ``monitor``: the dashboard's view model and rendering;
- ``demo``: ``dialer demo``, everything in one process with the switch simulator.
"""
