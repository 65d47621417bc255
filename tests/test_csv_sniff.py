from pathlib import Path

import pytest

from planlabor.errors import InputError
from planlabor.io.csv_ import detect_encoding, sniff_csv
from planlabor.io.table import ReadOptions, read_table
from tests.conftest import DATA, DEMO, write

pytestmark = pytest.mark.nostore  # never opens a store: run once (conftest.py)

GERMAN = "Schlüssel;Name;Einwohner;Quote\n01001;Köln-Süd €;1.234;12,5\n01002;Straße „A“;987;3,25\n"


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp1252", "cp1252")],
)
def test_encodings(tmp_path: Path, encoding: str, expected: str) -> None:
    path = write(tmp_path / "t.csv", GERMAN, encoding)
    assert detect_encoding(path) == expected
    raw = read_table(path)
    rows = raw.sample()
    assert raw.columns == ["Schlüssel", "Name", "Einwohner", "Quote"]
    assert rows[0]["Name"] == "Köln-Süd €"
    assert rows[1]["Name"] == "Straße „A“"
    assert rows[0]["Schlüssel"] == "01001"


def test_latin1_without_cp1252_bytes(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", "id;name\n1;Müller\n", "latin-1")
    assert detect_encoding(path) == "cp1252"  # identical for these bytes
    # 0x81 is undefined in cp1252: then Latin-1
    path.write_bytes(b"id;name\n1;a\x81b\n")
    assert detect_encoding(path) == "latin-1"


def test_german_number_format_detected(tmp_path: Path) -> None:
    d = sniff_csv(write(tmp_path / "t.csv", GERMAN))
    assert (d.delimiter, d.decimal, d.thousands) == (";", ",", ".")


def test_english_number_format(tmp_path: Path) -> None:
    d = sniff_csv(write(tmp_path / "t.csv", "id,a\n1,12.5\n2,3.25\n"))
    assert (d.delimiter, d.decimal, d.thousands) == (",", ".", None)
    d = sniff_csv(write(tmp_path / "u.csv", "id\ta\n1\t1,234.5\n2\t3.25\n"))
    assert (d.delimiter, d.decimal, d.thousands) == ("\t", ".", ",")


def test_overrides_win(tmp_path: Path) -> None:
    d = sniff_csv(
        write(tmp_path / "t.csv", GERMAN), encoding="utf-8", delimiter=";", decimal=".", thousands=""
    )
    assert (d.decimal, d.thousands) == (".", None)


def test_ragged_row_is_reported_with_line(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", "id;a;b\n1;2;3\n2;3\n3;4;5\n")
    with pytest.raises(InputError) as exc:
        read_table(path)
    assert exc.value.row == 3
    assert "3 Felder" in (exc.value.expected or "")


def test_duplicate_and_empty_header_names(tmp_path: Path) -> None:
    raw = read_table(write(tmp_path / "t.csv", "id;a;a;\n1;2;3;4\n"))
    assert raw.columns == ["id", "a", "a_2", "Spalte_4"]
    assert len(raw.warnings) == 2


def test_real_files_dialects() -> None:
    assert sniff_csv(DEMO / "lor_2021" / "LOR_2021.csv").encoding == "utf-8-sig"
    d = sniff_csv(DEMO / "einwohner_ewr" / "EWR202012E_Matrix.csv")
    assert (d.delimiter, d.encoding) == (";", "utf-8")
    raw = read_table(DEMO / "einwohner_ewr" / "EWR202012E_Matrix.csv")  # CRLF
    assert raw.n_rows == 448
    assert raw.sample(1)[0]["RAUMID"] == "01011101"
    assert raw.sample(1)[0]["E_E95_110"] == "6"  # no stray carriage return


def test_legacy_xls_with_title_rows() -> None:
    raw = read_table(DATA / "legacy.xls")
    assert raw.columns == ["PLR", "Name", "Jahr", "Einwohner", "Ausländer"]
    first = raw.sample()[0]
    assert first["PLR"] == "01100101" and first["Jahr"] == "2021"
    lines = [r[0] for r in raw.con.execute(f"SELECT _line FROM {raw.name} ORDER BY _line").fetchall()]
    assert lines == [4, 5, 6]


def test_missing_sheet(tmp_path: Path) -> None:
    with pytest.raises(InputError) as exc:
        read_table(DATA / "legacy.xls", ReadOptions(sheet="Daten"))
    assert "Einwohner" in (exc.value.expected or "")


def test_utf8_broken_only_at_the_end(tmp_path: Path) -> None:
    """Found by hypothesis: a truncated UTF-8 sequence at the end, plus a byte cp1252 lacks."""
    path = tmp_path / "t.csv"
    path.write_bytes(b"id;ew\nA1;1\n\xe1\x80\x8d\xc2")
    assert detect_encoding(path) == "latin-1"
    path.write_bytes(b"\xe1\x80\x8d\xc2")
    with pytest.raises(InputError):
        read_table(path, ReadOptions(encoding="cp1252"))


@pytest.mark.parametrize(
    "stamp", [(2026, 11, 30, 23, 59, 58), (2026, 12, 1, 1, 30, 0), (1999, 1, 13, 13, 10, 26)]
)
def test_a_zipped_table_is_sniffed_from_its_content_not_the_archive(tmp_path: Path, stamp: tuple) -> None:
    """GENESIS flat files come zipped: encoding, delimiter and number format are those of the table
    inside, whatever bytes the archive's timestamps give (reading the archive as text once failed on
    1 December with 'new-line character seen in unquoted field')."""
    import zipfile

    z = tmp_path / "t.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr(
            zipfile.ZipInfo("t.csv", date_time=stamp),
            "Jahr;Wert\n2023;1.234,5\n2024;2.000,0\n".encode("cp1252"),
        )
    d = sniff_csv(z)
    assert (d.delimiter, d.decimal, d.thousands) == (";", ",", ".")
    assert detect_encoding(z) in ("utf-8", "utf-8-sig")
