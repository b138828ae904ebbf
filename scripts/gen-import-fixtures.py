#!/usr/bin/python3
"""Writes tests/fixtures/books: the import test files, made with real tools.

- spreadsheets written by openpyxl (.xlsx) and odfpy (.ods), Spanish headers,
  a title row, date cells, a totals row and extra columns; their canonical CSV;
- a CSV with Spanish headers, DD/MM/YYYY dates and decimal commas;
- a P&L and a balance sheet by month (months across, accounts down) as
  QuickBooks exports them, and the same books as a Spanish workbook and CSV;
- an hledger journal (checked with `hledger check` when hledger is present)
  and the same books in beancount (checked with `bean-check`);
- CFDI 4.0 XML (invoices, Pagos 2.0 payments, a credit note, a received CFDI,
  an invoice in USD) following the SAT schema's structure;
- bad inputs for each source.

Run: python3 scripts/gen-import-fixtures.py   (needs python3-openpyxl, python3-odf)
"""
import datetime as dt
import os
import shutil
import subprocess
from decimal import Decimal

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "books")


def path(*p):
    full = os.path.join(ROOT, *p)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    return full


# ---------------------------------------------------------------- spreadsheets
MONTHS = [
    # month, revenue, cogs, opex, cash_end, customers_end
    ("2025-01", Decimal("84250.50"), Decimal("30100.25"), Decimal("41000"), Decimal("310500.75"), 41),
    ("2025-02", Decimal("88900.10"), Decimal("31050.00"), Decimal("42350.40"), Decimal("318200.30"), 44),
    ("2025-03", Decimal("91234.56"), Decimal("32500.75"), Decimal("43100.00"), Decimal("327950.11"), 47),
    ("2025-04", Decimal("95010.00"), Decimal("33890.12"), Decimal("44020.88"), Decimal("339120.00"), 50),
    ("2025-05", Decimal("99870.99"), Decimal("35012.01"), Decimal("45500.00"), Decimal("352400.45"), 52),
    ("2025-06", Decimal("104400.00"), Decimal("36600.60"), Decimal("46250.25"), Decimal("368010.09"), 55),
]
HEADERS = ["Mes", "Ventas netas", "Costo de ventas", "Gastos operativos", "Caja al cierre", "Clientes activos", "Notas"]


def canonical_csv():
    with open(path("financials-canonical.csv"), "w") as f:
        f.write("month,revenue,cogs,opex,cash_end,customers_end\n")
        for m, r, c, o, cash, cust in MONTHS:
            f.write(f"{m},{r},{c},{o},{cash},{cust}\n")


def month_date(m):
    y, mo = m.split("-")
    return dt.date(int(y), int(mo), 1)


def xlsx():
    from openpyxl import Workbook

    wb = Workbook()
    other = wb.active
    other.title = "Notas"
    other["A1"] = "Hoja de notas"
    ws = wb.create_sheet("Resumen")
    ws["A1"] = "Estado de resultados 2025 (MXN)"
    ws.merge_cells("A1:G1")  # a merged title above the header is fine
    ws.append([])
    ws.append(HEADERS)
    for m, r, c, o, cash, cust in MONTHS:
        ws.append([month_date(m), float(r), float(c), float(o), float(cash), cust, "ok"])
        ws.cell(row=ws.max_row, column=1).number_format = "mmm-yyyy"
    ws.append([])
    ws.append(["TOTAL 2025", float(sum(x[1] for x in MONTHS)), None, None, None, None, None])
    wb.save(path("financials-es.xlsx"))

    # The same data with a merged cell inside the data: refused.
    bad = Workbook()
    ws = bad.active
    ws.title = "Resumen"
    ws.append(HEADERS)
    for m, r, c, o, cash, cust in MONTHS:
        ws.append([month_date(m), float(r), float(c), float(o), float(cash), cust, ""])
    ws.merge_cells("B3:B4")
    bad.save(path("bad", "merged-cells.xlsx"))

    # A double that is not a 4-decimal amount: refused, never rounded.
    bad = Workbook()
    ws = bad.active
    ws.append(["month", "revenue", "cogs", "opex", "cash_end"])
    ws.append([month_date("2025-01"), 1234.56789, 1, 1, 1])
    bad.save(path("bad", "too-many-decimals.xlsx"))


def ods():
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableRow, TableCell
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name="Resumen")

    def row(cells):
        tr = TableRow()
        for v in cells:
            if v is None:
                tc = TableCell()
            elif isinstance(v, dt.date):
                tc = TableCell(valuetype="date", datevalue=v.isoformat())
                tc.addElement(P(text=v.strftime("%m/%Y")))
            elif isinstance(v, (int, float, Decimal)):
                tc = TableCell(valuetype="float", value=str(v))
                tc.addElement(P(text=str(v)))
            else:
                tc = TableCell(valuetype="string")
                tc.addElement(P(text=str(v)))
            tr.addElement(tc)
        table.addElement(tr)

    row(HEADERS)
    for m, r, c, o, cash, cust in MONTHS:
        row([month_date(m), r, c, o, cash, cust, "ok"])
    row(["Total", sum(x[1] for x in MONTHS), None, None, None, None, None])
    doc.spreadsheet.addElement(table)
    doc.save(path("financials-es.ods"))


def spanish_csv():
    with open(path("facturas-es.csv"), "w") as f:
        f.write("Factura;Cliente;Fecha;Vencimiento;Importe;Pagado;Fecha de pago;Vendedor\n")
        f.write('A-1;"Ferretería Núñez";15/01/2025;14/02/2025;"1.234,56";"1.234,56";10/02/2025;Ana\n')
        f.write('A-2;"Café Ñandú";20/01/2025;19/02/2025;"12.000,00";"0";;Luis\n')
        f.write('A-3;"Ferretería Núñez";03/02/2025;05/03/2025;"980,5";"500";20/03/2025;Ana\n')
    # The CSV reader splits on commas; this file uses semicolons, so it is
    # written again with commas for the import (kept both to show the quoting).
    with open(path("facturas-es.csv")) as f:
        text = f.read()
    import csv
    import io

    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    with open(path("facturas-es.csv"), "w", newline="") as f:
        csv.writer(f).writerows(rows)
    with open(path("facturas-canonical.csv"), "w") as f:
        f.write("number,customer,issue_date,due_date,amount,paid_amount,paid_date\n")
        f.write("A-1,Ferretería Núñez,2025-01-15,2025-02-14,1234.56,1234.56,2025-02-10\n")
        f.write("A-2,Café Ñandú,2025-01-20,2025-02-19,12000.00,0,\n")
        f.write("A-3,Ferretería Núñez,2025-02-03,2025-03-05,980.5,500,2025-03-20\n")


# ---------------------------------------------------------------- months across
# A P&L "by month" and a balance sheet in the layout accounting systems export:
# months as columns, accounts as rows under sections, subtotals between. The
# same months as months-across-expected.csv (one row per month).
def across_accounts():
    """Per month: the P&L accounts and the bank accounts, summing to the fields."""
    out = []
    for i, (m, r, c, o, cash, _cust) in enumerate(MONTHS):
        discounts = Decimal("-150.00") - i * Decimal("10")
        services = (r * Decimal("0.3")).quantize(Decimal("0.01"))
        sales = r - services - discounts
        freight = Decimal("1200.00") + i * 25
        materials = c - freight
        marketing = Decimal("5400.00") + i * 100
        depreciation = Decimal("850.00")
        rent = Decimal("9000.00")
        wages = o - marketing - depreciation - rent
        interest = Decimal("310.40") + i
        bank_fees = Decimal("95.10")
        savings = Decimal("100000.00") + i * 1000
        checking = cash - savings
        out.append(dict(
            month=m, sales=sales, services=services, discounts=discounts,
            materials=materials, freight=freight,
            marketing=marketing, wages=wages, depreciation=depreciation, rent=rent,
            interest=interest, bank_fees=bank_fees,
            checking=checking, savings=savings,
            revenue=r, cogs=c, opex=o, cash=cash,
            other_income=interest - bank_fees,
        ))
    return out


def qb_money(d):
    """QuickBooks writes 1,234.56 and negatives in parentheses."""
    s = f"{abs(d):,.2f}"
    return f"({s})" if d < 0 else s


def months_across():
    import csv
    acc = across_accounts()
    with open(path("months-across-expected.csv"), "w") as f:
        f.write("month,revenue,cogs,opex,sales_marketing,depreciation,other_income,cash_end\n")
        for a in acc:
            f.write(f"{a['month']},{a['revenue']},{a['cogs']},{a['opex']},{a['marketing']},"
                    f"{a['depreciation']},{a['other_income']},{a['cash']}\n")

    heads = [dt.date(int(a["month"][:4]), int(a["month"][5:]), 1).strftime("%b %Y") for a in acc]

    def line(label, key=None, total=True, indent=0):
        if key is None:
            return ["   " * indent + label] + [""] * (len(acc) + (1 if total else 0))
        vals = [a[key] if not callable(key) else key(a) for a in acc]
        row = ["   " * indent + label] + [qb_money(v) for v in vals]
        if total:
            row.append(qb_money(sum(vals)))
        return row

    pnl = [
        ["Tallo SA de CV"], ["Profit and Loss by Month"], ["January - June 2025"], [],
        [""] + heads + ["Total"],
        line("Income"),
        line("Sales", "sales", indent=1),
        line("Services", "services", indent=1),
        line("Discounts given", "discounts", indent=1),
        line("Total Income", "revenue"),
        line("Cost of Goods Sold"),
        line("Materials", "materials", indent=1),
        line("Freight In", "freight", indent=1),
        line("Total Cost of Goods Sold", "cogs"),
        line("Gross Profit", lambda a: a["revenue"] - a["cogs"]),
        line("Expenses"),
        line("Advertising & Marketing", "marketing", indent=1),
        line("Payroll Expenses", indent=1),
        line("Wages", "wages", indent=2),
        line("Total Payroll Expenses", "wages", indent=1),
        line("Depreciation Expense", "depreciation", indent=1),
        line("Rent & Lease", "rent", indent=1),
        line("Total Expenses", "opex"),
        line("Net Operating Income", lambda a: a["revenue"] - a["cogs"] - a["opex"]),
        line("Other Income"),
        line("Interest Earned", "interest", indent=1),
        line("Total Other Income", "interest"),
        line("Other Expenses"),
        line("Bank Charges", "bank_fees", indent=1),
        line("Total Other Expenses", "bank_fees"),
        line("Net Other Income", "other_income"),
        line("Net Income", lambda a: a["revenue"] - a["cogs"] - a["opex"] + a["other_income"]),
        [], ["Accrual basis Tuesday, July 1, 2025 09:14 AM GMT-06:00"],
    ]
    with open(path("pnl-by-month-qb.csv"), "w", newline="") as f:
        csv.writer(f).writerows(pnl)

    bs = [
        ["Tallo SA de CV"], ["Balance Sheet"], ["As of June 30, 2025"], [],
        [""] + heads,
        line("ASSETS", total=False),
        line("Current Assets", total=False, indent=1),
        line("Bank Accounts", total=False, indent=2),
        line("Checking", "checking", total=False, indent=3),
        line("Savings", "savings", total=False, indent=3),
        line("Total Bank Accounts", "cash", total=False, indent=2),
        line("Accounts Receivable", total=False, indent=2),
        line("Accounts Receivable (A/R)", lambda a: a["revenue"] / 2, total=False, indent=3),
        line("Total Accounts Receivable", lambda a: a["revenue"] / 2, total=False, indent=2),
        line("Total Current Assets", lambda a: a["cash"] + a["revenue"] / 2, total=False, indent=1),
        line("Fixed Assets", total=False, indent=1),
        line("Equipment", lambda a: Decimal("40000"), total=False, indent=2),
        line("Total Fixed Assets", lambda a: Decimal("40000"), total=False, indent=1),
        line("TOTAL ASSETS", lambda a: a["cash"] + a["revenue"] / 2 + 40000, total=False),
        line("LIABILITIES AND EQUITY", total=False),
        line("Liabilities", total=False, indent=1),
        line("Accounts Payable (A/P)", lambda a: a["cogs"] / 3, total=False, indent=2),
        line("Total Liabilities", lambda a: a["cogs"] / 3, total=False, indent=1),
        line("Equity", total=False, indent=1),
        line("Retained Earnings", lambda a: a["cash"] + a["revenue"] / 2 + 40000 - a["cogs"] / 3, total=False, indent=2),
        line("Total Equity", lambda a: a["cash"] + a["revenue"] / 2 + 40000 - a["cogs"] / 3, total=False, indent=1),
        line("TOTAL LIABILITIES AND EQUITY", lambda a: a["cash"] + a["revenue"] / 2 + 40000, total=False),
    ]
    with open(path("balance-by-month-qb.csv"), "w", newline="") as f:
        csv.writer(f).writerows(bs)

    # The same books as an accountant's Spanish workbook: two sheets, month
    # date cells, a Total column, Spanish sections and subtotals.
    from openpyxl import Workbook
    wb = Workbook()
    er = wb.active
    er.title = "Estado de resultados"
    er.append(["Tallo, S.A. de C.V."])
    er.append(["Estado de resultados del 1 de enero al 30 de junio de 2025 (MXN)"])
    er.append([])
    er.append(["Cuenta"] + [dt.date(int(a["month"][:4]), int(a["month"][5:]), 1) for a in acc] + ["TOTAL"])
    for col in range(2, 2 + len(acc)):
        er.cell(row=er.max_row, column=col).number_format = "mmm-yy"

    def add(ws, label, key=None, total=True):
        if key is None:
            ws.append([label])
            return
        vals = [a[key] if not callable(key) else key(a) for a in acc]
        ws.append([label] + [float(v) for v in vals] + ([float(sum(vals))] if total else []))

    add(er, "Ingresos")
    add(er, "    Ventas de productos", "sales")
    add(er, "    Servicios", "services")
    add(er, "    Descuentos sobre ventas", "discounts")
    add(er, "Total ingresos", "revenue")
    add(er, "Costo de ventas")
    add(er, "    Materiales", "materials")
    add(er, "    Fletes", "freight")
    add(er, "Total costo de ventas", "cogs")
    add(er, "Utilidad bruta", lambda a: a["revenue"] - a["cogs"])
    add(er, "Gastos de operación")
    add(er, "    Publicidad y mercadotecnia", "marketing")
    add(er, "    Sueldos y salarios", "wages")
    add(er, "    Depreciación", "depreciation")
    add(er, "    Renta", "rent")
    add(er, "Total gastos de operación", "opex")
    add(er, "Utilidad de operación", lambda a: a["revenue"] - a["cogs"] - a["opex"])
    add(er, "Otros ingresos")
    add(er, "    Intereses ganados", "interest")
    add(er, "Otros gastos")
    add(er, "    Comisiones bancarias", "bank_fees")
    add(er, "Utilidad neta", lambda a: a["revenue"] - a["cogs"] - a["opex"] + a["other_income"])

    bg = wb.create_sheet("Balance general")
    bg.append(["Tallo, S.A. de C.V."])
    bg.append(["Balance general mensual 2025"])
    bg.append(["Concepto"] + [f"{['Enero','Febrero','Marzo','Abril','Mayo','Junio'][i]} 2025" for i in range(len(acc))])
    add(bg, "Activo")
    add(bg, "  Activo circulante")
    add(bg, "    Bancos")
    add(bg, "      BBVA 0123", "checking", total=False)
    add(bg, "      Banorte inversión", "savings", total=False)
    add(bg, "    Total bancos", "cash", total=False)
    add(bg, "    Clientes", lambda a: a["revenue"] / 2, total=False)
    add(bg, "  Total activo circulante", lambda a: a["cash"] + a["revenue"] / 2, total=False)
    add(bg, "Total activo", lambda a: a["cash"] + a["revenue"] / 2, total=False)
    add(bg, "Pasivo")
    add(bg, "    Proveedores", lambda a: a["cogs"] / 3, total=False)
    add(bg, "Total pasivo", lambda a: a["cogs"] / 3, total=False)
    add(bg, "Capital contable")
    add(bg, "    Resultados acumulados", lambda a: a["cash"] + a["revenue"] / 2 - a["cogs"] / 3, total=False)
    add(bg, "Total capital contable", lambda a: a["cash"] + a["revenue"] / 2 - a["cogs"] / 3, total=False)
    wb.save(path("estados-financieros-es.xlsx"))

    # A Spanish CSV with ene-25 headers and decimal commas (1.234,56).
    def es_money(d):
        s = f"{abs(d):,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
        return f"-{s}" if d < 0 else s
    mes = ["ene", "feb", "mar", "abr", "may", "jun"]
    rows = [["Estado de resultados"], ["Cuenta"] + [f"{mes[i]}-25" for i in range(len(acc))]]
    for label, key in [("Ingresos", None), ("Ventas", "sales"), ("Servicios", "services"),
                       ("Descuentos", "discounts"), ("Costo de ventas", None), ("Materiales", "materials"),
                       ("Fletes", "freight"), ("Gastos de operación", None), ("Publicidad", "marketing"),
                       ("Sueldos", "wages"), ("Depreciación", "depreciation"), ("Renta", "rent"),
                       ("Otros ingresos", None), ("Intereses", "interest"), ("Otros gastos", None),
                       ("Comisiones bancarias", "bank_fees")]:
        rows.append([label] + ([""] * len(acc) if key is None else [es_money(a[key]) for a in acc]))
    with open(path("resultados-es.csv"), "w", newline="") as f:
        csv.writer(f).writerows(rows)


def broken_zip():
    with open(path("bad", "broken.xlsx"), "wb") as f:
        f.write(b"PK\x03\x04" + b"\x00" * 26 + b"not really a spreadsheet")


# ---------------------------------------------------------------- journals
# (date, description, [(account, amount or None)]) in USD; account names in
# hledger form; beancount names are derived.
TXNS = [
    ("2025-01-01", "Opening balances", [("assets:bank:checking", "25000.00"), ("equity:opening balances", None)]),
    ("2025-01-03", "Seed round", [("assets:bank:checking", "150000.00"), ("equity:capital", "-150000.00")]),
    ("2025-01-10", "Invoice 1001 paid", [("assets:bank:checking", "12000.00"), ("income:sales", None)]),
    ("2025-01-15", "Hosting", [("expenses:cogs:hosting", "1800.50"), ("assets:bank:checking", None)]),
    ("2025-01-28", "Payroll", [("expenses:payroll", "22000.00"), ("assets:bank:checking", None)]),
    ("2025-01-31", "Ads", [("expenses:marketing:ads", "3100.25"), ("assets:bank:checking", None)]),
    ("2025-01-31", "Depreciation", [("expenses:depreciation", "450.00"), ("assets:equipment", "-450.00")]),
    ("2025-02-05", "Consulting", [("assets:bank:checking", "8400.00"), ("income:services", "-8400.00")]),
    ("2025-02-12", "Invoice 1002 paid", [("assets:bank:checking", "14350.75"), ("income:sales", None)]),
    ("2025-02-15", "Hosting", [("expenses:cogs:hosting", "1910.00"), ("assets:bank:checking", None)]),
    ("2025-02-20", "Bank loan", [("assets:bank:checking", "40000.00"), ("liabilities:loans:bank", None)]),
    ("2025-02-28", "Payroll", [("expenses:payroll", "22000.00"), ("assets:bank:checking", None)]),
    ("2025-02-28", "Interest earned", [("assets:bank:checking", "35.10"), ("income:other:interest", None)]),
    ("2025-02-28", "Depreciation", [("expenses:depreciation", "450.00"), ("assets:equipment", "-450.00")]),
    # March: nothing at all (a month without postings is 0, cash carried).
    ("2025-04-02", "Invoice 1003 paid", [("assets:bank:checking", "18200.00"), ("income:sales", None)]),
    ("2025-04-10", "Loan repayment", [("liabilities:loans:bank", "5000.00"), ("assets:bank:checking", None)]),
    ("2025-04-15", "Hosting", [("expenses:cogs:hosting", "2050.30"), ("assets:bank:checking", None)]),
    ("2025-04-28", "Payroll", [("expenses:payroll", "24500.00"), ("assets:bank:checking", None)]),
    ("2025-04-29", "Sales commission", [("expenses:sales:commissions", "910.00"), ("assets:bank:checking", None)]),
    ("2025-04-30", "Rent", [("expenses:rent", "3500.00"), ("assets:cash", "-3500.00")]),
    ("2025-04-30", "Cash withdrawal", [("assets:cash", "4000.00"), ("assets:bank:checking", "-4000.00")]),
]
EUR_TXN = ("2025-02-18", "EU customer, paid in euros", [("assets:bank:eur", "900.00"), ("income:sales", "-900.00")])


def bean_account(a):
    parts = []
    for p in a.split(":"):
        words = p.replace("-", " ").split()
        parts.append("-".join(w[:1].upper() + w[1:] for w in words))
    return ":".join(parts)


def hledger_journal():
    out = ["; Books of Tallo Labs, kept in hledger. Generated by scripts/gen-import-fixtures.py.", ""]
    for date, desc, posts in TXNS[:15] + [EUR_TXN] + TXNS[15:]:
        out.append(f"{date} {desc}")
        cur = "EUR" if posts is EUR_TXN[2] else None
        for acct, amt in posts:
            if amt is None:
                out.append(f"    {acct}")
            elif cur:
                out.append(f"    {acct}    {amt} EUR")
            else:
                out.append(f"    {acct}    ${amt}")
        out.append("")
    with open(path("company.journal"), "w") as f:
        f.write("\n".join(out))
    # A transaction that does not balance.
    with open(path("bad", "unbalanced.journal"), "w") as f:
        f.write("2025-01-10 Sale\n    assets:bank:checking    $1000.00\n    income:sales    $-990.00\n")


def beancount_journal():
    accounts = sorted({bean_account(a) for _, _, p in TXNS for a, _ in p})
    out = ['option "title" "Tallo Labs"', 'option "operating_currency" "USD"', ""]
    for a in accounts:
        out.append(f"2024-12-31 open {a}")
    out.append("")
    for date, desc, posts in TXNS:
        out.append(f'{date} * "{desc}"')
        for acct, amt in posts:
            if amt is None:
                out.append(f"  {bean_account(acct)}")
            else:
                out.append(f"  {bean_account(acct)}  {amt} USD")
        out.append("")
    with open(path("company.beancount"), "w") as f:
        f.write("\n".join(out))


# ---------------------------------------------------------------- CFDI
RFC = "TLA010101AB1"
NS = (
    'xmlns:cfdi="http://www.sat.gob.mx/cfd/4" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
)
SCHEMA = 'xsi:schemaLocation="http://www.sat.gob.mx/cfd/4 http://www.sat.gob.mx/sitio_internet/cfd/4/cfdv40.xsd"'
PAGOS_SCHEMA = (
    'xsi:schemaLocation="http://www.sat.gob.mx/cfd/4 http://www.sat.gob.mx/sitio_internet/cfd/4/cfdv40.xsd '
    'http://www.sat.gob.mx/Pagos20 http://www.sat.gob.mx/sitio_internet/cfd/Pagos/Pagos20.xsd"'
)


def tfd(uuid, when):
    return (
        '<tfd:TimbreFiscalDigital xmlns:tfd="http://www.sat.gob.mx/TimbreFiscalDigital" '
        'xsi:schemaLocation="http://www.sat.gob.mx/TimbreFiscalDigital '
        'http://www.sat.gob.mx/sitio_internet/cfd/TimbreFiscalDigital/TimbreFiscalDigitalv11.xsd" '
        f'Version="1.1" UUID="{uuid}" FechaTimbrado="{when}" RfcProvCertif="SAT970701NN3" '
        'SelloCFD="c2VsbG8=" NoCertificadoSAT="00001000000509846663" SelloSAT="c2VsbG9TQVQ="/>'
    )


def comprobante(kind, uuid, fecha, total, issuer, receiver, receiver_name, serie=None, folio=None,
                moneda="MXN", tipo_cambio=None, metodo="PPD", condiciones=None, relacionados=None,
                complemento="", concept="Servicio de software"):
    subtotal = (Decimal(total) / Decimal("1.16")).quantize(Decimal("0.01")) if kind in "IE" else Decimal("0")
    iva = (Decimal(total) - subtotal) if kind in "IE" else Decimal("0")
    attrs = [
        'Version="4.0"',
        f'Serie="{serie}"' if serie else None,
        f'Folio="{folio}"' if folio else None,
        f'Fecha="{fecha}"',
        'Sello="c2VsbG8="',
        'FormaPago="99"' if kind in "IE" else None,
        'NoCertificado="30001000000500003416"',
        'Certificado="Y2VydA=="',
        f'CondicionesDePago="{condiciones}"' if condiciones else None,
        f'SubTotal="{subtotal if kind in "IE" else "0"}"',
        f'Moneda="{moneda if kind in "IE" else "XXX"}"',
        f'TipoCambio="{tipo_cambio}"' if tipo_cambio else None,
        f'Total="{total if kind in "IE" else "0"}"',
        f'TipoDeComprobante="{kind}"',
        'Exportacion="01"',
        f'MetodoPago="{metodo}"' if kind in "IE" else None,
        'LugarExpedicion="06600"',
    ]
    head = f'<cfdi:Comprobante {NS}{PAGOS_SCHEMA if kind == "P" else SCHEMA} ' + " ".join(a for a in attrs if a) + ">"
    rel = ""
    if relacionados:
        tipo, uuids = relacionados
        rel = f'<cfdi:CfdiRelacionados TipoRelacion="{tipo}">' + "".join(
            f'<cfdi:CfdiRelacionado UUID="{u}"/>' for u in uuids) + "</cfdi:CfdiRelacionados>"
    emisor = f'<cfdi:Emisor Rfc="{issuer}" Nombre="{"TALLO LABS" if issuer == RFC else "PROVEEDOR"}" RegimenFiscal="601"/>'
    receptor = (f'<cfdi:Receptor Rfc="{receiver}" Nombre="{receiver_name}" DomicilioFiscalReceptor="06600" '
                f'RegimenFiscalReceptor="601" UsoCFDI="{"CP01" if kind == "P" else "G03"}"/>')
    if kind == "P":
        conceptos = ('<cfdi:Conceptos><cfdi:Concepto ClaveProdServ="84111506" Cantidad="1" ClaveUnidad="ACT" '
                     'Descripcion="Pago" ValorUnitario="0" Importe="0" ObjetoImp="01"/></cfdi:Conceptos>')
        impuestos = ""
    else:
        conceptos = (f'<cfdi:Conceptos><cfdi:Concepto ClaveProdServ="81112100" Cantidad="1" ClaveUnidad="E48" '
                     f'Descripcion="{concept}" ValorUnitario="{subtotal}" Importe="{subtotal}" ObjetoImp="02">'
                     f'<cfdi:Impuestos><cfdi:Traslados><cfdi:Traslado Base="{subtotal}" Impuesto="002" '
                     f'TipoFactor="Tasa" TasaOCuota="0.160000" Importe="{iva}"/></cfdi:Traslados></cfdi:Impuestos>'
                     '</cfdi:Concepto></cfdi:Conceptos>')
        impuestos = (f'<cfdi:Impuestos TotalImpuestosTrasladados="{iva}"><cfdi:Traslados>'
                     f'<cfdi:Traslado Base="{subtotal}" Impuesto="002" TipoFactor="Tasa" TasaOCuota="0.160000" '
                     f'Importe="{iva}"/></cfdi:Traslados></cfdi:Impuestos>')
    comp = "<cfdi:Complemento>" + complemento + (tfd(uuid, fecha) if uuid else "") + "</cfdi:Complemento>"
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + head + rel + emisor + receptor + conceptos + impuestos + comp + "</cfdi:Comprobante>\n"


def pagos(pagos_list):
    """pagos_list: [(fecha, [(uuid, saldo_ant, pagado, parcialidad)])]"""
    total = sum(Decimal(p) for _, docs in pagos_list for _, _, p, _ in docs)
    out = ('<pago20:Pagos xmlns:pago20="http://www.sat.gob.mx/Pagos20" Version="2.0">'
           f'<pago20:Totales MontoTotalPagos="{total}"/>')
    for fecha, docs in pagos_list:
        monto = sum(Decimal(p) for _, _, p, _ in docs)
        out += f'<pago20:Pago FechaPago="{fecha}" FormaDePagoP="03" MonedaP="MXN" TipoCambioP="1" Monto="{monto}">'
        for uuid, saldo, pagado, n in docs:
            insoluto = Decimal(saldo) - Decimal(pagado)
            out += (f'<pago20:DoctoRelacionado IdDocumento="{uuid}" MonedaDR="MXN" EquivalenciaDR="1" '
                    f'NumParcialidad="{n}" ImpSaldoAnt="{saldo}" ImpPagado="{pagado}" '
                    f'ImpSaldoInsoluto="{insoluto}" ObjetoImpDR="01"/>')
        out += "</pago20:Pago>"
    return out + "</pago20:Pagos>"


U = {
    "a101": "5E2D6A0B-1C1F-4C1A-9D3E-0A1B2C3D4E01",
    "a102": "5E2D6A0B-1C1F-4C1A-9D3E-0A1B2C3D4E02",
    "a103": "5E2D6A0B-1C1F-4C1A-9D3E-0A1B2C3D4E03",
    "a104": "5E2D6A0B-1C1F-4C1A-9D3E-0A1B2C3D4E04",
    "usd1": "5E2D6A0B-1C1F-4C1A-9D3E-0A1B2C3D4E05",
    "nota": "5E2D6A0B-1C1F-4C1A-9D3E-0A1B2C3D4E06",
    "pag1": "5E2D6A0B-1C1F-4C1A-9D3E-0A1B2C3D4E07",
    "pag2": "5E2D6A0B-1C1F-4C1A-9D3E-0A1B2C3D4E08",
    "recv": "5E2D6A0B-1C1F-4C1A-9D3E-0A1B2C3D4E09",
    "nofolio": "5E2D6A0B-1C1F-4C1A-9D3E-0A1B2C3D4E0A",
}


def cfdi():
    shutil.rmtree(os.path.dirname(path("cfdi", "x")))
    w = lambda name, text: open(path("cfdi", "ok", name), "w").write(text)
    # Invoices (PPD, paid later by payment complements).
    w("emitidas/2025-01/A-101.xml", comprobante("I", U["a101"], "2025-01-10T10:15:00", "11600.00", RFC, "CLI850101AAA",
                                               "Comercializadora del Norte", "A", "101", condiciones="30 días"))
    w("emitidas/2025-01/A-102.xml", comprobante("I", U["a102"], "2025-01-20T09:00:00", "58000.00", RFC, "RES900202BBB",
                                               "Restaurantes La Ceiba", "A", "102", condiciones="Crédito a 45 días"))
    w("emitidas/2025-02/A-103.xml", comprobante("I", U["a103"], "2025-02-03T12:30:00", "23200.00", RFC, "CLI850101AAA",
                                               "Comercializadora del Norte", "A", "103", condiciones="Contado"))
    # Paid at once.
    w("emitidas/2025-02/A-104.xml", comprobante("I", U["a104"], "2025-02-14T16:45:00", "4640.00", RFC, "FAR700303CCC",
                                               "Farmacias Sol", "A", "104", metodo="PUE"))
    # In US dollars, converted with its TipoCambio.
    w("emitidas/2025-02/USD-7.xml", comprobante("I", U["usd1"], "2025-02-20T08:00:00", "1160.00", RFC, "XEXX010101000",
                                               "Acme Corp", None, "7", moneda="USD", tipo_cambio="17.2345",
                                               condiciones="60"))
    # No Serie, no Folio: numbered by its UUID; the receptor's name empty: its RFC.
    w("emitidas/2025-02/sin-folio.xml", comprobante("I", U["nofolio"], "2025-02-25T11:00:00", "3480.00", RFC,
                                                   "GEN990909DDD", ""))
    # A credit note for A-102 (discount of 5,800).
    w("emitidas/2025-02/NC-1.xml", comprobante("E", U["nota"], "2025-02-10T10:00:00", "5800.00", RFC, "RES900202BBB",
                                              "Restaurantes La Ceiba", "NC", "1", metodo="PUE",
                                              relacionados=("01", [U["a102"]]), concept="Descuento"))
    # Payments: A-101 paid in full; A-102 in two partial payments (after the credit note 52,200 is due).
    w("pagos/P-1.xml", comprobante("P", U["pag1"], "2025-02-12T13:00:00", "0", RFC, "CLI850101AAA",
                                  "Comercializadora del Norte", "P", "1",
                                  complemento=pagos([("2025-02-11T12:00:00", [(U["a101"], "11600.00", "11600.00", 1)])])))
    w("pagos/P-2.xml", comprobante("P", U["pag2"], "2025-03-16T13:00:00", "0", RFC, "RES900202BBB",
                                  "Restaurantes La Ceiba", "P", "2",
                                  complemento=pagos([("2025-03-01T12:00:00", [(U["a102"], "52200.00", "20000.00", 1)]),
                                                     ("2025-03-15T12:00:00", [(U["a102"], "32200.00", "12200.00", 2)])])))
    # A CFDI the company received (a supplier's invoice): skipped.
    w("recibidas/proveedor.xml", comprobante("I", U["recv"], "2025-02-01T09:00:00", "2320.00", "PRO800808EEE", RFC,
                                            "TALLO LABS", "F", "900"))

    # Bad sets: each a folder with one good invoice and one bad file.
    good = comprobante("I", U["a101"], "2025-01-10T10:15:00", "11600.00", RFC, "CLI850101AAA",
                       "Comercializadora del Norte", "A", "101")
    bad = {
        "no-uuid": comprobante("I", None, "2025-01-11T10:00:00", "500.00", RFC, "CLI850101AAA", "X", "A", "900"),
        "external-entity": ('<?xml version="1.0"?>\n<!DOCTYPE cfdi:Comprobante [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
                            + comprobante("I", U["a102"], "2025-01-11T10:00:00", "500.00", RFC, "CLI850101AAA",
                                          "&xxe;", "A", "901").split("\n", 1)[1]),
        "overpaid": comprobante("P", U["pag1"], "2025-02-12T13:00:00", "0", RFC, "CLI850101AAA", "X", "P", "9",
                                complemento=pagos([("2025-02-11T12:00:00", [(U["a101"], "11600.00", "12000.00", 1)])])),
        "unknown-payment": comprobante("P", U["pag1"], "2025-02-12T13:00:00", "0", RFC, "CLI850101AAA", "X", "P", "9",
                                       complemento=pagos([("2025-02-11T12:00:00",
                                                           [("00000000-0000-0000-0000-000000000000", "1.00", "1.00", 1)])])),
        "duplicate-uuid": good,
        "malformed": good.replace("</cfdi:Comprobante>", ""),
        "no-exchange-rate": comprobante("I", U["usd1"], "2025-02-20T08:00:00", "1160.00", RFC, "XEXX010101000",
                                        "Acme Corp", None, "7", moneda="USD"),
    }
    for name, text in bad.items():
        with open(path("cfdi", "bad", name, "good.xml"), "w") as f:
            f.write(good)
        with open(path("cfdi", "bad", name, "bad.xml"), "w") as f:
            f.write(text)


def check(cmd):
    if shutil.which(cmd[0]):
        subprocess.run(cmd, check=True)
        print("checked:", " ".join(cmd))


if __name__ == "__main__":
    os.makedirs(ROOT, exist_ok=True)
    canonical_csv()
    xlsx()
    ods()
    spanish_csv()
    months_across()
    broken_zip()
    hledger_journal()
    beancount_journal()
    cfdi()
    check(["hledger", "-f", path("company.journal"), "check"])
    check(["bean-check", path("company.beancount")])
