"""Command-line commands of ``dnc`` (mounted on the root ``dialer`` app by ``cli.py``)."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from typer import _click as click
from typer.core import TyperGroup

from dialer.words import counted
from dnc.errors import ComplianceError
from dnc.rules import cli as rules_cli

_E164 = re.compile(r"\+[1-9][0-9]{6,14}")

_MEANT_COMMAND = {
    "list": "versions", "ls": "versions", "show": "versions", "registries": "versions",
    "status": "versions", "delete": "remove", "rm": "remove", "del": "remove",
    "lookup": "check", "search": "check", "find": "check", "load": "import",
    "filter": "scrub", "clean": "scrub", "count": "stats",
}
"""Commands other tools use for what one of ours does (``dnc list`` is ``dnc versions``):
no spelling is close, so click's "Did you mean" named none."""


class DncGroup(TyperGroup):
    """``dialer dnc``: an unknown command names the one meant, by spelling
    (``dialer.words.meant_name``) or by what other tools call it (``_MEANT_COMMAND``)."""

    def resolve_command(self, ctx: click.Context, args: list[str]
                        ) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.exceptions.UsageError as error:
            if not args or "Did you mean" in error.message or \
                    not error.message.startswith("No such command"):
                raise
            from dialer.words import meant_name

            typed = args[0]
            meant = _MEANT_COMMAND.get(typed.casefold()) or meant_name(
                typed, sorted(self.commands))
            if meant is None or meant not in self.commands:
                raise
            error.message = (f"No such command {typed!r}; did you mean {meant!r}? (dialer "
                             f"dnc {meant}: {self.commands[meant].get_short_help_str(120)})")
            raise


dnc_app = typer.Typer(cls=DncGroup, no_args_is_help=True,
                      help="Do-not-call registries: import, check, scrub, internal list.")

DataDir = Annotated[Path | None, typer.Option(
    "--home", help="Data directory (default: $DIALER_HOME, $XDG_DATA_HOME/dialer, "
    "~/.local/share/dialer); registries live in <home>/dnc.")]
Region = Annotated[str, typer.Option(help="Region of numbers written without a country "
                                          "code (ISO 3166, e.g. US, CA).",
                                     callback=lambda value: _check_region(value))]
Json = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]


def register(app: typer.Typer) -> None:
    """Add this package's commands and sub-apps to the root ``dialer`` app."""
    rules_cli.register(app)
    app.add_typer(dnc_app, name="dnc")


def _dnc_dir(data_dir: Path | None) -> Path:
    if data_dir is None:
        if os.environ.get("DIALER_HOME"):
            data_dir = Path(os.environ["DIALER_HOME"])
        elif os.environ.get("XDG_DATA_HOME"):
            data_dir = Path(os.environ["XDG_DATA_HOME"]) / "dialer"
        else:
            data_dir = Path.home() / ".local" / "share" / "dialer"
    return data_dir / "dnc"


class OptionError(ComplianceError):
    """An option's value refused (``--as-of`` in the future, an unknown ``--format``...):
    one ``error:`` line and exit 1, as every refused input of the dialer, not click's usage
    box (exit 2), which reads as a command typed wrong rather than a value refused."""


def _parse_when(text: str | None) -> datetime | None:
    if text is None:
        return None
    if text.strip().lower() == "today":
        return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise OptionError(f"--as-of {text!r} is not an ISO date (e.g. 2026-11-01)"
                          f"{_date_readings(text)}") from None
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    if when > datetime.now(UTC) + timedelta(days=1):
        # A registry dated in the future passes the 31-day freshness rule until then
        # (dnc.rules.federal), so a typo (2027 for 2026) hid a stale list for a year.
        raise OptionError(f"--as-of {text!r} is in the future: a list cannot be current "
                          "as of a day to come (give the date it was downloaded, or today)")
    return when


_CHANGE_MARKS = frozenset({"a", "d", "add", "added", "delete", "deleted", "del"})


def _looks_like_changes(files: list[Path]) -> bool:
    """Whether the first lines of the first file are change-list records (``AAA,NNNNNNN,A``
    or ``...,D,date``): most carry an add or delete indicator in their third field."""
    try:
        with open(files[0], encoding="utf-8-sig", errors="replace") as handle:
            lines = [line for _, line in zip(range(50), handle, strict=False) if line.strip()]
    except (OSError, IndexError):
        return False
    marked = sum(1 for line in lines
                 if len(fields := line.strip().split(",")) >= 3
                 and fields[2].strip().lower() in _CHANGE_MARKS)
    return marked * 2 > len(lines)


def _own_list_note(registry: str, scope=None) -> str | None:
    """What a registry of a name of one's own (``client-acme``) does, said at its import:
    every campaign (or, scoped, the sellers' campaigns) refuses its numbers at the dial
    (``campaign.own_lists``, whatever the profile), not only ``dnc scrub``. A centre that
    dials for several clients learns here that one client's list holds back every
    campaign's calls to those numbers unless scoped with --seller or --campaign."""
    from dnc.registry.store import is_own_list_name

    if not is_own_list_name(registry):
        return None
    if scope:
        named = [f"seller {s!r}" for s in scope.sellers]
        return (f"{registry} is a list of your own scoped to {', '.join(named)}: their "
                "campaigns, and any campaign declaring no seller, refuse its numbers at the "
                "dial (rule campaign.own_lists); other campaigns report the listing and "
                "dial; dnc scrub removes them from lead files")
    return (f"{registry} is a list of your own: every campaign refuses its numbers at the "
            "dial (rule campaign.own_lists), and dnc scrub removes them from lead files; "
            "to bind only one client's campaigns, import it with --seller NAME")


def _list_scope(registry: str, sellers: list[str], db: str | None, data_dir: Path | None):
    """The scope given on the command line, each seller checked against the campaign store
    and stored as the campaigns spell it (a seller no campaign declares would bind nothing,
    so a misspelt one would leave the client's list unapplied everywhere: refused, naming
    the closest). Campaigns are not named one by one: a renamed campaign would drop out of
    the list's scope; a seller's campaigns are the ones its do-not-call requests bind."""
    from dialer.words import did_you_mean
    from dnc.registry.store import ListScope, check_scope
    from dnc.rules.consent import same_seller

    scope = ListScope(tuple(s.strip() for s in sellers))
    check_scope(registry, scope)
    if not scope:
        return scope
    if not all(scope.sellers):
        raise OptionError("--seller: an empty name binds no campaign")
    known = _store_sellers(db, data_dir)
    named: list[str] = []
    for seller in scope.sellers:
        match = next((k for k in known if same_seller(seller, k)), None)
        if match is None:
            raise OptionError(f"--seller {seller!r}: no campaign declares this seller"
                              f"{did_you_mean(seller, known)} (known: "
                              f"{', '.join(map(repr, sorted(set(known)))) or 'none'}); a list "
                              "scoped to it would bind no campaign")
        if match not in named:
            named.append(match)
    return ListScope(tuple(named))


def _store_sellers(db: str | None, data_dir: Path | None) -> list[str]:
    """Every seller the store's campaigns declare."""
    from campaigns.leads import seller_names
    from campaigns.store import CampaignStore

    home = _dnc_dir(data_dir).parent
    url = db or os.environ.get("DIALER_DB") or f"sqlite:///{home / 'dialer.db'}"
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///"):]).exists():
        raise OptionError(f"--seller: no campaign database at {url} to check it against "
                          "(give --db or --home)")
    store = CampaignStore.open_read_only(url)
    try:
        return seller_names(store)
    finally:
        store.close()


def _scope_widened(root: Path, registry: str, scope) -> str | None:
    """Said when a scoped list is imported again without its scope: the new version binds
    every campaign (the fail-closed default), which the officer may not have meant."""
    from dnc.registry.store import RegistryDir

    try:
        current = RegistryDir(root, registry).open_current()
    except Exception:  # no current version readable: nothing to compare
        return None
    if current is None or scope or not current.meta.sellers:
        return None
    was = ", ".join(repr(s) for s in current.meta.sellers)
    return (f"{registry} was scoped to seller {was} ({current.meta.version}); this "
            "import gives no --seller, so the new version binds every "
            "campaign (import it again with the scope to keep it)")


def _looks_like_ftc(files: list[Path]) -> bool:
    """Whether most of the first lines of the first file are FTC flat-file records
    (``AAA,NNNNNNN``: an area code, then the seven digits)."""
    import re

    try:
        with open(files[0], encoding="utf-8-sig", errors="replace") as handle:
            lines = [line for _, line in zip(range(50), handle, strict=False) if line.strip()]
    except (OSError, IndexError):
        return False
    records = sum(1 for line in lines if re.fullmatch(r"\s*\d{3}\s*,\s*\d{7}\s*", line))
    return bool(lines) and records * 2 > len(lines)


def _date_readings(text: str) -> str:
    """What to write for a date written the way a person writes it (``12/01/2026``): each
    ISO date it could mean, never one of them chosen (1 December or 12 January)."""
    import re

    found = re.fullmatch(r"\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*", text)
    if not found:
        return ""
    first, second, year = (int(part) for part in found.groups())
    readings = []
    for month, day, order in ((first, second, "month first"), (second, first, "day first")):
        try:
            meant = datetime(year, month, day)
        except ValueError:
            continue
        if f"{meant:%Y-%m-%d}" not in [r.split()[0] for r in readings]:
            readings.append(f"{meant:%Y-%m-%d} ({order})")
    if len(readings) == 2:
        return f": write {readings[0]} or {readings[1]}, as meant"
    return f": write {readings[0].split()[0]}" if readings else ""


FORMATS = ("auto", "ftc", "numbers")


def _check_format(value: str) -> str:
    if value not in FORMATS:
        raise OptionError(f"--format {value!r}: choose {', '.join(FORMATS)}")
    return value


def _check_fraction(value: float) -> float:
    if not 0.0 <= value <= 1.0:  # NaN too: every comparison with it is false
        raise OptionError(f"--max-reject-fraction {value!r} is not a share between 0 and 1 "
                          "(write 0.01 for 1 %): above 1 no file is ever refused, however "
                          "malformed")
    return value


def _check_region(value: str) -> str:
    import phonenumbers

    if value.upper() not in phonenumbers.SUPPORTED_REGIONS:
        from campaigns.settings import region_problem

        raise OptionError(f"--region: {region_problem(value)}")
    return value.upper()


def _err_console():
    from rich.console import Console
    return Console(stderr=True)


@dnc_app.command("import")
def import_command(
    files: Annotated[list[Path], typer.Argument(help="Files (plain or .zip).")],
    registry: Annotated[str, typer.Option(help="national, state:XX or a name.")] = "national",
    change_list: Annotated[bool, typer.Option(
        "--change-list", help="The files are FTC change lists (adds and deletes).")] = False,
    as_of: Annotated[str | None, typer.Option(
        help="Date the data is current as of (YYYY-MM-DD or today; default: a change "
        "list's newest date, else today).")] = None,
    region: Annotated[str, typer.Option(help="Region of numbers written without a country "
                                        "code, in numbers files.",
                                        callback=lambda value: _check_region(value))] = "US",
    column: Annotated[str | None, typer.Option(help="Phone column (name or 1-based).")] = None,
    file_format: Annotated[str, typer.Option(
        "--format", help="auto (national: FTC flat file, else numbers), ftc, numbers.",
        callback=lambda value: _check_format(value))] = "auto",
    max_reject_fraction: Annotated[float, typer.Option(metavar="FRACTION",
        help="Refuse the whole input above this share of malformed records (0 to 1).",
        callback=lambda value: _check_fraction(value))] = 0.01,
    allow_shrink: Annotated[bool, typer.Option(
        "--allow-shrink", help="Accept a full list with fewer than half the stored "
        "version's numbers (refused otherwise: a download cut short).")] = False,
    allow_older: Annotated[bool, typer.Option(
        "--allow-older", help="Accept a full list dated before the stored version (refused "
        "otherwise: the numbers listed since would be lost; for mending a wrong stored "
        "date).")] = False,
    sellers: Annotated[list[str] | None, typer.Option(
        "--seller", help="A list of your own only: bind the campaigns of this seller "
        "(compliance.seller_name of a campaign in the store; repeatable). Without --seller "
        "the list binds every campaign.")] = None,
    db: Annotated[str | None, typer.Option(help="Campaign database URL that --seller is "
                                           "checked against (default: DIALER_DB, else "
                                           "sqlite:///<home>/dialer.db).")]
    = None,
    data_dir: DataDir = None,
    as_json: Json = False,
) -> None:
    """Import a registry: FTC full list or change list, a state list or any CSV/TSV."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    from dnc.registry import importer
    from dnc.registry.errors import FileCutOff, OlderThanApplied
    from dnc.registry.store import check_name, check_new_name

    registry = check_name(registry)
    now = datetime.now(UTC)
    when = _parse_when(as_of)
    root = _dnc_dir(data_dir) / "registries"
    check_new_name(registry, root)
    scope = _list_scope(registry, sellers or [], db, data_dir)
    widened = _scope_widened(root, registry, scope)
    use_ftc = file_format == "ftc" or (file_format == "auto" and registry == "national")
    with Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                  TimeRemainingColumn(), console=_err_console(), transient=True) as progress:
        task = progress.add_task(f"import {registry}", total=importer.total_bytes(files))

        def advance(done: int) -> None:
            progress.advance(task, done)

        if change_list:
            summary = importer.import_change_list(root, registry, files, when, now,
                                                  max_reject_fraction, advance, scope=scope)
        elif use_ftc and _looks_like_ftc(files):
            # The FTC's layout with a few bad lines (a space an editor left): the hint to
            # read it as a list of numbers would be wrong, its bad lines say what is.
            summary = _with_spreadsheet_cause(
                lambda: importer.import_full_list(root, registry, files, when or now, now,
                                                  max_reject_fraction, advance,
                                                  allow_shrink, allow_older, scope))
        elif use_ftc:
            try:
                summary = importer.import_full_list(root, registry, files, when or now, now,
                                                    max_reject_fraction, advance,
                                                    allow_shrink, allow_older, scope)
            except ComplianceError as error:
                if file_format != "auto" or isinstance(error, FileCutOff | OlderThanApplied):
                    raise
                # The national registry is read as the FTC's flat file unless told: a
                # plain list of numbers was refused line by line with no word of why.
                if _looks_like_changes(files):
                    # A change list given without --change-list (the tour's second
                    # import, its flag forgotten): "3 of 3 records malformed" and a hint
                    # to --format numbers, which would have imported its deletions as
                    # listed numbers.
                    raise type(error)(
                        f"{error} (its records carry add/delete indicators, A or D: a "
                        "change list; import it with --change-list)") from None
                raise type(error)(
                    f"{error} (the national registry is read as the FTC's flat file, "
                    "AAA,NNNNNNN a line; a list of numbers or a CSV: give --format "
                    "numbers)") from None
        else:
            try:
                summary = _with_spreadsheet_cause(
                    lambda: importer.import_numbers(root, registry, files, when or now, now,
                                                    region, column, max_reject_fraction,
                                                    advance, allow_shrink, allow_older, scope))
            except ComplianceError as error:
                if file_format != "auto" or isinstance(error, FileCutOff | OlderThanApplied) \
                        or not _looks_like_ftc(files):
                    raise
                # A state's list saved in the FTC's layout (AAA,NNNNNNN): read as numbers,
                # each area code was "not a valid NANP number" with no word of the layout.
                raise type(error)(
                    f"{error} (its lines are AAA,NNNNNNN, the FTC's flat file: give --format "
                    "ftc)") from None
    if (note := _own_list_note(registry, scope)) is not None:
        _err_console().print(f"note: {note}", markup=False, highlight=False, soft_wrap=True)
    if widened:
        _err_console().print(f"note: {widened}", markup=False, highlight=False, soft_wrap=True)
    if when is None and not change_list:
        # A list downloaded weeks ago and dated today passes the 31-day freshness rule for
        # a month more (16 CFR 310.4(b)(3)(iv)); nothing said it was dated today.
        _err_console().print(
            f"note: {registry} dated today, {now:%Y-%m-%d} (no --as-of): the registry's "
            "age, which must stay within 31 days, counts from it; if the list was "
            "downloaded earlier, import it again with --as-of that date and --allow-older",
            markup=False, highlight=False, soft_wrap=True)
    if as_json:
        typer.echo(json.dumps(summary.to_json()))
        return
    from rich.console import Console
    from rich.markup import escape
    console = Console()
    if summary.unchanged:
        console.print(f"unchanged: [bold]{summary.version}[/] already lists exactly the "
                      f"same {counted(summary.count, 'number')}, as of the same day: no new "
                      "version published")
    else:
        console.print(f"[bold]{summary.version}[/]: {counted(summary.count, 'number')} listed")
    console.print(f"read {summary.read:,}  added {summary.added:,}  duplicates "
                  f"{summary.duplicates:,}  rejected {summary.rejected:,}"
                  + (f"  deletions applied {summary.deletions_applied:,}" if change_list else "")
                  + ("  (compacted)" if summary.compacted else ""))
    for bad in summary.rejected_lines:
        cause = _spreadsheet_cause(bad["text"])
        console.print(f"  [red]rejected[/] {escape(bad['file'])}:{bad['line']}: "
                      f"{escape(repr(bad['text']))}: {escape(bad['reason'])}"
                      + (f" ({escape(cause)})" if cause else ""), highlight=False)


def _spreadsheet_cause(text: str) -> str | None:
    """Why a record a spreadsheet rewrote is malformed, with the repair: a phone column
    saved as numbers (``4155550123.0``, ``4.15555E+09``), as ``leads import`` says it
    (campaigns.phones): "'4155550123.0' is not a valid NANP number" named neither."""
    from campaigns.phones import spreadsheet_number

    return spreadsheet_number(text.split(",")[0]) if text else None


def _with_spreadsheet_cause(run):
    """``run()``, its refusal said with the cause of its first bad line when a
    spreadsheet rewrote it."""
    import re

    from dnc.registry.errors import ImportRefused

    try:
        return run()
    except ImportRefused as error:
        found = re.search(r"first bad line: '([^']*)'", str(error))
        cause = _spreadsheet_cause(found.group(1)) if found else None
        if cause is None:
            raise
        raise type(error)(f"{error}: {cause}") from None


@dnc_app.command("check")
def check_command(numbers: Annotated[list[str], typer.Argument(help="E.164 or any notation.")],
                  region: Region = "US", data_dir: DataDir = None,
                  as_json: Json = False) -> None:
    """Which registries (and versions) list each number."""
    from dnc.registry import DncStore
    from dnc.registry.keys import e164_of_key
    from dnc.registry.numberfile import normalise

    store = DncStore(_dnc_dir(data_dir))
    results = []
    for text in numbers:
        key = normalise(text, region)
        number = e164_of_key(key) if key is not None else text
        # A number outside the plan is still looked up when written in full E.164 (the
        # internal list can hold it); anything else was not checked against any list.
        checked = key is not None or _E164.fullmatch(text.strip()) is not None
        hits = store.hits(number) if checked else []
        results.append({"input": text, "number": number, "valid": key is not None,
                        "checked": checked, "listed": bool(hits),
                        "hits": [{"registry": h.version.registry, "version": h.version.version,
                                  "as_of": h.version.as_of.isoformat(), "detail": h.detail,
                                  "sellers": list(h.version.sellers)}
                                 for h in hits]})
    unchecked = [r["input"] for r in results if not r["checked"]]
    # Exit non-zero when a number could not be checked: a script reading "exit 0" as
    # "not listed" would otherwise call it.
    problem = (f"{', '.join(map(repr, unchecked))}: not a NANP number, so not checked "
               f"against any list (write it in full, e.g. +12015550123, or give --region)"
               if unchecked else None)
    if as_json:
        document: dict = {"results": results}
        if problem:
            document.update(error=problem, error_type="UncheckedNumber", exit_code=1)
        typer.echo(json.dumps(document))
        if problem:
            raise typer.Exit(1)
        return
    from rich.console import Console
    from rich.markup import escape
    console = Console()
    for result in results:
        if not result["hits"]:
            state = ("not listed" if result["checked"] else
                     "[yellow]not a NANP number: not checked[/]")
            console.print(f"{escape(result['number'])}: {state}")
        for hit in result["hits"]:
            console.print(f"{result['number']}: [red]listed[/] in {hit['version']}"
                          + (f" — {hit['detail']}" if hit["detail"] else ""))
    if problem:
        Console(stderr=True, soft_wrap=True).print(f"[bold red]error:[/] {escape(problem)}",
                                                   highlight=False)
        raise typer.Exit(1)


@dnc_app.command("scrub")
def scrub_command(
    source: Annotated[Path, typer.Argument(help="Lead CSV.")],
    out: Annotated[Path, typer.Option("--output", "-o", help="CSV of the rows no registry "
                                      "lists.")],
    rejects: Annotated[Path, typer.Option(help="CSV of the rejected rows, with a "
                                               "dnc_reason column.")],
    column: Annotated[list[str] | None, typer.Option(
        help="Phone column, repeatable: the number dialed first, then the lead's other "
        "numbers (default: the columns dialer leads import reads, phone and alt_phones)."
    )] = None,
    region: Region = "US",
    jurisdiction: Annotated[str, typer.Option(help="The campaign's profiles: numbers "
                                              "outside them are rejected with the reason "
                                              "the rules give.")] = "us",
    data_dir: DataDir = None, as_json: Json = False,
) -> None:
    """Split a CSV into callable rows and rejected rows (with the registry version or why)."""
    from campaigns.phones import spreadsheet_number
    from dnc.registry import DncStore
    from dnc.registry.scrub import REASON_COLUMN, scrub

    if out.resolve() == rejects.resolve():
        # Both were written to one place: a broken file was left, and a traceback-like
        # "No such file or directory".
        raise OptionError(f"--output and --rejects are the same file ({out}): the callable "
                          "rows and the rejected rows need a file each")
    from dnc.rules.profiles import profiles_for

    try:
        profiles_for(jurisdiction)
    except ValueError as error:
        raise OptionError(f"--jurisdiction: {error}") from None
    # Only the jurisdiction is checked here: a file's own error (a UnicodeDecodeError is a
    # ValueError too) was reported as "--jurisdiction: 'utf-8' codec can't decode ...".
    store = DncStore(_dnc_dir(data_dir))
    checked: list[str | None] = []
    summary = scrub(store, source, out, rejects, column or None,
                    region, jurisdiction, phone_columns=_lead_phone_columns,
                    before_writing=lambda: checked.append(_scrub_registries(store,
                                                                            jurisdiction)),
                    cause_of=spreadsheet_number)
    if summary.mangled:
        # Each such row is in the rejects as "invalid number: CAUSE"; the first is named
        # here with its line, for the file to be saved again before its leads are lost.
        _err_console().print(
            f"note: {summary.first_mangled}"
            + (f" ({summary.mangled - 1:,} more like it; the rows they made invalid say so "
               f"in the {REASON_COLUMN} column of {rejects})" if summary.mangled > 1 else ""),
            markup=False, highlight=False, soft_wrap=True)
    if as_json:
        typer.echo(json.dumps({**summary.to_json(),
                               **({"note": checked[0]} if checked and checked[0] else {})}))
        return
    read = (f"column {summary.column}" if len(summary.columns) < 2 else
            f"columns {', '.join(summary.columns)}")
    typer.echo(f"read {summary.read:,} ({read}): kept {summary.kept:,}, "
               f"listed {summary.rejected_listed:,}, invalid {summary.rejected_invalid:,}, "
               f"outside the profiles {summary.rejected_outside:,}")
    if checked and checked[0]:
        _err_console().print(f"note: {checked[0]}", markup=False, highlight=False,
                             soft_wrap=True)


def _scrub_registries(store, jurisdiction: str) -> str | None:
    """Refuse a scrub against nothing: run before ``dnc import`` (the tour's order turned
    round), it kept every row and wrote a file of "callable" numbers no registry had seen
    (first-hour thirteenth pass, the compliance officer). Else a note when a US scrub has no
    national registry, naming what the rows were checked against."""
    names = [version.registry for version in store.loaded_versions]
    internal = store.internal.version().count if store.internal is not None else 0
    if not names and not internal:
        raise OptionError(
            f"nothing to scrub against: no do-not-call registry is imported in "
            f"{store.dnc_dir} and the internal list is empty, so every row would be kept; "
            "import the national list first (dialer dnc import FILE; a state's with "
            "--registry state:XX), then scrub. Neither output written")
    if jurisdiction.lower() == "us" and "national" not in names:
        against = ", ".join([*names, *(["the internal list"] if internal else [])])
        return (f"no national registry is imported: the rows were checked against {against} "
                "only; import the national list with dialer dnc import FILE, then scrub "
                "again")
    return None


def _lead_phone_columns(header: list[str]) -> list[str]:
    """The phone columns ``dialer leads import`` reads from this header: the number dialed,
    then the lead's other numbers (``alt_phones``). The scrub read one column (its own
    guess, not always the importer's): a lead's second number went unscrubbed."""
    from campaigns.lead_files import guess_mapping

    mapping = guess_mapping(header)
    return [*mapping.get("phone", [])[:1], *mapping.get("alt_phones", [])]


def _internal(data_dir: Path | None):
    from dnc.internal import InternalDnc
    return InternalDnc(_dnc_dir(data_dir) / "internal.db")


def _e164(text: str, region: str) -> str:
    from dnc.registry.keys import e164_of_key
    from dnc.registry.numberfile import normalise
    key = normalise(text, region)
    if key is not None:
        return e164_of_key(key)
    if text.startswith("+") and text[1:].isdigit():
        return text
    raise OptionError(f"{text!r} is not a phone number (write it in full, e.g. "
                      "+12015550123, or give --region)")


@dnc_app.command("add")
def add_command(number: Annotated[str, typer.Argument(help="Phone number (E.164 or "
                                                    "national).")],
                reason: Annotated[str, typer.Option(help="Why (e.g. asked not to be "
                                                    "called).")],
                by: Annotated[str, typer.Option(help="Who records it.")],
                source: Annotated[str | None, typer.Option(help="e.g. call id.")] = None,
                region: Region = "US", data_dir: DataDir = None, as_json: Json = False
                ) -> None:
    """Add a number to the internal (company) DNC list, effective at once."""
    entry = _internal(data_dir).add(_e164(number, region), datetime.now(UTC), reason, by, source)
    if as_json:
        typer.echo(json.dumps({"id": entry.id, "number": entry.number, "action": entry.action,
                               "at": entry.at.isoformat()}))
        return
    typer.echo(f"{entry.number} added to the internal DNC list (#{entry.id})")


@dnc_app.command("remove")
def remove_command(number: Annotated[str, typer.Argument(help="Phone number (E.164 or "
                                                       "national).")],
                   reason: Annotated[str, typer.Option(help="Why it may be called again.")],
                   by: Annotated[str, typer.Option(help="Who removes it.")],
                   region: Region = "US", data_dir: DataDir = None, as_json: Json = False
                   ) -> None:
    """Remove a number from the internal DNC list (the history keeps both events)."""
    entry = _internal(data_dir).remove(_e164(number, region), datetime.now(UTC), reason, by)
    if as_json:
        typer.echo(json.dumps({"id": entry.id, "number": entry.number, "action": entry.action,
                               "at": entry.at.isoformat()}))
        return
    typer.echo(f"{entry.number} removed from the internal DNC list (#{entry.id})")


def _version_rows(data_dir: Path | None) -> list[dict]:
    from dnc.registry import DncStore
    store = DncStore(_dnc_dir(data_dir))
    rows = []
    for loaded in store.loaded():
        meta = loaded.meta
        rows.append({"registry": meta.registry, "version": meta.version, "as_of": meta.as_of,
                     "count": meta.count, "kind": meta.kind, "base": meta.base or None,
                     "added": meta.added, "deleted": meta.deleted,
                     "bytes_mapped": loaded.mapped_bytes, "created_at": meta.created_at,
                     "sellers": list(meta.sellers)})
    internal = store.internal.version()
    rows.append({"registry": "internal", "version": internal.version,
                 "as_of": internal.as_of.isoformat(), "count": internal.count,
                 "kind": "internal", "base": None, "added": 0, "deleted": 0,
                 "bytes_mapped": 0, "created_at": None, "sellers": []})
    return rows


@dnc_app.command("versions")
def versions_command(data_dir: DataDir = None, as_json: Json = False) -> None:
    """The current version of each registry (what a dial decision records)."""
    rows = _version_rows(data_dir)
    if as_json:
        typer.echo(json.dumps({"versions": rows}))
        return
    from rich.console import Console
    from rich.table import Table
    table = Table("registry", "version", "as of", "numbers", "binds")
    for row in rows:
        binds = ("campaigns of " + ", ".join(row["sellers"])) if row["sellers"] else ""
        table.add_row(row["registry"], row["version"], row["as_of"], f"{row['count']:,}", binds)
    Console().print(table)


@dnc_app.command("stats")
def stats_command(data_dir: DataDir = None, as_json: Json = False) -> None:
    """Numbers, change-list overlay and storage per registry."""
    rows = _version_rows(data_dir)
    if as_json:
        typer.echo(json.dumps({"registries": rows}))
        return
    from rich.console import Console
    from rich.table import Table
    table = Table("registry", "numbers", "overlay +/-", "mapped bytes", "bytes/number")
    for row in rows:
        per = row["bytes_mapped"] / row["count"] if row["count"] else 0
        table.add_row(row["registry"], f"{row['count']:,}", f"{row['added']}/{row['deleted']}",
                      f"{row['bytes_mapped']:,}", f"{per:.3f}")
    Console().print(table)
