#!/usr/bin/env python3
"""Writes tests/fixtures/bank: one account's November 2026 as a Mexican bank
portal exports it (CSV with Cargo/Abono/Saldo, newest first; and .xlsx written
by openpyxl), as OFX 1.x (SGML) and 2.x (XML) written by ofxtools, as a
camt.053.001.08 written by ElementTree, and as MT940; overlapping halves; and
the bad corpora: a balance that does not add up, an OFX with a missing
</STMTTRN>, a camt with an external entity, a line in another currency, an
empty file.

Run: python3 -m venv /tmp/venv && /tmp/venv/bin/pip install ofxtools openpyxl
     /tmp/venv/bin/python scripts/gen-bank-fixtures.py
"""
import datetime as dt
import os
import xml.etree.ElementTree as ET
from decimal import Decimal

import openpyxl
from ofxtools import models as m
from ofxtools.header import make_header
from ofxtools.utils import UTC

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "bank")
os.makedirs(ROOT, exist_ok=True)

OPENING = Decimal("1250000.00")
CLABE = "012180001234567897"
# (date, amount, description, counterparty, reference, bank id)
LINES = [
    ("2026-11-02", "185600.00", "SPEI RECIBIDO FERRETERA DEL NORTE F-1041", "Ferretera del Norte", "F-1041", "MBAN0001"),
    ("2026-11-03", "-42350.75", "PAGO PROVEEDOR ACEROS MONTERREY", "Aceros Monterrey", "OC-7781", "MBAN0002"),
    ("2026-11-05", "-85.00", "CAFETERIA LA ESQUINA", "", "", "MBAN0003"),
    ("2026-11-05", "-85.00", "CAFETERIA LA ESQUINA", "", "", "MBAN0004"),
    ("2026-11-09", "-318400.00", "NOMINA QUINCENAL", "", "NOM-21", "MBAN0005"),
    ("2026-11-12", "96250.50", "SPEI RECIBIDO CONSTRUCTORA ALAMO F-1038", "Constructora Álamo", "F-1038", "MBAN0006"),
    ("2026-11-16", "-12999.00", "CFE SUMINISTRADOR DE SERVICIOS", "CFE", "", "MBAN0007"),
    ("2026-11-19", "254000.00", "DEPOSITO EN EFECTIVO SUCURSAL 0123", "", "", "MBAN0008"),
    ("2026-11-23", "-318400.00", "NOMINA QUINCENAL", "", "NOM-22", "MBAN0009"),
    ("2026-11-25", "-6380.40", "COMISION Y IVA POR SERVICIOS BANCARIOS", "", "", "MBAN0010"),
    ("2026-11-27", "143700.00", "SPEI RECIBIDO GRUPO TLAQUEPAQUE F-1044", "Grupo Tlaquepaque", "F-1044", "MBAN0011"),
]


def path(name):
    return os.path.join(ROOT, name)


def running(lines, opening):
    out, bal = [], opening
    for line in lines:
        bal += Decimal(line[1])
        out.append(bal)
    return out


BAL = running(LINES, OPENING)
CLOSING = BAL[-1]


def ddmmyyyy(d):
    return dt.date.fromisoformat(d).strftime("%d/%m/%Y")


def money(d):
    return f"{d:,.2f}"


def bank_csv(name, lines, balances, newest_first=True, tamper=None):
    rows = list(zip(lines, balances))
    if newest_first:
        rows.reverse()
    with open(path(name), "w", encoding="utf-8", newline="") as f:
        f.write("Fecha,Concepto,Referencia,Cargo,Abono,Saldo\r\n")
        for i, ((d, a, desc, _cp, ref, _id), bal) in enumerate(rows):
            a = Decimal(a)
            if tamper is not None and i == tamper:
                bal += Decimal("10.00")
            cargo = money(-a) if a < 0 else ""
            abono = money(a) if a > 0 else ""
            f.write(f'{ddmmyyyy(d)},{desc},{ref},"{cargo}","{abono}","{money(bal)}"\r\n')


def xlsx(name):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Movimientos"
    ws.append(["BBVA México — Estado de cuenta", None, None, None, None, None])
    ws.append([f"Cuenta CLABE {CLABE}", None, None, None, None, None])
    ws.append([])
    ws.append(["Fecha", "Descripción", "Referencia", "Retiros", "Depósitos", "Saldo"])
    for (d, a, desc, _cp, ref, _id), bal in reversed(list(zip(LINES, BAL))):
        a = Decimal(a)
        ws.append([
            dt.date.fromisoformat(d),
            desc,
            ref or None,
            float(-a) if a < 0 else None,
            float(a) if a > 0 else None,
            float(bal),
        ])
        for c in ws[ws.max_row][3:6]:
            c.number_format = "#,##0.00"
        ws[ws.max_row][0].number_format = "dd/mm/yyyy"
    wb.save(path(name))


def ofx(name, lines, version, closing, missing_close=False):
    trns = []
    for d, a, desc, cp, ref, fid in lines:
        kw = dict(
            trntype="CREDIT" if Decimal(a) > 0 else "DEBIT",
            dtposted=dt.datetime.fromisoformat(d).replace(hour=12, tzinfo=UTC),
            trnamt=Decimal(a),
            fitid=fid,
            name=(cp or desc)[:32],
            memo=desc if cp else None,
        )
        if ref.startswith("F-") or ref.startswith("OC-"):
            kw["refnum"] = ref
        trns.append(m.STMTTRN(**kw))
    start = dt.datetime.fromisoformat(lines[0][0]).replace(tzinfo=UTC)
    end = dt.datetime.fromisoformat(lines[-1][0]).replace(hour=23, tzinfo=UTC)
    tranlist = m.BANKTRANLIST(*trns, dtstart=start, dtend=end)
    stmtrs = m.STMTRS(
        curdef="MXN",
        bankacctfrom=m.BANKACCTFROM(bankid="012", acctid=CLABE, accttype="CHECKING"),
        banktranlist=tranlist,
        ledgerbal=m.LEDGERBAL(balamt=closing, dtasof=end),
    )
    status = m.STATUS(code=0, severity="INFO")
    rs = m.STMTTRNRS(trnuid="1", status=status, stmtrs=stmtrs)
    signon = m.SONRS(status=status, dtserver=end, language="SPA")
    ofx_ = m.OFX(signonmsgsrsv1=m.SIGNONMSGSRSV1(sonrs=signon), bankmsgsrsv1=m.BANKMSGSRSV1(rs))
    root = ofx_.to_etree()
    if version == 1:
        from ofxtools.Parser import OFXTree  # noqa: F401  (the SGML writer below is ofxtools')
        body = ET.tostring(root, encoding="unicode")
        # ofxtools' own SGML form: aggregates closed, elements unclosed.
        body = sgml(root)
        text = str(make_header(version=102)) + body
    else:
        text = str(make_header(version=220)) + ET.tostring(root, encoding="unicode")
    if missing_close:
        text = text.replace("</STMTTRN>", "", 1)
    with open(path(name), "w", encoding="utf-8", newline="") as f:
        f.write(text)


def sgml(el, depth=0):
    """OFX 1.x: elements (leaves) are not closed; aggregates are."""
    if len(el) == 0:
        return f"<{el.tag}>{el.text or ''}\r\n"
    out = f"<{el.tag}>\r\n"
    for child in el:
        out += sgml(child, depth + 1)
    return out + f"</{el.tag}>\r\n"


NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"


def camt(name, lines, opening, closing, foreign_at=None):
    ET.register_namespace("", NS)
    q = lambda t: f"{{{NS}}}{t}"  # noqa: E731
    doc = ET.Element(q("Document"))
    stmt_root = ET.SubElement(doc, q("BkToCstmrStmt"))
    hdr = ET.SubElement(stmt_root, q("GrpHdr"))
    ET.SubElement(hdr, q("MsgId")).text = "CAMT-2026-11"
    ET.SubElement(hdr, q("CreDtTm")).text = "2026-11-28T06:00:00"
    stmt = ET.SubElement(stmt_root, q("Stmt"))
    ET.SubElement(stmt, q("Id")).text = "STMT-2026-11"
    acct = ET.SubElement(stmt, q("Acct"))
    ET.SubElement(ET.SubElement(ET.SubElement(acct, q("Id")), q("Othr")), q("Id")).text = CLABE
    ET.SubElement(acct, q("Ccy")).text = "MXN"

    def bal(code, amount, date):
        b = ET.SubElement(stmt, q("Bal"))
        ET.SubElement(ET.SubElement(ET.SubElement(b, q("Tp")), q("CdOrPrtry")), q("Cd")).text = code
        amt = ET.SubElement(b, q("Amt"), Ccy="MXN")
        amt.text = f"{abs(amount):.2f}"
        ET.SubElement(b, q("CdtDbtInd")).text = "CRDT" if amount >= 0 else "DBIT"
        ET.SubElement(ET.SubElement(b, q("Dt")), q("Dt")).text = date

    bal("OPBD", opening, "2026-11-01")
    bal("CLBD", closing, lines[-1][0])
    for i, (d, a, desc, cp, ref, fid) in enumerate(lines):
        a = Decimal(a)
        n = ET.SubElement(stmt, q("Ntry"))
        amt = ET.SubElement(n, q("Amt"), Ccy="USD" if i == foreign_at else "MXN")
        amt.text = f"{abs(a):.2f}"
        ET.SubElement(n, q("CdtDbtInd")).text = "CRDT" if a > 0 else "DBIT"
        ET.SubElement(ET.SubElement(n, q("Sts")), q("Cd")).text = "BOOK"
        ET.SubElement(ET.SubElement(n, q("BookgDt")), q("Dt")).text = d
        ET.SubElement(ET.SubElement(n, q("ValDt")), q("Dt")).text = d
        ET.SubElement(n, q("AcctSvcrRef")).text = fid
        tx = ET.SubElement(ET.SubElement(n, q("NtryDtls")), q("TxDtls"))
        refs = ET.SubElement(tx, q("Refs"))
        ET.SubElement(refs, q("EndToEndId")).text = ref or "NOTPROVIDED"
        if cp:
            party = "Dbtr" if a > 0 else "Cdtr"
            p = ET.SubElement(ET.SubElement(tx, q("RltdPties")), q(party))
            ET.SubElement(ET.SubElement(p, q("Pty")), q("Nm")).text = cp
        ET.SubElement(ET.SubElement(tx, q("RmtInf")), q("Ustrd")).text = desc
    ET.ElementTree(doc).write(path(name), encoding="UTF-8", xml_declaration=True)


def mt940(name, lines, opening, closing):
    def amt(d):
        return f"{abs(d):.2f}".replace(".", ",")

    def yymmdd(d):
        return dt.date.fromisoformat(d).strftime("%y%m%d")

    out = ["{1:F01BCMRMXMMAXXX0000000000}{2:O9400600261128BCMRMXMMAXXX00000000002611280600N}{4:",
           ":20:STMT202611", f":25:{CLABE}", ":28C:11/1",
           f":60F:C261101MXN{amt(opening)}"]
    for d, a, desc, cp, ref, fid in lines:
        a = Decimal(a)
        cd = "C" if a > 0 else "D"
        day = dt.date.fromisoformat(d).strftime("%m%d")
        out.append(f":61:{yymmdd(d)}{day}{cd}{amt(a)}NTRF{ref or 'NONREF'}//{fid}")
        out.append(f":86:{desc}")
    out.append(f":62F:C{yymmdd(lines[-1][0])}MXN{amt(closing)}")
    out.append("-}")
    with open(path(name), "w", encoding="utf-8", newline="") as f:
        f.write("\r\n".join(out) + "\r\n")


bank_csv("movimientos-es.csv", LINES, BAL)
xlsx("estado-es.xlsx")
ofx("statement-v1.ofx", LINES, 1, CLOSING)
ofx("statement-v2.ofx", LINES, 2, CLOSING)
camt("camt053.xml", LINES, OPENING, CLOSING)
mt940("statement.sta", LINES, OPENING, CLOSING)
# Overlapping halves: lines 1-7 and 5-11 (the two coffees of 5 Nov in both).
bank_csv("first-half.csv", LINES[:7], BAL[:7])
bank_csv("second-half.csv", LINES[4:], BAL[4:])
ofx("first-half.ofx", LINES[:7], 2, BAL[6])
ofx("second-half.ofx", LINES[4:], 2, CLOSING)
# Bad corpora.
bank_csv("bad-balance.csv", LINES, BAL, tamper=3)
ofx("missing-close.ofx", LINES, 1, CLOSING, missing_close=True)
camt("foreign-line.xml", LINES, OPENING, CLOSING, foreign_at=2)
with open(path("camt-xxe.xml"), "w", encoding="utf-8") as f:
    f.write('<?xml version="1.0"?>\n<!DOCTYPE Document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
            f'<Document xmlns="{NS}"><BkToCstmrStmt><Stmt><Ntry><AddtlNtryInf>&xxe;</AddtlNtryInf>'
            '</Ntry></Stmt></BkToCstmrStmt></Document>\n')
open(path("empty.csv"), "w").close()
with open(path("expected.csv"), "w", encoding="utf-8", newline="") as f:
    f.write("date,amount,balance\n")
    for (d, a, *_), b in zip(LINES, BAL):
        f.write(f"{d},{a},{b}\n")
print("closing", CLOSING)
