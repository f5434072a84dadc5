"""Queue configuration files as a campaign manager writes them: read as meant, or refused in
one line naming the file (and the line of the field)."""

from __future__ import annotations

import pytest

from campaigns.queue_files import QueueFileError, line_of, read_queue_file

TOML = 'name = "sales"\nmax_wait = 30\n'


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-32"])
def test_a_file_saved_with_a_byte_order_mark_is_read_as_meant(tmp_path, encoding) -> None:
    path = tmp_path / "sales.toml"
    path.write_text(TOML, encoding=encoding)
    assert read_queue_file(path) == {"name": "sales", "max_wait": 30}


def test_bytes_that_are_not_text_are_refused_in_one_line(tmp_path) -> None:
    path = tmp_path / "sales.toml"
    path.write_bytes(b"name = \"s\xe9\"\n")
    with pytest.raises(QueueFileError, match=r"sales.toml: not UTF-8 text .*save it as UTF-8"):
        read_queue_file(path)


def test_a_directory_or_an_unknown_suffix_is_refused(tmp_path) -> None:
    with pytest.raises(QueueFileError, match="is a directory, not a queue file"):
        read_queue_file(tmp_path)
    (tmp_path / "sales.txt").write_text(TOML)
    with pytest.raises(QueueFileError, match=r"sales.txt: a queue file is .toml or .json"):
        read_queue_file(tmp_path / "sales.txt")


def test_a_json_key_written_twice_is_refused_with_its_line(tmp_path) -> None:
    path = tmp_path / "sales.json"
    path.write_text('{"ivr": {"menus": {"main": {"prompt": "main_menu",\n'
                    ' "options": {"1": "queue",\n  "1": "voicemail"}}}}}')
    with pytest.raises(QueueFileError, match=r"sales.json:3: key '1' is written twice"):
        read_queue_file(path)


def test_broken_json_names_its_line(tmp_path) -> None:
    path = tmp_path / "sales.json"
    path.write_text('{"name": "sales",\n "max_wait": }')
    with pytest.raises(QueueFileError, match=r"sales.json:2: not valid JSON"):
        read_queue_file(path)


def test_line_of_finds_a_field_under_its_parents() -> None:
    toml = ('name = "sales"\n[ivr]\nstart = "main"\n[ivr.menus.main]\nprompt = "p"\n'
            'options = { "1" = "queue", "2" = "menu:b" }\ntimout = 3\n[ivr.menus.b]\n'
            'options = { "1" = "x" }\n')
    assert line_of(toml, ("ivr", "menus", "main", "timout"), "toml") == 7
    assert line_of(toml, ("ivr", "menus", "b", "options", "1"), "toml") == 9
    assert line_of(toml, ("max_wiat",), "toml") is None
    json_text = '{\n "name": "s",\n "hours": {\n  "days": {"mon": "9-5"}}}'
    assert line_of(json_text, ("hours", "days", "mon"), "json") == 4
