//! The product edit form: one single-line text area per field, validated as
//! typed with the import rules. The text is never lost: a failed save keeps it.

use crate::domain::Product;
use crate::import::fields;
use crate::locale::Lang;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui_textarea::TextArea;
use rust_decimal::Decimal;

pub const FIELDS: [(&str, &str); 5] = [
    ("Name", "Nombre"),
    ("Unit price", "Precio unitario"),
    ("Unit cost", "Costo unitario"),
    ("Monthly units", "Unidades al mes"),
    ("Fixed costs / month", "Costos fijos al mes"),
];

pub struct ProductForm {
    pub original: Product,
    pub inputs: Vec<TextArea<'static>>,
    pub focus: usize,
    pub saving: bool,
}

impl std::fmt::Debug for ProductForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProductForm")
            .field("sku", &self.original.sku)
            .field("focus", &self.focus)
            .finish()
    }
}

fn area(text: String) -> TextArea<'static> {
    let mut t = TextArea::new(vec![text]);
    t.move_cursor(ratatui_textarea::CursorMove::End);
    t
}

impl ProductForm {
    pub fn new(p: Product) -> ProductForm {
        let plain = |d: Decimal| d.normalize().to_string();
        ProductForm {
            inputs: vec![
                area(p.name.clone()),
                area(plain(p.unit_price)),
                area(plain(p.unit_cost)),
                area(plain(p.monthly_units)),
                area(plain(p.fixed_costs)),
            ],
            original: p,
            focus: 1,
            saving: false,
        }
    }

    pub fn text(&self, i: usize) -> String {
        self.inputs.get(i).map(|t| t.lines().join("")).unwrap_or_default()
    }

    /// The problem with field `i`, if any, in the interface language.
    pub fn error(&self, i: usize, lang: Lang) -> Option<String> {
        let v = self.text(i);
        if i == 0 {
            return None;
        }
        match fields::decimal(v.trim()) {
            Err(e) => Some(format!("{}: {e}", lang.pick("expected", "se esperaba"))),
            Ok(d) if i == 1 && d <= Decimal::ZERO => Some(lang.pick("a price > 0", "un precio > 0").into()),
            Ok(d) if d < Decimal::ZERO => Some(lang.pick("a value ≥ 0", "un valor ≥ 0").into()),
            Ok(_) => None,
        }
    }

    /// The edited product when every field is valid.
    pub fn validated(&self) -> Result<Product, usize> {
        if let Some(bad) = (0..FIELDS.len()).find(|i| self.error(*i, Lang::En).is_some()) {
            return Err(bad);
        }
        let num = |i: usize| fields::decimal(self.text(i).trim()).map_err(|_| i);
        Ok(Product {
            sku: self.original.sku.clone(),
            name: self.text(0),
            unit_price: num(1)?,
            unit_cost: num(2)?,
            monthly_units: num(3)?,
            fixed_costs: num(4)?,
        })
    }

    pub fn input(&mut self, key: KeyEvent) {
        match key.code {
            KeyCode::Tab | KeyCode::Down => self.focus = (self.focus + 1) % FIELDS.len(),
            KeyCode::BackTab | KeyCode::Up => self.focus = (self.focus + FIELDS.len() - 1) % FIELDS.len(),
            _ => {
                if let Some(t) = self.inputs.get_mut(self.focus) {
                    t.input(key);
                }
            }
        }
    }
}
