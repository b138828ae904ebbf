//! The edit form for a month, a product or an invoice: one single-line text
//! area per field, validated as typed with the import rules. The text is never
//! lost: a refused save keeps it.

use super::app::{Effect, SaveRecord};
use crate::domain::{Invoice, MonthlyFinancials, Product};
use crate::import::fields;
use crate::locale::Lang;
use crate::sanitize::clean;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui_textarea::TextArea;
use rust_decimal::Decimal;

/// The record being edited, as it was loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    Month(MonthlyFinancials),
    Product(Product),
    Invoice(Invoice),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Text {
        required: bool,
    },
    /// An amount; `positive` requires > 0, else ≥ 0 unless `signed`.
    Money {
        positive: bool,
        signed: bool,
    },
    OptMoney {
        signed: bool,
    },
    OptCount,
    Date,
    OptDate,
}

struct Spec {
    en: &'static str,
    es: &'static str,
    field: Field,
}

const fn spec(en: &'static str, es: &'static str, field: Field) -> Spec {
    Spec { en, es, field }
}

const MONEY: Field = Field::Money {
    positive: false,
    signed: true,
};
const OPT_SIGNED: Field = Field::OptMoney { signed: true };

const MONTH: [Spec; 11] = [
    spec("Revenue", "Ingresos", MONEY),
    spec("COGS", "Costo de ventas", MONEY),
    spec("Opex", "Gastos operativos", MONEY),
    spec("Sales & marketing", "Ventas y marketing", OPT_SIGNED),
    spec("Depreciation", "Depreciación", OPT_SIGNED),
    spec("Other income", "Otros ingresos", OPT_SIGNED),
    spec("Financing", "Financiamiento", OPT_SIGNED),
    spec("Ending cash", "Caja al cierre", MONEY),
    spec("New customers", "Clientes nuevos", Field::OptCount),
    spec("Churned customers", "Clientes perdidos", Field::OptCount),
    spec("Customers at end", "Clientes al cierre", Field::OptCount),
];

const PRODUCT: [Spec; 5] = [
    spec("Name", "Nombre", Field::Text { required: false }),
    spec(
        "Unit price",
        "Precio unitario",
        Field::Money {
            positive: true,
            signed: false,
        },
    ),
    spec(
        "Unit cost",
        "Costo unitario",
        Field::Money {
            positive: false,
            signed: false,
        },
    ),
    spec(
        "Monthly units",
        "Unidades al mes",
        Field::Money {
            positive: false,
            signed: false,
        },
    ),
    spec(
        "Fixed costs / month",
        "Costos fijos al mes",
        Field::Money {
            positive: false,
            signed: false,
        },
    ),
];

const INVOICE: [Spec; 6] = [
    spec("Customer", "Cliente", Field::Text { required: true }),
    spec("Issue date", "Fecha de emisión", Field::Date),
    spec("Due date", "Vencimiento", Field::Date),
    spec(
        "Amount",
        "Importe",
        Field::Money {
            positive: true,
            signed: false,
        },
    ),
    spec(
        "Paid amount",
        "Importe pagado",
        Field::Money {
            positive: false,
            signed: false,
        },
    ),
    spec("Paid date", "Fecha de pago", Field::OptDate),
];

pub struct RecordForm {
    pub original: Record,
    pub inputs: Vec<TextArea<'static>>,
    pub focus: usize,
    pub saving: bool,
}

impl std::fmt::Debug for RecordForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordForm")
            .field("original", &self.original)
            .field("focus", &self.focus)
            .finish()
    }
}

fn area(text: String) -> TextArea<'static> {
    let mut t = TextArea::new(vec![text]);
    t.move_cursor(ratatui_textarea::CursorMove::End);
    t
}

fn plain(d: Decimal) -> String {
    d.normalize().to_string()
}

fn opt(d: Option<Decimal>) -> String {
    d.map(plain).unwrap_or_default()
}

fn count(v: Option<i64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

impl RecordForm {
    pub fn new(original: Record) -> RecordForm {
        let texts: Vec<String> = match &original {
            Record::Month(m) => vec![
                plain(m.revenue),
                plain(m.cogs),
                plain(m.opex),
                opt(m.sales_marketing),
                opt(m.depreciation),
                opt(m.other_income),
                opt(m.financing),
                plain(m.cash_end),
                count(m.customers_new),
                count(m.customers_churned),
                count(m.customers_end),
            ],
            Record::Product(p) => vec![
                p.name.clone(),
                plain(p.unit_price),
                plain(p.unit_cost),
                plain(p.monthly_units),
                plain(p.fixed_costs),
            ],
            Record::Invoice(i) => vec![
                i.customer.clone(),
                i.issue_date.to_string(),
                i.due_date.to_string(),
                plain(i.amount),
                plain(i.paid_amount),
                i.paid_date.map(|d| d.to_string()).unwrap_or_default(),
            ],
        };
        let focus = usize::from(matches!(original, Record::Product(_)));
        RecordForm {
            inputs: texts.into_iter().map(area).collect(),
            original,
            focus,
            saving: false,
        }
    }

    fn specs(&self) -> &'static [Spec] {
        match self.original {
            Record::Month(_) => &MONTH,
            Record::Product(_) => &PRODUCT,
            Record::Invoice(_) => &INVOICE,
        }
    }

    pub fn len(&self) -> usize {
        self.specs().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn label(&self, i: usize, lang: Lang) -> &'static str {
        self.specs().get(i).map_or("", |s| lang.pick(s.en, s.es))
    }

    pub fn title(&self, lang: Lang) -> String {
        match &self.original {
            Record::Month(m) => format!("{} {}", lang.pick("Edit month", "Editar mes"), m.month),
            Record::Product(p) => format!("{} {}", lang.pick("Edit product", "Editar producto"), clean(&p.sku)),
            Record::Invoice(i) => format!("{} {}", lang.pick("Edit invoice", "Editar factura"), clean(&i.number)),
        }
    }

    pub fn text(&self, i: usize) -> String {
        self.inputs.get(i).map(|t| t.lines().join("")).unwrap_or_default()
    }

    fn value(&self, i: usize) -> Option<Decimal> {
        fields::decimal(self.text(i).trim()).ok()
    }

    /// The problem with field `i`, if any, in the interface language.
    pub fn error(&self, i: usize, lang: Lang) -> Option<String> {
        let spec = self.specs().get(i)?;
        let v = self.text(i);
        let v = v.trim();
        let expected = |e: String| Some(format!("{} {e}", lang.pick("expected", "se esperaba")));
        let own = match spec.field {
            Field::Text { required } if required && v.is_empty() => {
                Some(lang.pick("a value is needed", "falta un valor").into())
            }
            Field::Text { .. } => None,
            Field::Money { positive, signed } => self.amount_error(v, positive, signed, lang),
            Field::OptMoney { .. } if v.is_empty() => None,
            Field::OptMoney { signed } => self.amount_error(v, false, signed, lang),
            Field::OptCount if v.is_empty() => None,
            Field::OptCount => fields::count(v).err().and_then(expected),
            Field::Date => fields::date(v).err().and_then(expected),
            Field::OptDate if v.is_empty() => None,
            Field::OptDate => fields::date(v).err().and_then(expected),
        };
        own.or_else(|| self.cross_error(i, lang))
    }

    fn amount_error(&self, v: &str, positive: bool, signed: bool, lang: Lang) -> Option<String> {
        match fields::decimal(v) {
            Err(e) => Some(format!("{} {e}", lang.pick("expected", "se esperaba"))),
            Ok(d) if positive && d <= Decimal::ZERO => Some(lang.pick("a value > 0", "un valor > 0").into()),
            Ok(d) if !signed && d < Decimal::ZERO => Some(lang.pick("a value ≥ 0", "un valor ≥ 0").into()),
            Ok(_) => None,
        }
    }

    /// The rules between fields of an invoice.
    fn cross_error(&self, i: usize, lang: Lang) -> Option<String> {
        if !matches!(self.original, Record::Invoice(_)) {
            return None;
        }
        let date = |k: usize| fields::date(self.text(k).trim()).ok();
        match i {
            2 => match (date(1), date(2)) {
                (Some(a), Some(b)) if b < a => Some(
                    lang.pick("on or after the issue date", "igual o posterior a la emisión")
                        .into(),
                ),
                _ => None,
            },
            4 => match (self.value(3), self.value(4)) {
                (Some(a), Some(p)) if p > a => Some(lang.pick("at most the amount", "como máximo el importe").into()),
                _ => None,
            },
            5 => {
                let paid = self.value(4).unwrap_or_default();
                let empty = self.text(5).trim().is_empty();
                if paid > Decimal::ZERO && empty {
                    Some(
                        lang.pick("the payment date (something is paid)", "la fecha de pago (hay un pago)")
                            .into(),
                    )
                } else if paid.is_zero() && !empty {
                    Some(lang.pick("empty while nothing is paid", "vacía si no hay pago").into())
                } else {
                    None
                }
            }
            _ => None,
        }
    }

    /// The edited record when every field is valid; else the first bad field.
    pub fn validated(&self) -> Result<Record, usize> {
        if let Some(bad) = (0..self.len()).find(|i| self.error(*i, Lang::En).is_some()) {
            return Err(bad);
        }
        let t = |i: usize| self.text(i).trim().to_owned();
        let money = |i: usize| fields::decimal(&t(i)).map_err(|_| i);
        let opt_money = |i: usize| if t(i).is_empty() { Ok(None) } else { money(i).map(Some) };
        let opt_count = |i: usize| {
            if t(i).is_empty() {
                Ok(None)
            } else {
                fields::count(&t(i)).map(Some).map_err(|_| i)
            }
        };
        let date = |i: usize| fields::date(&t(i)).map_err(|_| i);
        Ok(match &self.original {
            Record::Month(m) => Record::Month(MonthlyFinancials {
                month: m.month,
                revenue: money(0)?,
                cogs: money(1)?,
                opex: money(2)?,
                sales_marketing: opt_money(3)?,
                depreciation: opt_money(4)?,
                other_income: opt_money(5)?,
                financing: opt_money(6)?,
                cash_end: money(7)?,
                customers_new: opt_count(8)?,
                customers_churned: opt_count(9)?,
                customers_end: opt_count(10)?,
            }),
            Record::Product(p) => Record::Product(Product {
                sku: p.sku.clone(),
                name: self.text(0),
                unit_price: money(1)?,
                unit_cost: money(2)?,
                monthly_units: money(3)?,
                fixed_costs: money(4)?,
            }),
            Record::Invoice(inv) => Record::Invoice(Invoice {
                number: inv.number.clone(),
                customer: self.text(0),
                issue_date: date(1)?,
                due_date: date(2)?,
                amount: money(3)?,
                paid_amount: money(4)?,
                paid_date: if t(5).is_empty() { None } else { Some(date(5)?) },
                fx: inv.fx.clone(),
            }),
        })
    }

    pub fn input(&mut self, key: KeyEvent) {
        let n = self.len();
        match key.code {
            KeyCode::Tab | KeyCode::Down => self.focus = (self.focus + 1) % n,
            KeyCode::BackTab | KeyCode::Up => self.focus = (self.focus + n - 1) % n,
            _ => {
                if let Some(t) = self.inputs.get_mut(self.focus) {
                    t.input(key);
                }
            }
        }
    }
}

/// An edit as the audit trail records it: the record, and each changed field
/// as `field old → new`.
pub fn describe_edit(original: &Record, updated: &Record) -> (String, String) {
    let (target, o, u) = match (original, updated) {
        (Record::Month(o), Record::Month(u)) => (
            format!("financials {}", o.month),
            serde_json::to_value(o),
            serde_json::to_value(u),
        ),
        (Record::Product(o), Record::Product(u)) => (
            format!("product {}", o.sku),
            serde_json::to_value(o),
            serde_json::to_value(u),
        ),
        (Record::Invoice(o), Record::Invoice(u)) => (
            format!("invoice {}", o.number),
            serde_json::to_value(o),
            serde_json::to_value(u),
        ),
        _ => return ("record".into(), String::new()),
    };
    let (Ok(serde_json::Value::Object(o)), Ok(serde_json::Value::Object(u))) = (o, u) else {
        return (target, String::new());
    };
    let show = |v: Option<&serde_json::Value>| match v {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Null) | None => "—".into(),
        Some(v) => v.to_string(),
    };
    // Amounts compare by value: 241015.0000 and 241015 are the same amount.
    let same = |a: Option<&serde_json::Value>, b: Option<&serde_json::Value>| match (a, b) {
        (Some(serde_json::Value::String(x)), Some(serde_json::Value::String(y))) => {
            match (x.parse::<rust_decimal::Decimal>(), y.parse::<rust_decimal::Decimal>()) {
                (Ok(x), Ok(y)) => x == y,
                _ => x == y,
            }
        }
        (a, b) => a == b,
    };
    let changes: Vec<String> = o
        .keys()
        .filter(|k| !same(o.get(*k), u.get(*k)))
        .map(|k| format!("{k} {} → {}", show(o.get(k)), show(u.get(k))))
        .collect();
    (target, changes.join("; "))
}

/// The edit form as the app drives it: its keys, and the save's answer.
impl super::app::App {
    pub(super) fn on_form_key(&mut self, key: crossterm::event::KeyEvent) -> Vec<Effect> {
        let Some(form) = self.form.as_mut() else { return vec![] };
        match key.code {
            KeyCode::Esc => {
                self.form = None;
                vec![]
            }
            KeyCode::Enter if self.outage.is_some() => {
                let since = self.outage.clone().unwrap_or_default();
                let msg = match self.lang {
                    Lang::En => format!("Not saved: the store is unreachable since {since}; your text is kept"),
                    Lang::Es => format!("No se guardó: la base no responde desde las {since}; su texto se conserva"),
                };
                self.say(msg, true);
                vec![]
            }
            KeyCode::Enter => match (form.validated(), self.data.as_ref()) {
                (Ok(updated), Some(d)) if !form.saving => {
                    form.saving = true;
                    self.message = None;
                    vec![Effect::Save(Box::new(SaveRecord {
                        company: d.company.clone(),
                        original: form.original.clone(),
                        updated,
                    }))]
                }
                (Err(_), _) => {
                    let msg = self
                        .lang
                        .pick("Fix the marked fields first", "Corrija primero los campos marcados");
                    self.say(msg, true);
                    vec![]
                }
                _ => vec![],
            },
            _ => {
                form.input(key);
                vec![]
            }
        }
    }

    /// The store answered a save: the form closes, or stays with the user's
    /// text when refused (the view reloads either way).
    pub(super) fn on_saved(&mut self, r: Result<String, String>) -> Vec<Effect> {
        let company = self.data.as_ref().map(|d| d.company.clone());
        match r {
            Ok(what) => {
                self.form = None;
                self.say(format!("{} {what}", self.lang.pick("Saved", "Guardado")), false);
            }
            Err(e) => {
                // Stale data: the form stays open with the user's text; the view refreshes.
                if let Some(f) = self.form.as_mut() {
                    f.saving = false;
                }
                self.say(e, true);
            }
        }
        company.map(Effect::LoadCompany).into_iter().collect()
    }
}

#[cfg(test)]
mod audit_tests {
    use super::*;

    #[test]
    fn an_edit_is_described_by_what_changed() {
        let m = MonthlyFinancials {
            month: "2025-03".parse().unwrap(),
            revenue: "241015.0000".parse().unwrap(),
            cogs: "10".parse().unwrap(),
            opex: "5".parse().unwrap(),
            sales_marketing: None,
            depreciation: None,
            other_income: None,
            financing: None,
            cash_end: "100".parse().unwrap(),
            customers_new: Some(3),
            customers_churned: None,
            customers_end: None,
        };
        let mut u = m.clone();
        u.revenue = "241015".parse().unwrap();
        u.cash_end = "120.5".parse().unwrap();
        let (target, detail) = describe_edit(&Record::Month(m), &Record::Month(u));
        assert_eq!(target, "financials 2025-03");
        assert_eq!(detail, "cash_end 100 → 120.5");
    }
}
