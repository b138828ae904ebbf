//! The import dialog, keys in and state out, its effects run against real
//! SQLite and PostgreSQL stores as the runtime runs them; snapshots at 80x24
//! and 120x40 in English and Spanish.

mod common;

use crossterm::event::KeyCode;
use insta::assert_snapshot;
use katalis::locale::Lang;
use katalis::store::{AnyStore, Store};
use katalis::tui::app::{Action, App, Effect};
use katalis::tui::import_dialog::{Focus, Loaded};
use katalis::tui::keymap::Keymap;
use katalis::tui::theme::Theme;

const XLSX: &str = "tests/fixtures/books/financials-es.xlsx";

use common::tui::{code, key, press, screen, settle, type_text};

/// A store with company "Libro" holding one month, and "Canon" with the six
/// months of the spreadsheet as our CSV; the app opened on Libro.
async fn setup(store: &AnyStore, lang: Lang) -> App {
    use katalis::domain::NewCompany;
    use katalis::import::{Kind, import_file};
    use katalis::store::ImportTarget;
    let new = |name: &str| {
        ImportTarget::Create(NewCompany {
            name: name.into(),
            industry: String::new(),
            currency: "MXN".into(),
            fiscal_year_start: 1,
            locale: "es-MX".into(),
        })
    };
    let one = tempfile::NamedTempFile::with_suffix(".csv").unwrap();
    std::fs::write(one.path(), "month,revenue,cogs,opex,cash_end\n2025-01,1,1,1,1\n").unwrap();
    import_file(store, &new("Libro"), Kind::Financials, one.path())
        .await
        .unwrap();
    let canon = std::path::Path::new("tests/fixtures/books/financials-canonical.csv");
    import_file(store, &new("Canon"), Kind::Financials, canon)
        .await
        .unwrap();
    let c = store.company("Libro").await.unwrap();
    let data = katalis::tui::data::load(store, c).await.unwrap();
    let mut a = App::new(lang, Theme::monochrome("t"), Keymap::default(), None);
    a.update(Action::Loaded(Box::new(Ok(data))));
    a.message = None;
    a
}

#[tokio::test]
async fn the_dialog_reads_guesses_previews_saves_and_imports() {
    for s in common::stores().await {
        let store = &s.store;
        let mut a = setup(store, Lang::En).await;
        press(&mut a, store, key('i')).await;
        assert!(a.import.is_some(), "i opens the dialog");
        // Tab completes the path as far as it is unambiguous and lists the rest.
        type_text(&mut a, store, "tests/fixtures/books/fin").await;
        press(&mut a, store, code(KeyCode::Tab)).await;
        let d = a.import.as_ref().unwrap();
        assert_eq!(d.path, "tests/fixtures/books/financials-");
        assert_eq!(d.completions.len(), 3, "{:?}", d.completions);
        type_text(&mut a, store, "es.xlsx").await;
        press(&mut a, store, code(KeyCode::Enter)).await;
        let d = a.import.as_ref().unwrap();
        let Loaded::Table { sheets, .. } = &d.loaded else {
            panic!("{}: not read: {:?}", s.name, d.loaded)
        };
        assert_eq!(sheets, &["Notas", "Resumen"]);
        // The sheet whose headers name our fields is chosen, and the columns guessed.
        assert_eq!(d.mapping.sheet.as_deref(), Some("Resumen"));
        let guessed: Vec<(&str, &str)> = d
            .mapping
            .columns
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            guessed,
            [
                ("cash_end", "Caja al cierre"),
                ("cogs", "Costo de ventas"),
                ("customers_end", "Clientes activos"),
                ("month", "Mes"),
                ("opex", "Gastos operativos"),
                ("revenue", "Ventas netas"),
            ]
        );
        let preview = d.preview.as_ref().unwrap();
        assert_eq!(preview.len(), 7, "six months and the totals row");
        assert_eq!(preview[0].0, 4, "rows are numbered as the sheet shows them");
        assert_eq!(preview[0].1.as_ref().unwrap()[..3], ["2025-01", "84250.5", "30100.25"]);
        assert_eq!(d.focus, Focus::Kind);

        // s saves the mapping under the file's name.
        press(&mut a, store, key('s')).await;
        let libro = store.company("Libro").await.unwrap();
        let saved = store.mappings(libro.id).await.unwrap();
        assert_eq!(saved.len(), 1, "{}", s.name);
        assert_eq!(saved[0].name, "financials-es");

        // Enter imports into the open company; the dialog closes and the view reloads.
        press(&mut a, store, code(KeyCode::Enter)).await;
        assert!(a.import.is_none(), "{}: {:?}", s.name, a.message);
        assert_eq!(a.message.as_ref().unwrap().0, "Imported 6 rows (1 skipped)");
        let canon = store.company("Canon").await.unwrap();
        assert_eq!(
            store.financials(libro.id).await.unwrap(),
            store.financials(canon.id).await.unwrap(),
            "{}",
            s.name
        );
        assert_eq!(a.data.as_ref().unwrap().snapshot.monthly.len(), 6, "the view reloaded");
    }
}

#[tokio::test]
async fn errors_show_at_their_row_and_a_refused_or_cancelled_import_writes_nothing() {
    for s in common::stores().await {
        let store = &s.store;
        let mut a = setup(store, Lang::En).await;
        let libro = store.company("Libro").await.unwrap();
        let before = store.financials(libro.id).await.unwrap();
        press(&mut a, store, key('i')).await;
        type_text(&mut a, store, XLSX).await;
        press(&mut a, store, code(KeyCode::Enter)).await;
        // Point revenue at the month column: each row shows its problem.
        press(&mut a, store, code(KeyCode::Down)).await; // sheet
        press(&mut a, store, code(KeyCode::Down)).await; // month
        press(&mut a, store, code(KeyCode::Down)).await; // revenue
        press(&mut a, store, code(KeyCode::Left)).await;
        let d = a.import.as_ref().unwrap();
        assert_eq!(d.mapping.columns["revenue"], "Mes");
        let rows = d.preview.as_ref().unwrap();
        let problem = rows[0].1.as_ref().unwrap_err();
        assert_eq!(problem[0].row, Some(4));
        assert_eq!(problem[0].column.as_deref(), Some("Mes (revenue)"));
        // One picture (SQLite's): on PostgreSQL the status bar also names the role.
        if s.name == "sqlite" {
            assert_snapshot!("import_row_errors_80x24", screen(&a, 80, 24));
        }
        // Enter tries, and the import is refused whole: nothing written, the dialog stays.
        press(&mut a, store, code(KeyCode::Enter)).await;
        let d = a.import.as_ref().unwrap();
        assert!(
            d.error.as_ref().unwrap().contains("row 4, column Mes (revenue)"),
            "{:?}",
            d.error
        );
        assert_eq!(store.financials(libro.id).await.unwrap(), before, "{}", s.name);

        // Put revenue back; start the import and cancel it with Esc before it writes.
        press(&mut a, store, code(KeyCode::Right)).await;
        let effects = a.update(code(KeyCode::Enter));
        assert!(matches!(effects.as_slice(), [Effect::Import(_)]));
        assert!(a.import.as_ref().unwrap().running.is_some());
        // One picture (SQLite's): on PostgreSQL the status bar also names the role.
        if s.name == "sqlite" {
            assert_snapshot!("import_running_80x24", screen(&a, 80, 24));
        }
        a.update(code(KeyCode::Esc));
        assert!(a.import.is_some(), "Esc while running cancels, it does not close");
        settle(&mut a, store, effects).await;
        assert_eq!(a.message, None);
        let d = a.import.as_ref().unwrap();
        assert_eq!(d.error.as_deref(), Some("Import cancelled; nothing was written"));
        assert!(d.running.is_none());
        assert_eq!(
            store.financials(libro.id).await.unwrap(),
            before,
            "{}: cancelled",
            s.name
        );
        // Esc now closes.
        a.update(code(KeyCode::Esc));
        assert!(a.import.is_none());
    }
}

#[tokio::test]
async fn the_dialog_imports_a_cfdi_folder_and_a_journal() {
    for s in common::stores().await {
        let store = &s.store;
        let mut a = setup(store, Lang::Es).await;
        press(&mut a, store, key('i')).await;
        type_text(&mut a, store, "tests/fixtures/books/cfdi/ok").await;
        press(&mut a, store, code(KeyCode::Enter)).await;
        // A CFDI set needs the company's RFC first.
        let d = a.import.as_ref().unwrap();
        assert_eq!(d.focus, Focus::Rfc);
        assert_eq!(d.error.as_deref(), Some("Escriba el RFC de la empresa"));
        type_text(&mut a, store, "TLA010101AB1").await;
        press(&mut a, store, code(KeyCode::Enter)).await;
        let Loaded::Ready(katalis::import::source::Ready { summary, rows, .. }) = &a.import.as_ref().unwrap().loaded
        else {
            panic!("{}: {:?}", s.name, a.import.as_ref().unwrap().loaded)
        };
        assert!(summary.starts_with("6 invoices from 10 files"), "{summary}");
        assert_eq!(rows.len(), 6);
        // One picture (SQLite's): on PostgreSQL the status bar also names the role.
        if s.name == "sqlite" {
            assert_snapshot!("import_cfdi_es_120x40", screen(&a, 120, 40));
        }
        press(&mut a, store, code(KeyCode::Enter)).await;
        assert_eq!(a.message.as_ref().unwrap().0, "Importadas 6 filas (0 omitidas)");
        let libro = store.company("Libro").await.unwrap();
        assert_eq!(store.invoices(libro.id).await.unwrap().len(), 6);

        // A journal: its months as they would be stored, then imported.
        press(&mut a, store, key('i')).await;
        type_text(&mut a, store, "tests/fixtures/books/company.journal").await;
        press(&mut a, store, code(KeyCode::Enter)).await;
        let Loaded::Ready(katalis::import::source::Ready { summary, .. }) = &a.import.as_ref().unwrap().loaded else {
            panic!()
        };
        assert!(summary.contains("4 months from 22 transactions"), "{summary}");
        // The journal is in dollars, the company in pesos: nothing of it is in MXN.
        assert!(summary.contains("postings not in MXN skipped"), "{summary}");
    }
}

#[tokio::test]
async fn snapshots_in_both_languages_and_sizes() {
    for lang in [Lang::En, Lang::Es] {
        let (_dir, url) = common::fresh_sqlite();
        let store = AnyStore::connect(&url).await.unwrap();
        let mut a = setup(&store, lang).await;
        press(&mut a, &store, key('i')).await;
        assert_snapshot!(format!("import_empty_{lang:?}_80x24"), screen(&a, 80, 24));
        type_text(&mut a, &store, XLSX).await;
        press(&mut a, &store, code(KeyCode::Enter)).await;
        assert_snapshot!(format!("import_xlsx_{lang:?}_80x24"), screen(&a, 80, 24));
        assert_snapshot!(format!("import_xlsx_{lang:?}_120x40"), screen(&a, 120, 40));
    }
}

#[tokio::test]
async fn a_first_run_imports_your_books_into_a_new_company_that_then_opens() {
    for s in common::stores().await {
        let store = &s.store;
        for lang in [Lang::En, Lang::Es] {
            let mut a = App::new(lang, Theme::monochrome("t"), Keymap::default(), None);
            settle(&mut a, store, vec![Effect::LoadCompanies]).await;
            let name = format!("Tallo {lang:?}");
            if store.companies().await.unwrap().is_empty() {
                // The empty store offers the demo, your own books, or quitting.
                if s.name == "sqlite" {
                    for l in [Lang::En, Lang::Es] {
                        let mut b = App::new(l, Theme::monochrome("t"), Keymap::default(), None);
                        b.update(Action::Companies(Ok(Vec::new())));
                        assert_snapshot!(format!("first_run_{l:?}_80x24"), screen(&b, 80, 24));
                        assert_snapshot!(format!("first_run_{l:?}_120x40"), screen(&b, 120, 40));
                    }
                }
                press(&mut a, store, key('i')).await;
            } else {
                // Later: the company chooser has "+ new company" after the companies.
                press(&mut a, store, key('c')).await;
                for _ in 0..5 {
                    press(&mut a, store, code(KeyCode::Down)).await;
                }
                if s.name == "sqlite" {
                    assert_snapshot!(format!("chooser_new_company_{lang:?}_80x24"), screen(&a, 80, 24));
                }
                press(&mut a, store, code(KeyCode::Enter)).await;
            }
            let d = a.import.as_ref().expect("the import dialog for a new company");
            assert_eq!(d.focus, Focus::Name);
            type_text(&mut a, store, &name).await;
            press(&mut a, store, code(KeyCode::Down)).await;
            for _ in 0..3 {
                press(&mut a, store, code(KeyCode::Backspace)).await;
            }
            type_text(&mut a, store, "mxn").await;
            press(&mut a, store, code(KeyCode::Down)).await;
            press(&mut a, store, code(KeyCode::Right)).await; // the other language
            press(&mut a, store, code(KeyCode::Down)).await;
            type_text(&mut a, store, "tests/fixtures/books/estados-financieros-es.xlsx").await;
            press(&mut a, store, code(KeyCode::Enter)).await;
            // Months across are recognised and read as statements, both sheets.
            let d = a.import.as_ref().unwrap();
            let Loaded::Ready(katalis::import::source::Ready { summary, rows, .. }) = &d.loaded else {
                panic!("{}: {:?}", s.name, d.loaded)
            };
            assert!(summary.starts_with("6 months from"), "{summary}");
            assert_eq!(
                summary,
                "6 months from sheet Estado de resultados (P&L) and sheet Balance general (balance sheet)"
            );
            assert_eq!(rows.len(), 6);
            if s.name == "sqlite" {
                assert_snapshot!(format!("first_run_import_{lang:?}_120x40"), screen(&a, 120, 40));
                assert_snapshot!(format!("first_run_import_{lang:?}_80x24"), screen(&a, 80, 24));
            }
            press(&mut a, store, code(KeyCode::Enter)).await;
            assert!(a.import.is_none(), "{}: {:?}", s.name, a.message);
            let c = store.company(&name).await.unwrap();
            assert_eq!(c.currency, "MXN");
            assert_eq!(c.locale, if lang == Lang::En { "es-MX" } else { "en-US" });
            // The new company opens on its dashboard.
            let data = a.data.as_ref().expect("the new company is open");
            assert_eq!(data.company.name, name);
            assert_eq!(data.snapshot.monthly.len(), 6);
            let want = {
                let mut v: Vec<String> = std::fs::read_to_string("tests/fixtures/books/months-across-expected.csv")
                    .unwrap()
                    .lines()
                    .skip(1)
                    .map(|l| l.split(',').nth(1).unwrap().to_owned())
                    .collect();
                v.sort();
                v
            };
            let mut got: Vec<String> = store
                .financials(c.id)
                .await
                .unwrap()
                .iter()
                .map(|m| format!("{:.2}", m.revenue))
                .collect();
            got.sort();
            assert_eq!(got, want, "{}", s.name);
        }
    }
}

#[tokio::test]
async fn a_new_company_needs_a_name_and_a_currency_and_esc_goes_back_to_the_first_run() {
    for s in common::stores().await {
        let store = &s.store;
        let mut a = App::new(Lang::En, Theme::monochrome("t"), Keymap::default(), None);
        settle(&mut a, store, vec![Effect::LoadCompanies]).await;
        press(&mut a, store, key('i')).await;
        press(&mut a, store, code(KeyCode::Down)).await;
        press(&mut a, store, code(KeyCode::Down)).await;
        press(&mut a, store, code(KeyCode::Down)).await;
        type_text(&mut a, store, "tests/fixtures/books/financials-canonical.csv").await;
        press(&mut a, store, code(KeyCode::Enter)).await; // read
        // A mapping belongs to the company imported into, which the import makes.
        press(&mut a, store, key('s')).await;
        assert_eq!(
            a.message.as_ref().map(|m| m.0.as_str()),
            Some("The new company is made by the import: save the mapping after it")
        );
        press(&mut a, store, code(KeyCode::Enter)).await; // import: no name yet
        let d = a.import.as_ref().unwrap();
        assert_eq!(d.error.as_deref(), Some("Type the new company's name"));
        assert!(store.companies().await.unwrap().is_empty(), "{}", s.name);
        press(&mut a, store, code(KeyCode::Esc)).await;
        assert!(a.import.is_none());
        assert_eq!(
            a.overlay,
            katalis::tui::app::Overlay::ConfirmDemo,
            "back to the first-run choice"
        );
    }
}

#[tokio::test]
async fn the_dialog_imports_bank_statements_into_an_account() {
    for s in common::stores().await {
        let store = &s.store;
        let mut a = setup(store, Lang::Es).await;
        // The portal's CSV: read as a statement, its Spanish dates day first.
        press(&mut a, store, key('i')).await;
        type_text(&mut a, store, "tests/fixtures/bank/movimientos-es.csv").await;
        press(&mut a, store, code(KeyCode::Enter)).await;
        let d = a.import.as_ref().unwrap();
        assert_eq!(d.kind, katalis::import::Kind::Statement, "{}", s.name);
        assert_eq!(d.mapping.date_format.as_deref(), Some("DD/MM/YYYY"));
        assert!(
            d.preview.as_ref().is_ok_and(|rows| rows.iter().all(|(_, r)| r.is_ok())),
            "{:?}",
            d.preview
        );
        // The account: typed over the name suggested.
        press(&mut a, store, code(KeyCode::Down)).await;
        assert_eq!(a.import.as_ref().unwrap().focus, Focus::Account);
        for _ in 0..a.import.as_ref().unwrap().account.chars().count() {
            press(&mut a, store, code(KeyCode::Backspace)).await;
        }
        type_text(&mut a, store, "BBVA 1234").await;
        if s.name == "sqlite" {
            assert_snapshot!("import_statement_es_80x24", screen(&a, 80, 24));
        }
        press(&mut a, store, code(KeyCode::Enter)).await;
        assert!(a.import.is_none(), "{}: {:?}", s.name, a.message);
        assert_eq!(a.message.as_ref().unwrap().0, "Importadas 11 filas (0 omitidas)");
        let libro = store.company("Libro").await.unwrap();
        let accounts = store.bank_accounts(libro.id).await.unwrap();
        assert_eq!(accounts.len(), 1);
        assert_eq!(accounts[0].name, "BBVA 1234");
        assert_eq!(katalis::domain::money_text(accounts[0].balance), "1230850.35");

        // An OFX of the same account: read whole, its lines already there.
        press(&mut a, store, key('i')).await;
        type_text(&mut a, store, "tests/fixtures/bank/statement-v2.ofx").await;
        press(&mut a, store, code(KeyCode::Enter)).await;
        let d = a.import.as_ref().unwrap();
        let Loaded::Ready(katalis::import::source::Ready { summary, rows, .. }) = &d.loaded else {
            panic!("{}: {:?}", s.name, d.loaded)
        };
        assert!(
            summary.starts_with("11 lines (ofx), account 012180001234567897"),
            "{summary}"
        );
        assert_eq!(rows.len(), 11);
        assert_eq!(d.account, "012180001234567897", "the account the file names");
        // Into the CSV's account: every line has another key there (the OFX
        // has the bank's ids), so they are added as a second account's would be.
        press(&mut a, store, code(KeyCode::Enter)).await;
        assert_eq!(a.message.as_ref().unwrap().0, "Importadas 11 filas (0 omitidas)");
        // Again: nothing added.
        press(&mut a, store, key('i')).await;
        type_text(&mut a, store, "tests/fixtures/bank/statement-v2.ofx").await;
        press(&mut a, store, code(KeyCode::Enter)).await;
        press(&mut a, store, code(KeyCode::Enter)).await;
        assert_eq!(a.message.as_ref().unwrap().0, "Importadas 0 filas (11 omitidas)");
        let accounts = store.bank_accounts(libro.id).await.unwrap();
        assert_eq!(accounts.len(), 2, "{}", s.name);
        // A broken statement: refused in the dialog, nothing written.
        press(&mut a, store, key('i')).await;
        type_text(&mut a, store, "tests/fixtures/bank/missing-close.ofx").await;
        press(&mut a, store, code(KeyCode::Enter)).await;
        let Loaded::Failed(e) = &a.import.as_ref().unwrap().loaded else {
            panic!()
        };
        assert!(e.contains("expected </STMTTRN>"), "{e}");
    }
}
