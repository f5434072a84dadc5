"""The eleventh pass of new users' mistakes (docs/operations.md, "Eleventh pass: new
users"): the tenth pass's leftovers (a UK campaign's region, user names at sign-in, an
empty day's report), then a campaign manager, a supervisor and an analyst in a fresh home.
Each test fails on the code before its fix."""

from __future__ import annotations

import sqlite3

from cli_kit import dialer, ok, refused_cleanly, use_home

UK = ("--jurisdiction", "uk", "--abandon-target", "0.02")


# 1. a UK campaign reads national numbers as UK numbers


def test_a_uk_campaign_reads_national_numbers_as_uk(tmp_path, monkeypatch):
    """`--jurisdiction uk` kept default_region US: "020 7946 0018" was refused at import
    (not a US number) and "2079460018" stored as +1 207 (Maine), refused at the dial."""
    use_home(tmp_path, monkeypatch)
    assert ok("campaign", "create", "london", *UK)["settings"]["default_region"] == "GB"
    leads = tmp_path / "leads.csv"
    leads.write_text("phone,first_name\n020 7946 0018,Ann\n07812 345678,Bob\n")
    ok("leads", "import", "london", str(leads), "--yes")
    phones = {lead["phone"] for lead in ok("leads", "list", "london")["leads"]}
    assert phones == {"+442079460018", "+447812345678"}


def test_an_edit_of_the_jurisdiction_takes_its_region(tmp_path, monkeypatch):
    """us → uk moves a US region to GB; a region the new jurisdiction can call stays
    (CA under reg_f: one numbering plan)."""
    use_home(tmp_path, monkeypatch)
    ok("campaign", "create", "spring")
    edited = ok("campaign", "edit", "spring", *UK)["settings"]
    assert (edited["jurisdiction"], edited["default_region"]) == ("uk", "GB")
    assert ok("campaign", "edit", "spring", "--jurisdiction", "us")["settings"][
        "default_region"] == "US"
    ok("campaign", "create", "north", "--set", "default_region=CA")
    assert ok("campaign", "edit", "north", "--jurisdiction", "reg_f")["settings"][
        "default_region"] == "CA"
    # Mixed: the first named jurisdiction's region.
    assert ok("campaign", "create", "both", "--jurisdiction", "uk,us",
              "--abandon-target", "0.02")["settings"]["default_region"] == "GB"


def test_a_contradictory_region_is_refused(tmp_path, monkeypatch):
    """A UK campaign reading national numbers as US ones can call none of them: refused
    when set, on create and on edit, and nothing is stored."""
    use_home(tmp_path, monkeypatch)
    said = refused_cleanly("campaign", "create", "london", *UK, "--set", "default_region=US")
    assert "default_region: US is outside the jurisdiction 'uk', whose rules cover numbers " \
           "of GB" in said and "set default_region=GB" in said
    assert ok("campaign", "list") == []
    ok("campaign", "create", "london", *UK)
    said = refused_cleanly("campaign", "edit", "london", "--set", "default_region=us")
    assert "default_region: US is outside the jurisdiction 'uk'" in said
    assert ok("campaign", "show", "london")["settings"]["default_region"] == "GB"


def test_a_uk_campaign_stored_with_a_us_region_is_said_not_refused(tmp_path, monkeypatch):
    """A campaign stored before the check keeps its reading (nothing silently changes)
    but `campaign show` says what it costs and the edit that repairs it."""
    use_home(tmp_path, monkeypatch)
    ok("campaign", "create", "london", *UK)
    with sqlite3.connect(tmp_path / "dialer.db") as db:
        (stored,) = db.execute("SELECT settings FROM campaign").fetchone()
        db.execute("UPDATE campaign SET settings = ?",
                   (stored.replace('"default_region": "GB"', '"default_region": "US"'),))
    doc = ok("campaign", "show", "london")
    assert doc["settings"]["default_region"] == "US"
    assert doc["warnings"] == [
        "campaign 'london': default_region US is outside the jurisdiction 'uk', whose rules "
        "cover numbers of GB: lead files' numbers written without a country code are read "
        "as US numbers and never dialed; repair it with `dialer campaign edit london --set "
        "default_region=GB`"]
    shown = dialer("campaign", "show", "london")
    assert "warning:" in shown.output and "default_region=GB" in " ".join(shown.output.split())
    assert ok("campaign", "edit", "london", "--set", "default_region=GB")["warnings"] == []


def test_a_uk_campaign_at_the_us_default_target_says_which_option(tmp_path, monkeypatch):
    use_home(tmp_path, monkeypatch)
    said = refused_cleanly("campaign", "create", "london", "--jurisdiction", "uk")
    assert "give --abandon-target 0.02" in said




# 2. user names at the sign-in page


def test_user_add_refuses_a_name_alike_and_list_names_stored_pairs(tmp_path, monkeypatch):
    use_home(tmp_path, monkeypatch)
    ok("campaign", "create", "spring")
    ok("user", "add", "Sam", "--role", "supervisor", "--generate")
    said = refused_cleanly("user", "add", "sam ", "--role", "admin", "--generate")
    assert "user 'sam' already exists as 'Sam'; names are compared without case" in said
    ok("user", "add", "Other", "--role", "admin", "--generate")
    with sqlite3.connect(tmp_path / "dialer.db") as db:  # stored before the check
        db.execute("UPDATE web_user SET name = 'sam' WHERE name = 'Other'")
    listed = dialer("user", "list")
    assert listed.exit_code == 0
    assert "warning: users 'Sam', 'sam' differ only in case: each signs in with their " \
           "exact name" in " ".join(listed.stderr.split())


# 4. the campaign manager's names


def test_a_campaign_name_differing_only_in_case_is_refused(tmp_path, monkeypatch):
    """'Spring' beside 'spring' was a second campaign; `dialer run spring` then worked the
    one the manager had not set up."""
    use_home(tmp_path, monkeypatch)
    ok("campaign", "create", "spring")
    said = refused_cleanly("campaign", "create", "Spring")
    assert "campaign 'spring' already exists, and 'Spring' differs from it only in case" in said
    assert refused_cleanly("campaign", "create", "spring ").endswith(
        "campaign 'spring' already exists")
    assert [c["name"] for c in ok("campaign", "list")] == ["spring"]


def test_a_campaign_name_with_outer_blanks_is_stored_without_them(tmp_path, monkeypatch):
    use_home(tmp_path, monkeypatch)
    assert ok("campaign", "create", " autumn ")["name"] == "autumn"


def test_a_campaign_name_mistyped_says_the_one_meant(tmp_path, monkeypatch):
    use_home(tmp_path, monkeypatch)
    ok("campaign", "create", "spring")
    assert "no campaign named 'SPRING'; did you mean 'spring'? (see `dialer campaign " \
           "list`)" in refused_cleanly("campaign", "show", "SPRING")
    assert "did you mean 'spring'?" in refused_cleanly("campaign", "show", "sprng")
    assert "did you mean" not in refused_cleanly("campaign", "show", "winter")


# 5. the supervisor's --db and --home


def test_web_and_user_commands_refuse_a_database_that_is_not_there(tmp_path, monkeypatch):
    """A mistyped --db made an empty database: `dialer web` served it (nobody could sign
    in, no campaign) and `user add` put the user where no console would look."""
    use_home(tmp_path, monkeypatch)
    ok("campaign", "create", "spring")
    typo = tmp_path / "dialr.db"
    for args in (("web", "--listen", "127.0.0.1:8097"), ("user", "list"),
                 ("user", "add", "root", "--role", "admin", "--generate"),
                 ("user", "disable", "root")):
        said = refused_cleanly(*args, "--db", f"sqlite:///{typo}")
        assert f"no campaign database at {typo}: give the --db or --home your campaigns " \
               "are in" in said
    assert not typo.exists()


def test_run_refuses_a_database_that_is_not_there(tmp_path, monkeypatch):
    """`dialer run spring --db <typo>` made an empty database at the typo and then said only
    "no campaign named 'spring'", leaving the file behind: the run is refused before
    anything is created, naming the file and what to give."""
    use_home(tmp_path, monkeypatch)
    ok("campaign", "create", "spring")
    typo = tmp_path / "dialr.db"
    said = refused_cleanly("run", "spring", "--db", f"sqlite:///{typo}", "--duration", "1")
    assert f"no campaign database at {typo}: give the --db or --home your campaigns are " \
           "in" in said
    assert not typo.exists()
    said = refused_cleanly("run", "spring", "--home", str(tmp_path / "elsewhere"),
                           "--duration", "1")
    assert "no campaign database at" in said and "elsewhere" in said
    assert not (tmp_path / "elsewhere" / "dialer.db").exists()


def test_web_and_user_commands_take_home(tmp_path, monkeypatch):
    """`dialer web --home DIR` read $DIALER_HOME's database (its --home named only the
    control sockets' directory), and `dialer user` had no --home."""
    use_home(tmp_path / "default", monkeypatch)
    ok("campaign", "create", "spring", "--home", str(tmp_path / "site"))
    ok("user", "add", "sam", "--role", "supervisor", "--campaign", "spring", "--generate",
       "--home", str(tmp_path / "site"))
    assert [u["name"] for u in ok("user", "list", "--home", str(tmp_path / "site"))] == ["sam"]
    served = []
    monkeypatch.setattr("dialer.web.server.serve", served.append)
    assert dialer("web", "--home", str(tmp_path / "site")).exit_code == 0
    assert served[0].database == f"sqlite:///{tmp_path / 'site' / 'dialer.db'}"
    assert not (tmp_path / "default" / "dialer.db").exists()
