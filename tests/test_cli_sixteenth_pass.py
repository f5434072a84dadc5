"""The sixteenth pass: the items the fifteenth left (docs/operations.md, "Sixteenth pass"):
durations in milliseconds, spreadsheet-mangled numbers in a scrubbed file, unknown list
names, and one answer to "is this list the user's own". Each test fails on the code before
its fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_kit import READY_SPRING, dialer, ok, refused, use_home
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


def _write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


def _spring(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_home(home, monkeypatch)
    assert dialer("db", "upgrade").exit_code == 0
    ok("campaign", "create", "spring", *READY_SPRING)


# -- durations in milliseconds ----------------------------------------------------------

@pytest.mark.parametrize(("setting", "said"), [
    ("wrap_up_timeout=30000", "wrap_up_timeout: 30000.0 is outside its range [0, 3600] "
     "(seconds: an hour, as a simulation's [agents].wrap; an agent held in wrap-up longer "
     "has left); 30000 looks like milliseconds: the setting is in seconds, write 30 for "
     "30 s"),
    ("claim_ttl_seconds=300000", "claim_ttl_seconds: 300000.0 is outside its range (0, "
     "3600] (an hour: a dead process's claim holds its lead that long); 300000 looks like "
     "milliseconds: the setting is in seconds, write 300 for 300 s"),
    ("decision_interval=1000", "decision_interval: Input should be less than or equal to 60 "
     "(1000 looks like milliseconds: the setting is in seconds, write 1 for 1 s)"),
])
def test_a_duration_in_milliseconds_is_refused_and_named(tmp_path, monkeypatch, setting,
                                                         said):
    """``--set wrap_up_timeout=30000`` held every agent 8 h 20 min after a call: within the
    day its range allowed. Each duration now says milliseconds and what to write, with the
    fifteenth pass's check (``campaigns.settings.milliseconds_hint``)."""
    _spring(tmp_path, monkeypatch)
    assert said in refused("campaign", "edit", "spring", "--set", setting)
    assert ok("campaign", "show", "spring")["settings"]["wrap_up_timeout"] == 30.0
    ok("campaign", "edit", "spring", "--set", "wrap_up_timeout=120")
    assert ok("campaign", "show", "spring")["settings"]["wrap_up_timeout"] == 120.0


def _seconds_settings() -> dict[str, float]:
    """Every campaign time in seconds and its upper end (the model's or the range's)."""
    from campaigns.settings import PACING_RANGES, CampaignSettings, unit_of

    ends = {}
    for key, field in CampaignSettings.model_fields.items():
        if unit_of(key) != "seconds":
            continue
        bound = next((m.le for m in field.metadata if getattr(m, "le", None) is not None),
                     None)
        ends[key] = PACING_RANGES[key][2] if key in PACING_RANGES else bound
    return ends


def test_every_time_in_seconds_has_an_upper_end():
    """A duration without one, or with one past an hour, takes milliseconds as seconds
    (``claim_ttl_seconds`` went to a day: 60000, a minute in milliseconds, was 16 h)."""
    ends = _seconds_settings()
    assert set(ends) >= {"ring_timeout", "connect_window", "decision_interval",
                         "wrap_up_timeout", "claim_ttl_seconds"}
    assert all(end is not None and end <= 3600 for end in ends.values()), ends


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_duration_in_milliseconds_is_refused_and_any_sane_one_accepted(data):
    """Invariant: a value over a time's upper end whose thousandth is within it is refused
    naming milliseconds and the seconds to write; a value within the range is accepted."""
    from campaigns.store import SettingsError, validate_settings

    ends = _seconds_settings()
    key = data.draw(st.sampled_from(sorted(ends)))
    end = ends[key]
    low = {"ring_timeout": 15.0}.get(key, 0.01)
    seconds = data.draw(st.floats(min_value=max(low, 1.0), max_value=end))
    written = round(seconds * 1000)
    if written > end:
        with pytest.raises(SettingsError) as refusal:
            validate_settings({key: written})
        assert f"{key}: " in str(refusal.value)
        assert f"{written:g} looks like milliseconds: the setting is in seconds, write " \
            f"{written / 1000:g} for {written / 1000:g} s" in str(refusal.value)
    sane = data.draw(st.floats(min_value=low, max_value=end))
    assert getattr(validate_settings({key: sane}), key) == sane


# -- numbers a spreadsheet rewrote, in a scrubbed file ------------------------------------

def test_a_scrub_names_the_numbers_a_spreadsheet_rewrote(tmp_path, monkeypatch):
    """``dnc scrub`` rejected ``4.15555E+09`` and ``4155550123.0`` as "invalid number",
    naming neither the cause nor the repair, as ``dnc import`` of a state list and ``leads
    import`` do (``campaigns.phones.spreadsheet_number``). Now each such row's reason says
    it, and a note names the first with its file and line."""
    use_home(tmp_path, monkeypatch)
    ok("dnc", "import", _write(tmp_path / "ftc.txt", "201,5550120\n"), "--as-of", "2026-12-01")
    leads = _write(tmp_path / "leads.csv", "phone,name,alt_phone\n2015550199,A,\n"
                   "4155550123.0,B,\n4.15555E+09,C,\n2015550120,D,2.01555E+09\n")
    rejects = tmp_path / "r.csv"
    result = dialer("dnc", "scrub", leads, "-o", str(tmp_path / "k.csv"), "--rejects",
                    str(rejects))
    assert result.exit_code == 0, result.output
    said = " ".join(result.stderr.split())
    assert said.startswith(
        f"note: {leads}:3: phone: '4155550123.0': saved by a spreadsheet as a decimal number "
        "(e.g. 2015550123.0): format the phone column as text and save the file again (2 "
        "more like it; the rows they made invalid say so in the dnc_reason column of "), said
    reasons = [line.split(",", 3)[-1] for line in rejects.read_text().splitlines()[1:]]
    assert reasons[0] == "invalid number: saved by a spreadsheet as a decimal number (e.g. " \
        "2015550123.0): format the phone column as text and save the file again"
    assert reasons[1].startswith('"invalid number: written by a spreadsheet in scientific')
    assert reasons[2] == "national@2026-12-01#1"
    summary = ok("dnc", "scrub", leads, "-o", str(tmp_path / "k.csv"), "--rejects",
                 str(rejects))
    assert (summary["rejected_invalid"], summary["mangled"], summary["kept"]) == (2, 3, 1)
    assert summary["first_mangled"].startswith(f"{leads}:3: phone: '4155550123.0'")
    # A number that is simply wrong is still "invalid number", without a guessed cause.
    plain = _write(tmp_path / "plain.csv", "phone\n12345\n")
    said = dialer("dnc", "scrub", plain, "-o", str(tmp_path / "k.csv"), "--rejects",
                  str(rejects))
    assert "spreadsheet" not in said.output
    assert rejects.read_text().splitlines()[1] == "12345,invalid number"


# -- unknown names under dialer dnc -------------------------------------------------------

@pytest.mark.parametrize(("typed", "meant"), [
    ("list", "versions"), ("ls", "versions"), ("delete", "remove"), ("lookup", "check"),
])
def test_an_unknown_dnc_command_names_the_one_meant(typed, meant):
    """``dialer dnc list`` said "No such command 'list'." and nothing more: no spelling is
    close to ``versions``. Still a usage error (exit 2)."""
    result = dialer("dnc", typed, "--json")
    assert result.exit_code == 2
    said = json.loads(result.stdout)["error"]
    assert said.startswith(f"No such command {typed!r}; did you mean {meant!r}? (dialer dnc "
                           f"{meant}: "), said
    assert "did you mean" not in dialer("dnc", "zzzz", "--json").stdout.lower()
    assert "Did you mean 'import'?" in dialer("dnc", "imprt", "--json").stdout


@pytest.mark.parametrize(("name", "state"), [
    ("TX", "TX"), ("texas", "TX"), ("state-TX", "TX"), ("stat:TX", "TX"), ("state_fl", "FL"),
    ("NewYork", "NY"),
])
def test_a_state_list_imported_under_a_name_of_its_own_is_refused(tmp_path, monkeypatch,
                                                                  name, state):
    """``dnc import tx.csv --registry TX`` (or ``texas``, ``state-TX``) published a list of
    one's own named TX: the state's list stayed missing for the rules (the state-registry
    rule refused every Texas number for it) and nothing said which name was meant."""
    use_home(tmp_path, monkeypatch)
    listed = _write(tmp_path / "tx.csv", "phone\n2145550100\n")
    said = refused("dnc", "import", listed, "--registry", name, "--as-of", "2026-12-01")
    assert f"registry name{'d' if ':' not in name else ''} {name!r}; did you mean " \
        f"'state:{state}'?" in said, said
    assert not (tmp_path / "dnc" / "registries" / name).exists()
    ok("dnc", "import", listed, "--registry", f"state:{state}", "--as-of", "2026-12-01")
    for own in ("client-acme", "myco", "acme-list"):
        ok("dnc", "import", listed, "--registry", own, "--as-of", "2026-12-01")
