#!/usr/bin/env python3
"""Generates demo-data/: three companies, 30 months each (2024-05 .. 2026-10),
internally consistent: customers_end = previous + new - churned; cash moves with
results (cash = previous + net income + depreciation + financing - change in
receivables, receivables computed from the invoices themselves).

Deterministic (fixed seed); exact decimals. Run: python3 scripts/gen-demo-data.py
"""
import csv
import datetime as dt
import random
from decimal import Decimal, ROUND_HALF_EVEN
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "demo-data"
MONTHS = [(2024 + (4 + i) // 12, (4 + i) % 12 + 1) for i in range(30)]  # 2024-05 .. 2026-10
AS_OF = dt.date(2026, 10, 31)
C = Decimal("0.01")


def q(x):
    return Decimal(x).quantize(C, rounding=ROUND_HALF_EVEN)


def mkey(y, m):
    return f"{y:04d}-{m:02d}"


def month_end(y, m):
    nxt = dt.date(y + (m // 12), m % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def open_at(inv, x):
    if inv["issue"] > x:
        return Decimal(0)
    paid = inv["paid"] if inv["paid_date"] and inv["paid_date"] <= x else Decimal(0)
    return inv["amount"] - paid


def ar_at(invoices, x):
    return sum((open_at(i, x) for i in invoices), Decimal(0))


def write(company, profile, fin, products, invoices):
    d = ROOT / company
    d.mkdir(parents=True, exist_ok=True)
    (d / "company.toml").write_text("".join(f'{k} = {v!r}\n'.replace("'", '"') if isinstance(v, str) else f"{k} = {v}\n" for k, v in profile.items()), encoding="utf-8")
    cols = ["month", "revenue", "cogs", "opex", "sales_marketing", "depreciation", "other_income", "financing",
            "cash_end", "customers_new", "customers_churned", "customers_end"]
    with open(d / "financials.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(cols)
        for r in fin:
            w.writerow(["" if r.get(c) is None else r[c] for c in cols])
    with open(d / "products.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["sku", "name", "unit_price", "unit_cost", "monthly_units", "fixed_costs"])
        for p in products:
            w.writerow(p)
    with open(d / "invoices.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["number", "customer", "issue_date", "due_date", "amount", "paid_amount", "paid_date"])
        for i in invoices:
            w.writerow([i["number"], i["customer"], i["issue"].isoformat(), i["due"].isoformat(), i["amount"],
                        i["paid"] if i["paid_date"] else "0", i["paid_date"].isoformat() if i["paid_date"] else ""])


def settle(inv, late_days, rng, partial_chance=0.0):
    """Payment on due + late_days (+ noise); unpaid when that is after the as-of day."""
    pay = inv["due"] + dt.timedelta(days=max(-5, int(late_days + rng.gauss(0, 4))))
    if pay < inv["issue"]:
        pay = inv["issue"]
    if pay <= AS_OF:
        inv["paid"], inv["paid_date"] = inv["amount"], pay
    elif rng.random() < partial_chance and inv["due"] <= AS_OF:
        part_day = min(AS_OF, inv["due"] + dt.timedelta(days=rng.randint(0, 20)))
        inv["paid"], inv["paid_date"] = q(inv["amount"] / 2), part_day
    else:
        inv["paid"], inv["paid_date"] = Decimal(0), None


def build(company, profile, rows, invoices, products, start_cash, customers=True):
    """rows: per month dict with revenue, cogs, opex, sm, dep, oi, fin (+ customer counts)."""
    fin = []
    cash = start_cash
    # Receivables opened before the first month are already in the opening cash.
    y0, m0 = MONTHS[0]
    prev_ar = ar_at(invoices, dt.date(y0, m0, 1) - dt.timedelta(days=1))
    for (y, m), r in zip(MONTHS, rows):
        ar = ar_at(invoices, month_end(y, m))
        ni = r["revenue"] - r["cogs"] - r["opex"] + r["oi"]
        cash = cash + ni + r["dep"] + (r["fin"] or 0) - (ar - prev_ar)
        prev_ar = ar
        fin.append({
            "month": mkey(y, m), "revenue": r["revenue"], "cogs": r["cogs"], "opex": r["opex"],
            "sales_marketing": r["sm"], "depreciation": r["dep"], "other_income": r["oi"], "financing": r["fin"],
            "cash_end": q(cash),
            "customers_new": r.get("new") if customers else None,
            "customers_churned": r.get("churned") if customers else None,
            "customers_end": r.get("end") if customers else None,
        })
    write(company, profile, fin, products, invoices)


def saas():
    rng = random.Random(11)
    rows, invoices = [], []
    customers = 42
    enterprise = ["Grupo Altamira", "Logística Pacífico", "Farmacias del Valle", "Constructora Sierra Madre",
                  "Hoteles Brisa", "Banco Comunal del Norte", "Colegio Montessori Sur", "AgroExport Bajío",
                  "Clínica San Rafael", "Transportes Águila"]
    late = {n: rng.choice([0, 0, 3, 8, 20, 45]) for n in enterprise}
    late["Constructora Sierra Madre"] = 75
    late["Hoteles Brisa"] = 38
    n = 1
    for i, (y, m) in enumerate(MONTHS):
        new = int(7 + i * 0.9 + rng.randint(-2, 3))
        churned = max(0, int(round(customers * (0.032 + rng.uniform(-0.01, 0.012)))))
        end = customers + new - churned
        arpa = Decimal(430) + Decimal(i) * Decimal("4.5")
        revenue = q(Decimal(customers + end) / 2 * arpa)
        cogs = q(revenue * Decimal("0.21") + Decimal(rng.randint(-800, 800)))
        opex = q(Decimal(85000) + Decimal(i) * Decimal(6800) + Decimal(rng.randint(-2500, 2500)))
        sm = q(opex * Decimal("0.5"))
        fin = Decimal(0)
        if (y, m) == (2024, 6):
            fin = Decimal(1800000)
        if (y, m) == (2025, 9):
            fin = Decimal(1500000)
        rows.append({"revenue": revenue, "cogs": cogs, "opex": opex, "sm": sm, "dep": Decimal("1450.00"),
                     "oi": Decimal("-320.00"), "fin": fin, "new": new, "churned": churned, "end": end})
        customers = end
        issue = dt.date(y, m, 1)
        for name in enterprise[: 4 + min(6, i // 4)]:
            amt = q(Decimal(rng.randint(900, 4200)) + Decimal(rng.randint(0, 99)) / 100)
            inv = {"number": f"TA-{n:05d}", "customer": name, "issue": issue,
                   "due": issue + dt.timedelta(days=30), "amount": amt}
            settle(inv, late[name], rng, 0.2)
            invoices.append(inv)
            n += 1
    products = [
        ["ADD-API", "Paquete API adicional", "99.00", "12.50", "85", "1200.00"],
        ["PLAN-GROWTH", "Plan Growth (mensual)", "199.00", "31.00", "310", "6000.00"],
        ["PLAN-SCALE", "Plan Scale (mensual)", "890.00", "148.00", "64", "9000.00"],
        ["PLAN-STARTER", "Plan Starter (mensual)", "49.00", "8.20", "140", "2500.00"],
        ["SRV-ONBOARD", "Implementación asistida", "1500.00", "1180.00", "6", "0"],
    ]
    build("saas", {"name": "Tallo Analytics", "industry": "SaaS (software de analítica)", "currency": "USD",
                   "fiscal_year_start": 1, "locale": "es-MX"}, rows, invoices, products, Decimal("420000.00"))


def restaurant():
    rng = random.Random(22)
    rows, invoices = [], []
    season = {1: 0.86, 2: 0.9, 3: 0.97, 4: 0.98, 5: 1.0, 6: 1.02, 7: 1.03, 8: 1.0, 9: 0.98, 10: 1.01, 11: 1.06, 12: 1.28}
    clients = ["Oficinas Torre Colpatria", "Universidad del Rosario (eventos)", "Banco de Occidente - Sede Norte",
               "Fundación Semillas", "Agencia Creativa Mandala", "Clínica del Country"]
    late = {c: rng.choice([0, 2, 10, 25]) for c in clients}
    n = 1
    for i, (y, m) in enumerate(MONTHS):
        base = Decimal(168_000_000) * Decimal(1 + i * 0.004)
        revenue = q(base * Decimal(str(season[m])) + Decimal(rng.randint(-2_500_000, 2_500_000)))
        cogs = q(revenue * Decimal(str(round(0.345 + rng.uniform(-0.008, 0.008), 4))))
        opex = q(Decimal(99_000_000) + revenue * Decimal("0.05") + Decimal(rng.randint(-1_500_000, 1_500_000)))
        sm = q(revenue * Decimal("0.018"))
        rows.append({"revenue": revenue, "cogs": cogs, "opex": opex, "sm": sm, "dep": Decimal("2650000.00"),
                     "oi": Decimal("-1850000.00"), "fin": Decimal("-3200000.00")})
        for k in range(rng.randint(2, 5)):
            c = rng.choice(clients)
            issue = dt.date(y, m, rng.randint(1, 26))
            amt = q(Decimal(rng.randint(18, 95)) * Decimal(38000))
            inv = {"number": f"FE-{n:04d}", "customer": c, "issue": issue, "due": issue + dt.timedelta(days=15),
                   "amount": amt}
            settle(inv, late[c], rng)
            invoices.append(inv)
            n += 1
    products = [
        ["BEB-CAFE", "Café de origen", "4500.00", "900.00", "5200", "1800000.00"],
        ["BEB-JUGO", "Jugo natural", "7000.00", "2200.00", "3100", "900000.00"],
        ["CAT-PERS", "Catering corporativo (por persona)", "38000.00", "24500.00", "420", "3500000.00"],
        ["MENU-DIA", "Menú del día", "18000.00", "10400.00", "2600", "12500000.00"],
        ["PLATO-AJIACO", "Ajiaco santafereño", "28000.00", "11200.00", "980", "4200000.00"],
        ["PLATO-BANDEJA", "Bandeja paisa", "32000.00", "14600.00", "1150", "5100000.00"],
        ["POSTRE", "Postre de la casa", "9000.00", "3800.00", "1400", "600000.00"],
        ["PROMO-2X1", "Promoción 2x1 martes", "16000.00", "17400.00", "640", "0"],
    ]
    build("restaurant", {"name": "Sazón de Barrio", "industry": "Restaurante y catering", "currency": "COP",
                         "fiscal_year_start": 1, "locale": "es-CO"}, rows, invoices, products,
          Decimal("95000000.00"), customers=False)


def distributor():
    rng = random.Random(33)
    rows, invoices = [], []
    names = ["Abarrotes La Esperanza", "Tienda Don Chuy", "Minisúper El Sol", "Comercial Hermanos Ruiz",
             "Cremería La Vaquita", "Super Mercado Lupita", "Misceláneas Tere", "Abarrotera del Norte",
             "Tiendas Garza", "Depósito San Nicolás", "Mayoreo Cumbres", "Frutería Los Pinos",
             "Comercializadora Anáhuac", "Super Siete Linderos", "Abastos Guadalupe", "La Central de Apodaca",
             "Distribuidora Mitras", "Oxxito Contry", "Abarrotes Sofi", "El Granero de Escobedo",
             "Tienda Doña Mary", "Comercial Santa Catarina", "Súper Económico", "Abarrotes Villa de García",
             "Tienda La Estrella", "Mercadito Juárez", "Provisiones Linares", "Súper Cadereyta",
             "Abarrotes El Faro", "Comercial San Pedro", "Tienda Los Ángeles", "Bodega Allende",
             "Abarrotes Colonial", "Super La Fe", "Tienda Montemorelos", "Cremería Sabinas",
             "Comercial García", "Abarrotes Real", "Mini Súper Pesquería", "Tienda Anita",
             "Abarrotes Zuazua", "Súper Salinas Victoria", "Tienda El Carmen", "Comercial Hidalgo",
             "Abarrotes Ciénega", "Mini Súper Benito Juárez", "Tienda La Huasteca", "Comercial Santiago",
             "Abarrotes Marín", "Súper Higueras", "Tienda Dulces Nombres", "Comercial Ramos Arizpe"]
    profile_late = [0, 5, 12, 20, 35, 50, 75, 110]
    late = {c: rng.choice(profile_late) for c in names}
    late["Comercial Hermanos Ruiz"] = 140  # the one that stopped paying
    late["Tiendas Garza"] = 95
    active = names[:28]
    pool = names[28:]
    n = 1
    pre = [(2024, 1), (2024, 2), (2024, 3), (2024, 4)]  # invoices only: receivables open at the start
    for i, (y, m) in enumerate(pre + MONTHS):
        i -= len(pre)
        new_names = []
        for _ in range(rng.choice([0, 0, 1, 1, 1]) if i >= 0 else 0):
            if pool:
                new_names.append(pool.pop(0))
        churn_names = [c for c in active if rng.random() < 0.02][:2] if i >= 0 else []
        start = len(active)
        active = [c for c in active if c not in churn_names] + new_names
        revenue = q(Decimal(2_350_000) * Decimal(str(round(1 + i * 0.011 + rng.uniform(-0.03, 0.03), 4))))
        cogs = q(revenue * Decimal(str(round(0.79 + rng.uniform(-0.006, 0.006), 4))))
        opex = q(Decimal(455_000) + Decimal(i) * Decimal(2500) + Decimal(rng.randint(-9000, 9000)))
        sm = q(revenue * Decimal("0.028"))
        fin = Decimal(0)
        if (y, m) in [(2025, 2), (2026, 3)]:
            fin = Decimal(600_000)  # credit line drawn for inventory
        if (y, m) in [(2025, 8), (2025, 11)]:
            fin = Decimal(-300_000)
        if i >= 0:
            rows.append({"revenue": revenue, "cogs": cogs, "opex": opex, "sm": sm, "dep": Decimal("18500.00"),
                         "oi": Decimal("-24500.00"), "fin": fin, "new": len(new_names),
                         "churned": len(churn_names), "end": start - len(churn_names) + len(new_names)})
        # Every sale is on credit: the month's invoices add up to its revenue exactly.
        count = 3 * len(active)
        weights = [rng.uniform(0.3, 1.7) for _ in range(count)]
        total_w = sum(weights)
        amounts = [q(revenue * Decimal(str(w / total_w))) for w in weights]
        amounts[-1] = revenue - sum(amounts[:-1])
        for k, amt in enumerate(amounts):
            c = active[k % len(active)]
            issue = dt.date(y, m, rng.randint(1, month_end(y, m).day))
            terms = 30 if k % 3 else 45
            inv = {"number": f"RB-{y % 100:02d}{m:02d}-{k + 1:03d}", "customer": c, "issue": issue,
                   "due": issue + dt.timedelta(days=terms), "amount": amt}
            settle(inv, late[c], rng, 0.25)
            invoices.append(inv)
            n += 1
    products = [
        ["ACE-1L-12", "Aceite vegetal 1 L (caja 12)", "412.00", "356.00", "2600", "52000.00"],
        ["ARZ-25KG", "Arroz súper extra 25 kg", "585.00", "507.00", "1450", "38000.00"],
        ["AZC-50KG", "Azúcar estándar 50 kg", "1090.00", "968.00", "820", "41000.00"],
        ["DET-10KG", "Detergente en polvo 10 kg", "318.00", "249.00", "1100", "26000.00"],
        ["FRJ-25KG", "Frijol pinto 25 kg", "905.00", "786.00", "760", "30000.00"],
        ["HAR-44KG", "Harina de trigo 44 kg", "760.00", "702.00", "640", "45000.00"],
    ]
    build("distributor", {"name": "Distribuidora Río Bravo", "industry": "Distribución mayorista de abarrotes",
                          "currency": "MXN", "fiscal_year_start": 1, "locale": "es-MX"}, rows, invoices, products,
          Decimal("1850000.00"))


if __name__ == "__main__":
    saas()
    restaurant()
    distributor()
