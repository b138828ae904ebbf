//! Money in several currencies against an independent oracle: a generated
//! company invoicing in dollars and euros, booked, revalued at month ends
//! and paid at other rates, written both as Katalis inputs (a rates CSV, an
//! invoices CSV with `currency`, `fx_rate`, `paid_fx_rate`) and as an hledger
//! journal with a `P` line per published rate. `katalis fx exposure` must
//! equal `hledger balance --gain` (unrealised) and the realised gains what
//! hledger infers from the costs (`@@`) month by month, on every store.

mod common;

use chrono::{Datelike, Days, NaiveDate, Weekday};
use common::{katalis, refused, stdout_ok};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::str::FromStr;

/// A small deterministic generator (no dependency, same numbers every run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn cents(x: Decimal) -> Decimal {
    x.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointNearestEven)
}

/// Creates `company` in `currency` from the financials at `fin`.
fn create(url: &str, company: &str, currency: &str, fin: &str) {
    stdout_ok(&katalis(
        url,
        &[
            "import",
            "financials",
            fin,
            "--company",
            company,
            "--create",
            "--currency",
            currency,
        ],
    ));
}

/// Writes `text` to `name` in `dir`: its path.
fn put(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_owned()
}

/// Money as the JSON writes it: cents, two decimals always.
fn money(x: Decimal) -> String {
    let mut v = cents(x);
    v.rescale(2);
    v.to_string()
}

/// Published rates of one currency in pesos: each weekday but a few holidays,
/// a random walk with 4 decimals.
fn published(g: &mut Lcg, start: Decimal, from: NaiveDate, to: NaiveDate) -> BTreeMap<NaiveDate, Decimal> {
    let mut out = BTreeMap::new();
    let mut rate = start;
    let mut day = from;
    while day <= to {
        let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
        if !weekend && g.below(20) != 0 {
            let step = Decimal::new(g.below(2001) as i64 - 1000, 4) / Decimal::from(10);
            rate = (rate + step).round_dp(4);
            out.insert(day, rate);
        }
        day = day + Days::new(1);
    }
    out
}

/// The rate on or before `day` (the generator's own table).
fn on(rates: &BTreeMap<NaiveDate, Decimal>, day: NaiveDate) -> Decimal {
    *rates.range(..=day).next_back().expect("a rate before").1
}

struct Generated {
    rates_csv: String,
    invoices_csv: String,
    journal: String,
}

/// Invoices in USD, EUR and pesos over 2023-01..2024-06.
fn generate(seed: u64) -> Generated {
    let mut g = Lcg(seed);
    let (from, to) = (d("2023-01-02"), d("2024-06-30"));
    let usd = published(&mut g, Decimal::new(18_5000, 4), from, to);
    let eur = published(&mut g, Decimal::new(20_1000, 4), from, to);
    let mut rates_csv = String::from("date,base,quote,rate\n");
    let mut journal = String::from("commodity 1000.00 MXN\ncommodity 1000.00 USD\ncommodity 1000.00 EUR\n\n");
    for (code, table) in [("USD", &usd), ("EUR", &eur)] {
        for (day, r) in table {
            writeln!(rates_csv, "{day},{code},MXN,{r}").unwrap();
            writeln!(journal, "P {day} {code} {r} MXN").unwrap();
        }
    }
    journal.push('\n');
    let mut invoices_csv = String::from(
        "number,customer,issue_date,due_date,amount,paid_amount,paid_date,currency,fx_rate,paid_fx_rate\n",
    );
    let mut txns: Vec<(NaiveDate, String)> = Vec::new();
    for n in 0..90 {
        let issue = from + Days::new(3 + g.below(530));
        let due = issue + Days::new(30);
        let amount = Decimal::new(10_000 + g.below(2_000_000) as i64, 2);
        let (code, table) = match g.below(4) {
            0 | 1 => ("USD", Some(&usd)),
            2 => ("EUR", Some(&eur)),
            _ => ("MXN", None),
        };
        let number = format!("F-{n:03}");
        // Paid in full, in part, or not at all; some after the period.
        let paid_day = issue + Days::new(5 + g.below(120));
        let (paid, paid_date) = match g.below(8) {
            0..=4 if paid_day <= to => (amount, Some(paid_day)),
            5 if paid_day <= to => (cents(amount * Decimal::new(g.below(90) as i64 + 5, 2)), Some(paid_day)),
            _ => (Decimal::ZERO, None),
        };
        let Some(table) = table else {
            // In pesos: no currency at all (no gain, no exposure).
            writeln!(
                invoices_csv,
                "{number},Local SA,{issue},{due},{amount},{paid},{},,,",
                paid_date.map(|p| p.to_string()).unwrap_or_default()
            )
            .unwrap();
            continue;
        };
        // A rate of its own for some, the published one of the day for the rest.
        let own = g.below(3) == 0;
        let booked = if own {
            on(table, issue) + Decimal::new(g.below(500) as i64 - 250, 4)
        } else {
            on(table, issue)
        };
        let paid_own = g.below(5) < 2;
        let paid_rate = paid_date.map(|p| {
            if paid_own {
                on(table, p) + Decimal::new(g.below(300) as i64 - 150, 4)
            } else {
                on(table, p)
            }
        });
        writeln!(
            invoices_csv,
            "{number},Buyer {code},{issue},{due},{amount},{paid},{},{code},{},{}",
            paid_date.map(|p| p.to_string()).unwrap_or_default(),
            if own { booked.to_string() } else { String::new() },
            match (paid_rate, paid_own) {
                (Some(r), true) => r.to_string(),
                _ => String::new(),
            }
        )
        .unwrap();
        let functional = cents(amount * booked);
        txns.push((
            issue,
            format!(
                "{issue} invoice {number}\n    assets:receivable:{code}  {amount} {code} @@ {functional} MXN\n    revenue\n"
            ),
        ));
        if let (Some(p), Some(r)) = (paid_date, paid_rate) {
            let relieved = if paid == amount {
                functional
            } else {
                cents(paid * booked)
            };
            let received = cents(paid * r);
            txns.push((
                p,
                format!(
                    "{p} payment {number}\n    assets:bank  {received} MXN\n    assets:receivable:{code}  -{paid} {code} @@ {relieved} MXN\n    income:fx\n"
                ),
            ));
        }
    }
    txns.sort_by_key(|(day, _)| *day);
    for (_, t) in txns {
        journal.push_str(&t);
        journal.push('\n');
    }
    Generated {
        rates_csv,
        invoices_csv,
        journal,
    }
}

fn hledger(journal: &Path, args: &[&str]) -> String {
    let out = Command::new("hledger")
        .arg("-f")
        .arg(journal)
        .args(args)
        .output()
        .expect("hledger is needed for this test (scripts/test installs it: apt-get install hledger)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// `-12.34 MXN` or `0` → the number.
fn amount(cell: &str) -> Decimal {
    Decimal::from_str(cell.trim().trim_end_matches("MXN").trim()).unwrap_or_else(|_| panic!("{cell:?}"))
}

/// hledger's unrealised gain of each currency's receivable at the end of
/// `month` (`--gain`), or its cost basis (`-B`).
fn hledger_gain(journal: &Path, month_end: NaiveDate, how: &str) -> BTreeMap<String, Decimal> {
    let next = (month_end + Days::new(1)).to_string();
    let csv = hledger(journal, &["bal", "assets:receivable", how, "-e", &next, "-O", "csv"]);
    let mut out = BTreeMap::new();
    for line in csv.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').map(|c| c.trim_matches('"')).collect();
        if let Some(code) = cells[0].strip_prefix("assets:receivable:") {
            out.insert(code.to_owned(), amount(cells[1]));
        }
    }
    out
}

/// hledger's realised gain per month (what it infers the fx postings to be, negated: income).
fn hledger_realised(journal: &Path) -> BTreeMap<String, Decimal> {
    let csv = hledger(
        journal,
        &[
            "bal",
            "income:fx",
            "-M",
            "-E",
            "-b",
            "2023-01-01",
            "-e",
            "2024-07-01",
            "-O",
            "csv",
        ],
    );
    let mut lines = csv.lines();
    let months: Vec<String> = lines
        .next()
        .unwrap()
        .split(',')
        .skip(1)
        .map(|c| c.trim_matches('"').to_owned())
        .collect();
    let total = lines
        .find(|l| l.starts_with("\"total\""))
        .expect("a total row")
        .split(',')
        .skip(1)
        .map(|c| -amount(c.trim_matches('"')))
        .collect::<Vec<_>>();
    months.into_iter().zip(total).collect()
}

fn financials() -> String {
    let mut s = String::from("month,revenue,cogs,opex,cash_end\n");
    for i in 0..18 {
        let (y, m) = (2023 + i / 12, i % 12 + 1);
        writeln!(s, "{y}-{m:02},100000,40000,30000,{}", 500000 + i * 1000).unwrap();
    }
    s
}

fn exposure(url: &str, month: &str) -> serde_json::Value {
    exposure_of(url, "Dolar", month)
}

#[tokio::test]
async fn gains_equal_hledger_on_every_store() {
    let dir = tempfile::tempdir().unwrap();
    let generated = generate(20261204);
    let rates = dir.path().join("rates.csv");
    let invoices = dir.path().join("invoices.csv");
    let fin = dir.path().join("financials.csv");
    let journal = dir.path().join("books.journal");
    std::fs::write(&rates, &generated.rates_csv).unwrap();
    std::fs::write(&invoices, &generated.invoices_csv).unwrap();
    std::fs::write(&fin, financials()).unwrap();
    std::fs::write(&journal, &generated.journal).unwrap();
    let (rates, invoices, fin) = (
        rates.to_str().unwrap(),
        invoices.to_str().unwrap(),
        fin.to_str().unwrap(),
    );

    // The oracle, computed once.
    let months: Vec<NaiveDate> = (0..18)
        .map(|i| {
            NaiveDate::from_ymd_opt(2023 + i / 12, (i % 12 + 1) as u32, 1)
                .unwrap()
                .checked_add_months(chrono::Months::new(1))
                .unwrap()
                .pred_opt()
                .unwrap()
        })
        .collect();
    let gains: Vec<BTreeMap<String, Decimal>> = months.iter().map(|m| hledger_gain(&journal, *m, "--gain")).collect();
    let costs: Vec<BTreeMap<String, Decimal>> = months.iter().map(|m| hledger_gain(&journal, *m, "-B")).collect();
    let realised = hledger_realised(&journal);
    assert!(
        realised.values().any(|v| !v.is_zero()),
        "the generator pays at other rates"
    );
    assert!(
        gains.iter().any(|g| g.len() == 2 && g.values().all(|v| !v.is_zero())),
        "both currencies open at some month end"
    );

    for s in common::stores().await {
        let url = s.url.as_str();
        create(url, "Dolar", "MXN", fin);
        // Without the rates, an invoice with no rate of its own is refused,
        // naming the invoice, the pair and the day; nothing is written.
        let err = refused(&katalis(url, &["import", "invoices", invoices, "--company", "Dolar"]));
        assert!(err.contains("/MXN rate published on or before 20"), "{}: {err}", s.name);
        assert!(err.contains("invoice F-"), "{}: {err}", s.name);
        let before = stdout_ok(&katalis(
            url,
            &["--company", "Dolar", "fx", "exposure", "--as-of", "2024-06"],
        ));
        assert!(
            before.contains("no invoice in another currency"),
            "{}: {before}",
            s.name
        );

        stdout_ok(&katalis(url, &["fx", "import", rates]));
        stdout_ok(&katalis(url, &["import", "invoices", invoices, "--company", "Dolar"]));

        for ((m, oracle), cost) in months.iter().zip(&gains).zip(&costs) {
            let month = &m.to_string()[..7];
            let e = exposure(url, month);
            assert_eq!(e["as_of"], m.to_string());
            // What is open at the rates booked is hledger's cost basis (-B).
            let booked: BTreeMap<String, Decimal> = e["currencies"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| {
                    let b = Decimal::from_str(c["booked"].as_str().unwrap()).unwrap();
                    (c["currency"].as_str().unwrap().to_owned(), b)
                })
                .collect();
            assert_eq!(&booked, cost, "{}: booked at {m}", s.name);
            let ours: BTreeMap<String, Decimal> = e["currencies"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| {
                    let at_close = Decimal::from_str(c["at_close"].as_str().unwrap()).unwrap();
                    let booked = Decimal::from_str(c["booked"].as_str().unwrap()).unwrap();
                    let unrealised = Decimal::from_str(c["unrealised"].as_str().unwrap()).unwrap();
                    assert_eq!(at_close - booked, unrealised);
                    (c["currency"].as_str().unwrap().to_owned(), unrealised)
                })
                .collect();
            // hledger lists a currency's account while it has a balance.
            let oracle: BTreeMap<String, Decimal> = oracle.clone();
            assert_eq!(ours, oracle, "{}: unrealised at {m}", s.name);
        }
        // Realised, month by month, over the whole period (two windows of 12).
        for as_of in ["2023-12", "2024-06"] {
            let e = exposure(url, as_of);
            let mut ttm = Decimal::ZERO;
            for g in e["realised"].as_array().unwrap() {
                let month = g["month"].as_str().unwrap();
                let ours = Decimal::from_str(g["amount"].as_str().unwrap()).unwrap();
                ttm += ours;
                if month >= "2023-01" {
                    assert_eq!(Some(&ours), realised.get(month), "{}: realised in {month}", s.name);
                } else {
                    assert!(ours.is_zero());
                }
            }
            assert_eq!(ttm.to_string(), e["realised_ttm"].as_str().unwrap().to_owned());
        }
        // The report carries the same under `fx`.
        let report = common::report_json(url, "Dolar");
        assert_eq!(report["fx"], exposure(url, "2024-06"), "{}", s.name);
        // A backup carries the currencies and the rates to a new store.
        let file = dir.path().join(format!("{}.json", s.name));
        stdout_ok(&katalis(url, &["backup", file.to_str().unwrap()]));
        let (_d2, other) = common::fresh_sqlite();
        stdout_ok(&katalis(&other, &["restore", file.to_str().unwrap()]));
        assert_eq!(
            exposure(&other, "2024-06"),
            exposure(url, "2024-06"),
            "{}: restored",
            s.name
        );
    }
}

/// Firefly III #12455: a document is converted at the rate of its own date,
/// never at today's (or the latest known).
#[tokio::test]
async fn a_document_is_booked_at_the_rate_of_its_date() {
    let dir = tempfile::tempdir().unwrap();
    let rates = dir.path().join("rates.csv");
    std::fs::write(
        &rates,
        "date,base,quote,rate\n2024-01-09,USD,MXN,16.9000\n2024-01-12,USD,MXN,17.1000\n2026-12-01,USD,MXN,19.5000\n",
    )
    .unwrap();
    let invoices = dir.path().join("invoices.csv");
    // Issued on the 12th (a Friday) and on Sunday the 14th (Friday's rate).
    std::fs::write(
        &invoices,
        "number,customer,issue_date,due_date,amount,paid_amount,paid_date,currency\n\
         U-1,Buyer,2024-01-12,2024-02-12,1000.00,0,,USD\n\
         U-2,Buyer,2024-01-14,2024-02-14,10.01,0,,usd\n",
    )
    .unwrap();
    let fin = dir.path().join("fin.csv");
    std::fs::write(&fin, "month,revenue,cogs,opex,cash_end\n2024-01,1,1,1,1\n").unwrap();
    for s in common::stores().await {
        let url = s.url.as_str();
        create(url, "Dolar", "MXN", fin.to_str().unwrap());
        stdout_ok(&katalis(url, &["fx", "import", rates.to_str().unwrap()]));
        stdout_ok(&katalis(
            url,
            &["import", "invoices", invoices.to_str().unwrap(), "--company", "Dolar"],
        ));
        let report = common::report_json(url, "Dolar");
        // 17100 + round(10.01 × 17.10 = 171.171, 2): the issue day's, not 2026's 19.50.
        assert_eq!(report["collections"]["ar_total"], "17271.17", "{}", s.name);
        let usd = &report["fx"]["currencies"][0];
        assert_eq!(usd["booked"], "17271.17");
        assert_eq!(usd["open"], "1010.01");
        assert_eq!(usd["rate"], "17.1");
        assert_eq!(usd["rate_date"], "2024-01-12");
        // The rate of January's end, not of today.
        assert_eq!(usd["unrealised"], "0.00");
        // Imported again in pesos, an invoice drops its dollar side.
        let again = put(
            dir.path(),
            "again.csv",
            "number,customer,issue_date,due_date,amount,paid_amount,paid_date\nU-1,Buyer,2024-01-12,2024-02-12,17100.00,0,\n",
        );
        stdout_ok(&katalis(url, &["import", "invoices", &again, "--company", "Dolar"]));
        let usd = &common::report_json(url, "Dolar")["fx"]["currencies"][0];
        assert_eq!(
            (&usd["open"], &usd["booked"]),
            (&"10.01".into(), &"171.17".into()),
            "{}",
            s.name
        );
    }
}

/// A single-currency company's report does not change: no `fx` key, and the
/// same bytes as before the currencies existed.
#[tokio::test]
async fn a_company_in_one_currency_has_no_fx() {
    let dir = tempfile::tempdir().unwrap();
    let invoices = dir.path().join("invoices.csv");
    std::fs::write(
        &invoices,
        "number,customer,issue_date,due_date,amount,paid_amount,paid_date,currency,fx_rate\n\
         M-1,Buyer,2024-01-12,2024-02-12,1000.00,0,,MXN,\n\
         M-2,Buyer,2024-01-14,2024-02-14,10.01,0,,,\n",
    )
    .unwrap();
    let fin = dir.path().join("fin.csv");
    std::fs::write(&fin, "month,revenue,cogs,opex,cash_end\n2024-01,1,1,1,1\n").unwrap();
    let (_d, url) = common::fresh_sqlite();
    create(&url, "Uno", "MXN", fin.to_str().unwrap());
    stdout_ok(&katalis(
        &url,
        &["import", "invoices", invoices.to_str().unwrap(), "--company", "Uno"],
    ));
    let report = common::report_json(&url, "Uno");
    assert!(report.get("fx").is_none());
    assert_eq!(report["collections"]["ar_total"], "1010.01");
    // A rate other than 1 for the company's own currency is refused.
    std::fs::write(
        &invoices,
        "number,customer,issue_date,due_date,amount,paid_amount,paid_date,currency,fx_rate\n\
         M-3,Buyer,2024-01-12,2024-02-12,1000.00,0,,MXN,1.5\n",
    )
    .unwrap();
    let err = refused(&katalis(
        &url,
        &["import", "invoices", invoices.to_str().unwrap(), "--company", "Uno"],
    ));
    assert!(err.contains("invoice M-3: a rate other than 1"), "{err}");
    // A rate of payment without a payment, a code that is none: named by row and column.
    std::fs::write(
        &invoices,
        "number,customer,issue_date,due_date,amount,paid_amount,paid_date,currency,paid_fx_rate\n\
         U-1,Buyer,2024-01-12,2024-02-12,1000.00,0,,USD,17.5\n\
         U-2,Buyer,2024-01-12,2024-02-12,1000.00,0,,US$,\n",
    )
    .unwrap();
    let err = refused(&katalis(
        &url,
        &["import", "invoices", invoices.to_str().unwrap(), "--company", "Uno"],
    ));
    assert!(
        err.contains("row 2, column paid_fx_rate") && err.contains("no rate while paid_amount is 0"),
        "{err}"
    );
    assert!(
        err.contains("row 3, column currency") && err.contains("an ISO 4217 code"),
        "{err}"
    );
}

/// A CFDI in dollars keeps its `Moneda` and `TipoCambio`; its payment
/// complements their rate: paid in pesos (`MonedaP="MXN"`), at `TipoCambioP ÷
/// EquivalenciaDR` pesos per dollar; paid in dollars, at `TipoCambioP`.
#[tokio::test]
async fn cfdi_payments_keep_their_rates() {
    const HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<cfdi:Comprobante xmlns:cfdi="http://www.sat.gob.mx/cfd/4" Version="4.0" "#;
    let tfd = |uuid: &str| {
        format!(
            r#"<tfd:TimbreFiscalDigital xmlns:tfd="http://www.sat.gob.mx/TimbreFiscalDigital" Version="1.1" UUID="{uuid}" FechaTimbrado="2025-01-10T08:00:00"/>"#
        )
    };
    let invoice = |folio: &str, uuid: &str, date: &str| {
        format!(
            r#"{HEAD}Folio="{folio}" Fecha="{date}T08:00:00" CondicionesDePago="30" SubTotal="1000.00" Moneda="USD" TipoCambio="17.00" Total="1160.00" TipoDeComprobante="I" MetodoPago="PPD"><cfdi:Emisor Rfc="TLA010101AB1" Nombre="TALLO LABS"/><cfdi:Receptor Rfc="XEXX010101000" Nombre="Acme Corp"/><cfdi:Complemento>{}</cfdi:Complemento></cfdi:Comprobante>"#,
            tfd(uuid)
        )
    };
    let payment = |uuid: &str, of: &str, pago: &str, docto: &str| {
        format!(
            r#"{HEAD}Serie="P" Folio="{uuid}" Fecha="2025-02-12T13:00:00" SubTotal="0" Moneda="XXX" Total="0" TipoDeComprobante="P"><cfdi:Emisor Rfc="TLA010101AB1" Nombre="TALLO LABS"/><cfdi:Receptor Rfc="XEXX010101000" Nombre="Acme Corp"/><cfdi:Complemento><pago20:Pagos xmlns:pago20="http://www.sat.gob.mx/Pagos20" Version="2.0"><pago20:Pago FechaPago="2025-02-11T12:00:00" {pago}><pago20:DoctoRelacionado IdDocumento="{of}" MonedaDR="USD" {docto} ImpPagado="1160.00"/></pago20:Pago></pago20:Pagos>{}</cfdi:Complemento></cfdi:Comprobante>"#,
            tfd(uuid)
        )
    };
    let dir = tempfile::tempdir().unwrap();
    let files = [
        (
            "I-1.xml",
            invoice("1", "00000000-0000-4000-8000-000000000001", "2025-01-10"),
        ),
        (
            "I-2.xml",
            invoice("2", "00000000-0000-4000-8000-000000000002", "2025-01-10"),
        ),
        // 20,000 pesos for 1,160 dollars: 1160 ÷ 0.058 = 20,000.
        (
            "P-1.xml",
            payment(
                "00000000-0000-4000-8000-0000000000A1",
                "00000000-0000-4000-8000-000000000001",
                r#"MonedaP="MXN" TipoCambioP="1" Monto="20000.00""#,
                r#"EquivalenciaDR="0.058""#,
            ),
        ),
        // 1,160 dollars at 17.50.
        (
            "P-2.xml",
            payment(
                "00000000-0000-4000-8000-0000000000A2",
                "00000000-0000-4000-8000-000000000002",
                r#"MonedaP="USD" TipoCambioP="17.50" Monto="1160.00""#,
                r#"EquivalenciaDR="1""#,
            ),
        ),
    ];
    for (name, xml) in &files {
        std::fs::write(dir.path().join(name), xml).unwrap();
    }
    let fin = dir.path().join("fin.csv");
    std::fs::write(
        &fin,
        "month,revenue,cogs,opex,cash_end\n2025-01,1,1,1,1\n2025-02,1,1,1,1\n",
    )
    .unwrap();
    for s in common::stores().await {
        let url = s.url.as_str();
        create(url, "Tallo", "MXN", fin.to_str().unwrap());
        stdout_ok(&katalis(
            url,
            &[
                "import",
                "cfdi",
                dir.path().to_str().unwrap(),
                "--company",
                "Tallo",
                "--rfc",
                "TLA010101AB1",
            ],
        ));
        // Booked at 17.00: 19,720.00 each; received 20,000.00 and 20,300.00.
        let e = exposure_of(url, "Tallo", "2025-02");
        assert_eq!(e["currencies"], serde_json::json!([]), "{}: nothing open", s.name);
        let feb = e["realised"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(
            feb,
            serde_json::json!({"month": "2025-02", "amount": "860.00"}),
            "{}",
            s.name
        );
        let report = common::report_json(url, "Tallo");
        assert_eq!(report["collections"]["ar_total"], "0.00", "{}", s.name);
    }
    // A currency that is no ISO code (here with an escape) is refused, named.
    let bad = tempfile::tempdir().unwrap();
    let xml = invoice("9", "00000000-0000-4000-8000-000000000009", "2025-01-10")
        .replace("Moneda=\"USD\"", "Moneda=\"U\u{1b}S\"");
    std::fs::write(bad.path().join("I-9.xml"), xml).unwrap();
    let (_d, url) = common::fresh_sqlite();
    create(&url, "Tallo", "MXN", fin.to_str().unwrap());
    let err = refused(&katalis(
        &url,
        &[
            "import",
            "cfdi",
            bad.path().to_str().unwrap(),
            "--company",
            "Tallo",
            "--rfc",
            "TLA010101AB1",
        ],
    ));
    assert!(
        err.contains("cfdi:Comprobante/@Moneda") && err.contains("ISO 4217"),
        "{err}"
    );
    assert!(!err.contains('\u{1b}'), "{err:?}");
}

fn exposure_of(url: &str, company: &str, month: &str) -> serde_json::Value {
    serde_json::from_str(&stdout_ok(&katalis(
        url,
        &[
            "--company",
            company,
            "fx",
            "exposure",
            "--as-of",
            month,
            "--format",
            "json",
        ],
    )))
    .unwrap()
}

/// The interface shows the exposure on the dashboard (or the rate it lacks)
/// and each open invoice's amount in its own currency in Collections.
#[tokio::test]
async fn the_interface_shows_the_exposure_and_the_invoices_currency() {
    use katalis::locale::Lang;
    use katalis::tui::app::{Action, App};
    use katalis::tui::keymap::Keymap;
    use katalis::tui::theme::Theme;
    let dir = tempfile::tempdir().unwrap();
    let fin = dir.path().join("fin.csv");
    std::fs::write(
        &fin,
        "month,revenue,cogs,opex,cash_end\n2024-02,1,1,1,1\n2024-03,1,1,1,1\n",
    )
    .unwrap();
    let invoices = dir.path().join("invoices.csv");
    std::fs::write(
        &invoices,
        "number,customer,issue_date,due_date,amount,paid_amount,paid_date,currency,fx_rate\n\
         A2,Acme US,2024-02-05,2024-03-05,2500.50,0,,USD,17.05\n\
         A3,Local,2024-02-05,2024-03-05,3000,0,,,\n",
    )
    .unwrap();
    for s in common::stores().await {
        let url = s.url.as_str();
        create(url, "Fx", "MXN", fin.to_str().unwrap());
        stdout_ok(&katalis(
            url,
            &["import", "invoices", invoices.to_str().unwrap(), "--company", "Fx"],
        ));
        let c = s.store.company("Fx").await.unwrap();
        let shown = |data| {
            let mut a = App::new(Lang::En, Theme::monochrome("t"), Keymap::default(), None);
            a.update(Action::Loaded(Box::new(Ok(data))));
            let dashboard = common::tui::screen(&a, 120, 40);
            a.update(common::tui::key('7'));
            (dashboard, common::tui::screen(&a, 120, 40))
        };
        // No rate at March's end: the card names the pair and the day.
        let (dashboard, _) = shown(katalis::tui::data::load(&s.store, c.clone()).await.unwrap());
        assert!(dashboard.contains("rate missing"), "{}: {dashboard}", s.name);
        assert!(
            dashboard.contains("USD/MXN") && dashboard.contains("2024-03-31"),
            "{dashboard}"
        );

        stdout_ok(&katalis(url, &["fx", "set", "2024-03-28", "USD/MXN", "16.55"]));
        let (dashboard, collections) = shown(katalis::tui::data::load(&s.store, c.clone()).await.unwrap());
        // 2,500.50 × 16.55 = 41,383.28 against 42,633.52 booked.
        assert!(dashboard.contains("-1,250 unreal."), "{}: {dashboard}", s.name);
        assert!(dashboard.contains("USD 2,500"), "{dashboard}");
        assert!(collections.contains("In currency"), "{collections}");
        let a2 = collections.lines().find(|l| l.contains("A2")).unwrap();
        assert!(a2.contains("42,634") && a2.contains("USD 2,500.50"), "{a2}");
        let a3 = collections.lines().find(|l| l.contains("A3")).unwrap();
        assert!(!a3.contains("USD"), "{a3}");
    }
}

/// `fx import` reads the three kinds of files (told apart by their first
/// lines), `--dry-run` writes nothing, a bad value is refused naming file,
/// line, column and value; `fx list` filters; `fx set` checks what it is
/// given; a dollar invoice of a peso company books through the ECB's euro.
#[tokio::test]
async fn the_rates_files_and_commands() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| put(dir.path(), name, text);
    let banxico = write(
        "tipo-de-cambio.csv",
        "\"Banco de México\"\n\"Fecha de consulta: 04/12/2026\"\n\n\"Título\",\"FIX\"\n\"Fecha\",\"SF43718\"\n\
         \"02/01/2024\",\"16.9220\"\n\"03/01/2024\",\"N/E\"\n\"04/01/2024\",\"17.0508\"\n",
    );
    let json = write(
        "fix.json",
        r#"{"bmx":{"series":[{"idSerie":"SF46410","titulo":"EUR","datos":[{"fecha":"02/01/2024","dato":"18.6000"}]}]}}"#,
    );
    let ecb = write(
        "eurofxref-hist.csv",
        "Date,USD,JPY,MXN,\n2024-01-10,1.1000,160.00,20.0000,\n2024-01-09,1.0900,N/A,19.9000,\n",
    );
    let bad = write(
        "trm.csv",
        "date,base,quote,rate\n2024-01-02,USD,COP,3872.45\n2024-01-03,USD,COP,3.8.7\n",
    );
    let fin = write("fin.csv", "month,revenue,cogs,opex,cash_end\n2024-01,1,1,1,1\n");
    for s in common::stores().await {
        let url = s.url.as_str();
        let said = stdout_ok(&katalis(url, &["fx", "import", &ecb, "--dry-run"]));
        assert!(said.contains("5 rates read, nothing written (--dry-run)"), "{said}");
        assert!(stdout_ok(&katalis(url, &["fx", "list"])).contains("no exchange rates held"));
        let said = stdout_ok(&katalis(url, &["fx", "import", &banxico]));
        assert!(said.contains("2 rates read, 2 added or changed"), "{}: {said}", s.name);
        assert!(stdout_ok(&katalis(url, &["fx", "import", &banxico])).contains("0 added or changed"));
        stdout_ok(&katalis(url, &["fx", "import", &json]));
        stdout_ok(&katalis(url, &["fx", "import", &ecb]));
        let err = refused(&katalis(url, &["fx", "import", &bad]));
        assert!(
            err.contains("trm.csv: line 3, column rate") && err.contains("3.8.7"),
            "{err}"
        );
        let listed: serde_json::Value = serde_json::from_str(&stdout_ok(&katalis(
            url,
            &[
                "fx",
                "list",
                "--pair",
                "MXN/USD",
                "--to",
                "2024-01-03",
                "--format",
                "json",
            ],
        )))
        .unwrap();
        assert_eq!(
            listed,
            serde_json::json!([{"date": "2024-01-02", "base": "USD", "quote": "MXN", "rate": "16.922", "source": "banxico"}]),
            "{}",
            s.name
        );
        for (args, says) in [
            (["2024-02-30", "USD/MXN", "17"], "DATE \"2024-02-30\""),
            (["2024-02-01", "USDMXN", "17"], "BASE/QUOTE"),
            (["2024-02-01", "USD/USD", "17"], "two different currencies"),
            (["2024-02-01", "USD/MXN", "0"], "RATE \"0\""),
        ] {
            let err = refused(&katalis(url, &[&["fx", "set"][..], &args[..]].concat()));
            assert!(err.contains(says), "{args:?}: {err}");
        }

        // A rate set by hand replaces what an import gave that day.
        stdout_ok(&katalis(url, &["fx", "set", "2024-01-04", "USD/MXN", "0.5"]));
        let day = [
            "fx",
            "list",
            "--pair",
            "USD/MXN",
            "--from",
            "2024-01-04",
            "--to",
            "2024-01-04",
        ];
        assert!(stdout_ok(&katalis(url, &day)).contains("manual"));
        create(url, "Peso", "MXN", &fin);
        let inv = write(
            "inv.csv",
            "number,customer,issue_date,due_date,amount,paid_amount,paid_date,currency\nX-1,Buyer,2024-01-10,2024-02-10,110.00,0,,EUR\n",
        );
        stdout_ok(&katalis(url, &["import", "invoices", &inv, "--company", "Peso"]));
        let e = exposure_of(url, "Peso", "2024-01");
        // 110 EUR at 20.0000 (the ECB's EUR/MXN of the 10th, direct).
        assert_eq!(e["currencies"][0]["booked"], "2200.00", "{}", s.name);
        // JPY through the euro: 20.0000 / 160.00 pesos a yen on the 10th.
        let yen = write(
            "yen.csv",
            "number,customer,issue_date,due_date,amount,paid_amount,paid_date,currency\nY-1,Buyer,2024-01-10,2024-02-10,16000,0,,JPY\n",
        );
        stdout_ok(&katalis(url, &["import", "invoices", &yen, "--company", "Peso"]));
        let e = exposure_of(url, "Peso", "2024-01");
        let jpy = e["currencies"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["currency"] == "JPY")
            .unwrap();
        assert_eq!(jpy["booked"], "2000.00", "{}", s.name);
        assert_eq!(jpy["rate_date"], "2024-01-10");
        // The text says how the rate was had and how old it is.
        let text = stdout_ok(&katalis(
            url,
            &["--company", "Peso", "fx", "exposure", "--as-of", "2024-01"],
        ));
        assert!(text.contains("2024-01-10 (21 d before, cross via EUR)"), "{text}");
    }
}

/// `report --currency` presents every figure in another currency: each
/// month's flows at the mean of the rates published in it, balances at the
/// month-end rate, every metric computed on the translated months; the same
/// currency as the company's changes nothing, byte for byte.
#[tokio::test]
async fn a_report_in_a_presentation_currency() {
    let dir = tempfile::tempdir().unwrap();
    let fin = dir.path().join("fin.csv");
    std::fs::write(
        &fin,
        "month,revenue,cogs,opex,cash_end\n2024-01,170000,68000,34000,1700000\n2024-02,180000,72000,36000,1750000\n",
    )
    .unwrap();
    let rates = dir.path().join("rates.csv");
    // January: 17.00 and 17.50 (mean 17.25), closing at 17.50 (the 30th, carried
    // to the 31st); February: 18.00, 18.20 and 18.40 (mean 18.20), closing at 18.40.
    std::fs::write(
        &rates,
        "date,base,quote,rate\n2024-01-02,USD,MXN,17.00\n2024-01-30,USD,MXN,17.50\n\
         2024-02-01,USD,MXN,18.00\n2024-02-15,USD,MXN,18.20\n2024-02-29,USD,MXN,18.40\n",
    )
    .unwrap();
    for s in common::stores().await {
        let url = s.url.as_str();
        create(url, "Peso", "MXN", fin.to_str().unwrap());
        let plain = stdout_ok(&katalis(url, &["--company", "Peso", "report", "--format", "json"]));
        let same = stdout_ok(&katalis(
            url,
            &["--company", "Peso", "report", "--format", "json", "--currency", "mxn"],
        ));
        assert_eq!(plain, same, "{}", s.name);
        let err = refused(&katalis(url, &["--company", "Peso", "report", "--currency", "USD"]));
        assert!(err.contains("MXN/USD") && err.contains("2024-01"), "{}: {err}", s.name);
        // A group in dollars needs the same rates: fx missing lists each month.
        stdout_ok(&katalis(
            url,
            &["group", "create", "G", "--currency", "USD", "--member", "Peso"],
        ));
        let lacks: serde_json::Value = serde_json::from_str(&stdout_ok(&katalis(
            url,
            &["--company", "Peso", "fx", "missing", "--format", "json"],
        )))
        .unwrap();
        assert_eq!(lacks.as_array().unwrap().len(), 2, "{lacks}");
        assert_eq!(lacks[0]["needed_for"], "2024-01 in USD (group G): its month-end rate");
        stdout_ok(&katalis(url, &["fx", "import", rates.to_str().unwrap()]));
        let none = stdout_ok(&katalis(url, &["--company", "Peso", "fx", "missing"]));
        assert!(none.contains("no rate missing"), "{none}");
        let r: serde_json::Value = serde_json::from_str(&stdout_ok(&katalis(
            url,
            &["--company", "Peso", "report", "--format", "json", "--currency", "USD"],
        )))
        .unwrap();
        assert_eq!(r["currency"], "USD");
        let cents = |x: Decimal| cents(x).to_string();
        let mean = |rs: &[&str]| {
            let sum: Decimal = rs.iter().map(|r| Decimal::ONE / Decimal::from_str(r).unwrap()).sum();
            (sum / Decimal::from(rs.len())).round_dp(6)
        };
        let (jan, feb) = (mean(&["17.00", "17.50"]), mean(&["18.00", "18.20", "18.40"]));
        let m = &r["monthly"];
        assert_eq!(m[0]["revenue"], cents(Decimal::from(170000) * jan), "{}", s.name);
        assert_eq!(m[1]["revenue"], cents(Decimal::from(180000) * feb));
        assert_eq!(m[1]["opex"], cents(Decimal::from(36000) * feb));
        assert_eq!(
            m[0]["cash_end"],
            cents(Decimal::from(1700000) / Decimal::from_str("17.5").unwrap())
        );
        assert_eq!(
            m[1]["cash_end"],
            cents(Decimal::from(1750000) / Decimal::from_str("18.4").unwrap())
        );
        // The metrics are the translated months': margins unchanged, cash translated.
        assert_eq!(m[1]["gross_margin"], "0.6000");
        assert_eq!(r["cash_flow"]["cash_end"], m[1]["cash_end"]);
        assert_eq!(r["presentation"]["functional"], "MXN");
        assert_eq!(r["presentation"]["rates"][1]["average"], feb.normalize().to_string());
        assert_eq!(r["presentation"]["rates"][0]["close_date"], "2024-01-30");
        let md = stdout_ok(&katalis(url, &["--company", "Peso", "report", "--currency", "USD"]));
        assert!(md.contains("Amounts in USD translated from MXN"), "{md}");
    }
}

/// A US holding (dollars) and its Mexican company (pesos) consolidated in
/// dollars: cash at each month end equals hledger's `--value=end,USD` of the
/// members' journals; the flows equal each month's pesos at the mean of its
/// published rates, less the Mexican company's invoice to the holding
/// (eliminated from revenue and from the group's opex).
#[tokio::test]
async fn a_group_consolidates_in_dollars_with_an_intercompany_invoice_eliminated() {
    let mut g = Lcg(7);
    let (from, to) = (d("2024-01-01"), d("2024-06-30"));
    let usd = published(&mut g, Decimal::new(17_0000, 4), from, to);
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| put(dir.path(), name, text);
    let mut rates_csv = String::from("date,base,quote,rate\n");
    let mut prices = String::from("commodity 1000.00 USD\ncommodity 1000.00 MXN\n");
    for (day, r) in &usd {
        writeln!(rates_csv, "{day},USD,MXN,{r}").unwrap();
        writeln!(prices, "P {day} USD {r} MXN").unwrap();
    }
    let months: Vec<String> = (1..=6).map(|m| format!("2024-{m:02}")).collect();
    // (revenue, cogs, opex, cash_end) per month.
    let us: Vec<(i64, i64, i64, i64)> = (0..6)
        .map(|i| (50_000 + i * 1_000, 10_000, 30_000, 400_000 + i * 7_000))
        .collect();
    let mx: Vec<(i64, i64, i64, i64)> = (0..6)
        .map(|i| {
            (
                900_000 + i * 25_000,
                300_000,
                250_000,
                5_000_000 + i * 130_000 + (i % 2) * 41_000,
            )
        })
        .collect();
    let fin = |rows: &[(i64, i64, i64, i64)]| {
        let mut s = String::from("month,revenue,cogs,opex,cash_end\n");
        for (m, (r, c, o, k)) in months.iter().zip(rows) {
            writeln!(s, "{m},{r},{c},{o},{k}.37").unwrap();
        }
        s
    };
    let (us_fin, mx_fin) = (write("us.csv", &fin(&us)), write("mx.csv", &fin(&mx)));
    // The Mexican company bills the holding 85,000.50 pesos in March (and a
    // customer of its own), the holding's opex includes it.
    let mx_inv = write(
        "mx-inv.csv",
        "number,customer,issue_date,due_date,amount,paid_amount,paid_date\n\
         F-1,acme  HOLDING inc,2024-03-12,2024-04-11,85000.50,0,\n\
         F-2,Cliente Uno,2024-03-15,2024-04-14,10000,0,\n",
    );
    let rates = write("rates.csv", &rates_csv);
    // The members' cash as journals: each month end's change.
    let journal = |rows: &[(i64, i64, i64, i64)], cur: &str| {
        let mut j = String::new();
        let mut prev = Decimal::ZERO;
        for (m, (_, _, _, k)) in months.iter().zip(rows) {
            let end = NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d")
                .unwrap()
                .checked_add_months(chrono::Months::new(1))
                .unwrap()
                .pred_opt()
                .unwrap();
            let cash = Decimal::from_str(&format!("{k}.37")).unwrap();
            writeln!(j, "{end} cash\n    assets:cash  {} {cur}\n    equity\n", cash - prev).unwrap();
            prev = cash;
        }
        j
    };
    let (us_j, mx_j, prices_j) = (
        write("us.journal", &journal(&us, "USD")),
        write("mx.journal", &journal(&mx, "MXN")),
        write("prices.journal", &prices),
    );
    let out = Command::new("hledger")
        .args(["-f", &prices_j, "-f", &us_j, "-f", &mx_j])
        .args([
            "bal",
            "assets:cash",
            "-H",
            "-M",
            "-b",
            "2024-01-01",
            "-e",
            "2024-07-01",
            "--value=end,USD",
            "-O",
            "csv",
        ])
        .output()
        .expect("hledger");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let csv = String::from_utf8(out.stdout).unwrap();
    let total: Vec<Decimal> = csv
        .lines()
        .find(|l| l.starts_with("\"total\""))
        .unwrap()
        .split(',')
        .skip(1)
        .map(|c| Decimal::from_str(c.trim_matches('"').trim_end_matches("USD").trim()).unwrap())
        .collect();
    assert_eq!(total.len(), 6, "{csv}");

    // The flows, computed here: each month's mean of the inverse rates.
    let mean = |m: &str| {
        let days: Vec<Decimal> = usd
            .iter()
            .filter(|(day, _)| day.to_string().starts_with(m))
            .map(|(_, r)| Decimal::ONE / r)
            .collect();
        (days.iter().sum::<Decimal>() / Decimal::from(days.len())).round_dp(6)
    };
    for s in common::stores().await {
        let url = s.url.as_str();
        create(url, "Acme Holding Inc", "USD", &us_fin);
        create(url, "Acme México", "MXN", &mx_fin);
        stdout_ok(&katalis(
            url,
            &["import", "invoices", &mx_inv, "--company", "Acme México"],
        ));
        stdout_ok(&katalis(url, &["fx", "import", &rates]));
        let said = stdout_ok(&katalis(
            url,
            &[
                "group",
                "create",
                "Acme",
                "--currency",
                "USD",
                "--member",
                "Acme Holding Inc",
                "--member",
                "Acme México",
            ],
        ));
        assert!(
            said.contains("\"Acme\" in USD: Acme Holding Inc (USD), Acme México (MXN)"),
            "{said}"
        );
        assert!(stdout_ok(&katalis(url, &["group", "list"])).contains("Acme Holding Inc, Acme México"));
        let r: serde_json::Value = serde_json::from_str(&stdout_ok(&katalis(
            url,
            &["group", "report", "Acme", "--format", "json"],
        )))
        .unwrap();
        assert_eq!(r["currency"], "USD");
        assert_eq!(r["as_of"], "2024-06");
        assert_eq!(
            r["members"][1],
            serde_json::json!({"name": "Acme México", "currency": "MXN"})
        );
        let elim_march = cents(Decimal::from_str("85000.50").unwrap() * mean("2024-03"));
        for (i, m) in months.iter().enumerate() {
            let row = &r["monthly"][i];
            assert_eq!(row["month"], m.as_str());
            let avg = mean(m);
            let elim = if m == "2024-03" { elim_march } else { Decimal::ZERO };
            let revenue = Decimal::from(us[i].0) + cents(Decimal::from(mx[i].0) * avg) - elim;
            let opex = Decimal::from(us[i].2) + cents(Decimal::from(mx[i].2) * avg) - elim;
            assert_eq!(row["revenue"], money(revenue), "{}: revenue {m}", s.name);
            assert_eq!(row["opex"], money(opex), "{}: opex {m}", s.name);
            assert_eq!(
                row["cash_end"],
                money(total[i]),
                "{}: cash at the end of {m} (hledger)",
                s.name
            );
            assert_eq!(r["eliminations"][i]["amount"], money(elim));
        }
        // The translation difference: translated cash's change less the translated change.
        let diff = &r["translation_difference"];
        assert_eq!(diff.as_array().unwrap().len(), 5, "{}", s.name);
        let close = |m: &str| {
            let end = NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d")
                .unwrap()
                .checked_add_months(chrono::Months::new(1))
                .unwrap()
                .pred_opt()
                .unwrap();
            Decimal::ONE / on(&usd, end)
        };
        let cash = |i: usize| Decimal::from_str(&format!("{}.37", mx[i].3)).unwrap();
        let expected = cents(cash(3) * close("2024-04"))
            - cents(cash(2) * close("2024-03"))
            - cents((cash(3) - cash(2)) * mean("2024-04"));
        assert_eq!(
            diff[2],
            serde_json::json!({"month": "2024-04", "amount": money(expected)}),
            "{}",
            s.name
        );
        assert!(r["rates"].as_array().unwrap().iter().all(|x| x["currency"] == "MXN"));
        // --intercompany-cost cogs takes it from cogs instead.
        let c: serde_json::Value = serde_json::from_str(&stdout_ok(&katalis(
            url,
            &[
                "group",
                "report",
                "Acme",
                "--format",
                "json",
                "--intercompany-cost",
                "cogs",
                "--as-of",
                "2024-03",
            ],
        )))
        .unwrap();
        let cogs = Decimal::from(us[2].1) + cents(Decimal::from(mx[2].1) * mean("2024-03")) - elim_march;
        assert_eq!(c["monthly"][2]["cogs"], money(cogs), "{}", s.name);
        assert_eq!(c["as_of"], "2024-03");
        // A backup carries the group.
        let file = dir.path().join(format!("g-{}.json", s.name));
        stdout_ok(&katalis(url, &["backup", file.to_str().unwrap()]));
        let (_d2, other) = common::fresh_sqlite();
        stdout_ok(&katalis(&other, &["restore", file.to_str().unwrap()]));
        assert_eq!(
            stdout_ok(&katalis(&other, &["group", "report", "Acme", "--format", "json"])),
            stdout_ok(&katalis(url, &["group", "report", "Acme", "--format", "json"]))
        );
        let md = stdout_ok(&katalis(url, &["group", "report", "Acme"]));
        assert!(
            md.contains("Acme México (MXN)") && md.contains("Translation difference"),
            "{md}"
        );
        let html = stdout_ok(&katalis(url, &["group", "report", "Acme", "--format", "html"]));
        assert!(
            html.contains("<h2>The group</h2><p>Acme Holding Inc (USD) · Acme México (MXN)</p>"),
            "{}",
            s.name
        );
        assert!(
            html.contains(&format!("<tr><td>2024-03</td><td>{}</td>", money(elim_march))),
            "{}",
            s.name
        );
    }
}

/// The company chooser lists the groups; a group opens its consolidated
/// dashboard, read-only: a write is refused saying so, and a reload finds the
/// group again.
#[tokio::test]
async fn a_group_opens_read_only_from_the_chooser() {
    use katalis::locale::Lang;
    use katalis::store::Store;
    use katalis::tui::app::App;
    use katalis::tui::keymap::Keymap;
    use katalis::tui::theme::Theme;
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| put(dir.path(), name, text);
    let mx = write(
        "mx.csv",
        "month,revenue,cogs,opex,cash_end\n2024-01,170000,0,0,1700000\n",
    );
    let us = write("us.csv", "month,revenue,cogs,opex,cash_end\n2024-01,1000,0,0,5000\n");
    let rates = write("r.csv", "date,base,quote,rate\n2024-01-02,USD,MXN,17.00\n");
    for s in common::stores().await {
        let url = s.url.as_str();
        create(url, "Mx", "MXN", &mx);
        create(url, "Us", "USD", &us);
        stdout_ok(&katalis(url, &["fx", "import", &rates]));
        stdout_ok(&katalis(
            url,
            &[
                "group",
                "create",
                "Grupo",
                "--currency",
                "USD",
                "--member",
                "Mx",
                "--member",
                "Us",
            ],
        ));
        let mut a = App::new(Lang::En, Theme::monochrome("t"), Keymap::default(), None);
        common::tui::settle(&mut a, &s.store, App::init()).await;
        common::tui::press(&mut a, &s.store, common::tui::key('c')).await;
        let chooser = common::tui::screen(&a, 100, 30);
        assert!(chooser.contains("Grupo (group, USD)"), "{}: {chooser}", s.name);
        // Mx, Us, then the group.
        for _ in 0..2 {
            common::tui::press(&mut a, &s.store, common::tui::code(crossterm::event::KeyCode::Down)).await;
        }
        common::tui::press(&mut a, &s.store, common::tui::code(crossterm::event::KeyCode::Enter)).await;
        let shown = common::tui::screen(&a, 100, 30);
        assert!(
            shown.contains("Grupo · 2024-01") && shown.contains("group, read-only"),
            "{shown}"
        );
        // 170,000 pesos at 1/17 plus 1,000 dollars.
        assert!(shown.contains("USD 11,000"), "{shown}");
        common::tui::press(&mut a, &s.store, common::tui::key('5')).await;
        common::tui::press(&mut a, &s.store, common::tui::key('e')).await;
        let said = a.message.clone().map(|(m, _)| m).unwrap_or_default();
        assert!(said.contains("\"Grupo\" is a group, read-only"), "{said}");
        assert!(a.form.is_none());
        // A reload (r) reads the group again, not the first company.
        common::tui::press(&mut a, &s.store, common::tui::key('r')).await;
        assert_eq!(a.data.as_ref().unwrap().company.name, "Grupo", "{}", s.name);
        assert!(s.store.groups().await.unwrap().iter().any(|g| g.name == "Grupo"));
    }
}

/// `$` shows the figures in the configured reporting currency and the
/// invoices' currencies in turn, read-only, and back in the company's own.
#[tokio::test]
async fn dollar_cycles_the_presentation_currency() {
    use katalis::locale::Lang;
    use katalis::tui::app::App;
    use katalis::tui::keymap::Keymap;
    use katalis::tui::theme::Theme;
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| put(dir.path(), name, text);
    let fin = write(
        "fin.csv",
        "month,revenue,cogs,opex,cash_end\n2024-01,170000,68000,0,1700000\n",
    );
    let inv = write(
        "inv.csv",
        "number,customer,issue_date,due_date,amount,paid_amount,paid_date,currency\n\
         E-1,Buyer,2024-01-10,2024-02-10,100,0,,EUR\nM-1,Local,2024-01-10,2024-02-10,3400,0,,\n",
    );
    let rates = write(
        "r.csv",
        "date,base,quote,rate\n2024-01-10,USD,MXN,17.00\n2024-01-10,EUR,MXN,18.50\n2024-01-31,USD,MXN,17.00\n2024-01-31,EUR,MXN,18.50\n",
    );
    for s in common::stores().await {
        let url = s.url.as_str();
        create(url, "Mx", "MXN", &fin);
        stdout_ok(&katalis(url, &["fx", "import", &rates]));
        stdout_ok(&katalis(url, &["import", "invoices", &inv, "--company", "Mx"]));
        let mut a = App::new(Lang::En, Theme::monochrome("t"), Keymap::default(), None);
        a.reporting_currency = Some("USD".into());
        common::tui::settle(&mut a, &s.store, App::init()).await;
        let dollar = || common::tui::key('$');
        let currency = |a: &App| a.data.as_ref().unwrap().company.currency.clone();
        common::tui::press(&mut a, &s.store, dollar()).await;
        assert_eq!(currency(&a), "USD", "{}", s.name);
        let shown = common::tui::screen(&a, 120, 40);
        assert!(
            shown.contains("USD 10,000") && shown.contains("Amounts in USD translated from MXN"),
            "{shown}"
        );
        assert!(shown.contains("USD from MXN"), "{shown}");
        // Read-only while presented.
        common::tui::press(&mut a, &s.store, common::tui::key('5')).await;
        common::tui::press(&mut a, &s.store, common::tui::key('e')).await;
        let said = a.message.clone().map(|(m, _)| m).unwrap_or_default();
        assert!(said.contains("shown in another currency"), "{said}");
        // Collections: 1,850 + 3,400 pesos open, at 1/17: 108.82 + 200.00.
        common::tui::press(&mut a, &s.store, common::tui::key('7')).await;
        let coll = common::tui::screen(&a, 120, 40);
        let m1 = coll.lines().find(|l| l.contains("M-1")).unwrap();
        assert!(m1.contains(" 200"), "{m1}");
        // Then the invoices' euro, then the peso again.
        common::tui::press(&mut a, &s.store, dollar()).await;
        assert_eq!(currency(&a), "EUR", "{}", s.name);
        common::tui::press(&mut a, &s.store, dollar()).await;
        assert_eq!(currency(&a), "MXN", "{}", s.name);
        assert!(a.data.as_ref().unwrap().snapshot.translation.is_none());
    }
}

/// A journal's `P` (hledger, ledger) and `price` (beancount) directives
/// between two currencies come in with it as rates; a stock's price does not.
#[tokio::test]
async fn journal_price_directives_are_imported_as_rates() {
    let dir = tempfile::tempdir().unwrap();
    let hledger = dir.path().join("books.journal");
    std::fs::write(
        &hledger,
        "P 2024-01-31 USD 17.1500 MXN\nP 2024-01-31 AAPL 185.00 USD\n\n\
         2024-01-15 Sale\n    income:sales  -1000.00 MXN\n    assets:bank  1000.00 MXN\n",
    )
    .unwrap();
    let beancount = dir.path().join("books.beancount");
    std::fs::write(
        &beancount,
        "2024-01-01 open Assets:Bank MXN\n2024-01-01 open Income:Sales MXN\n\
         2024-02-29 price EUR 18.70 MXN\n\n\
         2024-02-15 * \"Sale\"\n  Income:Sales  -500.00 MXN\n  Assets:Bank  500.00 MXN\n",
    )
    .unwrap();
    for s in common::stores().await {
        let url = s.url.as_str();
        let out = katalis(
            url,
            &[
                "import",
                "journal",
                hledger.to_str().unwrap(),
                "--company",
                "J",
                "--create",
                "--currency",
                "MXN",
            ],
        );
        let said = common::stderr_ok(&out);
        assert!(said.contains("1 exchange rates (P directives)"), "{}: {said}", s.name);
        stdout_ok(&katalis(
            url,
            &[
                "import",
                "journal",
                beancount.to_str().unwrap(),
                "--company",
                "B",
                "--create",
                "--currency",
                "MXN",
            ],
        ));
        let listed: serde_json::Value =
            serde_json::from_str(&stdout_ok(&katalis(url, &["fx", "list", "--format", "json"]))).unwrap();
        assert_eq!(
            listed,
            serde_json::json!([
                {"date": "2024-02-29", "base": "EUR", "quote": "MXN", "rate": "18.7", "source": "journal"},
                {"date": "2024-01-31", "base": "USD", "quote": "MXN", "rate": "17.15", "source": "journal"},
            ]),
            "{}",
            s.name
        );
    }
}

/// The rates are read only once a row needs them: an invoice in another
/// currency after the first chunk of a long file (10,000 rows) is booked as
/// one at its top is.
#[tokio::test]
async fn a_foreign_invoice_past_the_first_chunk_is_booked() {
    let dir = tempfile::tempdir().unwrap();
    let fin = put(
        dir.path(),
        "fin.csv",
        "month,revenue,cogs,opex,cash_end\n2024-01,1,1,1,1\n",
    );
    let rates = put(dir.path(), "r.csv", "date,base,quote,rate\n2024-01-02,USD,MXN,17.00\n");
    let mut csv = String::from("number,customer,issue_date,due_date,amount,paid_amount,paid_date,currency\n");
    for i in 0..12_000 {
        writeln!(csv, "M-{i:05},Local,2024-01-10,2024-02-10,10.00,0,,").unwrap();
    }
    csv.push_str("U-1,Buyer,2024-01-10,2024-02-10,100.00,0,,USD\n");
    let invoices = put(dir.path(), "inv.csv", &csv);
    for s in common::stores().await {
        let url = s.url.as_str();
        create(url, "Largo", "MXN", &fin);
        stdout_ok(&katalis(url, &["fx", "import", &rates]));
        stdout_ok(&katalis(url, &["import", "invoices", &invoices, "--company", "Largo"]));
        let r = common::report_json(url, "Largo");
        assert_eq!(r["collections"]["ar_total"], "121700.00", "{}", s.name);
        assert_eq!(r["fx"]["currencies"][0]["booked"], "1700.00", "{}", s.name);
    }
}
