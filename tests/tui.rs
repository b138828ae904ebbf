//! The interface without a terminal: `update` with keys in and state out, and
//! snapshots of every tab drawn into a test buffer.

mod common;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use insta::assert_snapshot;
use katalis::commands::demo::DEMO;
use katalis::domain::{Company, Invoice, Product};
use katalis::finance::collections::{collections, collections_input, open_at};
use katalis::finance::{Ledger, as_of_month};
use katalis::import::{Kind, parse};
use katalis::locale::Lang;
use katalis::store::ImportBatch;
use katalis::tui::app::{Action, App, Effect, Overlay, Tab};
use katalis::tui::data::CompanyData;
use katalis::tui::form::Record;
use katalis::tui::keymap::Keymap;
use katalis::tui::render::draw;
use katalis::tui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn company(i: usize) -> Company {
    let names = [
        ("Tallo Analytics", "USD", "es-MX"),
        ("Sazón de Barrio", "COP", "es-CO"),
        ("Distribuidora Río Bravo", "MXN", "es-MX"),
    ];
    let (name, currency, locale) = names[i];
    Company {
        id: i as i64 + 1,
        name: name.into(),
        industry: String::new(),
        currency: currency.into(),
        fiscal_year_start: 1,
        locale: locale.into(),
    }
}

/// A demo company computed by the engine straight from its files (no store).
fn demo(i: usize) -> CompanyData {
    let d = &DEMO[i];
    let ImportBatch::Financials(fin) = parse(Kind::Financials, "f", d.financials.as_bytes()).unwrap() else {
        panic!()
    };
    let ImportBatch::Products(products) = parse(Kind::Products, "p", d.products.as_bytes()).unwrap() else {
        panic!()
    };
    let ImportBatch::Invoices(invoices) = parse(Kind::Invoices, "i", d.invoices.as_bytes()).unwrap() else {
        panic!()
    };
    let ledger = Ledger::new(fin);
    let m = as_of_month(&ledger, None).unwrap();
    let input = collections_input(&invoices, m);
    let dso: Vec<_> = (0..12)
        .rev()
        .map(|k| m.plus(-k))
        .map(|mm| collections(&collections_input(&invoices, mm), mm).dso)
        .collect();
    let mut open: Vec<Invoice> = invoices
        .into_iter()
        .filter(|x| open_at(x, m.last_day()) > rust_decimal::Decimal::ZERO)
        .collect();
    open.sort_by(|a, b| a.due_date.cmp(&b.due_date).then(a.number.cmp(&b.number)));
    let mut data = CompanyData::build(company(i), ledger, products, &input, open, m);
    // The second loading step, as the runtime does it.
    data.trends.dso = dso;
    data
}

fn app(lang: Lang, i: usize) -> App {
    let mut app = App::new(lang, Theme::monochrome("test"), Keymap::default(), None);
    app.update(Action::Companies(Ok((0..3).map(company).collect())));
    app.update(Action::Loaded(Box::new(Ok(demo(i)))));
    app.message = None;
    app
}

fn key(c: char) -> Action {
    Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn code(c: KeyCode) -> Action {
    Action::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

fn screen(app: &App, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| draw(app, f)).unwrap();
    t.backend().to_string()
}

#[test]
fn every_tab_at_80x24_and_120x40() {
    let mut a = app(Lang::En, 0);
    for (i, tab) in Tab::ALL.iter().enumerate() {
        a.update(key(char::from(b'1' + i as u8)));
        assert_eq!(a.tab, *tab);
        assert_snapshot!(format!("tab{}_{:?}_80x24", i + 1, tab), screen(&a, 80, 24));
        assert_snapshot!(format!("tab{}_{:?}_120x40", i + 1, tab), screen(&a, 120, 40));
    }
}

#[test]
fn dashboard_in_spanish_with_colombian_separators() {
    let a = app(Lang::Es, 1);
    let s = screen(&a, 80, 24);
    assert!(s.contains("Tablero"));
    assert!(s.contains("COP"));
    assert_snapshot!("dashboard_es_80x24", s);
    assert_snapshot!("dashboard_es_120x40", screen(&a, 120, 40));
    let d = app(Lang::Es, 2);
    assert_snapshot!("collections_es_distributor_120x40", {
        let mut d = d;
        d.update(key('7'));
        screen(&d, 120, 40)
    });
}

#[test]
fn help_overlay_lists_the_bindings_of_the_view() {
    let mut a = app(Lang::En, 0);
    a.update(key('?'));
    assert_eq!(a.overlay, Overlay::Help);
    let dash = screen(&a, 80, 24);
    assert!(
        dash.contains("quit") && !dash.contains("filter the table"),
        "the dashboard has no table to filter"
    );
    assert_snapshot!("help_dashboard", dash);
    a.update(code(KeyCode::Esc));
    a.update(key('7'));
    a.update(key('?'));
    let col = screen(&a, 100, 34);
    assert!(col.contains("filter the table"));
    assert_snapshot!("help_collections", col);
    // An override changes what the help says.
    let table: toml::Table = toml::from_str("quit = \"ctrl-q\"").unwrap();
    a.keymap = Keymap::default().with_overrides(&table).unwrap();
    assert!(screen(&a, 100, 34).contains("Ctrl-q"));
}

#[test]
fn too_small_screens_never_panic() {
    let a = app(Lang::En, 0);
    for w in 1..=80 {
        for h in [1, 2, 5, 10, 15, 16, 17, 23, 24] {
            let _ = screen(&a, w, h);
        }
    }
    for h in 1..=24 {
        let _ = screen(&a, 60, h);
    }
    assert_snapshot!("too_small_40x12", screen(&a, 40, 12));
    let mut b = app(Lang::En, 0);
    for t in 1..=7 {
        b.update(key(char::from(b'0' + t)));
        for (w, h) in [(60, 16), (61, 17), (200, 50)] {
            let _ = screen(&b, w, h);
        }
    }
}

#[test]
fn keys_move_between_tabs_and_rows() {
    let mut a = app(Lang::En, 0);
    a.update(code(KeyCode::Tab));
    assert_eq!(a.tab, Tab::UnitEconomics);
    a.update(code(KeyCode::BackTab));
    a.update(code(KeyCode::BackTab));
    assert_eq!(a.tab, Tab::Collections);
    a.update(key('2'));
    a.update(key('j'));
    a.update(code(KeyCode::Down));
    assert_eq!(a.rows[1], 2);
    a.update(key('G'));
    assert_eq!(a.rows[1], 29, "30 months, the last row");
    a.update(key('g'));
    assert_eq!(a.rows[1], 0);
    a.update(key('k'));
    assert_eq!(a.rows[1], 0, "never above the first row");
    a.update(key('q'));
    assert!(a.quit);
}

#[test]
fn filtering_takes_digits_as_text_not_tabs() {
    let mut a = app(Lang::En, 2);
    a.update(key('7'));
    let all = a.row_count();
    a.update(key('/'));
    for c in "Linderos".chars() {
        a.update(key(c));
    }
    assert_eq!(a.tab, Tab::Collections);
    let some = a.row_count();
    assert!(some > 0 && some < all, "{some} of {all}");
    a.update(key('1'));
    assert_eq!(a.tab, Tab::Collections, "a digit while filtering goes to the filter");
    assert_eq!(a.filter, "Linderos1");
    assert_eq!(a.row_count(), 0);
    a.update(code(KeyCode::Esc));
    assert_eq!(a.filter, "");
    assert_eq!(a.row_count(), all);
}

#[test]
fn company_switcher_asks_for_the_chosen_company() {
    let mut a = app(Lang::En, 0);
    a.update(key('c'));
    assert_eq!(a.overlay, Overlay::Companies { selected: 0 });
    a.update(key('j'));
    a.update(key('j'));
    let effects = a.update(code(KeyCode::Enter));
    assert_eq!(effects, vec![Effect::LoadCompany(company(2))]);
    assert_eq!(a.overlay, Overlay::None);
}

#[test]
fn an_empty_store_offers_the_demo() {
    let mut a = App::new(Lang::En, Theme::monochrome("t"), Keymap::default(), None);
    assert_eq!(a.update(Action::Companies(Ok(vec![]))), vec![]);
    assert_eq!(a.overlay, Overlay::ConfirmDemo);
    assert_snapshot!("confirm_demo", screen(&a, 80, 24));
    assert_eq!(a.update(key('y')), vec![Effect::LoadDemo]);
    assert_eq!(a.update(Action::DemoLoaded(Ok(()))), vec![Effect::LoadCompanies]);
}

fn type_into_form(a: &mut App, text: &str) {
    // Clear the field, then type.
    for _ in 0..20 {
        a.update(code(KeyCode::Backspace));
    }
    for c in text.chars() {
        a.update(key(c));
    }
}

#[test]
fn editing_a_product_validates_and_asks_to_save() {
    let mut a = app(Lang::En, 0);
    a.update(key('4'));
    a.update(key('j')); // PLAN-GROWTH
    a.update(key('e'));
    assert!(a.form.is_some());
    type_into_form(&mut a, "1,99");
    assert!(
        screen(&a, 80, 24).contains("decimal with a dot"),
        "the bad value is marked"
    );
    assert_eq!(
        a.update(code(KeyCode::Enter)),
        vec![],
        "nothing is saved while a field is bad"
    );
    assert_eq!(
        a.form.as_ref().map(|f| f.text(1)),
        Some("1,99".to_owned()),
        "the text is kept"
    );
    type_into_form(&mut a, "219.50");
    assert_snapshot!("product_form", screen(&a, 80, 24));
    let effects = a.update(code(KeyCode::Enter));
    let [Effect::Save(save)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    let (Record::Product(original), Record::Product(updated)) = (&save.original, &save.updated) else {
        panic!()
    };
    assert_eq!(original.sku, "PLAN-GROWTH");
    assert_eq!(updated.unit_price.to_string(), "219.50");
    // A refused save keeps the form and its text, and reloads the company.
    let effects = a.update(Action::Saved(Err("product changed by someone else".into())));
    assert_eq!(effects, vec![Effect::LoadCompany(company(0))]);
    assert_eq!(a.form.as_ref().map(|f| f.text(1)), Some("219.50".to_owned()));
    a.update(Action::Saved(Ok("PLAN-GROWTH".into())));
    assert!(a.form.is_none());
}

#[test]
fn pricing_inputs_take_typed_values() {
    let mut a = app(Lang::En, 0);
    a.update(key('4'));
    a.update(key('l'));
    a.update(code(KeyCode::Enter));
    assert!(a.pricing.editing);
    for _ in 0..3 {
        a.update(code(KeyCode::Backspace));
    }
    for c in "25".chars() {
        a.update(key(c));
    }
    a.update(code(KeyCode::Enter));
    assert_eq!(a.pricing.values[1], "25");
    // ADD-API costs 12.50: a 25 % target margin prices it at 16.67.
    assert!(screen(&a, 80, 24).contains("Target-margin price: 16.67"));
}

#[test]
fn outside_text_is_neutralised_on_screen() {
    let mut d = demo(0);
    d.company.name = "Evil\u{1b}]52;c;aGk=\u{7}\u{1b}[31mCorp\u{202e}".into();
    if let Some(i) = d.open_invoices.first_mut() {
        i.customer = "Bad\u{1b}[2J\u{9b}1mName".into();
    }
    let mut a = App::new(Lang::En, Theme::monochrome("t"), Keymap::default(), None);
    a.update(Action::Loaded(Box::new(Ok(d))));
    a.update(key('7'));
    let s = screen(&a, 120, 40);
    assert!(s.contains("EvilCorp") && s.contains("BadName"), "{s}");
    assert!(!s.contains('\u{1b}') && !s.contains('\u{202e}') && !s.contains('\u{9b}'));
}

/// Edits through the real store: the report changes; a stale edit is refused.
#[tokio::test]
async fn a_product_edited_in_the_interface_changes_the_report() {
    use katalis::store::Store;
    for s in common::stores().await {
        katalis::commands::demo::load(&s.store).await.unwrap();
        let c = s.store.company("Tallo Analytics").await.unwrap();
        let data = katalis::tui::data::load(&s.store, c.clone()).await.unwrap();
        let mut a = App::new(Lang::En, Theme::monochrome("t"), Keymap::default(), None);
        a.update(Action::Loaded(Box::new(Ok(data))));
        a.update(key('4'));
        a.update(key('e'));
        type_into_form(&mut a, "109");
        let effects = a.update(code(KeyCode::Enter));
        let [Effect::Save(save)] = effects.as_slice() else {
            panic!("{effects:?}")
        };
        let (Record::Product(original), Record::Product(updated)) = (&save.original, &save.updated) else {
            panic!()
        };
        s.store.update_product(c.id, original, updated).await.unwrap();
        let loaded = katalis::commands::load_snapshot(&s.store, &c, None).await.unwrap();
        let json = katalis::report::Report {
            company: &c,
            snapshot: &loaded,
        }
        .to_json();
        assert_eq!(json["pricing"]["products"][0]["unit_price"], "109.00", "{}", s.name);
        // The same save again is based on stale data now: refused, nothing changed.
        let err = s.store.update_product(c.id, original, updated).await.unwrap_err();
        assert!(err.to_string().contains("changed or removed by someone else"), "{err}");
        let products: Vec<Product> = s.store.products(c.id).await.unwrap();
        assert_eq!(products[0].unit_price.normalize().to_string(), "109");
    }
}

/// `assets/*.svg` are drawn from the app; this keeps them in step with it.
/// Regenerate with `KATALIS_WRITE_ASSETS=1 cargo test --test tui screenshots`.
#[test]
fn screenshots_in_assets_match_the_app() {
    use katalis::tui::theme::{BUILTIN, Palette};
    let shots = [
        (0usize, '1', "dashboard"),
        (0, '3', "cash-flow"),
        (0, '4', "pricing"),
        (0, '6', "planning"),
        (2, '7', "collections"),
    ];
    for (company_index, tab, name) in shots {
        let mut a = app(Lang::En, company_index);
        a.theme = Theme::parse(BUILTIN[0].1, Palette::TrueColor).unwrap();
        a.update(key(tab));
        let mut t = Terminal::new(TestBackend::new(120, 40)).unwrap();
        t.draw(|f| draw(&a, f)).unwrap();
        let svg = katalis::tui::svg::to_svg(t.backend().buffer());
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("assets/{name}.svg"));
        if std::env::var_os("KATALIS_WRITE_ASSETS").is_some() {
            std::fs::write(&path, &svg).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == svg,
            "{} is out of date: regenerate it (see this test)",
            path.display()
        );
    }
}

/// Months and invoices edit too, through the store, with stale edits refused.
#[tokio::test]
async fn months_and_invoices_are_edited_through_the_store() {
    use katalis::store::Store;
    for s in common::stores().await {
        katalis::commands::demo::load(&s.store).await.unwrap();
        let c = s.store.company("Distribuidora Río Bravo").await.unwrap();
        let data = katalis::tui::data::load(&s.store, c.clone()).await.unwrap();
        let mut a = App::new(Lang::En, Theme::monochrome("t"), Keymap::default(), None);
        a.update(Action::Loaded(Box::new(Ok(data))));
        // The newest month, from the cash-flow table: change the ending cash.
        a.update(key('3'));
        a.update(key('e'));
        assert!(screen(&a, 80, 24).contains("Edit month 2026-10"));
        for _ in 0..7 {
            a.update(code(KeyCode::Tab));
        }
        type_into_form(&mut a, "4000000");
        let effects = a.update(code(KeyCode::Enter));
        let [Effect::Save(save)] = effects.as_slice() else {
            panic!("{effects:?}")
        };
        let (Record::Month(o), Record::Month(u)) = (&save.original, &save.updated) else {
            panic!()
        };
        s.store.update_month(c.id, o, u).await.unwrap();
        let l = katalis::commands::load_snapshot(&s.store, &c, None).await.unwrap();
        let json = katalis::report::Report {
            company: &c,
            snapshot: &l,
        }
        .to_json();
        assert_eq!(json["cash_flow"]["cash_end"], "4000000.00", "{}", s.name);
        assert!(
            s.store.update_month(c.id, o, u).await.is_err(),
            "a second save from stale data is refused"
        );
        // An invoice from the collections table: record a full payment.
        a.update(Action::Saved(Ok("2026-10".into())));
        a.update(key('7'));
        a.update(key('e'));
        let Some(form) = &a.form else { panic!("no form") };
        let Record::Invoice(inv) = form.original.clone() else {
            panic!()
        };
        for _ in 0..4 {
            a.update(code(KeyCode::Tab));
        }
        type_into_form(&mut a, &inv.amount.normalize().to_string());
        assert_eq!(a.update(code(KeyCode::Enter)), vec![], "a payment needs its date");
        assert!(screen(&a, 100, 30).contains("the payment date"));
        a.update(code(KeyCode::Tab));
        type_into_form(&mut a, "2026-10-30");
        let effects = a.update(code(KeyCode::Enter));
        let [Effect::Save(save)] = effects.as_slice() else {
            panic!("{effects:?}")
        };
        let (Record::Invoice(o), Record::Invoice(u)) = (&save.original, &save.updated) else {
            panic!()
        };
        s.store.update_invoice(c.id, o, u).await.unwrap();
        let open = s
            .store
            .open_invoices(c.id, "2026-10-31".parse().unwrap())
            .await
            .unwrap();
        assert!(
            !open.iter().any(|i| i.number == inv.number),
            "{}: the paid invoice is no longer open",
            s.name
        );
        assert!(s.store.update_invoice(c.id, o, u).await.is_err());
    }
}

#[test]
fn invoice_form_checks_fields_against_each_other() {
    let mut a = app(Lang::En, 2);
    a.update(key('7'));
    a.update(key('e'));
    a.update(code(KeyCode::Tab));
    a.update(code(KeyCode::Tab));
    type_into_form(&mut a, "2000-01-01");
    let s = screen(&a, 100, 30);
    assert!(s.contains("on or after the issue date"), "{s}");
    assert_eq!(a.update(code(KeyCode::Enter)), vec![]);
    a.update(code(KeyCode::Esc));
    assert!(a.form.is_none(), "Esc abandons the edit");
}

/// The dashboard lists the latest stored recommendations, sanitised.
#[tokio::test]
async fn dashboard_shows_stored_recommendations() {
    use katalis::store::{AnalysisRecord, RecommendationRecord, Store};
    let source = common::stores().await;
    katalis::commands::demo::load(&source[0].store).await.unwrap();
    let mut snapshot = source[0].store.backup().await.unwrap();
    let rec = |priority, title: &str, impact| RecommendationRecord {
        category: "cash_flow".into(),
        priority,
        title: title.into(),
        description: "Cut\u{1b}[2J discretionary opex by 10%".into(),
        impact_score: impact,
    };
    snapshot.companies[0].analyses.push(AnalysisRecord {
        agent: "advisor".into(),
        provider: "local".into(),
        model: "rules".into(),
        input_hash: "h".into(),
        input: "{}".into(),
        output: "text".into(),
        result: None,
        prompt_tokens: None,
        completion_tokens: None,
        cost: None,
        latency_ms: Some(3),
        status: "ok".into(),
        created_at: "2026-11-01T10:00:00.000Z".into(),
        recommendations: vec![
            rec(3, "Renegotiate hosting", 40),
            rec(1, "Extend runway before 2027-07", 90),
        ],
    });
    for s in common::stores().await {
        s.store.restore(&snapshot).await.unwrap();
        let c = s.store.company("Tallo Analytics").await.unwrap();
        let data = katalis::tui::data::load(&s.store, c).await.unwrap();
        assert_eq!(data.recommendations.len(), 2);
        assert_eq!(
            data.recommendations[0].priority, 1,
            "{}: highest priority first",
            s.name
        );
        let mut a = App::new(Lang::En, Theme::monochrome("t"), Keymap::default(), None);
        a.update(Action::Loaded(Box::new(Ok(data))));
        let screen = screen(&a, 120, 40);
        assert!(screen.contains("P1 Extend runway before 2027-07"), "{screen}");
        assert!(screen.contains("Cut discretionary opex") && !screen.contains('\u{1b}'));
    }
}
