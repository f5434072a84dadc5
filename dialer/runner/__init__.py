"""The live dialer process: the asyncio driver of the sans-I/O engine (real clock, ESL, storage).

Modules, one job each:
- ``settings``: where things live (data directory, database URL, control socket, owner id)
  and switch URLs;
- ``campaign_link``: the campaign in the product's store (``campaigns.CampaignStore``) as
  the engine sees it: settings → ``CampaignConfig``, claimed leads → ``DialTarget``,
  engine commands → journal operations;
- ``dbworker``: the one database thread, journal operations in batches;
- ``compliance``: the claim-time rules check and the dial-time gate's port
  (``dial_gate``: the rules engine at the instant of dialing);
- ``hopper``: claimed leads in memory (the engine's ``LeadSource``);
- ``fsmap``: engine commands to FreeSWITCH API strings, ESL events to engine events;
- ``switches``: the pool of supervised ESL connections (one per switch);
- ``runner``: the event loop that feeds the engine, start and graceful stop;
- ``execution``: the engine's commands on the switches and in the journal (dial sender);
- ``upkeep``: hopper refills, claim renewal, the other processes' share of the ledger;
- ``recovery``: reconciliation with the switches and the journal after a restart;
- ``control``: the local control socket (agents, snapshots, stop);
- ``monitor``: the dashboard's view model and rendering; ``report``: the end-of-run report;
- ``demo``: ``dialer demo``, everything in one process with the switch simulator.
"""
