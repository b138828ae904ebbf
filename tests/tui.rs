//! The interface without a terminal: `update` with keys in and state out, and
//! snapshots of every tab drawn into a test buffer.

mod common;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use insta::assert_snapshot;
use katalis::demo::DEMO;
use katalis::domain::{Company, Invoice, Product};
use katalis::finance::collections::{collections, collections_input, open_at};
use katalis::finance::forecast::{forecast_input, weekly_base_from_invoices};
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
    let history = forecast_input(&invoices, m);
    let mut open: Vec<Invoice> = invoices
        .into_iter()
        .filter(|x| open_at(x, m.last_day()) > rust_decimal::Decimal::ZERO)
        .collect();
    open.sort_by(|a, b| a.due_date.cmp(&b.due_date).then(a.number.cmp(&b.number)));
    let weeks = weekly_base_from_invoices(&ledger, m, &open, &history);
    let mut data = CompanyData::build(
        company(i),
        ledger,
        products,
        &input,
        katalis::tui::data::OpenInvoices::complete(open),
        m,
    );
    data.weeks = Some(weeks);
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

use common::tui::{code, key, screen};

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
    assert_eq!(a.tab, Tab::Bank);
    a.update(key('2'));
    a.update(key('j'));
    a.update(code(KeyCode::Down));
    assert_eq!(a.views.rows[1], 2);
    a.update(key('G'));
    assert_eq!(a.views.rows[1], 29, "30 months, the last row");
    a.update(key('g'));
    assert_eq!(a.views.rows[1], 0);
    a.update(key('k'));
    assert_eq!(a.views.rows[1], 0, "never above the first row");
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
    assert_eq!(a.views.filter, "Linderos1");
    assert_eq!(a.row_count(), 0);
    a.update(code(KeyCode::Esc));
    assert_eq!(a.views.filter, "");
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
    // Its picture is tui_import's first_run_*: the demo, your books, or quit.
    assert!(screen(&a, 80, 24).contains("[d] load the three demo companies"));
    assert_eq!(a.update(key('d')), vec![Effect::LoadDemo]);
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
    assert!(a.views.pricing.editing);
    for _ in 0..3 {
        a.update(code(KeyCode::Backspace));
    }
    for c in "25".chars() {
        a.update(key(c));
    }
    a.update(code(KeyCode::Enter));
    assert_eq!(a.views.pricing.values[1], "25");
    // ADD-API costs 12.50: a 25 % target margin prices it at 16.67.
    assert!(screen(&a, 80, 24).contains("Target-margin price: 16.67"));
}

#[test]
fn outside_text_is_neutralised_on_screen() {
    let mut d = demo(0);
    d.company.name = "Evil\u{1b}]52;c;aGk=\u{7}\u{1b}[31mCorp\u{202e}".into();
    let mut open = d.open.rows.clone();
    if let Some(i) = open.first_mut() {
        i.customer = "Bad\u{1b}[2J\u{9b}1mName".into();
    }
    d.open = katalis::tui::data::OpenInvoices::complete(open);
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
        katalis::demo::load(&s.store).await.unwrap();
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
        // Compared always; rewritten only on request (and then the run still
        // fails, so a changed picture is looked at before it is committed).
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed != svg && std::env::var_os("KATALIS_WRITE_ASSETS").is_some() {
            std::fs::write(&path, &svg).unwrap();
        }
        assert!(
            committed == svg,
            "{} is out of date{}",
            path.display(),
            if std::env::var_os("KATALIS_WRITE_ASSETS").is_some() {
                ": rewritten; look at it and commit it"
            } else {
                ": regenerate it with KATALIS_WRITE_ASSETS=1 (see this test)"
            }
        );
    }
}

/// Months and invoices edit too, through the store, with stale edits refused.
#[tokio::test]
async fn months_and_invoices_are_edited_through_the_store() {
    use katalis::store::Store;
    for s in common::stores().await {
        katalis::demo::load(&s.store).await.unwrap();
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
    katalis::demo::load(&source[0].store).await.unwrap();
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

// ---------------------------------------------------------------- Planning

fn ctrl(c: char) -> Action {
    Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

fn type_text(a: &mut App, text: &str) -> Vec<Effect> {
    let mut effects = Vec::new();
    for c in text.chars() {
        effects.extend(a.update(key(c)));
    }
    effects
}

fn clear_input(a: &mut App) {
    for _ in 0..40 {
        a.update(code(KeyCode::Backspace));
    }
}

/// The one scenario save among `effects`: (name, drivers, version).
fn saved(effects: &[Effect]) -> (String, katalis::domain::Drivers, i64) {
    match effects {
        [Effect::SaveScenario { scenario, .. }] => (scenario.name.clone(), scenario.drivers.clone(), scenario.version),
        other => panic!("expected one scenario save, got {other:?}"),
    }
}

/// Planning on Tallo with a new scenario "Plan" made with `n`, stored as version 1.
fn planning_with_copy() -> App {
    let mut a = app(Lang::En, 0);
    a.update(key('6'));
    assert_eq!(a.planner.scenarios.len(), 1, "only base");
    a.update(key('n'));
    clear_input(&mut a);
    type_text(&mut a, "Plan");
    let effects = a.update(code(KeyCode::Enter));
    let (name, drivers, version) = saved(&effects);
    assert_eq!((name.as_str(), version), ("Plan", 0), "a new scenario is inserted");
    assert_eq!(drivers, a.planner.scenarios[0].drivers, "a copy of base");
    a.update(Action::ScenarioSaved {
        name: "Plan".into(),
        result: Ok(1),
    });
    assert_eq!(a.planner.current().unwrap().name, "Plan");
    assert_eq!(a.planner.current().unwrap().version, 1);
    a
}

#[test]
fn base_is_read_only_and_n_makes_an_editable_copy() {
    let mut a = app(Lang::En, 0);
    a.update(key('6'));
    a.update(code(KeyCode::Down));
    assert!(a.update(key('+')).is_empty());
    assert!(a.message.as_ref().unwrap().0.contains("base follows the actuals"));
    assert!(a.update(key('d')).is_empty());
    assert!(a.planner.dialog.is_none(), "base cannot be deleted");
    let a = planning_with_copy();
    assert_eq!(a.planner.scenarios.len(), 2);
}

#[test]
fn editing_a_driver_recomputes_on_every_keystroke_and_keeps_bad_text() {
    let mut a = planning_with_copy();
    let before = a.planner.current().unwrap().projection.clone();
    a.update(code(KeyCode::Down)); // revenue growth
    a.update(code(KeyCode::Enter));
    clear_input(&mut a);
    type_text(&mut a, "1");
    let p1 = a.planner.projection_of(a.planner.current).unwrap().clone();
    type_text(&mut a, "2");
    let p12 = a.planner.projection_of(a.planner.current).unwrap().clone();
    assert_ne!(p1, before, "the projection follows the text as typed");
    assert!(p12.min_cash > p1.min_cash, "12%/mo beats 1%/mo");
    // A bad character: marked, the text kept, the last valid projection stays drawn.
    type_text(&mut a, "x");
    let cell = a.planner.cell.as_ref().unwrap();
    assert!(cell.error.as_ref().unwrap().contains("is not a number"));
    assert_eq!(cell.input.lines()[0], "12x");
    assert_eq!(a.planner.projection_of(a.planner.current), Some(&before));
    let s = screen(&a, 80, 24);
    assert!(s.contains("✗"), "{s}");
    assert_snapshot!("planning_bad_value_80x24", s);
    assert!(a.update(code(KeyCode::Enter)).is_empty(), "Enter refuses a bad value");
    assert!(a.planner.cell.is_some(), "and keeps the text");
    a.update(code(KeyCode::Backspace));
    let (_, drivers, version) = saved(&a.update(code(KeyCode::Enter)));
    assert_eq!(drivers.revenue_growth, rust_decimal::Decimal::new(12, 2));
    assert_eq!(version, 1);
    // Typing into a fresh cell replaces its value, as in a spreadsheet; Esc abandons it.
    a.update(code(KeyCode::Enter));
    type_text(&mut a, "5");
    assert_eq!(a.planner.cell.as_ref().unwrap().input.lines()[0], "5");
    a.update(code(KeyCode::Esc));
    assert!(a.planner.cell.is_none());
    assert_eq!(
        a.planner.current().unwrap().drivers.revenue_growth,
        rust_decimal::Decimal::new(12, 2)
    );
}

#[test]
fn nudges_undo_and_redo_with_saves_in_order() {
    let mut a = planning_with_copy();
    a.update(code(KeyCode::Down));
    let g0 = a.planner.current().unwrap().drivers.revenue_growth;
    let (_, d1, v) = saved(&a.update(key('+')));
    assert_eq!(d1.revenue_growth, g0 + rust_decimal::Decimal::new(5, 3));
    assert_eq!(v, 1);
    // While that save is in flight, the next change waits for its version.
    assert!(a.update(key('+')).is_empty());
    let (_, d2, v) = saved(&a.update(Action::ScenarioSaved {
        name: "Plan".into(),
        result: Ok(2),
    }));
    assert_eq!((d2.revenue_growth, v), (g0 + rust_decimal::Decimal::new(1, 2), 2));
    a.update(Action::ScenarioSaved {
        name: "Plan".into(),
        result: Ok(3),
    });
    let (_, d, _) = saved(&a.update(key('u')));
    assert_eq!(d.revenue_growth, d1.revenue_growth);
    a.update(Action::ScenarioSaved {
        name: "Plan".into(),
        result: Ok(4),
    });
    let (_, d, _) = saved(&a.update(ctrl('r')));
    assert_eq!(d.revenue_growth, d2.revenue_growth);
    a.update(Action::ScenarioSaved {
        name: "Plan".into(),
        result: Ok(5),
    });
    assert!(a.update(ctrl('r')).is_empty(), "nothing left to redo");
    // Horizon nudges stay within 12..=60.
    a.update(code(KeyCode::Up));
    for _ in 0..50 {
        a.update(key('+'));
        let v = a.planner.current().unwrap().version;
        a.update(Action::ScenarioSaved {
            name: "Plan".into(),
            result: Ok(v + 1),
        });
    }
    assert_eq!(a.planner.current().unwrap().drivers.horizon_months, 60);
    assert_eq!(a.planner.current().unwrap().projection.months.len(), 60);
}

#[test]
fn hires_and_funding_move_cash_zero() {
    let mut a = planning_with_copy();
    let rows = a.planner.rows().len();
    // "+ add a hire" is one row above the end; a big team runs the cash out.
    a.update(key('G'));
    a.update(code(KeyCode::Up));
    a.update(code(KeyCode::Enter));
    type_text(&mut a, "1:40:9000");
    let (_, d, _) = saved(&a.update(code(KeyCode::Enter)));
    assert_eq!(d.hires.len(), 1);
    assert_eq!(a.planner.rows().len(), rows + 1);
    a.update(Action::ScenarioSaved {
        name: "Plan".into(),
        result: Ok(2),
    });
    let zero = a.planner.current().unwrap().projection.cash_zero_month;
    assert!(zero.is_some(), "40 hires at 9,000 empty the cash");
    // A funding round on the last row pushes cash zero later.
    a.update(key('G'));
    a.update(code(KeyCode::Enter));
    type_text(&mut a, "1:5000000:Series A");
    saved(&a.update(code(KeyCode::Enter)));
    let later = a.planner.current().unwrap().projection.cash_zero_month;
    assert!(later.is_none() || later > zero, "{later:?} vs {zero:?}");
    assert_snapshot!("planning_hire_and_round_120x40", screen(&a, 120, 40));
    // x removes the selected list item.
    a.update(Action::ScenarioSaved {
        name: "Plan".into(),
        result: Ok(3),
    });
    // The selection stayed on the line that now holds the new event.
    assert_eq!(a.planner.rows()[a.planner.row], katalis::tui::planner::Row::Event(0));
    let (_, d, _) = saved(&a.update(key('x')));
    assert!(d.cash_events.is_empty());
    // A malformed hire is refused with the expected form.
    a.update(Action::ScenarioSaved {
        name: "Plan".into(),
        result: Ok(4),
    });
    a.update(key('G'));
    a.update(code(KeyCode::Up));
    a.update(code(KeyCode::Enter));
    type_text(&mut a, "3:two:9000");
    assert!(a.update(code(KeyCode::Enter)).is_empty());
    assert!(a.message.as_ref().unwrap().0.contains("MONTH:PEOPLE:MONTHLY_COST"));
}

#[test]
fn compare_up_to_three_scenarios() {
    let mut a = planning_with_copy();
    a.update(code(KeyCode::Down));
    for _ in 0..2 {
        a.update(key('+'));
        let v = a.planner.current().unwrap().version;
        a.update(Action::ScenarioSaved {
            name: "Plan".into(),
            result: Ok(v + 1),
        });
    }
    // Nothing marked: base against the current one.
    a.update(key('v'));
    assert_eq!(a.planner.compared(), vec![0, 1]);
    let s = screen(&a, 120, 40);
    assert!(
        s.contains("Δ vs 1st") && s.contains("Plan") && s.contains("base"),
        "{s}"
    );
    assert_snapshot!("planning_compare_120x40", s);
    assert_snapshot!("planning_compare_80x24", screen(&a, 80, 24));
    // Marks, at most three.
    a.update(key(' '));
    a.update(key('n'));
    a.update(code(KeyCode::Enter));
    a.update(key(' '));
    a.update(key('n'));
    a.update(code(KeyCode::Enter));
    a.update(key(' '));
    assert_eq!(a.planner.compare.len(), 3);
    a.update(key('h'));
    a.update(key('h'));
    a.update(key('h'));
    assert_eq!(a.planner.current, 0);
    a.update(key(' '));
    assert_eq!(a.planner.compare.len(), 3, "a fourth is refused");
    assert!(a.message.as_ref().unwrap().0.contains("up to 3"));
    assert_eq!(a.planner.compared().len(), 3);
}

#[test]
fn goal_seek_finds_applies_or_says_none_works() {
    use katalis::finance::planning::{DriverKey, Target, goal_seek};
    let mut a = planning_with_copy();
    a.update(key('s'));
    // Target: runway at the horizon ≥ 18 months, growth between -50% and 50%.
    a.update(code(KeyCode::Right));
    let s = a.planner.current().unwrap().clone();
    a.update(code(KeyCode::Enter));
    let expected = goal_seek(
        s.start,
        &s.drivers,
        DriverKey::RevenueGrowth,
        Target::RunwayAtHorizonAtLeast(18.into()),
        rust_decimal::Decimal::new(-5, 1),
        rust_decimal::Decimal::new(5, 1),
    )
    .value
    .unwrap();
    let Some(katalis::tui::planner::Dialog::Seek(seek)) = &a.planner.dialog else {
        panic!()
    };
    assert_eq!(
        seek.outcome,
        Some(Ok(katalis::tui::planner::SeekOutcome::Found(expected)))
    );
    assert_snapshot!("planning_goal_seek_80x24", screen(&a, 80, 24));
    let (_, d, _) = saved(&a.update(code(KeyCode::Enter)));
    assert_eq!(d.revenue_growth, expected.round_dp(6));
    assert!(a.planner.dialog.is_none());
    // Break-even by month 1 with growth between -50% and -40%: none works.
    a.update(Action::ScenarioSaved {
        name: "Plan".into(),
        result: Ok(2),
    });
    a.update(key('s'));
    a.update(code(KeyCode::Right));
    a.update(code(KeyCode::Right));
    a.update(code(KeyCode::Tab));
    a.update(code(KeyCode::Backspace));
    a.update(code(KeyCode::Backspace));
    type_text(&mut a, "1");
    a.update(code(KeyCode::Tab));
    a.update(code(KeyCode::Tab));
    a.update(code(KeyCode::Backspace));
    a.update(code(KeyCode::Backspace));
    type_text(&mut a, "-40");
    assert!(a.update(code(KeyCode::Enter)).is_empty());
    let Some(katalis::tui::planner::Dialog::Seek(seek)) = &a.planner.dialog else {
        panic!()
    };
    assert_eq!(seek.outcome, Some(Ok(katalis::tui::planner::SeekOutcome::NotFound)));
    assert!(screen(&a, 80, 24).contains("No value between the bounds"));
    assert!(a.update(code(KeyCode::Enter)).is_empty(), "nothing to apply");
}

#[test]
fn a_locked_budget_shows_variances_and_refuses_edits() {
    let mut a = planning_with_copy();
    a.update(key('L'));
    let Some(katalis::tui::planner::Dialog::Lock { input, .. }) = &a.planner.dialog else {
        panic!()
    };
    assert_eq!(input.lines()[0], "2025-12", "the month before the fiscal year");
    let (_, _, _) = saved(&a.update(code(KeyCode::Enter)));
    let s = a.planner.current().unwrap();
    assert!(s.locked);
    assert_eq!(s.stored().base_month.as_deref(), Some("2025-12"));
    assert_eq!(a.planner.view, katalis::tui::planner::View::Budget);
    assert_eq!(a.row_count(), 10, "2026-01 … 2026-10 have actuals");
    let screen120 = screen(&a, 120, 40);
    assert!(screen120.contains("Worst variances"), "{screen120}");
    assert_snapshot!("planning_budget_120x40", screen120);
    assert_snapshot!("planning_budget_80x24", screen(&a, 80, 24));
    // The dashboard's revenue and margin cards now show the budget too, with
    // the arrow and the sign (which still say it without colour).
    a.update(key('1'));
    let dash = screen(&a, 120, 40);
    let budget = a
        .derived
        .budget
        .iter()
        .find(|v| {
            v.month == a.data.as_ref().unwrap().snapshot.as_of && v.line == katalis::finance::variance::Line::Revenue
        })
        .unwrap();
    let arrow = if budget.actual > budget.budget {
        "▲ +"
    } else {
        "▼ -"
    };
    let line = dash.lines().find(|l| l.contains("vs budget")).unwrap_or_default();
    assert!(line.contains(&format!("│{arrow}")), "{dash}");
    assert_snapshot!("dashboard_with_budget_120x40", dash);
    a.update(key('6'));
    a.update(key('v'));
    a.update(code(KeyCode::Down));
    assert!(a.update(key('+')).is_empty());
    assert!(a.message.as_ref().unwrap().0.contains("locked budget"));
    // A month without actuals is refused in the dialog.
    a.update(Action::ScenarioSaved {
        name: "Plan".into(),
        result: Ok(2),
    });
    let (_, _, _) = saved(&a.update(key('L')));
    assert!(!a.planner.current().unwrap().locked, "L unlocks");
    a.update(Action::ScenarioSaved {
        name: "Plan".into(),
        result: Ok(3),
    });
    a.update(key('L'));
    clear_input(&mut a);
    type_text(&mut a, "2031-01");
    assert!(a.update(code(KeyCode::Enter)).is_empty());
    let Some(katalis::tui::planner::Dialog::Lock { error, .. }) = &a.planner.dialog else {
        panic!()
    };
    assert!(error.as_ref().unwrap().contains("no actuals"));
}

#[test]
fn rename_delete_and_refused_saves() {
    let mut a = planning_with_copy();
    a.update(key('N'));
    clear_input(&mut a);
    type_text(&mut a, "base");
    assert!(a.update(code(KeyCode::Enter)).is_empty(), "base is taken");
    clear_input(&mut a);
    type_text(&mut a, "Lean");
    let effects = a.update(code(KeyCode::Enter));
    assert!(
        matches!(effects.as_slice(), [Effect::RenameScenario { from, to, version: 1, .. }] if from == "Plan" && to == "Lean"),
        "{effects:?}"
    );
    a.update(Action::ScenarioRenamed {
        from: "Plan".into(),
        to: "Lean".into(),
        result: Ok(2),
    });
    assert_eq!(a.planner.current().unwrap().name, "Lean");
    a.update(key('d'));
    assert!(screen(&a, 80, 24).contains("Delete scenario Lean?"));
    let effects = a.update(key('y'));
    assert!(matches!(effects.as_slice(), [Effect::DeleteScenario { name, version: 2, .. }] if name == "Lean"));
    a.update(Action::ScenarioDeleted {
        name: "Lean".into(),
        result: Ok(()),
    });
    assert_eq!(a.planner.scenarios.len(), 1);
    assert_eq!(a.planner.current, 0);
    // Someone else changed a scenario: the save is refused, said, and the company reloads.
    let mut b = planning_with_copy();
    b.update(code(KeyCode::Down));
    b.update(key('+'));
    let effects = b.update(Action::ScenarioSaved {
        name: "Plan".into(),
        result: Err("scenario \"Plan\" was changed or removed by someone else".into()),
    });
    assert!(matches!(effects.as_slice(), [Effect::LoadCompany(_)]), "{effects:?}");
    assert!(b.message.as_ref().unwrap().0.contains("someone else"));
}

#[test]
fn thirteen_week_forecast_in_cash_flow() {
    let mut a = planning_with_copy();
    // A funding round in month 1 of the scenario lands in the forecast's first weeks.
    a.update(key('G'));
    a.update(code(KeyCode::Enter));
    type_text(&mut a, "1:300000:Bridge loan");
    saved(&a.update(code(KeyCode::Enter)));
    a.update(key('3'));
    a.update(key('w'));
    assert!(a.views.weeks);
    assert_eq!(a.row_count(), 13);
    let s = screen(&a, 120, 40);
    assert!(s.contains("13-week cash") && s.contains("Plan"), "{s}");
    assert_snapshot!("cash_flow_weeks_120x40", s);
    assert_snapshot!("cash_flow_weeks_80x24", screen(&a, 80, 24));
    a.update(key('w'));
    assert!(!a.views.weeks);
    // Locked as a budget from 2025-12, the same event falls in 2026-01: before the forecast.
    assert!(s.contains(" 300,000"), "{s}");
    a.update(Action::ScenarioSaved {
        name: "Plan".into(),
        result: Ok(2),
    });
    a.update(key('6'));
    a.update(key('L'));
    saved(&a.update(code(KeyCode::Enter)));
    a.update(key('3'));
    a.update(key('w'));
    assert!(
        !screen(&a, 120, 40).contains(" 300,000"),
        "an event dated before the as-of month is left out"
    );
}

#[test]
fn planning_help_lists_the_planner_keys() {
    let mut a = app(Lang::Es, 0);
    a.update(key('6'));
    a.update(key('?'));
    let lines = katalis::tui::render::help_lines(&a);
    for k in ["u", "Ctrl-r", "n", "N", "Space", "v", "s", "L", "+ ="] {
        assert!(lines.iter().any(|(key, _)| key == k), "{k} missing in {lines:?}");
    }
    assert_snapshot!("planning_help_es_120x40", screen(&a, 120, 40));
    a.update(key('?'));
    a.update(key('1'));
    let lines = katalis::tui::render::help_lines(&a);
    assert!(
        !lines.iter().any(|(key, _)| key == "L"),
        "dashboard has no planner keys"
    );
    // The tab digits are said once, from the registry; no binding repeats a fixed range.
    let digits = format!("1-{}", katalis::tui::app::Tab::ALL.len());
    assert_eq!(lines.iter().filter(|(k, _)| *k == digits).count(), 1, "{lines:?}");
    assert!(lines.iter().all(|(_, help)| !help.contains("1-7")), "{lines:?}");
}

/// Two people on one store: the second save of the same scenario is refused,
/// and nothing is silently overwritten (SQLite and PostgreSQL).
#[tokio::test]
async fn scenario_edits_persist_and_concurrent_edits_are_detected() {
    use katalis::store::Store;

    for s in common::stores().await {
        katalis::demo::load(&s.store).await.unwrap();
        let c = s.store.company("Tallo Analytics").await.unwrap();
        async fn open(store: &katalis::store::AnyStore, c: &Company) -> App {
            let data = katalis::tui::data::load(store, c.clone()).await.unwrap();
            let mut a = App::new(Lang::En, Theme::monochrome("t"), Keymap::default(), None);
            a.update(Action::Loaded(Box::new(Ok(data))));
            a.update(key('6'));
            a
        }
        let mut ana = open(&s.store, &c).await;
        use common::tui::settle;
        ana.update(key('n'));
        clear_input(&mut ana);
        type_text(&mut ana, "Shared");
        let e = ana.update(code(KeyCode::Enter));
        settle(&mut ana, &s.store, e).await;
        ana.update(code(KeyCode::Down));
        let e = ana.update(key('+'));
        settle(&mut ana, &s.store, e).await;
        let stored = s.store.scenarios(c.id).await.unwrap();
        assert_eq!(stored.len(), 1, "{}", s.name);
        assert_eq!(
            stored[0].drivers,
            ana.planner.current().unwrap().drivers,
            "{}: saved at once",
            s.name
        );
        // Bruno opens the same scenario; Ana changes it; Bruno's change is refused.
        let mut bruno = open(&s.store, &c).await;
        bruno.update(key('l'));
        assert_eq!(bruno.planner.current().unwrap().name, "Shared");
        let e = ana.update(key('+'));
        settle(&mut ana, &s.store, e).await;
        bruno.update(code(KeyCode::Down));
        bruno.update(code(KeyCode::Down));
        let e = bruno.update(key('-'));
        settle(&mut bruno, &s.store, e).await;
        assert!(
            bruno.message.as_ref().unwrap().0.contains("someone else"),
            "{}: {:?}",
            s.name,
            bruno.message
        );
        let stored = s.store.scenarios(c.id).await.unwrap();
        assert_eq!(
            stored[0].drivers,
            ana.planner.current().unwrap().drivers,
            "{}: Ana's kept",
            s.name
        );
        // Bruno's view reloaded the stored scenario.
        assert_eq!(
            bruno.planner.current().unwrap().drivers,
            stored[0].drivers,
            "{}",
            s.name
        );
        // The headless command sees the scenario as the interface left it.
        let loaded = s.store.scenarios(c.id).await.unwrap();
        assert_eq!(loaded[0].version, ana.planner.current().unwrap().version);
    }
}

// ---------------------------------------------------------------- AI panel

use katalis::ai::service::AiEvent;
use katalis::tui::ai_panel::Status;

fn ai(run_id: u64, event: AiEvent) -> Action {
    Action::Ai { run_id, event }
}

fn analyze_request(effects: &[Effect]) -> &katalis::tui::ai_panel::AnalyzeRequest {
    effects
        .iter()
        .find_map(|e| match e {
            Effect::Analyze(r) => Some(r.as_ref()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no analysis asked: {effects:?}"))
}

#[test]
fn the_panel_opens_beside_the_tab_with_the_tabs_advisor() {
    let mut a = app(Lang::En, 0);
    a.update(key('7'));
    let effects = a.update(key('a'));
    let req = analyze_request(&effects);
    assert_eq!(req.input.agent, katalis::ai::Agent::Collections);
    assert!(!req.no_cache);
    assert!(a.ai.open && a.ai.running());
    // Switching tab follows with the tab's advisor (the local rules are free).
    let effects = a.update(key('3'));
    assert!(
        effects.iter().any(|e| matches!(e, Effect::CancelAnalysis(1))),
        "{effects:?}"
    );
    assert_eq!(analyze_request(&effects).input.agent, katalis::ai::Agent::CashFlow);
    // A picks any advisor; the pick sticks across tabs.
    a.update(key('A'));
    assert!(
        matches!(a.overlay, Overlay::Agents { selected: 3 }),
        "starts on the current advisor"
    );
    assert_snapshot!("ai_chooser_80x24", screen(&a, 80, 24));
    a.update(code(KeyCode::Up));
    a.update(code(KeyCode::Up));
    let effects = a.update(code(KeyCode::Enter));
    assert_eq!(analyze_request(&effects).input.agent, katalis::ai::Agent::Pricing);
    assert!(a.update(key('7')).iter().all(|e| !matches!(e, Effect::Analyze(_))));
    // r asks again past the cache.
    let effects = a.update(key('r'));
    assert!(analyze_request(&effects).no_cache);
    // a closes it, on any tab, Planning included.
    a.update(key('a'));
    assert!(!a.ai.open);
    a.update(key('6'));
    let effects = a.update(key('a'));
    assert!(a.ai.open, "a opens the panel on Planning too");
    assert_eq!(
        analyze_request(&effects).input.agent,
        katalis::ai::Agent::Pricing,
        "the pick sticks"
    );
}

#[test]
fn the_panel_streams_cancels_and_fails_in_snapshots() {
    let mut a = app(Lang::En, 0);
    let effects = a.update(key('a'));
    let id = analyze_request(&effects).run_id;
    a.update(ai(
        id,
        AiEvent::Text("# Financial health 75.10/100\n\n- Runway **8.28** months; margin 78.92%".into()),
    ));
    a.update(ai(
        id,
        AiEvent::Text(" and a made-up 12.5% churn \u{1b}[31mred\u{1b}[0m".into()),
    ));
    let s = screen(&a, 120, 40);
    assert!(s.contains("streaming") && s.contains("Financial health"), "{s}");
    assert!(!s.contains('\u{1b}'), "escape sequences never reach the screen");
    assert_snapshot!("ai_panel_streaming_120x40", s);
    assert_snapshot!("ai_panel_streaming_80x24", screen(&a, 80, 24));
    // A late event from an older run is ignored.
    a.update(ai(id - 1, AiEvent::Text("stale".into())));
    assert!(!a.ai.text.contains("stale"));
    // Esc cancels at once: the connection is dropped, the text kept and marked.
    let effects = a.update(code(KeyCode::Esc));
    assert_eq!(effects, vec![Effect::CancelAnalysis(id)]);
    assert_eq!(a.ai.status, Status::Cancelled);
    a.update(ai(id, AiEvent::Text(" more".into())));
    assert!(!a.ai.text.ends_with("more"), "nothing from the cancelled run");
    let s = screen(&a, 120, 40);
    assert!(
        s.contains("cancelled — the partial text is kept") && s.contains("Runway"),
        "{s}"
    );
    assert_snapshot!("ai_panel_cancelled_120x40", s);
    // A failure: one line, the partial text kept.
    let effects = a.update(key('r'));
    let id = analyze_request(&effects).run_id;
    a.update(ai(id, AiEvent::Text("Call Constructora".into())));
    a.update(ai(
        id,
        AiEvent::Failed {
            error: katalis::ai::AiError::Truncated.to_string(),
            partial: "Call Constructora".into(),
        },
    ));
    let s = screen(&a, 120, 40);
    assert!(
        s.contains("✗ the stream ended before it was complete") && s.contains("Call Constructora"),
        "{s}"
    );
    assert_snapshot!("ai_panel_failed_120x40", s);
    // Esc with nothing running closes the panel.
    a.update(code(KeyCode::Esc));
    assert!(!a.ai.open);
}

/// The panel driven by the real service against the scripted HTTP server.
#[tokio::test]
async fn a_finished_answer_shows_recommendations_scores_and_unverified_figures() {
    use common::llm_server::{Reply, Server, answer};
    use katalis::ai::service::{AiSettings, Provider, Structured, Subject, analyze};
    use std::time::Duration;
    let s = common::stores().await.into_iter().next().unwrap();
    katalis::demo::load(&s.store).await.unwrap();
    let c = s.store.company("Tallo Analytics").await.unwrap();
    let data = katalis::tui::data::load(&s.store, c.clone()).await.unwrap();
    let mut a = App::new(Lang::En, Theme::monochrome("t"), Keymap::default(), None);
    a.ai = katalis::tui::ai_panel::AiPanel::new("openai · scripted".into(), false, true);
    a.update(Action::Loaded(Box::new(Ok(data))));
    let effects = a.update(key('a'));
    let req = analyze_request(&effects).clone();
    let json = serde_json::json!({
        "analysis": "# Health\n\nRunway **8.28 months**; churn could hit 9.9%.",
        "profitability": 10, "unit_economics": 80.87, "cash_flow": 79.74, "growth_efficiency": 100, "total_score": 75.1,
        "recommendations": [
            {"category": "cash", "priority": 1, "title": "Extend the runway", "description": "Cut opex 10% (USD 27,540.73 a month).", "impact_score": 90},
            {"category": "collections", "priority": 3, "title": "Collect", "description": "Call Hoteles Brisa.", "impact_score": 40}
        ]
    });
    let server = Server::start(vec![Reply::Stream(answer(&json.to_string(), 6, Duration::ZERO))]).await;
    let settings = AiSettings {
        provider: Provider::OpenAi(katalis::ai::openai::Endpoint {
            base_url: server.url.clone(),
            model: "scripted".into(),
            api_key: None,
            connect_timeout: Duration::from_secs(1),
            first_byte_timeout: Duration::from_secs(2),
            idle_timeout: Duration::from_secs(2),
            max_attempts: 1,
            retry_base: Duration::from_millis(10),
        }),
        structured: Structured::Auto,
        price_input_per_mtok: Some(rust_decimal::Decimal::new(15, 2)),
        price_output_per_mtok: Some(rust_decimal::Decimal::new(60, 2)),
        ..AiSettings::default()
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let subject = Subject {
        company_id: req.company_id,
        company: &req.company,
        health: &req.health,
    };
    analyze(&s.store, &settings, &subject, &req.input, req.no_cache, &tx)
        .await
        .unwrap();
    drop(tx);
    while let Some(ev) = rx.recv().await {
        a.update(ai(req.run_id, ev));
    }
    assert_eq!(a.ai.status, Status::Done);
    // Latency is real time; fix it so the snapshot is stable.
    a.ai.finished.as_mut().unwrap().latency_ms = 123;
    let shot = screen(&a, 120, 40);
    assert!(shot.contains("9.9%?"), "the unverified figure is marked: {shot}");
    assert!(shot.contains("Engine scores kept: profitability"), "{shot}");
    assert!(shot.contains("Extend the runway") && shot.contains("P1"), "{shot}");
    assert!(shot.contains("812+240 tok") && shot.contains("cost 0.0003"), "{shot}");
    assert_snapshot!("ai_panel_done_120x40", shot);
    // The dashboard's recommendations are the new ones.
    assert_eq!(a.data.as_ref().unwrap().recommendations[0].title, "Extend the runway");
}

#[test]
fn a_help_taller_than_the_screen_scrolls() {
    let mut a = app(Lang::En, 0);
    a.update(key('6'));
    a.update(key('?'));
    let top = screen(&a, 80, 24);
    assert!(top.contains("(↑↓ more)") && top.contains("quit"), "{top}");
    for _ in 0..40 {
        a.update(code(KeyCode::Down));
    }
    let bottom = screen(&a, 80, 24);
    assert!(
        bottom.contains("LTV lifetime value") && !bottom.contains("show or hide this help"),
        "{bottom}"
    );
    assert_snapshot!("planning_help_scrolled_80x24", bottom);
    a.update(code(KeyCode::Esc));
    assert_eq!(a.overlay, Overlay::None);
}

#[test]
fn the_panel_scrolls_back_and_returns_to_the_end() {
    let mut a = app(Lang::En, 0);
    let effects = a.update(key('a'));
    let id = analyze_request(&effects).run_id;
    let long: String = std::iter::once("# First line\n\n".to_owned())
        .chain((1..=80).map(|i| format!("- point {i}\n")))
        .collect();
    a.update(ai(id, AiEvent::Text(long)));
    let end = screen(&a, 120, 40);
    assert!(
        end.contains("point 80") && !end.contains("First line"),
        "follows the end"
    );
    for _ in 0..100 {
        a.update(key('['));
    }
    let top = screen(&a, 120, 40);
    assert!(top.contains("First line") && !top.contains("point 80"), "{top}");
    // Clamped at the top: one ] moves at once.
    a.update(key(']'));
    assert!(!screen(&a, 120, 40).contains("First line"));
    for _ in 0..20 {
        a.update(key(']'));
    }
    assert_eq!(a.ai.back, 0);
    assert!(screen(&a, 120, 40).contains("point 80"));
}

/// A view's commands reach the help and the hint bar through the keymap alone:
/// every command a view lists is in its help with the keys bound to it, and a
/// key moved in `[keys]` moves in the hints, the help and the overlays.
#[test]
fn view_commands_appear_in_help_and_hints_from_the_keymap() {
    use katalis::tui::keymap::Scope;
    use katalis::tui::render::help_lines;
    let mut a = app(Lang::En, 0);
    for (i, tab) in Tab::ALL.iter().enumerate() {
        a.update(key(char::from(b'1' + i as u8)));
        assert_eq!(a.tab, *tab);
        let help = help_lines(&a);
        for intent in tab.view().commands(&a) {
            let b = a.keymap.bindings.iter().find(|b| b.intent == *intent).unwrap();
            assert_eq!(b.scope, Scope::View, "{intent:?}");
            assert!(
                help.iter().any(|(k, h)| *k == b.keys_label() && *h == b.help(Lang::En)),
                "{:?} lacks {intent:?}",
                tab
            );
        }
        // A view-scoped binding the view does not list is not in its help.
        for b in a.keymap.bindings.iter().filter(|b| b.scope == Scope::View) {
            if !tab.view().commands(&a).contains(&b.intent) {
                assert!(
                    !help.iter().any(|(_, h)| *h == b.help(Lang::En)),
                    "{tab:?} {:?}",
                    b.intent
                );
            }
        }
    }
    let table: toml::Table = toml::from_str("filter = \"f\"\nweeks = \"W\"\nup = [\"up\", \"K\"]").unwrap();
    let mut a = app(Lang::En, 2);
    a.keymap = Keymap::default().with_overrides(&table).unwrap();
    a.update(key('7'));
    let s = screen(&a, 120, 40);
    let last = s.lines().last().unwrap();
    assert!(last.contains("f filter") && !last.contains("/ filter"), "{last}");
    a.update(key('/'));
    assert!(!a.views.filtering, "/ no longer filters");
    a.update(key('f'));
    assert!(a.views.filtering);
    a.update(code(KeyCode::Esc));
    a.update(key('3'));
    let s = screen(&a, 120, 40);
    assert!(s.lines().last().unwrap().contains("W weeks"));
    a.update(key('W'));
    assert!(a.views.weeks);
    // Overlays follow the keymap: `K` moves up in the company chooser, `k` does not.
    a.update(key('c'));
    assert!(matches!(a.overlay, Overlay::Companies { selected: 2 }));
    a.update(key('k'));
    assert!(matches!(a.overlay, Overlay::Companies { selected: 2 }));
    a.update(key('K'));
    assert!(matches!(a.overlay, Overlay::Companies { selected: 1 }));
}

/// Figures on a line: where each ends (display column) and its unit suffix
/// (`k`, `M`, `B` written right after the digits, or none).
fn figures(line: &str) -> Vec<(usize, Option<char>)> {
    let chars: Vec<char> = line.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() && (i == 0 || !chars[i - 1].is_alphanumeric()) {
            let mut j = i;
            while j < chars.len()
                && (chars[j].is_ascii_digit()
                    || ((chars[j] == ',' || chars[j] == '.') && chars.get(j + 1).is_some_and(char::is_ascii_digit)))
            {
                j += 1;
            }
            let suffix = chars.get(j).copied().filter(|c| matches!(c, 'k' | 'M' | 'B'));
            let end = j + usize::from(suffix.is_some());
            // A figure, not part of a word or a date (2026-10).
            let word = chars.get(end).is_some_and(|c| c.is_alphanumeric() || *c == '-');
            let date_part = i > 1 && chars[i - 1] == '-' && chars[i - 2].is_ascii_digit();
            if !word && !date_part {
                out.push((end, suffix));
            }
            i = end.max(i + 1);
        } else {
            i += 1;
        }
    }
    out
}

/// No column of a table mixes units: in every snapshot, figures that end in
/// the same column on consecutive lines (a right-aligned column) carry the
/// same suffix — all `k`, all `M`, or none.
#[test]
fn no_table_column_mixes_units() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().filter(|l| l.starts_with('"')).collect();
        let rows: Vec<Vec<(usize, Option<char>)>> = lines.iter().map(|l| figures(l)).collect();
        for (n, row) in rows.iter().enumerate().skip(1) {
            for (end, suffix) in row {
                if let Some((_, above)) = rows[n - 1].iter().find(|(e, _)| e == end) {
                    checked += 1;
                    assert_eq!(
                        above,
                        suffix,
                        "{}: line {} mixes units in the column ending at {end}:\n{}\n{}",
                        path.display(),
                        n + 1,
                        lines[n - 1],
                        lines[n]
                    );
                }
            }
        }
    }
    assert!(checked > 500, "only {checked} figures compared");
}

#[test]
fn the_units_check_sees_a_mixed_column() {
    let a = figures("│2026-10     USD 764.2k│");
    let b = figures("│2026-09  USD 1,041,229│");
    assert_eq!(a.last().map(|f| f.1), Some(Some('k')));
    assert_eq!(b.last().map(|f| f.1), Some(None));
    assert_eq!(a.last().map(|f| f.0), b.last().map(|f| f.0));
}

/// Every view in Spanish, wide and narrow, with its overlays: no word of the
/// interface's English is left (data such as product names aside).
#[test]
fn spanish_is_complete_on_every_view() {
    const ENGLISH: &[&str] = &[
        "Revenue",
        "Cash",
        "cash",
        "Month",
        "months",
        "Net ",
        "burn",
        "Runway",
        "Customers",
        "Focus",
        "budget",
        "Budget",
        "Products",
        "Contribution",
        "fixed",
        "profit",
        "help",
        "quit",
        "advisor",
        "company",
        "filter",
        "edit ",
        "weeks",
        "prev.",
        "Open",
        "Due",
        "Days",
        "Number",
        "Customer",
        "Collections",
        "NPV",
        "Break-even",
        "Min ",
        "Scenarios",
        "drivers",
        "Outputs",
        "Projection",
        "Compare",
        "Selected",
        "Worst",
        "Health",
        "Gross",
        "Operating",
        "margin",
        "Price",
        "units",
        "Aging",
        "Overdue",
        "Call first",
        "Receivables",
        "Ending",
        "Week",
        "Closing",
        "Growth efficiency",
        "Keys",
        "move",
    ];
    let check = |name: &str, s: &str| {
        let words: std::collections::HashSet<&str> = s.split(|c: char| !c.is_alphanumeric() && c != '-').collect();
        for w in ENGLISH {
            let w = w.trim();
            let found = if w.contains(' ') {
                s.contains(w)
            } else {
                words.contains(w)
            };
            assert!(!found, "{name}: English {w:?} in\n{s}");
        }
    };
    // The list catches English: the same dashboard in English trips it.
    let english = std::panic::catch_unwind(|| check("en", &screen(&app(Lang::En, 0), 120, 40)));
    assert!(english.is_err(), "the list of English words finds nothing in English");
    for company in 0..3 {
        let mut a = app(Lang::Es, company);
        for (i, _) in Tab::ALL.iter().enumerate() {
            a.update(key(char::from(b'1' + i as u8)));
            for (w, h) in [(120, 40), (80, 24)] {
                check(&format!("company {company} tab {} {w}x{h}", i + 1), &screen(&a, w, h));
            }
            a.update(key('?'));
            check(&format!("help of tab {}", i + 1), &screen(&a, 120, 40));
            a.update(code(KeyCode::Esc));
        }
        a.update(key('3'));
        a.update(key('w'));
        check("13 weeks", &screen(&a, 120, 40));
        a.update(key('w'));
        a.update(key('6'));
        for view in ["compare", "budget"] {
            a.update(key('v'));
            check(view, &screen(&a, 120, 40));
        }
        a.update(key('v'));
    }
}

/// In the AI panel `:` (or Enter) opens a question line; the answer comes
/// from the engine's tools, shown with its calls, and stays in the company's
/// conversation with the advisor; Ctrl-l clears it.
/// Runs the questions among `effects` as the runtime does for the local
/// advisor (the demo's open invoices are all held by the app).
fn answer_asks(a: &mut App, effects: Vec<Effect>) {
    let open = a.data.as_ref().unwrap().open.rows.clone();
    for e in effects {
        if let Effect::Ask(req) = e {
            assert!(req.local);
            a.update(req.answer_locally(&open));
        }
    }
}

#[test]
fn the_panel_answers_questions_with_the_tools_and_keeps_the_conversation() {
    let mut a = app(Lang::En, 0);
    a.update(key('a'));
    assert!(a.ai.open);
    a.update(key(':'));
    assert_eq!(a.ai.asking.as_deref(), Some(""));
    type_text(&mut a, "what if we hire 2 engineers at 6000 a month from 2027-01?");
    let typing = screen(&a, 120, 40);
    assert!(typing.contains("Ask: what if we hire"), "{typing}");
    let effects = a.update(code(KeyCode::Enter));
    assert_eq!(a.ai.asking, None);
    answer_asks(&mut a, effects);
    let id = a.data.as_ref().unwrap().company.id;
    let turns = &a.ai.conversations[&(id, a.ai.agent.key())];
    assert_eq!(turns.len(), 1);
    assert_eq!(turns[0].tool_calls[0].name, "what_if");
    assert_eq!(turns[0].tool_calls[0].arguments["settings"][0], "hire=3:2:6000");
    let s = screen(&a, 120, 40);
    assert!(
        s.contains("› what if we hire 2 engineers") && s.contains("→ what_if("),
        "{s}"
    );
    // Enter asks too, where the view has no use for it; a follow-up is kept after the first.
    a.update(code(KeyCode::Enter));
    type_text(&mut a, "whom should I call first?");
    let effects = a.update(code(KeyCode::Enter));
    answer_asks(&mut a, effects);
    assert_eq!(a.ai.conversations[&(id, a.ai.agent.key())].len(), 2);
    assert_eq!(
        a.ai.conversations[&(id, a.ai.agent.key())][1].tool_calls[0].name,
        "open_invoices"
    );
    // Esc leaves the line without asking; Ctrl-l clears the conversation.
    a.update(key(':'));
    type_text(&mut a, "never sent");
    a.update(code(KeyCode::Esc));
    assert_eq!(a.ai.conversations[&(id, a.ai.agent.key())].len(), 2);
    a.update(Action::Key(KeyEvent::new(KeyCode::Char('l'), KeyModifiers::CONTROL)));
    assert!(!a.ai.conversations.contains_key(&(id, a.ai.agent.key())));
}

/// With an endpoint configured, a question of the panel goes to the model
/// (the turn waits, marked), which calls the engine's tools; its answer, the
/// calls and any unverified figure come back into the same turn, and earlier
/// turns go with the next question as the conversation.
#[tokio::test]
async fn with_an_endpoint_the_panel_asks_the_model_with_the_tools() {
    use common::llm_server::{DONE, Reply, Server, delta, finish};
    let piece = |v: serde_json::Value| (std::time::Duration::ZERO, format!("data: {v}\n\n"));
    let tool_turn = Reply::Stream(vec![
        piece(serde_json::json!({"choices": [{"index": 0, "delta": {"tool_calls": [
            {"index": 0, "id": "t1", "type": "function", "function": {"name": "what_if", "arguments": "{\"settings\": [\"hire=3:"}}]}}]})),
        piece(serde_json::json!({"choices": [{"index": 0, "delta": {"tool_calls": [
            {"index": 0, "function": {"arguments": "2:6000\"]}"}}]}}]})),
        piece(serde_json::json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]})),
        (std::time::Duration::ZERO, DONE.to_owned()),
    ]);
    let text = |t: &str| {
        Reply::Stream(vec![
            (std::time::Duration::ZERO, delta(t)),
            (std::time::Duration::ZERO, finish()),
            (std::time::Duration::ZERO, DONE.to_owned()),
        ])
    };
    let server = Server::start(vec![
        tool_turn,
        text("Lowest cash would be 431,778.51, or 999."),
        text("Yes."),
    ])
    .await;
    let ep = katalis::ai::openai::Endpoint {
        base_url: server.url.clone(),
        model: "scripted".into(),
        api_key: None,
        connect_timeout: std::time::Duration::from_secs(2),
        first_byte_timeout: std::time::Duration::from_secs(2),
        idle_timeout: std::time::Duration::from_secs(2),
        max_attempts: 1,
        retry_base: std::time::Duration::from_millis(10),
    };
    let mut a = app(Lang::En, 0);
    a.ai.local = false;
    a.update(key('a'));
    let ask = |a: &mut App, q: &str| {
        a.update(key(':'));
        type_text(a, q);
        let effects = a.update(code(KeyCode::Enter));
        match effects.into_iter().find_map(|e| match e {
            Effect::Ask(r) => Some(r),
            _ => None,
        }) {
            Some(r) => r,
            None => panic!("no question sent"),
        }
    };
    let req = ask(&mut a, "what if we hire 2 engineers?");
    assert!(screen(&a, 120, 40).contains("working it out"));
    // Text shows as it arrives, before the answer is whole.
    a.update(Action::AskText {
        company_id: req.company_id,
        agent: req.agent,
        text: "Lowest cash so far".into(),
    });
    let partial = screen(&a, 120, 40);
    assert!(
        partial.contains("Lowest cash so far") && partial.contains("working it out"),
        "{partial}"
    );
    // The runtime's part: the model with the tools, then the answer as an action.
    let open = a.data.as_ref().unwrap().open.rows.clone();
    let cx = req.tools(&open);
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let result = katalis::ai::ask::ask_endpoint(
        &ep,
        katalis::ai::Agent::Advisor,
        &req.question,
        &req.history,
        &cx,
        req.lang,
        &tx,
    )
    .await
    .map_err(|u| (u.error, u.tool_calls, u.partial));
    a.update(Action::Asked {
        company_id: req.company_id,
        agent: req.agent,
        result,
    });
    let turn = &a.ai.conversations[&(req.company_id, req.agent)][0];
    assert!(!turn.pending);
    assert_eq!(turn.tool_calls[0].arguments["settings"][0], "hire=3:2:6000");
    assert_eq!(turn.tool_calls[0].result["min_cash"], "431778.51");
    assert_eq!(turn.unverified, vec!["999".to_owned()]);
    let s = screen(&a, 120, 40);
    assert!(s.contains("→ what_if(") && s.contains("Lowest cash would be"), "{s}");
    // A follow-up carries the first question and its answer.
    let next = ask(&mut a, "is that safe?");
    assert_eq!(next.history.len(), 1);
    assert_eq!(next.history[0].0, "what if we hire 2 engineers?");
}

/// A burst of teammates' writes reloads the company once, and once more after
/// it for the writes that came meanwhile: never one reload per notification.
#[test]
fn a_burst_of_teammates_writes_reloads_once_and_once_more() {
    let mut a = app(Lang::En, 0);
    let id = a.data.as_ref().unwrap().company.id;
    let changed = |n: usize| Action::Changed {
        company_id: id,
        who: format!("ana{n}"),
        action: "invoice".into(),
    };
    let reloads = |effects: &[Effect]| effects.iter().filter(|e| matches!(e, Effect::LoadCompany(_))).count();
    assert_eq!(reloads(&a.update(changed(0))), 1, "the first write reloads");
    for n in 1..6 {
        assert_eq!(
            reloads(&a.update(changed(n))),
            0,
            "write {n} waits for the reload in flight"
        );
    }
    // The reload ends: the writes that came meanwhile get one more.
    assert_eq!(reloads(&a.update(Action::Loaded(Box::new(Ok(demo(0)))))), 1);
    assert_eq!(
        reloads(&a.update(Action::Loaded(Box::new(Ok(demo(0)))))),
        0,
        "nothing queued now"
    );
    assert_eq!(reloads(&a.update(changed(9))), 1, "a later write reloads again");
}

/// What the views derive is computed when the data or the planner changed,
/// not on every streamed word of an answer or redraw tick.
#[test]
fn derived_values_are_not_recomputed_for_a_streamed_word_or_a_tick() {
    let mut a = app(Lang::En, 0);
    let id = a.data.as_ref().unwrap().company.id;
    let before = a.derive_runs;
    for i in 0..50 {
        a.update(Action::AskText {
            company_id: id,
            agent: "advisor",
            text: format!("word {i} "),
        });
        a.update(Action::Tick);
    }
    assert_eq!(a.derive_runs, before);
    a.update(key('6'));
    assert!(a.derive_runs > before, "a key may change the planner: derived again");
}

/// The distributor with its November statement read from the fixture (as the
/// store would give it back): one account, eleven lines newest first.
fn with_bank(lang: Lang) -> App {
    let mut d = demo(2);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bank/movimientos-es.csv");
    let read = katalis::import::statement::read_files(&[path], None, &Default::default()).unwrap();
    let checked = katalis::import::statement::check(read, "MXN").unwrap();
    let (closing, day) = checked.closing.unwrap();
    let mut lines: Vec<katalis::domain::StoredLine> = checked
        .lines
        .into_iter()
        .enumerate()
        .map(|(i, l)| katalis::domain::StoredLine {
            id: i as i64 + 1,
            account: "BBVA 1234".into(),
            date: l.date,
            value_date: l.value_date,
            amount: l.amount,
            description: l.description,
            counterparty: l.counterparty,
            reference: l.reference,
            bank_ref: l.bank_ref,
            balance: l.balance,
        })
        .collect();
    lines.reverse();
    d.bank = vec![katalis::domain::BankAccount {
        id: 1,
        name: "BBVA 1234".into(),
        currency: "MXN".into(),
        number: None,
        balance: closing,
        as_of: Some(day),
        lines: lines.len() as i64,
        first_date: lines.last().map(|l| l.date),
        last_date: Some(day),
    }];
    d.snapshot.cash_flow.bank_cash = katalis::finance::bank::bank_cash(&d.bank, "MXN", d.snapshot.as_of);
    d.lines = katalis::tui::data::Paged::complete(lines);
    let mut app = App::new(lang, Theme::monochrome("test"), Keymap::default(), None);
    app.update(Action::Companies(Ok((0..3).map(company).collect())));
    app.update(Action::Loaded(Box::new(Ok(d))));
    app.message = None;
    app
}

#[test]
fn the_bank_tab_shows_accounts_cash_and_lines_in_both_languages() {
    for lang in [Lang::En, Lang::Es] {
        let mut a = with_bank(lang);
        a.update(key('8'));
        assert_eq!(a.tab, Tab::Bank);
        let narrow = screen(&a, 80, 24);
        assert!(narrow.contains("1,230,850.35"), "{narrow}");
        assert!(
            narrow.contains(if lang == Lang::En { "8 Bank" } else { "8 Banco" }),
            "{narrow}"
        );
        assert_snapshot!(format!("bank_{lang:?}_80x24"), narrow);
        assert_snapshot!(format!("bank_{lang:?}_120x40"), screen(&a, 120, 40));
    }
    // `/` filters the lines; the selection moves through them.
    let mut a = with_bank(Lang::En);
    a.update(key('8'));
    for c in "/nomina".chars() {
        a.update(key(c));
    }
    let s = screen(&a, 120, 40);
    assert!(s.contains("Lines (2) /nomina"), "{s}");
    assert!(!s.contains("CAFETERIA"), "{s}");
    // The 13-week view opens from the bank's cash.
    a.update(code(crossterm::event::KeyCode::Esc));
    a.update(key('3'));
    a.update(key('w'));
    let s = screen(&a, 120, 40);
    assert!(s.contains("from the bank on 2026-11-27"), "{s}");
}
