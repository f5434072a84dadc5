"""FreeSWITCH event socket (ESL): sans-I/O protocol core and the asyncio client."""
