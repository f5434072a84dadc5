"""``dialer web`` and ``dialer user``: thin commands over ``dialer.web`` and the store.

Passwords never appear on a command line (they would sit in the shell history and in
``ps``): they are typed at a hidden prompt, read from standard input with
``--password-stdin``, or generated with ``--generate`` and printed once.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from campaigns.cli_common import DbOption, HomeOption, JsonOption, emit, now, open_store

if TYPE_CHECKING:
    from campaigns.store import CampaignStore

user_app = typer.Typer(help="Users of the browser tier (`dialer web`): agents, supervisors, "
                       "admins.", no_args_is_help=True)

PasswordStdin = Annotated[bool, typer.Option(
    "--password-stdin", help="Read the password from standard input (one line).")]
Generate = Annotated[bool, typer.Option(
    "--generate", help="Generate a random password and print it once.")]


def _password(stdin: bool, generate: bool) -> tuple[str, bool]:
    from campaigns.users import UserError, generate_password

    if stdin and generate:
        raise UserError("--password-stdin and --generate exclude each other")
    if generate:
        return generate_password(), True
    if stdin:
        return sys.stdin.readline().rstrip("\n"), False
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True), False


def existing_database(db: str | None, home: Path | None) -> str:
    """The database URL of ``--db``/``--home``, once its SQLite file exists. A mistyped
    ``--db`` or a forgotten ``--home`` created an empty database: `dialer web` served it
    (nobody could sign in, no campaign) and `user add` put the user in it, where no
    console would find them (first-hour eleventh pass)."""
    from campaigns.cli_common import database_url, existing_database_url

    return existing_database_url(database_url(db, home=home))


def _store(db: str | None, home: Path | None) -> CampaignStore:
    return open_store(existing_database(db, home))


def _show(view: dict, password: str | None, as_json: bool) -> None:
    if as_json:
        emit({**view, **({"password": password} if password else {})})
        return
    where = ", ".join(view["campaigns"]) or ("every campaign" if view["role"] == "admin"
                                             else "none")
    agent = f", acts as agent {view['agent']}" if view.get("agent") else ""
    typer.echo(f"{view['name']}: {view['role']}{agent}; campaigns: {where}"
               + ("" if view["active"] else " (disabled)"))
    if password:
        typer.echo(f"password: {password}  (shown once; `dialer user passwd` changes it)")


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="Sign-in name.")],
    role: Annotated[str, typer.Option(help="agent, supervisor or admin.")] = "agent",
    agent: Annotated[str | None, typer.Option(
        help="Agents: the campaign agent this user acts as (default: the same name).")] = None,
    campaign: Annotated[list[str] | None, typer.Option(
        "--campaign", help="Supervisors: a campaign they supervise (repeatable).")] = None,
    password_stdin: PasswordStdin = False,
    generate: Generate = False,
    db: DbOption = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add a user who signs in to `dialer web`."""
    password, generated = _password(password_stdin, generate)
    store = _store(db, home)
    try:
        view = store.add_user(name, role, password, at=now(), agent=agent,
                              campaigns=campaign or ())
    finally:
        store.close()
    _show(view.as_json(), password if generated else None, as_json)


@user_app.command("passwd")
def user_passwd(
    name: Annotated[str, typer.Argument(help="Sign-in name.")],
    password_stdin: PasswordStdin = False,
    generate: Generate = False,
    db: DbOption = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Set a new password (also lifts a lockout and ends the user's sessions)."""
    password, generated = _password(password_stdin, generate)
    store = _store(db, home)
    try:
        view = store.set_password(name, password, at=now())
    finally:
        store.close()
    _show(view.as_json(), password if generated else None, as_json)


@user_app.command("list")
def user_list(db: DbOption = None, home: HomeOption = None,
              as_json: JsonOption = False) -> None:
    """Every user with role, campaigns and lock state."""
    store = _store(db, home)
    try:
        views = [v.as_json() for v in store.users()]
    finally:
        store.close()
    _warn_names_alike([view["name"] for view in views])
    if as_json:
        emit(views)
        return
    from rich.table import Table

    from campaigns.cli_common import make_console

    table = Table(title="Users of dialer web", title_justify="left")
    for column in ("name", "role", "agent", "campaigns", "state"):
        table.add_column(column)
    for view in views:
        state = "disabled" if not view["active"] else (
            f"locked until {view['locked_until']}" if view["locked_until"] else "active")
        table.add_row(view["name"], view["role"], view["agent"] or "",
                      ", ".join(view["campaigns"]) or ("all" if view["role"] == "admin" else ""),
                      state)
    make_console().print(table)


def _warn_names_alike(names: list[str]) -> None:
    """Users stored before names were compared without case ('Sam' and 'sam'): each signs
    in with their exact name only (``campaigns.users._named``); said, with the repair."""
    from campaigns.users import name_key

    alike: dict[str, list[str]] = {}
    for name in names:
        alike.setdefault(name_key(name), []).append(name)
    for group in (g for g in alike.values() if len(g) > 1):
        typer.echo(f"warning: users {', '.join(repr(n) for n in group)} differ only in case: "
                   "each signs in with their exact name, another spelling signs in neither; "
                   "disable the one not used (`dialer user disable NAME`)", err=True)


@user_app.command("disable")
def user_disable(
    name: Annotated[str, typer.Argument(help="Sign-in name.")],
    enable: Annotated[bool, typer.Option("--enable", help="Enable the user again.")] = False,
    db: DbOption = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Disable a user (their sessions end at once); --enable undoes it."""
    store = _store(db, home)
    try:
        view = store.disable_user(name, enable=enable)
    finally:
        store.close()
    _show(view.as_json(), None, as_json)


def web(
    listen: Annotated[str, typer.Option(
        help="HOST:PORT to listen on. Loopback by default: put TLS in front with a reverse "
        "proxy before opening it to a network (docs/web.md).")] = "127.0.0.1:8080",
    db: DbOption = None,
    home: Annotated[Path | None, typer.Option(
        "--home", help="Data directory: its dialer.db (unless --db) and run/, which holds "
        "the campaigns' control sockets.")] = None,
    secure_cookies: Annotated[bool | None, typer.Option(
        "--secure-cookies/--no-secure-cookies",
        help="Mark cookies Secure (on by default off loopback: the browser then sends them "
        "over HTTPS only, i.e. through the TLS proxy).")] = None,
    log_format: Annotated[str, typer.Option(
        "--log-format", help="text or json (JSON lines, as dialer run).")] = "text",
    show_numbers: Annotated[bool, typer.Option(
        "--show-numbers", help="Do not mask phone numbers in the log (debugging).")] = False,  # type: ignore[assignment]
    recordings_dir: Annotated[Path | None, typer.Option(
        "--recordings-dir", help="The directory the switch records into, as this machine "
        "sees it (default: <home>/recordings); supervisors play recordings from it.")] = None,
) -> None:
    """Agent desktop and supervisor console in the browser."""
    import logging

    from dialer.logs import configure
    from dialer.runner.settings import data_dir
    from dialer.web.server import WebSettings, parse_listen, serve

    if log_format not in ("text", "json"):
        from dialer.web.server import WebSettingsError

        raise WebSettingsError(f"--log-format {log_format!r}: text or json")
    configure(log_format, mask=not show_numbers)  # phone numbers masked unless asked
    logging.getLogger("alembic").setLevel(logging.WARNING)
    host, port = parse_listen(listen)
    # --home names the database too, as in every command (it read $DIALER_HOME's).
    settings = WebSettings(database=existing_database(db, home), data=home or data_dir(),
                           host=host, port=port, secure_cookies=secure_cookies,
                           recordings=recordings_dir)
    serve(settings)


def register(app: typer.Typer) -> None:
    app.command("web")(web)
    app.add_typer(user_app, name="user")
