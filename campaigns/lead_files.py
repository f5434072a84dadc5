"""Reading lead files: CSV/TSV/XLSX, encoding and delimiter detection, column mapping.

Encodings: UTF-8 with or without BOM, cp1251, cp1252 and latin-1. Bytes that are valid
UTF-8 are UTF-8 (the chance of cp1251/latin-1 text being valid UTF-8 by accident is
negligible); otherwise cp1251 is chosen when high bytes come in runs (Cyrillic words are
written entirely in 0xC0–0xFF), else cp1252 when bytes 0x80–0x9F appear (Excel's curly
quotes and dashes), latin-1 when they are isolated accents among ASCII letters.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from campaigns.errors import LeadImportError
from campaigns.lead_lines import header_fields, header_line, record_lines

LEAD_FIELDS = ("phone", "alt_phones", "first_name", "last_name", "state", "postal_code",
               "timezone", "priority", "consent", "consent_seller", "line_type", "contact_id")
"""Fields a column may map to; every other column is kept in the lead's ``custom`` fields."""

# Header words (normalised: lower case, letters and digits only) that name each field.
_HEADER_GUESSES: dict[str, tuple[str, ...]] = {
    "phone": ("phone", "phonenumber", "phoneno", "telephone", "tel", "number", "msisdn",
              "mobile", "cell", "primaryphone", "phone1", "homephone", "dialnumber",
              "телефон", "numero", "téléphone", "telefono", "telefon", "telefonnummer",
              "rufnummer", "numérodetéléphone", "numerodetelephone", "telefone"),
    "alt_phones": ("altphone", "alternatephone", "altnumber", "alternatenumber",
                   "workphone", "secondaryphone", "otherphone", "secondphone", "officephone",
                   "businessphone", "daytimephone", "eveningphone", "landline",
                   "cellphone", "cellnumber", "mobilephone", "mobilenumber", "homenumber",
                   "worknumber", "mobil", "handy", "portable", "telportable",
                   "téléphoneportable", "telephoneportable", "numéroportable",
                   "numeroportable", "cellulaire", "gsm", "natel", "móvil", "movil",
                   "celular", "cellulare", "téléphonefixe", "telephonefixe"),
    "first_name": ("firstname", "first", "givenname", "fname", "forename", "name",
                   "contactname", "имя", "prenom", "prénom", "nombre"),
    "last_name": ("lastname", "last", "surname", "familyname", "lname", "фамилия", "nom",
                  "apellido"),
    "state": ("state", "province", "region", "st", "stateprovince"),
    "postal_code": ("zip", "zipcode", "postalcode", "postcode", "postal", "zip5"),
    "timezone": ("timezone", "tz", "tzname", "zone"),
    "priority": ("priority", "rank", "prio"),
    "consent": ("consent", "consentdate", "optin", "optindate", "pewc"),
    "consent_seller": ("consentseller", "optinseller", "pewcseller"),
    "line_type": ("linetype", "phonetype", "numbertype", "carriertype"),
    "contact_id": ("contactid", "personid", "customerid"),
}


@dataclass(frozen=True, slots=True)
class LeadTable:
    """A lead file read into strings, with what was detected."""

    path: Path
    frame: pd.DataFrame          # every cell a str ("" when empty)
    encoding: str | None         # None for XLSX
    delimiter: str | None        # None for XLSX
    first_line: int              # file line (1-based) of the first data row
    lines: np.ndarray | None = None
    """The file line of each data row; None: they follow the header one by one."""
    blank_lines: tuple[int, ...] = ()
    """The file lines of rows whose every field is empty (``,,,``), left out of ``frame``."""
    unnamed: tuple[int, ...] = ()
    """The columns (1-based) with no name in the header, kept as ``column_N``
    (``unnamed_columns``)."""
    header_at: int = 1
    """The file line of the header (a title line above it moves it down)."""

    def row_lines(self) -> np.ndarray:
        """The file line (1-based) each data row starts on."""
        if self.lines is not None:
            return self.lines
        return np.arange(len(self.frame), dtype=np.int64) + self.first_line


def without_blank_rows(table: LeadTable) -> LeadTable:
    """``table`` without the rows whose every field is empty or spaces (``,,,``: the rows a
    spreadsheet saves past its data, or between blocks), their lines kept to be counted.
    Such a row holds nothing to reject: it was rejected as "empty phone number", one line
    of the rejects file per separator row, burying the rows that have a name and no phone
    (those are still rejected, with their line)."""
    frame = table.frame
    if frame.empty or not len(frame.columns):
        return table
    blank = np.ones(len(frame), dtype=bool)
    for column in frame.columns:
        blank &= frame[column].astype(str).str.strip().eq("").to_numpy()
    if not blank.any():
        return table
    lines = table.row_lines()
    kept = lines[~blank]
    return LeadTable(table.path, frame.iloc[np.flatnonzero(~blank)], table.encoding,
                     table.delimiter, int(kept[0]) if len(kept) else table.first_line, kept,
                     (*table.blank_lines, *(int(n) for n in lines[blank])), table.unnamed,
                     table.header_at)


def unnamed_columns(frame: pd.DataFrame, written: list[str] | None = None
                    ) -> tuple[pd.DataFrame, tuple[int, ...]]:
    """``frame`` with the columns the header leaves unnamed (``Phone,,Name``, a spreadsheet
    column without a title) renamed ``column_N`` (N: the column's number from 1), and
    those whose every cell is empty too left out (the trailing ``,`` a spreadsheet saves
    past its last column); with the numbers of the renamed ones. pandas named them
    ``Unnamed: 2``, and the lead kept a custom field of that name nobody could tell
    apart, nor name with ``--map``. ``written``: the header's names as written (a CSV's);
    without it (a workbook) pandas' ``Unnamed: I`` tells a blank title."""
    names: list[str] = []
    keep: list[int] = []
    renamed: list[int] = []
    taken = {str(c).strip() for c in frame.columns}
    for index, column in enumerate(frame.columns):
        name = str(column).strip()
        blank = (not name or (written[index] == "" if written is not None
                              and index < len(written) else name == f"Unnamed: {index}"))
        if blank:
            if not frame.iloc[:, index].astype(str).str.strip().ne("").any():
                continue
            name = f"column_{index + 1}"
            while name in taken:
                name += "_"
            taken.add(name)
            renamed.append(index + 1)
        names.append(name)
        keep.append(index)
    if len(keep) == len(frame.columns) and not renamed:
        return frame, ()
    frame = frame.iloc[:, keep].copy()
    frame.columns = names
    return frame, tuple(renamed)


def unnamed_warning(table: LeadTable, again: str, said: set[str] | frozenset[str] = frozenset()
                    ) -> str | None:
    """The import's warning for ``table.unnamed``: where, the field kept, how to name it
    (``again``: the command that removes the list, to import the file again). ``said``:
    the ``column_N`` left out, as read for a field (``--map phone=column_2``: not a custom
    field) or warned about already (a column of phone numbers: one warning for it)."""
    unnamed = [n for n in table.unnamed if f"column_{n}" not in said]
    if not unnamed:
        return None
    one = len(unnamed) == 1
    columns = ", ".join(str(n) for n in unnamed)
    fields = ", ".join(f"column_{n}" for n in unnamed)
    return (f"{table.path}:{table.header_at}: column{'' if one else 's'} {columns} "
            f"{'has' if one else 'have'} no name in the header: kept as the custom "
            f"field{'' if one else 's'} {fields}. To name {'it' if one else 'them'}, write "
            f"a name in the header's empty cell{'' if one else 's'}: {again}, then import "
            "again")


def _norm(header: str) -> str:
    return re.sub(r"[\W_]+", "", header.strip().lower())


_SECOND_PHONE = re.compile(r"(?:phone|telephone|tel|mobile|cell|cellphone|mobilephone|"
                           r"phonenumber|telefono|numero)\d+")
"""Numbered phone columns (``Phone 2``, ``Mobile1``, ``Tel3``): the lead's other numbers
when another column is the number dialed (``Phone 1``, ``Phone``)."""

_NOT_A_SECOND_PHONE = frozenset({"number", "numero", "dialnumber", "msisdn"})
"""Phone words too general to read as a lead's other number when another column is the
number dialed: ``Number`` beside ``Phone`` is as likely an account or order number."""


def _header_means(field: str, norm: str) -> bool:
    if norm in _HEADER_GUESSES[field]:
        return True
    if field != "alt_phones":
        return False
    # A second column of the phone words (``Phone`` and ``Cell``, ``Mobile`` beside
    # ``Phone``) or a numbered one: the lead's other numbers. They were kept as custom
    # fields, and dnc scrub did not check them (first-hour thirteenth pass).
    return ((norm in _HEADER_GUESSES["phone"] and norm not in _NOT_A_SECOND_PHONE)
            or bool(_SECOND_PHONE.fullmatch(norm)))


def guess_mapping(headers: list[str]) -> dict[str, list[str]]:
    """field → columns, guessed from header words (``alt_phones`` may take several: every
    phone column after the number dialed, in the header's order)."""
    mapping: dict[str, list[str]] = {}
    used: set[str] = set()
    for field in LEAD_FIELDS:
        for header in headers:
            if header in used or not _header_means(field, _norm(header)):
                continue
            if field != "alt_phones" and field in mapping:
                continue
            mapping.setdefault(field, []).append(header)
            used.add(header)
    return mapping


_NUMBER_CELL = re.compile(r"^\+?[\d\s().-]{7,20}(?:\.0)?$")


def _looks_like_a_number(cell: str) -> bool:
    """A header cell that is a telephone number (seven digits or more, in any notation)."""
    cell = cell.strip()
    return bool(_NUMBER_CELL.match(cell)) and sum(c.isdigit() for c in cell) >= 7


def _header_example(headers: list[str], number: str) -> str:
    return ",".join("phone" if h == number else f"column{i}"
                    for i, h in enumerate(headers, 1))


def resolve_mapping(headers: list[str], explicit: dict[str, str | list[str]] | None,
                    path: Path) -> dict[str, list[str]]:
    """Explicit ``field=column`` choices over guesses; errors name the file and field."""
    refuse_dnc_list(headers, path)
    mapping = guess_mapping(headers)
    for field, columns in (explicit or {}).items():
        chosen = [columns] if isinstance(columns, str) else list(columns)
        if field not in LEAD_FIELDS:
            import shlex

            meant = _meant(field, LEAD_FIELDS)
            swapped = field in headers and len(chosen) == 1 and chosen[0] in LEAD_FIELDS
            hint = (f" (write --map {chosen[0]}={shlex.quote(field)}: the field first, "
                    "then the column)" if swapped else
                    f" (did you mean {meant!r}?)" if meant else "")
            raise LeadImportError(f"unknown lead field {field!r}{hint}; fields: "
                                  f"{', '.join(LEAD_FIELDS)}", path=str(path), field=field)
        for column in chosen:
            if column not in headers:
                meant = _meant(column, headers)
                raise LeadImportError(
                    f"column {column!r} is not in the header ({', '.join(headers)})"
                    + (f"; did you mean {meant!r}?" if meant else ""),
                    path=str(path), line=1, field=field)
        for other in mapping.values():  # a column maps to one field only
            other[:] = [c for c in other if c not in chosen]
        mapping[field] = chosen
    mapping = {f: cols for f, cols in mapping.items() if cols}
    if "phone" not in mapping:
        import shlex

        # ``Nom,Portable`` (a mobile column alone): the column meant is named.
        named = (f"--map phone={shlex.quote(mapping['alt_phones'][0])}"
                 if mapping.get("alt_phones") else "--map phone=COLUMN")
        if (number := next((h for h in headers if _looks_like_a_number(h)), None)):
            # A file saved without its header line: its first lead was read as the header
            # ("no phone column found in the header (2015550100, Ann)"), and --map of a
            # phone number as a column name would have dropped that lead.
            raise LeadImportError(
                f"the first line is not a header: {number!r} is a phone number, so the file "
                "has no header line (its first lead was read as one); add a first line "
                f"naming the columns, e.g. {_header_example(headers, number)}, and import "
                "again", path=str(path), line=1, field="phone")
        raise LeadImportError(
            f"no phone column found in the header ({', '.join(headers)}); "
            f"name it with {named}", path=str(path), line=1, field="phone")
    return mapping


def _meant(name: str, names: list[str] | tuple[str, ...]) -> str | None:
    """The one of ``names`` a mistyped ``name`` meant (``phone`` for ``Phone``, ``First
    Name`` for ``first name``), else None."""
    from dialer.words import meant_name

    return meant_name(name, names) or next(
        (n for n in names if _norm(n) == _norm(name)), None)


def unread_phone_columns(table: LeadTable, mapping: dict[str, list[str]], region: str,
                         also_read: tuple[str, ...] = ()) -> list[tuple[str, int, int]]:
    """The columns kept as custom fields whose cells are mostly phone numbers (column,
    numbers, cells read, of the first 200 filled cells among the first 2,000 rows): a
    lead's other number under a name not recognised (``Spouse``, ``Tel. privat``) is not
    stored as one of its numbers and never checked by ``dnc scrub``. Fax columns are left
    out: a fax is not a number to dial."""
    from campaigns.phones import normalise_series

    mapped = {column for columns in mapping.values() for column in columns}
    found = []
    for column in table.frame.columns:
        if column in mapped or column in also_read or "fax" in _norm(str(column)):
            continue
        # The first 2,000 rows: a column of a million rows was stripped whole for a sample
        # of 200 (a warning must not cost a large import seconds per custom column).
        cells = table.frame[column].iloc[:2000].astype(str).str.strip()
        sample = cells[cells.ne("")].head(200)
        if not len(sample) or not sample.str.contains(r"\d{3}", regex=True).any():
            continue
        numbers = int(normalise_series(sample, region)[0].notna().sum())
        if numbers * 2 > len(sample):
            found.append((str(column), numbers, len(sample)))
    return found


def unread_phone_warning(path: str, column: str, numbers: int, cells: int,
                         alt_columns: list[str], again: str, unnamed_at: int | None = None
                         ) -> str:
    """One warning for a column ``unread_phone_columns`` found, with the --map to read it
    (every ``alt_phones`` column named: one ``--map alt_phones=`` replaces the guessed
    ones). ``unnamed_at``: the header's line when the column has no name there (then this
    is its one warning, ``unnamed_warning`` leaves it out)."""
    import shlex

    maps = " ".join(f"--map alt_phones={shlex.quote(c)}" for c in [*alt_columns, column])
    where = (f"{path}: {column}" if unnamed_at is None else
             f"{path}:{unnamed_at}: {column} (column {column.removeprefix('column_')} has no "
             "name in the header)")
    return (f"{where}: {numbers} of {cells} cells read are phone numbers, kept as "
            "a custom field: not among the lead's numbers (alt_phones) and not checked by "
            f"dnc scrub. If they are the leads' other numbers: {again}, then import again "
            f"with {maps}")


_FTC_RECORD = re.compile(r"^(?:[2-9]\d{2}[2-9]\d{6}|[2-9]\d{2})$")
_FTC_REST = re.compile(r"^(?:[2-9]\d{6}|A|ADD|ADDED|D|DEL|DELETE|DELETED|[+-]|[\d/-]{6,10})$",
                       re.IGNORECASE)
_DNC_WORDS = ("dnc", "donotcall", "nocall", "dontcall")


def refuse_dnc_list(headers: list[str], path: Path) -> None:
    """A do-not-call list given as a lead file is refused: imported, its numbers (people who
    asked not to be called) became leads, dialed wherever that list was not also loaded
    as a registry. Told by its shape: a first line that is an FTC record (``201,2345678``,
    ``201,2345678,A,2026-12-05``: the lead reader takes it for the header), or a header of
    a phone column and do-not-call columns only (``phone,dnc_date``). A lead file with a
    do-not-call flag column is ``refuse_flagged_rows``' to judge, by its values."""
    cells = [h.strip() for h in headers]
    ftc = bool(cells) and bool(_FTC_RECORD.match(cells[0])) and len(cells) <= 4 and all(
        _FTC_REST.match(cell) for cell in cells[1:])
    named = dnc_columns(cells)
    guessed = guess_mapping(cells)
    list_alone = bool(named) and set(guessed) <= {"phone"} and len(cells) <= 3
    if not ftc and not list_alone:
        return
    what = ("an FTC do-not-call file (its first line is a record, "
            f"{','.join(cells)!r})" if ftc else
            f"a do-not-call list (its header is {', '.join(map(repr, cells))})")
    raise LeadImportError(
        f"looks like {what}, not a lead file: its numbers asked not to be called; refused, "
        "nothing imported. Import it with dialer dnc import FILE (--change-list for a "
        "change list, --registry state:XX for a state's list)", path=str(path), line=1)


def dnc_columns(headers: list[str]) -> list[str]:
    """The columns whose name says do-not-call (``DNC``, ``Do Not Call``, ``dnc_date``)."""
    return [h for h in headers if any(word in _norm(h) for word in _DNC_WORDS)]


_NOT_FLAGGED = frozenset({"", "n", "no", "false", "f", "0", "none", "-", "non", "nein"})


def refuse_flagged_rows(table: LeadTable, mapping: dict[str, list[str]]) -> None:
    """A lead file with a do-not-call flag column (a CRM export's ``Do Not Call: Yes``) is
    refused while any row is flagged: the column was kept as a custom field the dialer
    never reads, and the person who asked not to be called was dialed. A column whose every
    cell says no (empty, ``No``, ``false``, ``0``) is imported as before."""
    lines = table.row_lines()
    mapped = {column for columns in mapping.values() for column in columns}
    for column in dnc_columns([str(c) for c in table.frame.columns if c not in mapped]):
        values = table.frame[column].astype(str).str.strip().str.lower()
        flagged = np.flatnonzero(~values.isin(_NOT_FLAGGED).to_numpy())
        if not len(flagged):
            continue
        first = int(flagged[0])
        raise LeadImportError(
            f"{len(flagged):,} rows are flagged do-not-call (first "
            f"{table.frame[column].iloc[first]!r}): the column would be kept as a custom "
            "field the dialer never reads, and they would be dialed; refused, nothing "
            "imported. Take those rows out (add their numbers to the internal list with "
            "dialer dnc add, to keep them off every campaign), then import",
            path=str(table.path), line=int(lines[first]), field=column)


def _workbook_kind(sample: bytes) -> str | None:
    """The suffix of the workbook ``sample`` begins (a zip holding ``xl/``: .xlsx; the OLE
    header of Excel 97-2003: .xls), else None."""
    if sample.startswith(b"PK\x03\x04") and b"xl/" in sample[:65536]:
        return ".xlsx"
    if sample.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return ".xls"
    return None


def check_text(sample: bytes, path: Path) -> None:
    """Refuse a binary file in one line, before any of its bytes reach a message."""
    if not sample:
        return
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return  # UTF-16 text (Excel's "Unicode text"): NUL bytes are half its characters
    if (kind := _workbook_kind(sample)) is not None:
        # A workbook renamed .csv (or saved with the wrong type): "binary data (a NUL byte
        # at byte 5)" did not say it is a workbook the import reads under its own name.
        if kind == ".xls":
            raise LeadImportError("is an Excel 97-2003 workbook (.xls), which the import "
                                  "does not read: save it as .xlsx or as CSV UTF-8",
                                  path=str(path))
        raise LeadImportError(
            f"is an Excel workbook ({kind}) named {path.suffix or 'without a suffix'}: "
            f"rename it {path.stem}{kind} (dialer leads import reads workbooks by that "
            "name), or save the sheet as CSV UTF-8", path=str(path))
    nul = sample.find(b"\x00")
    if nul >= 0:
        raise LeadImportError(f"not a text lead file: binary data (a NUL byte at byte {nul}); "
                              "expected CSV, TSV or XLSX", path=str(path))
    control = sum(1 for b in sample[:65536] if b < 32 and b not in (9, 10, 13))
    if control > 0.02 * min(len(sample), 65536):
        raise LeadImportError(f"not a text lead file: {control} control bytes in the first "
                              f"{min(len(sample), 65536):,}; expected CSV, TSV or XLSX",
                              path=str(path))


def detect_encoding(sample: bytes) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as error:
        if error.start >= len(sample) - 4:  # a character cut by the end of the sample
            return "utf-8"
    high_runs = re.findall(rb"[\x80-\xff]+", sample)
    long_runs = sum(1 for run in high_runs if len(run) >= 3)
    if high_runs and long_runs * 3 >= len(high_runs):
        return "cp1251"
    # Excel's "CSV" on Windows is cp1252: its 0x80-0x9F are ’ “ ” – € ..., which latin-1
    # reads as invisible control characters ("O\x92Brien" was stored). latin-1 is kept
    # for a file without them (the two agree on every other byte).
    if re.search(rb"[\x80-\x9f]", sample) and not re.search(rb"[\x81\x8d\x8f\x90\x9d]",
                                                             sample):
        return "cp1252"
    return "latin-1"


def _detect_delimiter(header_line: str, suffix: str) -> str:
    if suffix in (".tsv", ".tab"):
        return "\t"
    counts = {d: header_line.count(d) for d in (",", "\t", ";", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _parse_error_line(error: Exception) -> int | None:
    """The file line a pandas parser error names ("line N" is 1-based, "row N" 0-based)."""
    if match := re.search(r"line (\d+)", str(error)):
        return int(match.group(1))
    if match := re.search(r"row (\d+)", str(error)):
        return int(match.group(1)) + 1
    return None


def _check_columns(frame: pd.DataFrame, path: Path, line: int = 2) -> None:
    """Refuse a first data row with more fields than the header. pandas reads one silently:
    it takes the extra leading fields as a row index, so every column of every row shifts
    (the phone column then holds names) instead of one row being refused."""
    if isinstance(frame.index, pd.RangeIndex):
        return
    extra = frame.index.nlevels
    raise LeadImportError(f"{len(frame.columns) + extra} fields but the header has "
                          f"{len(frame.columns)} (a field too many, or a delimiter inside "
                          "an unquoted value)", path=str(path), line=line)


def _check_encoding(encoding: str, path: Path) -> None:
    try:
        codecs.lookup(encoding)
    except LookupError as error:
        raise LeadImportError(f"unknown encoding {encoding!r}; e.g. utf-8, utf-8-sig, "
                              "cp1251, latin-1", path=str(path)) from error


def _check_utf8_read_otherwise(data: bytes, encoding: str, path: Path) -> None:
    """A UTF-8 file read with ``--encoding latin-1`` (or cp1252...): its BOM became the
    header's ``ï»¿Phone`` ("no phone column found"), and without a BOM every accented name
    was stored garbled (``Zoé`` as ``ZoÃ©``) without a word. A file with a UTF-8 BOM, or
    whose non-ASCII bytes all decode as UTF-8 (text in a one-byte code page almost never
    does), is refused with the line of the first such character."""
    if codecs.lookup(encoding).name in ("utf-8", "utf-8-sig", "utf-16", "utf-16-le",
                                        "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"):
        return
    if data.startswith(codecs.BOM_UTF8):
        raise LeadImportError(f"starts with a UTF-8 byte-order mark: the file is UTF-8, not "
                              f"{encoding}; leave --encoding out (or give utf-8-sig)",
                              path=str(path), line=1)
    first = next((i for i, byte in enumerate(data[:4 << 20]) if byte >= 0x80), None)
    if first is None:
        return
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return
    line = data.count(b"\n", 0, first) + 1
    char = text[len(data[:first].decode("utf-8"))]
    raise LeadImportError(
        f"the file is UTF-8: {char!r} read as {encoding} would be stored as "
        f"{char.encode('utf-8').decode(encoding, errors='replace')!r}; leave --encoding out "
        "(or give utf-8)", path=str(path), line=line)


def _check_is_file(path: Path) -> None:
    """A lead file that is not there, or a directory given for one, is named as such (a
    directory reported as "not found" sent a user looking for a missing file)."""
    if path.is_dir():
        raise LeadImportError("is a directory, not a lead file; name a file in it",
                              path=str(path))
    if not path.is_file():
        raise LeadImportError("file not found", path=str(path))


def _is_workbook(path: Path) -> bool:
    return path.suffix.lower() in (".xlsx", ".xlsm")


def check_read_options(path: Path, *, encoding: str | None, delimiter: str | None,
                       sheet: str | int | None) -> None:
    """Refuse a reading option the file's kind has no use for: ``--sheet Leads`` on a CSV
    was dropped without a word (the user believed a sheet was chosen), likewise
    ``--encoding``/``--delimiter`` on a workbook, which stores its own."""
    if _is_workbook(path):
        for option, value in (("--encoding", encoding), ("--delimiter", delimiter)):
            if value is not None:
                raise LeadImportError(f"{option} {value!r} is for a CSV or TSV file; a "
                                      f"{path.suffix} workbook stores its own (leave it out; "
                                      "--sheet chooses its sheet)", path=str(path))
    elif sheet is not None:
        raise LeadImportError(f"--sheet {sheet!r} is for an XLSX workbook; this "
                              f"{path.suffix or 'file without a suffix'} is read as CSV/TSV, "
                              "which has one table (leave --sheet out, or name the .xlsx "
                              "file)", path=str(path))


def read_lead_file(path: str | Path, *, encoding: str | None = None,
                   delimiter: str | None = None, sheet: str | int | None = None) -> LeadTable:
    """Read a CSV/TSV/XLSX lead file into strings (bad structure raises with the line)."""
    path = Path(path)
    _check_is_file(path)
    check_read_options(path, encoding=encoding, delimiter=delimiter, sheet=sheet)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(path, sheet)
    data = path.read_bytes()
    check_text(data[:65536], path)
    if encoding is None:
        encoding = detect_encoding(data[: 4 << 20])
        if encoding == "utf-8":
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as error:
                line = data.count(b"\n", 0, error.start) + 1
                encoding = detect_encoding(data)
                if encoding == "utf-8":
                    raise LeadImportError(
                        f"not valid UTF-8 at byte {error.start}; give --encoding",
                        path=str(path), line=line) from error
    _check_encoding(encoding, path)
    _check_utf8_read_otherwise(data, encoding, path)
    head = data[:65536].decode(encoding, errors="replace").lstrip("\ufeff")
    header_number, first = header_line(head)
    delimiter = delimiter or _detect_delimiter(first, path.suffix.lower())
    try:
        frame = pd.read_csv(
            io.BytesIO(data), sep=delimiter, dtype=object, keep_default_na=False,
            na_filter=False,
            encoding=encoding, engine="c", quoting=csv.QUOTE_MINIMAL, skipinitialspace=False)
    except pd.errors.ParserError as error:
        raise LeadImportError(
            f"malformed {'TSV' if delimiter == chr(9) else 'CSV'}: {str(error).strip()}",
            path=str(path), line=_parse_error_line(error)) from error
    except UnicodeDecodeError as error:
        raise LeadImportError(f"cannot decode as {encoding}: {error}; give --encoding",
                              path=str(path)) from error
    except pd.errors.EmptyDataError as error:
        raise LeadImportError("the file is empty", path=str(path)) from error
    _check_columns(frame, path, header_number + 1)
    written = header_fields(first, delimiter)
    _check_header(written, path, header_number)
    frame, unnamed = unnamed_columns(frame, written)
    frame.columns = [str(c).strip() for c in frame.columns]
    lines = record_lines(data, encoding, delimiter, len(frame))
    return without_blank_rows(LeadTable(
        path, frame, encoding, delimiter,
        int(lines[0]) if lines is not None and len(lines) else header_number + 1, lines,
        unnamed=unnamed, header_at=header_number))


def _check_header(names: list[str], path: Path, line: int) -> None:
    """Refuse a header that names a column twice: pandas renamed the second ``phone.1``,
    kept it as a custom field, and which column was dialed depended on the order."""
    seen: dict[str, int] = {}
    for position, name in enumerate(names, start=1):
        if name and name in seen:
            raise LeadImportError(
                f"the header names column {name!r} twice (columns {seen[name]} and "
                f"{position}): rename one, so it is clear which is used", path=str(path),
                line=line)
        seen.setdefault(name, position)


def _read_xlsx(path: Path, sheet: str | int | None) -> LeadTable:
    try:
        frame = pd.read_excel(path, sheet_name=sheet if sheet is not None else 0, dtype=str,
                              engine="openpyxl", keep_default_na=False)
    except (ValueError, KeyError, OSError) as error:
        raise LeadImportError(f"cannot read the workbook: {error}", path=str(path)) from error
    except Exception as error:  # openpyxl raises zipfile/XML errors for a corrupt file
        raise LeadImportError(f"not a readable XLSX workbook: {error}", path=str(path)) from error
    frame, unnamed = unnamed_columns(frame.fillna("").astype(str))
    frame.columns = [str(c).strip() for c in frame.columns]
    return without_blank_rows(LeadTable(path, frame, None, None, 2, unnamed=unnamed))


def preview_lead_file(path: str | Path, *, encoding: str | None = None,
                      delimiter: str | None = None, sheet: str | int | None = None,
                      rows: int = 5) -> LeadTable:
    """The header and first ``rows`` rows, read cheaply (for the mapping preview)."""
    path = Path(path)
    _check_is_file(path)
    check_read_options(path, encoding=encoding, delimiter=delimiter, sheet=sheet)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        try:
            frame = pd.read_excel(path, sheet_name=sheet if sheet is not None else 0,
                                  dtype=str, engine="openpyxl", keep_default_na=False,
                                  nrows=rows)
        except Exception as error:
            raise LeadImportError(f"not a readable XLSX workbook: {error}",
                                  path=str(path)) from error
        frame, unnamed = unnamed_columns(frame.fillna("").astype(str))
        frame.columns = [str(c).strip() for c in frame.columns]
        return LeadTable(path, frame, None, None, 2, unnamed=unnamed)
    with path.open("rb") as handle:
        head = handle.read(4 << 20)
    check_text(head[:65536], path)
    encoding = encoding or detect_encoding(head)
    _check_encoding(encoding, path)
    cut = head.rfind(b"\n")
    head = head[: cut + 1] if cut > 0 else head
    _check_utf8_read_otherwise(head, encoding, path)
    text = head.decode(encoding, errors="replace").lstrip("\ufeff")
    header_number, first = header_line(text)
    delimiter = delimiter or _detect_delimiter(first, path.suffix.lower())
    try:
        frame = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=object,
                            keep_default_na=False, na_filter=False, nrows=rows)
    except pd.errors.EmptyDataError as error:
        raise LeadImportError("the file is empty: no header", path=str(path),
                              line=1) from error
    except pd.errors.ParserError as error:
        raise LeadImportError(
            f"malformed {'TSV' if delimiter == chr(9) else 'CSV'}: {str(error).strip()}",
            path=str(path), line=_parse_error_line(error) or 1) from error
    _check_columns(frame, path, header_number + 1)
    written = header_fields(first, delimiter)
    _check_header(written, path, header_number)
    frame, unnamed = unnamed_columns(frame, written)
    frame.columns = [str(c).strip() for c in frame.columns]
    return LeadTable(path, frame, encoding, delimiter, header_number + 1, unnamed=unnamed,
                     header_at=header_number)
