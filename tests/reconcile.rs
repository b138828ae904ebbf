//! Reconciliation through the binary, on SQLite and PostgreSQL: a generated
//! company whose receipts are known (invoice numbers in the text, only the
//! payer's name, a sum of two invoices, a partial payment, two equal amounts
//! of different customers, a bare amount; fees, payroll, a transfer) is
//! reconciled with `--auto` and the proposals accepted, and every invoice's
//! paid amount and date equal the truth, the report equals the one of the
//! truth's invoices; `--auto` again changes nothing; undo restores the report
//! byte for byte; the rules categorise as hledger's CSV rules do.

mod common;

use common::{book, katalis, refused, stderr_ok, stdout_ok};
use serde_json::Value;
use std::collections::BTreeMap;

const BOOKS: &str = "Conciliada";
const TRUTH: &str = "Verdad";

/// An invoice: number, customer, issue date, due date, amount, and what the
/// books say is paid (amount, date) before the bank.
struct Inv {
    number: &'static str,
    customer: &'static str,
    issue: &'static str,
    due: &'static str,
    amount: &'static str,
    paid: Option<(&'static str, &'static str)>,
}

const fn inv(number: &'static str, customer: &'static str, issue: &'static str, amount: &'static str) -> Inv {
    Inv {
        number,
        customer,
        issue,
        due: issue,
        amount,
        paid: None,
    }
}

fn invoices() -> Vec<Inv> {
    let mut v = vec![
        inv("F-0101", "Acme Industrial S.A. de C.V.", "2025-05-02", "12500.00"),
        inv("F-0102", "Beta Logística", "2025-05-05", "3100.50"),
        inv("F-0103", "Beta Logística", "2025-05-20", "899.50"),
        inv("F-0104", "Café Ñandú", "2025-05-21", "4420.00"),
        inv("F-0105", "Café Ñandú", "2025-06-01", "780.00"),
        inv("F-0106", "Delta Systems Inc", "2025-05-10", "1500.00"),
        inv("F-0107", "Delta Systems Inc", "2025-05-25", "2500.00"),
        inv("F-0108", "Delta Systems Inc", "2025-06-10", "9999.99"),
        inv("F-0109", "Erre Consultores SC", "2025-05-15", "8000.00"),
        inv("F-0110", "Fábrica Azul", "2025-06-05", "5000.00"),
        inv("F-0111", "Acme Industrial S.A. de C.V.", "2025-06-06", "5000.00"),
        inv("F-0112", "Beta Logística", "2025-06-12", "1234.56"),
        inv("F-0113", "Fábrica Azul", "2025-04-02", "2222.22"),
        inv("F-0114", "Erre Consultores SC", "2025-06-20", "640.00"),
    ];
    // Due 30 days after issue (the dates are written out: no date arithmetic in a const).
    let due = [
        "2025-06-01",
        "2025-06-04",
        "2025-06-19",
        "2025-06-20",
        "2025-07-01",
        "2025-06-09",
        "2025-06-24",
        "2025-07-10",
        "2025-06-14",
        "2025-07-05",
        "2025-07-06",
        "2025-07-12",
        "2025-05-02",
        "2025-07-20",
    ];
    for (i, d) in v.iter_mut().zip(due) {
        i.due = d;
    }
    // Paid before the bank: in the books already.
    v[12].paid = Some(("2222.22", "2025-05-01"));
    v[8].paid = Some(("1000.00", "2025-06-10"));
    v
}

/// The receipts and payments of July 2025: (date, description, counterparty,
/// amount, what it pays in truth: (invoice, amount)).
type Receipt = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Vec<(&'static str, &'static str)>,
);

fn statement() -> Vec<Receipt> {
    vec![
        ("2025-07-01", "COMISION SPEI", "", "-5.80", vec![]),
        (
            "2025-07-02",
            "SPEI RECIBIDO PAGO FACT F-0101",
            "",
            "12500.00",
            vec![("F-0101", "12500.00")],
        ),
        (
            "2025-07-03",
            "SPEI RECIBIDO F-0102 Y F-0103",
            "BETA LOGISTICA",
            "4000.00",
            vec![("F-0102", "3100.50"), ("F-0103", "899.50")],
        ),
        (
            "2025-07-04",
            "SPEI RECIBIDO",
            "CAFE NANDU",
            "4420.00",
            vec![("F-0104", "4420.00")],
        ),
        (
            "2025-07-07",
            "DEPOSITO",
            "DELTA SYSTEMS",
            "4000.00",
            vec![("F-0106", "1500.00"), ("F-0107", "2500.00")],
        ),
        (
            "2025-07-08",
            "DEPOSITO ERRE CONSULTORES",
            "",
            "3000.00",
            vec![("F-0109", "3000.00")],
        ),
        (
            "2025-07-09",
            "SPEI RECIBIDO",
            "FABRICA AZUL SA",
            "5000.00",
            vec![("F-0110", "5000.00")],
        ),
        (
            "2025-07-09",
            "SPEI RECIBIDO",
            "ACME INDUSTRIAL",
            "5000.00",
            vec![("F-0111", "5000.00")],
        ),
        ("2025-07-10", "PAGO NOMINA JULIO", "", "-20000.00", vec![]),
        (
            "2025-07-11",
            "DEPOSITO EN EFECTIVO",
            "",
            "1234.56",
            vec![("F-0112", "1234.56")],
        ),
        ("2025-07-14", "TRASPASO A CUENTA DE AHORRO", "", "-10000.00", vec![]),
        ("2025-07-15", "INTERESES GANADOS", "", "12.34", vec![]),
        ("2025-07-16", "COMPRA INSUMOS PROVEEDOR", "", "-3150.00", vec![]),
    ]
}

const RULES: &str = r#"
[[rule]]
name = "Bank fees"
description = "(?i)^comision"
amount = "< 0"
category = "opex"

[[rule]]
name = "Payroll"
description = "(?i)nomina"
amount = "< 0"
category = "opex"

[[rule]]
name = "Savings"
description = "(?i)traspaso"
category = "transfer"

[[rule]]
name = "Interest"
description = "(?i)intereses"
amount = "> 0"
category = "other_income"

[[rule]]
name = "Customer receipts"
description = "(?i)spei recibido|deposito"
amount = "> 0"
match = "invoices"

[[rule]]
name = "Suppliers"
description = "(?i)proveedor"
account = "BBVA"
category = "cogs"
"#;

fn write(dir: &std::path::Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

fn invoices_csv(truth: bool) -> String {
    let receipts = statement();
    let mut csv = String::from("number,customer,issue_date,due_date,amount,paid_amount,paid_date\n");
    for i in invoices() {
        let mut paid: Vec<(rust_decimal::Decimal, &str)> =
            i.paid.iter().map(|(a, d)| (a.parse().unwrap(), *d)).collect();
        if truth {
            for r in &receipts {
                for (n, a) in &r.4 {
                    if *n == i.number {
                        paid.push((a.parse().unwrap(), r.0));
                    }
                }
            }
        }
        let total: rust_decimal::Decimal = paid.iter().map(|p| p.0).sum();
        let date = paid.iter().map(|p| p.1).max().unwrap_or("");
        csv += &format!(
            "{},\"{}\",{},{},{},{},{}\n",
            i.number,
            i.customer,
            i.issue,
            i.due,
            i.amount,
            if total.is_zero() {
                "0".to_owned()
            } else {
                total.to_string()
            },
            if total.is_zero() { "" } else { date }
        );
    }
    csv
}

fn run(url: &str, company: &str, args: &[&str]) -> String {
    let mut all = vec!["--company", company];
    all.extend(args);
    stdout_ok(&katalis(url, &all))
}

fn json(url: &str, company: &str, args: &[&str]) -> Value {
    serde_json::from_str(&run(url, company, args)).unwrap()
}

/// The report without what only the bank gives (the month so far, the bank's cash) and the name.
fn report(url: &str, company: &str) -> Value {
    let mut v = json(url, company, &["report", "--format", "json"]);
    let o = v.as_object_mut().unwrap();
    o.remove("company");
    o.remove("month_to_date");
    o["cash_flow"].as_object_mut().unwrap().remove("bank_cash");
    v
}

fn setup(url: &str, dir: &std::path::Path) {
    let fin = book("financials-canonical.csv");
    for (company, truth) in [(BOOKS, false), (TRUTH, true)] {
        let f = write(dir, &format!("inv-{truth}.csv"), &invoices_csv(truth));
        stderr_ok(&katalis(
            url,
            &[
                "import",
                "financials",
                fin.to_str().unwrap(),
                "--company",
                company,
                "--create",
                "--currency",
                "MXN",
            ],
        ));
        stderr_ok(&katalis(url, &["import", "invoices", &f, "--company", company]));
    }
    let mut csv = String::from("date,description,counterparty,amount\n");
    for r in statement() {
        csv += &format!("{},{},{},{}\n", r.0, r.1, r.2, r.3);
    }
    let st = write(dir, "julio.csv", &csv);
    stderr_ok(&katalis(
        url,
        &[
            "import",
            "statement",
            &st,
            "--company",
            BOOKS,
            "--account",
            "BBVA",
            "--create-account",
        ],
    ));
    let rules = write(dir, "rules.toml", RULES);
    stdout_ok(&katalis(url, &["rules", "import", &rules, "--company", BOOKS]));
}

/// Store URLs: a fresh SQLite file and a fresh PostgreSQL database.
async fn urls() -> Vec<(String, Option<tempfile::TempDir>)> {
    let (dir, url) = common::fresh_sqlite();
    let mut v = vec![(url, Some(dir))];
    if let Some(pg) = common::fresh_pg_url().await {
        v.push((pg, None));
    }
    v
}

/// Line ids by description.
fn line_ids(url: &str) -> BTreeMap<String, i64> {
    json(url, BOOKS, &["bank", "lines", "--format", "json"])
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["description"].as_str().unwrap().to_owned(), l["id"].as_i64().unwrap()))
        .collect()
}

#[tokio::test]
async fn a_generated_company_reconciles_to_the_truth() {
    for (url, _keep) in urls().await {
        let dir = tempfile::tempdir().unwrap();
        setup(&url, dir.path());
        let ids = line_ids(&url);

        // The proposals, before anything is accepted.
        let proposed = json(&url, BOOKS, &["reconcile", "--format", "json"]);
        let tiers: BTreeMap<String, String> = proposed
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["description"].as_str().unwrap().to_owned(),
                    p["tier"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let want: BTreeMap<String, String> = [
            ("SPEI RECIBIDO PAGO FACT F-0101", "reference"),
            ("SPEI RECIBIDO F-0102 Y F-0103", "reference"),
            ("DEPOSITO", "payer"),
            ("DEPOSITO ERRE CONSULTORES", "partial"),
            ("DEPOSITO EN EFECTIVO", "amount"),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .collect();
        for (d, t) in &want {
            assert_eq!(tiers.get(d), Some(t), "{url}: {d}: {proposed:#}");
        }
        // The three `SPEI RECIBIDO` receipts are told apart by their payer alone.
        assert_eq!(
            proposed
                .as_array()
                .unwrap()
                .iter()
                .filter(|p| p["description"] == "SPEI RECIBIDO")
                .map(|p| p["invoices"][0]["number"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>(),
            ["F-0104", "F-0110", "F-0111"],
            "{url}"
        );
        // Nothing but receipts is proposed: fees, payroll, the transfer, interest are the rules'.
        assert_eq!(proposed.as_array().unwrap().len(), 8, "{url}: {proposed:#}");

        let auto = json(&url, BOOKS, &["reconcile", "--auto", "--format", "json"]);
        assert_eq!(auto["accepted"].as_array().unwrap().len(), 6, "{url}: {auto:#}");
        let left: Vec<&str> = auto["proposed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["tier"].as_str().unwrap())
            .collect();
        assert_eq!(left, ["partial", "amount"], "{url}: {auto:#}");
        // Again: nothing more is accepted, the same is left.
        let again = json(&url, BOOKS, &["reconcile", "--auto", "--format", "json"]);
        assert_eq!(again["accepted"], Value::Array(vec![]), "{url}");
        assert_eq!(again["proposed"], auto["proposed"], "{url}");

        // The report with July closed, before the last two are accepted: for undo.
        let july = write(
            dir.path(),
            "july.csv",
            "month,revenue,cogs,opex,cash_end,customers_end\n2025-07,101000.00,36000.00,46000.00,360000.00,56\n",
        );
        let partial = ids["DEPOSITO ERRE CONSULTORES"];
        let before = run(&url, BOOKS, &["report", "--format", "json"]);
        stdout_ok(&katalis(
            &url,
            &["reconcile", "accept", &partial.to_string(), "--company", BOOKS],
        ));
        assert_ne!(run(&url, BOOKS, &["report", "--format", "json"]), before, "{url}");
        stdout_ok(&katalis(
            &url,
            &["reconcile", "undo", &partial.to_string(), "--company", BOOKS],
        ));
        assert_eq!(run(&url, BOOKS, &["report", "--format", "json"]), before, "{url}: undo");

        for d in ["DEPOSITO ERRE CONSULTORES", "DEPOSITO EN EFECTIVO"] {
            stdout_ok(&katalis(
                &url,
                &["reconcile", "accept", &ids[d].to_string(), "--company", BOOKS],
            ));
        }
        // An overpayment is refused naming both the line and the invoice.
        let e = refused(&katalis(
            &url,
            &[
                "reconcile",
                "accept",
                &ids["INTERESES GANADOS"].to_string(),
                "--invoice",
                "F-0108=12.34",
                "--invoice",
                "F-0105=0.01",
                "--company",
                BOOKS,
            ],
        ));
        assert!(e.contains("line") && e.contains("12.35"), "{e}");
        let e = refused(&katalis(
            &url,
            &[
                "reconcile",
                "accept",
                &ids["DEPOSITO EN EFECTIVO"].to_string(),
                "--invoice",
                "F-0105=1",
                "--company",
                BOOKS,
            ],
        ));
        assert!(e.contains("already applied"), "{e}");

        // Every invoice as the truth has it: the same report, July closed on both.
        for c in [BOOKS, TRUTH] {
            stderr_ok(&katalis(&url, &["import", "financials", &july, "--company", c]));
        }
        assert_eq!(
            report(&url, BOOKS),
            report(&url, TRUTH),
            "{url}: the report equals the truth's"
        );
        let store = katalis::store::AnyStore::connect(&url).await.unwrap();
        use katalis::store::Store;
        let books = store.company(BOOKS).await.unwrap();
        let truth = store.company(TRUTH).await.unwrap();
        assert_eq!(
            store.invoices(books.id).await.unwrap(),
            store.invoices(truth.id).await.unwrap(),
            "{url}: every invoice's paid amount and date"
        );
        store.close().await;
        // A backup and restore keeps the payments: undo still works after it.
        let (_d2, copy) = common::fresh_sqlite();
        let file = dir.path().join("b.json").display().to_string();
        stderr_ok(&katalis(&url, &["backup", &file]));
        stderr_ok(&katalis(&copy, &["restore", &file]));
        assert_eq!(report(&copy, BOOKS), report(&url, BOOKS), "{url}: restored");
        stdout_ok(&katalis(
            &copy,
            &["reconcile", "undo", &ids["DEPOSITO"].to_string(), "--company", BOOKS],
        ));
        let undone = json(&copy, BOOKS, &["reconcile", "--format", "json"]);
        assert_eq!(undone.as_array().unwrap().len(), 1, "{url}: {undone:#}");
    }
}

#[tokio::test]
async fn the_month_so_far_comes_from_the_bank() {
    for (url, _keep) in urls().await {
        let dir = tempfile::tempdir().unwrap();
        setup(&url, dir.path());
        stdout_ok(&katalis(&url, &["reconcile", "--auto", "--company", BOOKS]));
        let m = &json(&url, BOOKS, &["report", "--format", "json"])["month_to_date"];
        // Receipts matched: 12500 + 4000 + 4420 + 4000 + 5000 + 5000; interest 12.34 other income;
        // fees 5.80 and payroll 20000 opex; suppliers 3150 cogs; the transfer nowhere; the partial
        // and the cash deposit (still proposals) uncategorised.
        let want = serde_json::json!({
            "from": "2025-07-01", "to": "2025-07-16",
            "revenue": "34920.00", "cogs": "3150.00", "opex": "20005.80", "sales_marketing": "0.00",
            "other_income": "12.34", "financing": "0.00",
            "net_cash_flow": "16011.10", "uncategorised": "4234.56",
        });
        assert_eq!(m, &want, "{url}");
        // A line categorised by hand wins over the rules; none gives it back to them.
        let ids = line_ids(&url);
        let cash = ids["DEPOSITO EN EFECTIVO"].to_string();
        stdout_ok(&katalis(
            &url,
            &["reconcile", "category", &cash, "revenue", "--company", BOOKS],
        ));
        let m = &json(&url, BOOKS, &["report", "--format", "json"])["month_to_date"];
        assert_eq!(
            (m["revenue"].as_str(), m["uncategorised"].as_str()),
            (Some("36154.56"), Some("3000.00"))
        );
        stdout_ok(&katalis(
            &url,
            &["reconcile", "category", &cash, "none", "--company", BOOKS],
        ));
        let m = &json(&url, BOOKS, &["report", "--format", "json"])["month_to_date"];
        assert_eq!(m, &want, "{url}");
        // A company without bank lines after its latest month has none.
        assert_eq!(
            json(&url, TRUTH, &["report", "--format", "json"])["month_to_date"],
            Value::Null
        );
    }
}

/// Our rules against hledger's CSV rules on the same lines. hledger applies
/// every matching rule and the last one wins, so its rules are written in
/// reverse order; each rule sends a line to its own account.
#[tokio::test]
async fn rules_categorise_as_hledger_csv_rules_do() {
    let (_keep, url) = common::fresh_sqlite();
    let dir = tempfile::tempdir().unwrap();
    setup(&url, dir.path());
    let ours = json(&url, BOOKS, &["rules", "test", "--format", "json"]);
    let lines = json(&url, BOOKS, &["bank", "lines", "--format", "json"]);
    let rules = katalis::finance::rules::Rules::parse(RULES, "rules.toml").unwrap();
    // The statement as hledger reads it: the text our patterns see, the account.
    let mut csv = String::from("id,date,amount,text,acct\n");
    let receipts = statement();
    for l in lines.as_array().unwrap() {
        let r = receipts
            .iter()
            .find(|r| r.1 == l["description"] && r.0 == l["date"])
            .unwrap();
        let text = katalis::finance::rules::rule_text(r.1, r.2);
        csv += &format!(
            "{},{},{},\"{}\",BBVA\n",
            l["id"],
            l["date"].as_str().unwrap(),
            r.3,
            text
        );
    }
    let mut hl = String::from(
        "skip 1\nfields id, date, amount, text, acct\ncode %id\ndescription %text\naccount1 assets:bank\naccount2 rule:none\n",
    );
    for (k, r) in rules.rules.iter().enumerate().rev() {
        let pattern = r.description.as_ref().unwrap().as_str().trim_start_matches("(?i)");
        hl += &format!("\nif %text {pattern}\n");
        match r.amount.map(|a| format!("{a:?}")) {
            Some(a) if a.starts_with("Lt") => hl += "& %amount ^-\n",
            Some(a) if a.starts_with("Gt") => hl += "& %amount ^[^-]\n",
            Some(a) => panic!("no hledger matcher for {a}"),
            None => {}
        }
        if let Some(acct) = &r.account {
            hl += &format!("& %acct ^{acct}$\n");
        }
        hl += &format!("  account2 rule:{k}\n");
    }
    let data = write(dir.path(), "lines.csv", &csv);
    write(dir.path(), "lines.csv.rules", &hl);
    let out = std::process::Command::new("hledger")
        .args(["-f", &data, "print", "-O", "csv"])
        .output()
        .expect("hledger (scripts/test installs it)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut theirs: BTreeMap<i64, String> = BTreeMap::new();
    for row in csv::Reader::from_reader(out.stdout.as_slice()).records() {
        let row = row.unwrap();
        let account = &row[7];
        if let Some(rule) = account.strip_prefix("rule:") {
            theirs.insert(row[4].parse().unwrap(), rule.to_owned());
        }
    }
    assert_eq!(theirs.len(), receipts.len());
    for o in ours.as_array().unwrap() {
        let id = o["line_id"].as_i64().unwrap();
        let rule = match o["rule"].as_str() {
            Some(name) => rules.rules.iter().position(|r| r.name == name).unwrap().to_string(),
            None => "none".to_owned(),
        };
        assert_eq!(theirs[&id], rule, "line {id}: {o}");
    }
    // Every rule but the one for suppliers at another bank caught something.
    assert!(theirs.values().filter(|r| *r != "none").count() >= 10, "{theirs:?}");
}

#[tokio::test]
async fn a_bad_rule_is_refused_naming_it_and_its_line() {
    let (_keep, url) = common::fresh_sqlite();
    let dir = tempfile::tempdir().unwrap();
    setup(&url, dir.path());
    let bad = write(dir.path(), "bad.toml", &RULES.replace("(?i)nomina", "(?i)nomina["));
    let e = refused(&katalis(&url, &["rules", "import", &bad, "--company", BOOKS]));
    assert!(
        e.contains("line 10") && e.contains("\"Payroll\"") && e.contains("description"),
        "{e}"
    );
    let e = refused(&katalis(&url, &["rules", "test", "--rules", &bad, "--company", BOOKS]));
    assert!(e.contains("line 10"), "{e}");
    // The stored rules are unchanged.
    assert_eq!(run(&url, BOOKS, &["rules", "show"]).trim(), RULES.trim());
}

/// The Bank tab reconciles through the real store, at 80x24 and wide, in
/// English and Spanish: `v` shows the proposals, `Enter` accepts, `u` undoes,
/// `x` rejects, `c` categorises and keeps a rule, `s` splits (a mistake keeps
/// the text), and the footer balances the cleared against the statement.
#[tokio::test]
async fn the_bank_tab_reconciles() {
    for (url, _keep) in urls().await {
        // Boxed: the interface's futures are large for a test thread's stack.
        Box::pin(bank_tab_on(url)).await;
    }
}

async fn bank_tab_on(url: String) {
    use common::tui::{code, key, screen};
    use crossterm::event::KeyCode;
    use katalis::locale::Lang;
    use katalis::store::Store;
    use katalis::tui::app::{Action, App};
    {
        let dir = tempfile::tempdir().unwrap();
        setup(&url, dir.path());
        let ids = line_ids(&url);
        let store = katalis::store::AnyStore::connect(&url).await.unwrap();
        let c = store.company(BOOKS).await.unwrap();
        for lang in [Lang::En, Lang::Es] {
            let mut a = App::new(
                lang,
                katalis::tui::theme::Theme::monochrome("t"),
                katalis::tui::keymap::Keymap::default(),
                None,
            );
            let data = katalis::tui::data::load(&store, c.clone()).await.unwrap();
            press(&mut a, &store, Action::Loaded(Box::new(Ok(data)))).await;
            press(&mut a, &store, key('8')).await;
            press(&mut a, &store, key('v')).await;
            let es = lang == Lang::Es;
            for (w, h) in [(80, 24), (120, 40)] {
                let s = screen(&a, w, h);
                assert!(
                    s.contains(if es { "propuestos (8)" } else { "proposed (8)" }),
                    "{url} {w}x{h}:\n{s}"
                );
                assert!(s.contains(if es { "Diferencia" } else { "Difference" }), "{s}");
                assert!(
                    s.contains(if es { "Propuesta: amount" } else { "Proposal: amount" }),
                    "{s}"
                );
                assert!(s.contains("provisional") || s.contains("prov."), "{s}");
            }
        }
        let mut a = App::new(
            Lang::En,
            katalis::tui::theme::Theme::monochrome("t"),
            katalis::tui::keymap::Keymap::default(),
            None,
        );
        let data = katalis::tui::data::load(&store, c.clone()).await.unwrap();
        press(&mut a, &store, Action::Loaded(Box::new(Ok(data)))).await;
        press(&mut a, &store, key('8')).await;
        press(&mut a, &store, key('v')).await;
        // Newest first: the cash deposit's `amount` proposal. Accepted, then undone.
        press(&mut a, &store, code(KeyCode::Enter)).await;
        assert_eq!(
            payments(&store, c.id, "F-0112").await.len(),
            1,
            "{url}: {}",
            screen(&a, 120, 40)
        );
        assert!(screen(&a, 120, 40).contains("proposed (7)"), "{url}");
        for _ in 0..2 {
            press(&mut a, &store, key('v')).await;
        }
        assert!(screen(&a, 120, 40).contains("· matched (1)"), "{}", screen(&a, 120, 40));
        press(&mut a, &store, key('u')).await;
        assert!(payments(&store, c.id, "F-0112").await.is_empty(), "{url}");
        // Rejected: no longer proposed, unmatched.
        for _ in 0..3 {
            press(&mut a, &store, key('v')).await;
        }
        assert!(screen(&a, 120, 40).contains("proposed (8)"), "{}", screen(&a, 120, 40));
        press(&mut a, &store, key('x')).await;
        assert!(screen(&a, 120, 40).contains("proposed (7)"), "{url}");
        press(&mut a, &store, key('v')).await;
        let s = screen(&a, 120, 40);
        assert!(s.contains("unmatched (1)") && s.contains("DEPOSITO EN EFECTIVO"), "{s}");
        // A category by hand, kept as a rule.
        press(&mut a, &store, key('c')).await;
        press(&mut a, &store, key('j')).await;
        press(&mut a, &store, key('j')).await;
        press(&mut a, &store, code(KeyCode::Enter)).await;
        assert!(screen(&a, 120, 40).contains("Keep a rule"), "{}", screen(&a, 120, 40));
        press(&mut a, &store, key('y')).await;
        let rules = store.bank_rules(c.id).await.unwrap().unwrap();
        assert!(
            rules.starts_with("[[rule]]\nname = \"DEPOSITO EN EFECTIVO\""),
            "{rules}"
        );
        let tested = json(&url, BOOKS, &["rules", "test", "--format", "json"]);
        let cash = tested
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["line_id"] == ids["DEPOSITO EN EFECTIVO"])
            .unwrap()
            .clone();
        assert_eq!(cash["category"], "opex", "{cash}");
        // A split: a mistake keeps the text; then two invoices paid.
        press(&mut a, &store, key('v')).await; // matched
        press(&mut a, &store, key('v')).await; // categorised
        press(&mut a, &store, key('v')).await; // all
        press(&mut a, &store, key('v')).await; // proposed
        let s = screen(&a, 120, 40);
        let row = s
            .lines()
            .filter(|l| l.contains("│20"))
            .position(|l| l.contains("DEPOSITO ERRE"))
            .unwrap_or_else(|| panic!("{s}"));
        for _ in 0..row {
            press(&mut a, &store, key('j')).await;
        }
        press(&mut a, &store, key('s')).await;
        type_text(&mut a, &store, "F-0109").await;
        press(&mut a, &store, code(KeyCode::Enter)).await;
        let s = screen(&a, 120, 40);
        assert!(s.contains("> F-0109") && s.contains("NUMBER=AMOUNT"), "{s}");
        type_text(&mut a, &store, "=2360, F-0114=640").await;
        press(&mut a, &store, code(KeyCode::Enter)).await;
        assert_eq!(
            payments(&store, c.id, "F-0114").await.len(),
            1,
            "{}",
            screen(&a, 120, 40)
        );
        let f9: Vec<_> = payments(&store, c.id, "F-0109").await;
        assert_eq!(
            f9.iter().map(|p| (p.source.as_str(), p.amount)).collect::<Vec<_>>(),
            [("import", "1000".parse().unwrap()), ("bank", "2360".parse().unwrap())],
            "{url}"
        );
        store.close().await;
    }
}

async fn payments(store: &katalis::store::AnyStore, company: i64, n: &str) -> Vec<katalis::store::Payment> {
    use katalis::store::Store;
    store.payments(company, n).await.unwrap()
}

/// One action and what it sets off, its future boxed (a test thread's stack
/// would otherwise hold one per call in a debug build).
async fn press(a: &mut katalis::tui::app::App, store: &katalis::store::AnyStore, action: katalis::tui::app::Action) {
    Box::pin(common::tui::press(a, store, action)).await
}

async fn type_text(a: &mut katalis::tui::app::App, store: &katalis::store::AnyStore, text: &str) {
    for c in text.chars() {
        press(a, store, common::tui::key(c)).await;
    }
}

/// Where rules come from: `--rules FILE`, else the company's stored rules,
/// else `rules.toml` beside the configuration file.
#[tokio::test]
async fn stored_rules_win_over_the_configuration_and_a_file_over_both() {
    let (_keep, url) = common::fresh_sqlite();
    let dir = tempfile::tempdir().unwrap();
    setup(&url, dir.path());
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config/katalis");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("rules.toml"),
        "[[rule]]\nname = \"Config fees\"\ndescription = \"(?i)comision\"\ncategory = \"cogs\"\n",
    )
    .unwrap();
    let fee = |args: &[&str]| -> (String, String) {
        let mut all = vec!["rules", "test", "--format", "json", "--company", BOOKS];
        all.extend(args);
        let v: Value = serde_json::from_str(&stdout_ok(&common::katalis_in(&url, home.path(), &all))).unwrap();
        let first = &v.as_array().unwrap()[0];
        (
            first["rule"].as_str().unwrap_or("").to_owned(),
            first["category"].as_str().unwrap_or("").to_owned(),
        )
    };
    assert_eq!(fee(&[]), ("Bank fees".into(), "opex".into()), "stored rules win");
    stdout_ok(&common::katalis_in(
        &url,
        home.path(),
        &["rules", "clear", "--company", BOOKS],
    ));
    assert_eq!(
        fee(&[]),
        ("Config fees".into(), "cogs".into()),
        "then the configuration's"
    );
    let file = write(
        dir.path(),
        "other.toml",
        "[[rule]]\nname = \"File fees\"\ndescription = \"(?i)comision\"\ncategory = \"ignore\"\n",
    );
    assert_eq!(
        fee(&["--rules", &file]),
        ("File fees".into(), "ignore".into()),
        "--rules first"
    );
}
