"""The API commands of the simulated switch, with mod_commands' syntax and output texts.

Each command returns its output string, or for ``originate`` a ``JobResult`` that completes
the way the real one does (origination.py: ``+OK <uuid>\\n`` once the originate returns,
``-ERR <CAUSE>\\n`` on failure, including ``-ERR ORIGINATOR_CANCEL`` for a call bridged
before its originate returned). ``None`` means "no such command" and the listener answers as
mod_event_socket does.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable

from dialer.hangup import HangupCause
from simulations.population import CalleeKind
from simulations.switch.behaviour import AgentBehaviour, CalleeBehaviour
from simulations.switch.channel import Channel, Role
from simulations.switch.dialplan import ScriptedCallee
from simulations.switch.dialstring import separate_string, split_variables
from simulations.switch.gateways import Admission, gateway_of
from simulations.switch.origination import JobResult, Origination
from simulations.switch.switch import CALLING, Switch

Output = str | JobResult

_ORIGINATE_USAGE = ("-USAGE: <call url> <exten>|&<application_name>(<app_args>) [<dialplan>] "
                   "[<context>] [<cid_name>] [<cid_num>] [<timeout_sec>]\n")
_APP = re.compile(r"^&?([A-Za-z_][\w]*)(?:\((.*)\))?$", re.DOTALL)
_COLUMN_LIST = (
    "uuid,direction,created,created_epoch,name,state,cid_name,cid_num,ip_addr,dest,application,"
    "application_data,dialplan,context,read_codec,read_rate,read_bit_rate,write_codec,write_rate,"
    "write_bit_rate,secure,hostname,presence_id,presence_data,accountcode,callstate,callee_name,"
    "callee_num,callee_direction,call_uuid,sent_callee_name,sent_callee_num,initial_cid_name,"
    "initial_cid_num,initial_ip_addr,initial_dest,initial_dialplan,initial_context")
_CHANNEL_COLUMNS = tuple(_COLUMN_LIST.split(","))
_HASH_USAGE = ("-ERR Usage: hash [insert|insert_ifempty|delete|delete_ifmatch]/<realm>/<key>/"
               "<val>\n")


class SwitchApi:
    """Dispatches ``api``/``bgapi`` command lines to the simulated switch."""

    def __init__(self, switch: Switch) -> None:
        self.switch = switch
        self._commands: dict[str, Callable[[str], Output]] = {
            "status": self.status, "originate": self.originate, "uuid_bridge": self.uuid_bridge,
            "uuid_broadcast": self.uuid_broadcast, "uuid_kill": self.uuid_kill,
            "uuid_record": self.uuid_record, "uuid_exists": self.uuid_exists,
            "uuid_getvar": self.uuid_getvar, "uuid_setvar": self.uuid_setvar,
            "uuid_park": self.uuid_park, "uuid_send_dtmf": self.uuid_send_dtmf,
            "uuid_hold": self.uuid_hold, "uuid_transfer": self.uuid_transfer,
            "show": self.show, "hupall": self.hupall, "version": self.version,
            "uptime": self.uptime, "global_getvar": self.global_getvar, "avmd": self.avmd,
            "module_exists": self.module_exists, "file_exists": self.file_exists,
            "uuid_dump": self.uuid_dump, "uuid_break": self.uuid_break,
            "sim_inbound": self.sim_inbound, "hash": self.hash,
        }

    def execute(self, command: str, argument: str) -> Output | None:
        handler = self._commands.get(command.lower())
        return None if handler is None else handler(argument.strip())

    def background(self, name: str, argument: str, job_uuid: str) -> None:
        """``bgapi``: run the command; fire BACKGROUND_JOB with its output when it is done
        (at once for a command that answers at once: a moment later, as the bgapi thread)."""
        output = self.execute(name, argument)
        if output is None:
            output = f"-ERR {name} Command not found!\n"
        switch = self.switch

        def done(text: str) -> None:
            headers = [("Job-UUID", job_uuid), ("Job-Command", name)]
            if argument:
                headers.append(("Job-Command-Arg", argument))
            switch.bus.fire("BACKGROUND_JOB", CALLING["BACKGROUND_JOB"], headers,
                            text or "Command returned no output!")

        if isinstance(output, JobResult):
            output.add_callback(done)
        else:
            switch.later(None, 0.0, lambda: done(output))

    def _channel(self, channel_uuid: str) -> Channel | None:
        return self.switch.channels.get(channel_uuid.strip())

    # --- information -----------------------------------------------------------------------

    def status(self, argument: str) -> str:
        switch = self.switch
        up = switch.uptime()
        seconds, micro = int(up), int((up % 1) * 1_000_000)
        days, rest = divmod(seconds, 86400)
        years, days = divmod(days, 365)
        hours, rest = divmod(rest, 3600)
        minutes, secs = divmod(rest, 60)
        def plural(n: int, unit: str) -> str:
            return f"{n} {unit}{'' if n == 1 else 's'}"
        uptime = ", ".join([plural(years, "year"), plural(days, "day"), plural(hours, "hour"),
                            plural(minutes, "minute"), plural(secs, "second"),
                            plural(micro // 1000, "millisecond"),
                            plural(micro % 1000, "microsecond")])
        count = len(switch.channels)
        return (
            f"UP {uptime}\n"
            f"FreeSWITCH (Version {switch.identity.version}) is ready\n"
            f"{switch.sessions_since_startup} session(s) since startup\n"
            f"{count} session(s) - peak {switch.peak_sessions}, last 5min {switch.peak_sessions} \n"
            f"0 session(s) per Sec out of max 1000, peak 0, last 5min 0 \n"
            f"{switch.settings.max_sessions} session(s) max\n"
            "min idle cpu 0.00/100.00\n"
            "Current Stack Size/Max 240K/8192K\n")

    def global_getvar(self, argument: str) -> str:
        if argument.strip() == "sounds_dir":
            return self.switch.settings.sounds_dir
        return ""

    def module_exists(self, argument: str) -> str:
        """mod_commands' ``module_exists <module>``: ``true``/``false``, no newline."""
        return "true" if argument.strip() in self.switch.settings.modules else "false"

    def file_exists(self, argument: str) -> str:
        """mod_commands' ``file_exists <path>``: the path as given (no sounds_dir), no newline."""
        path = argument.strip()
        return "true" if path.startswith("/") and self.switch.file_exists(path) else "false"

    def version(self, argument: str) -> str:
        return f"FreeSWITCH Version {self.switch.identity.version}\n"

    def uptime(self, argument: str) -> str:
        return f"{int(self.switch.uptime())}\n"

    def _channel_row(self, channel: Channel) -> dict[str, str]:
        created = channel.created_us // 1_000_000
        row = dict.fromkeys(_CHANNEL_COLUMNS, "")
        row.update(
            uuid=channel.uuid, direction=channel.direction,
            created=time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(created)),
            created_epoch=str(created), name=channel.name, state=channel.state,
            cid_name=channel.caller_id_name, cid_num=channel.caller_id_number,
            ip_addr="127.0.0.1", dest=channel.destination, application=channel.application,
            application_data=channel.application_data, dialplan="XML", context="default",
            read_codec="PCMU" if channel.media_up else "", read_rate="8000",
            read_bit_rate="64000", write_codec="PCMU" if channel.media_up else "",
            write_rate="8000", write_bit_rate="64000", hostname=self.switch.identity.hostname,
            callstate=channel.call_state, callee_direction="SEND",
            call_uuid=channel.variables.get("call_uuid", channel.uuid),
            initial_cid_name=channel.caller_id_name, initial_cid_num=channel.caller_id_number,
            initial_ip_addr="127.0.0.1", initial_dest=channel.destination,
            initial_dialplan="XML", initial_context="default")
        return row

    def show(self, argument: str) -> str:
        words = argument.split()
        if not words:
            return "-USAGE: codec|endpoint|application|api|dialplan|file|timer|calls [count]|channels [count|like <match string>]|calls|detailed_calls|bridged_calls|detailed_bridged_calls|aliases|complete|chat|management|modules|nat_map|say|interfaces|interface_types|tasks|limits|status\n"  # noqa: E501
        what = words[0].lower()
        as_json = len(words) >= 3 and words[1].lower() == "as" and words[2].lower() == "json"
        channels = list(self.switch.channels.values())
        if what == "channels":
            rows = [self._channel_row(channel) for channel in channels]
        elif what in ("calls", "bridged_calls"):
            rows = []
            for channel in channels:
                if channel.other is not None and channel.other_type == "originatee":
                    row = self._channel_row(channel)
                    row.update({f"b_{k}": v for k, v in self._channel_row(channel.other).items()})
                    rows.append(row)
            if what == "calls":
                rows += [self._channel_row(c) for c in channels if c.other is None]
        else:
            return f"-ERR Cannot find format {what}\n"
        if as_json:
            if not rows:
                return '{"row_count": 0}\n'
            return json.dumps({"row_count": len(rows), "rows": rows}, separators=(",", ":"))
        if not rows:
            return "\n0 total.\n"
        columns = list(rows[0])
        lines = [",".join(columns)] + [",".join(row.get(c, "") for c in columns) for row in rows]
        return "\n".join(lines) + f"\n\n{len(rows)} total.\n"

    # --- call control ----------------------------------------------------------------------

    def originate(self, argument: str) -> Output:
        """``originate {vars}endpoint &app(args)|exten [dialplan] [context] [cid_name]
        [cid_num] [timeout]``."""
        args = separate_string(argument.strip(), " ")
        if len(args) < 2:
            return _ORIGINATE_USAGE
        url = args[0]
        variables: dict[str, str] = {}
        if url.startswith("{") and "}" in url:
            end = url.index("}")
            variables.update(split_variables(url[1:end]))
            url = url[end + 1 :]
        if url.startswith("[") and "]" in url:
            end = url.index("]")
            variables.update(split_variables(url[1:end]))
            url = url[end + 1 :]
        args[0] = url
        endpoint, target = args[0], args[1]
        optional = [None if a == "undef" else a for a in args[2:7]]
        optional += [None] * (5 - len(optional))
        _, _, cid_name, cid_num, timeout = optional
        if cid_name:
            variables.setdefault("origination_caller_id_name", cid_name)
        if cid_num:
            variables.setdefault("origination_caller_id_number", cid_num)
        if timeout:
            variables.setdefault("originate_timeout", timeout)
        switch = self.switch
        wanted_uuid = variables.get("origination_uuid")
        if wanted_uuid and wanted_uuid in switch.channels:
            return "-ERR DESTINATION_OUT_OF_ORDER\n"
        if len(switch.channels) >= switch.settings.max_sessions:
            return "-ERR SWITCH_CONGESTION\n"
        lowered = endpoint.lower()
        admission = Admission()
        if lowered.startswith("error/"):
            cause = endpoint.split("/", 1)[1].upper()
            return f"-ERR {cause if cause in HangupCause.__members__ else 'UNALLOCATED_NUMBER'}\n"
        match = _APP.match(target)
        if target.startswith("&") and match:
            application, data = match.group(1), match.group(2) or ""
        else:
            application, data = "park", ""  # a dialplan extension: the simulator parks it
        if lowered.startswith("loopback/"):
            parts = endpoint.split("/")
            destination = parts[1] if len(parts) > 1 else ""
            context = parts[2] if len(parts) > 2 else "default"
            role = Role.AGENT if context in ("agents", "inbound") else Role.CALLEE
            channel, _ = switch.create_loopback(destination, context, role, variables,
                                                wanted_uuid)
        else:
            gateway = gateway_of(endpoint)
            admission = (switch.gateways.admit(gateway, switch.clock(), switch.rng)
                         if gateway is not None else Admission())
            if admission.before_channel:
                # mod_sofia refuses before the session runs: no channel event, only -ERR.
                return f"-ERR {admission.cause}\n"
            role = Role.CALLEE if gateway is not None else Role.AGENT
            if gateway is not None:
                variables.setdefault("sip_gateway_name", gateway)
            destination = endpoint.rsplit("/", 1)[-1].split("@", 1)[0]
            channel = switch.create(endpoint, role, destination, variables, wanted_uuid)
            if admission.seizes:
                switch.gateways.seized(gateway, channel.uuid)  # type: ignore[arg-type]
        origination = Origination(switch, channel, application, data)
        if admission.cause is not None:
            # The carrier refuses the INVITE (capture 04a: no ringing, recv_refuse, the
            # channel's HANGUP_COMPLETE before the job's -ERR).
            CalleeBehaviour(switch, channel, ScriptedCallee(  # type: ignore[arg-type]
                CalleeKind.FAILED, admission.after, 0.0, 0.0, admission.cause, rings=False))
        elif role is Role.CALLEE:
            source = switch.fate_source
            fate_for = getattr(source, "fate_for", None)
            fate = fate_for(destination, switch.rng) if fate_for else source(switch.rng)
            CalleeBehaviour(switch, channel, fate)  # type: ignore[arg-type]
        else:
            AgentBehaviour(switch, channel)
        return origination.result

    def uuid_bridge(self, argument: str) -> str:
        """``+OK <other>`` at once; the bridge takes effect ``bridge_delay`` later, unless one
        leg's originate has not finished, in which case its race decides (origination.py)."""
        args = argument.split()
        if len(args) < 2:
            return "-USAGE: <uuid> <other_uuid>\n"
        a_leg, b_leg = self._channel(args[0]), self._channel(args[1])
        if a_leg is None or b_leg is None or a_leg is b_leg:
            return "-ERR Invalid uuid\n"
        switch = self.switch
        for leg, other in ((a_leg, b_leg), (b_leg, a_leg)):
            origination = leg.origination
            if origination is not None and origination.intercepts_bridge(other):  # type: ignore[attr-defined]
                return f"+OK {b_leg.uuid}\n"
        switch.uuid_bridge(a_leg, b_leg)
        return f"+OK {b_leg.uuid}\n"

    def uuid_broadcast(self, argument: str) -> str:
        """``+OK Message sent`` at once, file or not; the application runs later (media.py)."""
        args = argument.split()
        if len(args) < 2:
            return "-USAGE: <uuid> <path> [aleg|bleg|both]\n"
        channel = self._channel(args[0])
        if channel is None:
            return "-ERR invalid uuid\n"
        application, after_cause, data = "playback", None, args[1]
        if "::" in data:
            application, data = data.split("::", 1)
        if "!" in application:
            application, after_cause = application.split("!", 1)
            after_cause = after_cause.upper() or "NORMAL_CLEARING"
        self.switch.media.broadcast(channel, application, data, after_cause)
        return "+OK Message sent\n"

    def uuid_break(self, argument: str) -> str:
        """``uuid_break <uuid> [all]``: stop the playback (``all``: the queued ones too)."""
        args = argument.split()
        channel = self._channel(args[0]) if args else None
        if channel is None:
            return "-ERR No such channel!\n"
        self.switch.media.break_playback(channel, len(args) > 1 and args[1].lower() == "all")
        return "+OK\n"

    def sim_inbound(self, argument: str) -> str:
        """The simulator's own command (not FreeSWITCH's): a caller dials in and the dialplan
        parks them with ``dialer_queue`` (simulations/switch/callers.py)."""
        from simulations.switch.callers import parse_script, place_inbound

        try:
            script = parse_script(argument)
        except ValueError as error:
            return f"-ERR {error}\n"
        place_inbound(self.switch, script)
        self.switch.callers[script.uuid] = script
        return f"+OK {script.uuid}\n"

    def hash(self, argument: str) -> str:
        """mod_hash's ``hash insert|insert_ifempty|select|delete/realm/key[/value]``."""
        if "mod_hash" not in self.switch.settings.modules:
            return "-ERR hash Command not found!\n"
        parts = argument.strip().split("/", 3)
        if len(parts) < 3:
            return _HASH_USAGE
        action, key = parts[0].lower(), (parts[1], parts[2])
        value = parts[3] if len(parts) > 3 else ""
        store = self.switch.hash_db
        if action == "insert":
            store[key] = value
            return "+OK\n"
        if action == "insert_ifempty":
            if key in store:
                return "-ERR key already exists\n"
            store[key] = value
            return "+OK\n"
        if action == "select":
            return store.get(key, "")
        if action == "delete":
            return "+OK\n" if store.pop(key, None) is not None else "-ERR Not found\n"
        return _HASH_USAGE

    def uuid_kill(self, argument: str) -> str:
        args = argument.split()
        channel = self._channel(args[0]) if args else None
        if channel is None:
            return "-ERR No such channel!\n"
        cause = args[1].upper() if len(args) > 1 else "NORMAL_CLEARING"
        if not channel.answered and cause == "NORMAL_CLEARING":
            cause = "ORIGINATOR_CANCEL"  # cancelling a ringing leg sends CANCEL (487)
        self.switch.hangup(channel, cause, "send_bye" if channel.answered else "send_cancel")
        return "+OK\n"

    def uuid_record(self, argument: str) -> str:
        args = argument.split()
        if len(args) < 3:
            return "-USAGE: <uuid> [start|stop|mask|unmask] <path> [<limit>] [<recording_vars>]\n"
        channel = self._channel(args[0])
        if channel is None:
            return "-ERR Cannot locate session!\n"
        action, path = args[1].lower(), args[2]
        if action == "start":
            self.switch.media.start_recording(channel, path)
            if len(args) > 3 and args[3].isdigit():
                limit = int(args[3])
                self.switch.later(channel, limit, lambda: channel.recording == path
                                  and self.switch.media.stop_recording(channel))
            return "+OK Success\n"
        if action == "stop":
            if channel.recording is None or (path != "all" and channel.recording != path):
                return "-ERR Cannot stop record session!\n"
            self.switch.media.stop_recording(channel)
            return "+OK Success\n"
        if action in ("mask", "unmask"):
            # mod_dptools' record mask: the media bug keeps writing, silence while masked.
            if channel.recording is None or channel.recording != path:
                return "-ERR Cannot mask recording session!\n"
            channel.variables["record_masked"] = "true" if action == "mask" else "false"
            self.switch.media.masks.append((channel.uuid, action, self.switch.clock()))
            return "+OK Success\n"
        return "-ERR Cannot record session!\n"

    def uuid_dump(self, argument: str) -> str:
        """``uuid_dump <uuid> [json]``: the channel's data (its CHANNEL_DATA headers and
        variables) while it is up: Answer-State, Caller-Channel-Answered-Time,
        Caller-Channel-Bridged-Time, Other-Leg-Unique-ID, ``variable_*``."""
        args = argument.split()
        channel = self._channel(args[0]) if args else None
        if channel is None:
            return "-ERR Cannot locate session!\n"
        headers = channel.block("CHANNEL_DATA")
        if len(args) > 1 and args[1].lower() == "json":
            return json.dumps(dict(headers), separators=(",", ":"))
        return "".join(f"{name}: {value}\n" for name, value in headers)

    def uuid_exists(self, argument: str) -> str:
        return "true" if self._channel(argument) is not None else "false"

    def uuid_getvar(self, argument: str) -> str:
        args = argument.split()
        channel = self._channel(args[0]) if args else None
        if channel is None:
            return "-ERR No such channel!\n"
        if len(args) < 2:
            return "-USAGE: <uuid> <var>\n"
        return channel.variables.get(args[1]) or "_undef_"

    def uuid_setvar(self, argument: str) -> str:
        args = argument.split(" ", 2)
        channel = self._channel(args[0]) if args and args[0] else None
        if channel is None:
            return "-ERR No such channel!\n"
        if len(args) < 2 or not args[1]:
            return "-ERR No variable specified\n"
        if len(args) == 3 and args[2] != "":
            channel.variables[args[1]] = args[2]
        else:
            channel.variables.pop(args[1], None)
        return "+OK\n"

    def uuid_park(self, argument: str) -> str:
        channel = self._channel(argument)
        if channel is None:
            return "-ERR No such channel!\n"
        if channel.other is not None:
            self.switch.unbridge(channel)
        self.switch.park(channel)
        return "+OK\n"

    def uuid_hold(self, argument: str) -> str:
        """``uuid_hold [off|toggle] <uuid>``: the bridge stays up; CHANNEL_HOLD or
        CHANNEL_UNHOLD with Channel-Call-State HELD / UNHELD (real capture 11)."""
        args = argument.split()
        off = bool(args) and args[0].lower() in ("off", "toggle")
        channel = self._channel(args[-1]) if args else None
        if channel is None:
            return "-ERR Operation failed\n"
        if args[0].lower() == "toggle":
            off = channel.call_state == "HELD"
        switch = self.switch
        original = channel.call_state
        channel.call_state = "UNHELD" if off else "HELD"
        switch.fire("CHANNEL_UNHOLD" if off else "CHANNEL_HOLD", channel,
                    [("Original-Channel-Call-State", original)])
        if off:
            channel.call_state = "ACTIVE"
        return "+OK Success\n"

    def uuid_transfer(self, argument: str) -> str:
        """``uuid_transfer <uuid> [-bleg|-both] <dest> [<dialplan>] [<context>]``: the channel
        leaves its bridge (its partner, an agent's leg, goes back to park) and runs the new
        destination; ``bridge:<dial string> inline`` keeps the simulated person talking as
        if to the new party. No TRANSFER event (real capture 11)."""
        args = argument.split()
        if len(args) < 2:
            return "-USAGE: <uuid> [-bleg|-both] <dest-exten> [<dialplan>] [<context>]\n"
        channel = self._channel(args[0])
        if channel is None:
            return "-ERR No such channel!\n"
        rest = [a for a in args[1:] if a not in ("-bleg", "-both")]
        destination = rest[0] if rest else ""
        partner = self.switch.unbridge(channel) if channel.other is not None else None
        if partner is not None and partner.role is Role.AGENT:
            self.switch.park(partner)
        channel.variables["transferred_to"] = destination
        application, _, data = destination.partition(":")
        if len(rest) > 1 and rest[1] == "inline" and application:
            self.switch.execute(channel, application, data)
        else:
            self.switch.park(channel)
        return "+OK\n"

    def uuid_send_dtmf(self, argument: str) -> str:
        args = argument.split()
        channel = self._channel(args[0]) if args else None
        if channel is None:
            return "-ERR No such channel!\n"
        for digit in (args[1] if len(args) > 1 else ""):
            if digit not in "@wW":
                self.switch.media.dtmf(channel, digit)
        return "+OK Success\n"

    def avmd(self, argument: str) -> str:
        """``avmd <uuid> start|stop`` with mod_avmd's multi-line replies."""
        args = argument.split()
        channel = self._channel(args[0]) if args else None
        if channel is None:
            uuid = args[0] if args else ""
            return (f"-ERR, no FreeSWITCH session for uuid [{uuid}]!\n"
                    "-USAGE: avmd <uuid> <start|stop>\n\n")
        action = args[1].lower() if len(args) > 1 else "start"
        if action == "stop":
            self.switch.media.avmd_stop(channel)
            return f"+OK\n [{channel.uuid}] [{channel.name}] stopped\n\n"
        self.switch.media.avmd_start(channel)
        return f"+OK\n [{channel.uuid}] [{channel.name}] started!\n\n"

    def hupall(self, argument: str) -> str:
        cause = (argument.split() or ["NORMAL_CLEARING"])[0].upper()
        for channel in list(self.switch.channels.values()):
            self.switch.hangup(channel, cause, "send_bye")
        return f"+OK hangup all channels with cause {cause}\n"
