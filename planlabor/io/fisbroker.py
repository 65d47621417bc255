"""The Berlin FIS-Broker CSV layouts of the Monitoring Soziale Stadtentwicklung (MSS 2021).

Input ``s_IndexInd_MSS2021_homogen``:
``ZEIT,PLR_ID,PLR_NAME,EW,BEZ_ID,S1,S1_SD_GR,S1_AG_GR,S2,…,S4_AG_GR,D1,…,D4_AG_GR,KOM``
(comma-separated, IDs quoted, ``-9999`` in invalid rows, S2/D2 empty since 2021). The file is
read exactly as published: an empty cell (e.g. ``EW`` of Pankower Tor), ``None`` or ``-9999``
in any column means "no value".
Output ``s_Indizes_MSS2021_homogen``:
``ZEIT,PLR_ID,PLR_NAME,EW,BEZ_ID,SI_N,SI_V,DI_N,DI_V,SDI,SDI_N,SDI_V,KOM``.
Excluded Planungsräume carry ``-9999`` in the code columns and
``Planungsraum ohne Zuordnung`` in the text columns.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from planlabor.errors import InputError
from planlabor.io.geo import read_attribute_table
from planlabor.io.missing import text_column
from planlabor.io.table import ReadOptions

MSS_INPUT_COLUMNS = ["ZEIT", "PLR_ID", "PLR_NAME", "EW", "BEZ_ID", "S1", "S3", "S4", "D1", "D3", "D4", "KOM"]
MSS_OUTPUT_COLUMNS = [
    "ZEIT",
    "PLR_ID",
    "PLR_NAME",
    "EW",
    "BEZ_ID",
    "SI_N",
    "SI_V",
    "DI_N",
    "DI_V",
    "SDI",
    "SDI_N",
    "SDI_V",
    "KOM",
]
QUOTED = {"PLR_ID", "BEZ_ID"}
UNASSIGNED = "Planungsraum ohne Zuordnung"


def read_strings(path: str | Path, read: ReadOptions | None = None) -> pd.DataFrame:
    """A table with every cell as text (keys keep leading zeros); ``_line`` holds line numbers."""
    return read_attribute_table(path, read)


def is_mss_input(columns: list[str]) -> bool:
    return all(c in columns for c in MSS_INPUT_COLUMNS)


def check_mss_input(df: pd.DataFrame, path: Path) -> None:
    missing = [c for c in MSS_INPUT_COLUMNS if c not in df.columns]
    if missing:
        raise InputError(
            f"Der Datei fehlen die Spalten {', '.join(missing)} des FIS-Broker-Formats.",
            file=path,
            row=1,
            expected="ZEIT,PLR_ID,PLR_NAME,EW,BEZ_ID,S1,…,S4_AG_GR,D1,…,D4_AG_GR,KOM "
            "(s_IndexInd_MSS2021_homogen)",
        )
    for col in ("S1", "S3", "S4", "D1", "D3", "D4", "EW"):
        vals = text_column(df[col])
        bad = ~(vals.eq("") | vals.eq("None") | pd.to_numeric(vals, errors="coerce").notna())
        if bad.any():
            i = int(bad.to_numpy().nonzero()[0][0])
            raise InputError(
                f"Der Wert {df[col].iloc[i]!r} ist keine Zahl.",
                file=path,
                row=int(df["_line"].iloc[i]) if "_line" in df.columns else i + 2,
                column=col,
                expected="eine Zahl mit Dezimalpunkt oder -9999",
            )


def _field(name: str, value: object) -> str:
    text = "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
    if name in QUOTED or any(ch in text for ch in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def write_mss_output(result: pd.DataFrame, source: pd.DataFrame, path: str | Path) -> int:
    """Write the official ``s_Indizes_MSS2021_homogen`` layout; returns the number of rows."""
    lines = [",".join(MSS_OUTPUT_COLUMNS)]
    for i in range(len(source)):
        src = source.iloc[i]
        res = result.iloc[i]
        excluded = bool(res["excluded"]) or res.get("status__class") is None
        if excluded:
            si_n = di_n = sdi_n = "-9999"
            si_v = di_v = sdi = sdi_v = UNASSIGNED
        else:
            si_n, di_n = str(int(res["status__class"])), str(int(res["dynamik__class"]))
            si_v, di_v = str(res["status__label"]), str(res["dynamik__label"])
            sdi, sdi_n, sdi_v = (
                str(res["matrix__label"]),
                str(int(res["matrix__code"])),
                str(res["matrix__text"]),
            )
        row = {
            "ZEIT": src["ZEIT"],
            "PLR_ID": src["PLR_ID"],
            "PLR_NAME": src["PLR_NAME"],
            "EW": src["EW"],
            "BEZ_ID": src["BEZ_ID"],
            "SI_N": si_n,
            "SI_V": si_v,
            "DI_N": di_n,
            "DI_V": di_v,
            "SDI": sdi,
            "SDI_N": sdi_n,
            "SDI_V": sdi_v,
            "KOM": src["KOM"],
        }
        lines.append(",".join(_field(c, row[c]) for c in MSS_OUTPUT_COLUMNS))
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(source)
