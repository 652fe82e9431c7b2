"""A small, fast XLSX writer for one-sheet tables: the officer workbooks and the portal's downloads.

Why not xlsxwriter: it spends ~25 µs per cell in Python (27 kelurahan workbooks, 750,000 cells,
took ~12 s on a 2-core machine); this writer builds the sheet XML with plain string joins
(~1 µs per cell) and is deterministic by construction: fixed ZIP entry dates and order, the
document date passed in, no application version stamped from the environment.

What it writes is the subset of SpreadsheetML Excel itself writes for such a sheet: a shared string
table, one style per column kind, column widths, the header row frozen, an autofilter over the table
(with its `_FilterDatabase` name, as Excel expects), and document properties. Every text value is a
string cell, never a formula: `=HYPERLINK(...)` in a name stays text that Excel shows, not runs.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

__all__ = ["write_table", "TEXT", "PLAIN", "NUMBER", "MONEY", "MAX_CELL_CHARS"]

TEXT, PLAIN, NUMBER, MONEY = "text", "plain", "number", "money"
"""Column kinds: text stored and formatted as text ("@"), text in the general format, a number,
a number shown with thousands separators."""

MAX_CELL_CHARS = 32_767  # Excel's limit for one cell; longer text is cut, as Excel would refuse it

_STYLE = {TEXT: 1, PLAIN: 0, NUMBER: 0, MONEY: 3}  # index into cellXfs below; 2 is the header
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b-\x1f\ufffe\uffff]")  # \r too: XML parsers turn it into \n
_ESCAPE_LIKE = re.compile(r"(_x[0-9a-fA-F]{4}_)")  # text that Excel would read as an escape

_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"

_CONTENT_TYPES = _HEAD + (
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/docProps/app.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
    '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>")

_ROOT_RELS = _HEAD + (
    f'<Relationships xmlns="{_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
    f'<Relationship Id="rId2" Type="{_PKG_REL}/metadata/core-properties" Target="docProps/core.xml"/>'
    f'<Relationship Id="rId3" Type="{_REL}/extended-properties" Target="docProps/app.xml"/>'
    "</Relationships>")

_WORKBOOK_RELS = _HEAD + (
    f'<Relationships xmlns="{_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/>'
    f'<Relationship Id="rId3" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>")

_STYLES = _HEAD + (
    f'<styleSheet xmlns="{_MAIN}">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="@"/><numFmt numFmtId="165" formatCode="#,##0"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFDDEBF7"/><bgColor indexed="64"/></patternFill></fill>'
    '</fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1" applyAlignment="1">'
    '<alignment vertical="top" wrapText="1"/></xf>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '<dxfs count="0"/>'
    '<tableStyles count="0" defaultTableStyle="TableStyleMedium9" defaultPivotStyle="PivotStyleLight16"/>'
    "</styleSheet>")


def _escape(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if "_x" in text:
        text = _ESCAPE_LIKE.sub(r"_x005F\1", text)
    if _ILLEGAL_XML.search(text):
        text = _ILLEGAL_XML.sub(lambda m: f"_x{ord(m.group(0)):04X}_", text)
    return text


def _column_letters(n: int) -> list[str]:
    letters = []
    for i in range(n):
        name, i = "", i + 1
        while i:
            i, rest = divmod(i - 1, 26)
            name = chr(65 + rest) + name
        letters.append(name)
    return letters


def _number(value: object) -> str | None:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    number = float(value) if isinstance(value, Decimal) else value
    if not isinstance(number, float) or number != number or number in (float("inf"), float("-inf")):
        return None  # not a number a cell can hold: left empty rather than writing a broken file
    return f"{number:.16G}"


def write_table(target: Path | str | BinaryIO, *, sheet_name: str, headers: Sequence[str], widths: Sequence[float],
                kinds: Sequence[str], rows: Iterable[Sequence[object]], title: str, author: str,
                created: datetime) -> int:
    """Write one sheet: a bold header row (frozen, with filters) above `rows`; return the data rows.

    Each row holds one value per header, of its column's kind (None leaves the cell empty); text
    values are written as text whatever they look like."""
    letters = _column_letters(len(headers))
    strings: dict[str, int] = {}
    sst = strings.setdefault

    def text_cell(ref: str, value: str, style: int) -> str:
        if len(value) > MAX_CELL_CHARS:
            value = value[:MAX_CELL_CHARS]
        index = sst(value, len(strings))
        if style:
            return f'<c r="{ref}" s="{style}" t="s"><v>{index}</v></c>'
        return f'<c r="{ref}" t="s"><v>{index}</v></c>'

    parts = ['<row r="1">', *(text_cell(f"{letter}1", h, 2) for letter, h in zip(letters, headers, strict=True)),
             "</row>"]
    plan = [(letter, kind, _STYLE[kind]) for letter, kind in zip(letters, kinds, strict=True)]
    count = 0
    for r, row in enumerate(rows, start=2):
        count += 1
        parts.append(f'<row r="{r}">')
        for (letter, kind, style), value in zip(plan, row, strict=True):
            if value is None:
                continue
            if kind is TEXT or kind is PLAIN:
                parts.append(text_cell(f"{letter}{r}", value if isinstance(value, str) else str(value), style))
            else:
                number = _number(value)
                if number is not None:
                    parts.append(f'<c r="{letter}{r}" s="{style}"><v>{number}</v></c>' if style
                                 else f'<c r="{letter}{r}"><v>{number}</v></c>')
        parts.append("</row>")
    last = f"{letters[-1]}{count + 1}"
    table_ref = f"A1:{letters[-1]}{max(count, 1) + 1}"
    cols = "".join(f'<col min="{i}" max="{i}" width="{w + 0.7109375:g}" customWidth="1"'
                   f'{f" style={chr(34)}{_STYLE[k]}{chr(34)}" if _STYLE[k] == 1 else ""}/>'
                   for i, (w, k) in enumerate(zip(widths, kinds, strict=True), start=1))
    sheet = (
        f'{_HEAD}<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}"><dimension ref="A1:{last}"/>'
        '<sheetViews><sheetView tabSelected="1" workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft"/></sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>'
        f'<cols>{cols}</cols><sheetData>{"".join(parts)}</sheetData><autoFilter ref="{table_ref}"/>'
        '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>')
    shared = "".join(f'<si><t xml:space="preserve">{_escape(s)}</t></si>' if s[:1].isspace() or s[-1:].isspace()
                     else f"<si><t>{_escape(s)}</t></si>" for s in strings)
    shared_xml = f'{_HEAD}<sst xmlns="{_MAIN}" uniqueCount="{len(strings)}">{shared}</sst>'
    quoted_sheet = "'" + _escape(sheet_name).replace("'", "''") + "'"
    workbook = (
        f'{_HEAD}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><workbookPr/>'
        '<bookViews><workbookView xWindow="240" yWindow="15" windowWidth="16095" windowHeight="9660"/></bookViews>'
        f'<sheets><sheet name="{_escape(sheet_name)}" sheetId="1" r:id="rId1"/></sheets>'
        f'<definedNames><definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">'
        f'{quoted_sheet}!$A$1:${letters[-1]}${max(count, 1) + 1}'
        '</definedName></definedNames><calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>')
    stamp = created.strftime("%Y-%m-%dT%H:%M:%SZ")
    core = (
        f'{_HEAD}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<dc:title>{_escape(title)}</dc:title><dc:creator>{_escape(author)}</dc:creator>"
        f"<cp:lastModifiedBy>{_escape(author)}</cp:lastModifiedBy>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified></cp:coreProperties>')
    app = (
        f'{_HEAD}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
        'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
        "<Application>Microsoft Excel</Application><DocSecurity>0</DocSecurity><ScaleCrop>false</ScaleCrop>"
        '<HeadingPairs><vt:vector size="2" baseType="variant"><vt:variant><vt:lpstr>Worksheets</vt:lpstr></vt:variant>'
        '<vt:variant><vt:i4>1</vt:i4></vt:variant></vt:vector></HeadingPairs><TitlesOfParts>'
        f'<vt:vector size="1" baseType="lpstr"><vt:lpstr>{_escape(sheet_name)}</vt:lpstr></vt:vector></TitlesOfParts>'
        "<LinksUpToDate>false</LinksUpToDate><SharedDoc>false</SharedDoc><HyperlinksChanged>false</HyperlinksChanged>"
        "<AppVersion>12.0000</AppVersion></Properties>")
    members = (("[Content_Types].xml", _CONTENT_TYPES), ("_rels/.rels", _ROOT_RELS), ("docProps/app.xml", app),
               ("docProps/core.xml", core), ("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS),
               ("xl/styles.xml", _STYLES), ("xl/workbook.xml", workbook), ("xl/sharedStrings.xml", shared_xml),
               ("xl/worksheets/sheet1.xml", sheet))
    # Level 1: a quarter faster than the default for a quarter more bytes (27 city workbooks: 1.47 -> 1.10 s).
    with zipfile.ZipFile(target if not isinstance(target, (str, Path)) else str(target), "w") as archive:
        for name, text in members:
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            archive.writestr(info, text.encode("utf-8"), compresslevel=1)
    return count
