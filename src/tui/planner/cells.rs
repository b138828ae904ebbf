//! The drivers table's cells: their text, parsing a typed value, editing in
//! place with the projection previewed on every keystroke, and nudges.

use super::*;

impl Planner {
    /// The text of a cell as it is edited: rates in percent, amounts plain.
    pub fn cell_text(&self, d: &Drivers, row: Row) -> String {
        let dec = |v: Decimal| {
            let s = v.normalize().to_string();
            if self.decimal_comma { s.replace('.', ",") } else { s }
        };
        match row {
            Row::Horizon => d.horizon_months.to_string(),
            Row::PriceMonth => d.price_change_month.to_string(),
            Row::Driver(k) if k.is_rate() => dec(k.get(d) * Decimal::ONE_HUNDRED),
            Row::Driver(k) => dec(k.get(d)),
            Row::Hire(i) => d
                .hires
                .get(i)
                .map(|h| format!("{}:{}:{}", h.month, h.count, h.monthly_cost.normalize()))
                .unwrap_or_default(),
            Row::Event(i) => d
                .cash_events
                .get(i)
                .map(|e| format!("{}:{}:{}", e.month, e.amount.normalize(), e.label))
                .unwrap_or_default(),
            Row::AddHire | Row::AddEvent => String::new(),
        }
    }

    pub(super) fn number(&self, text: &str) -> Result<Decimal, String> {
        let mut t = text.trim().trim_end_matches('%').trim().to_owned();
        if self.decimal_comma {
            t = t.replace(',', ".");
        }
        driver_number(&t).map_err(|_| {
            format!(
                "{:?} {}",
                clean(text),
                self.t("is not a number, e.g. 3.5", "no es un número, p. ej. 3,5")
            )
        })
    }

    /// The drivers with `row` set from `text`, or why the text is refused.
    pub fn apply_cell(&self, d: &Drivers, row: Row, text: &str) -> Result<Drivers, String> {
        let mut out = d.clone();
        let whole = |text: &str, range: std::ops::RangeInclusive<u32>| {
            text.trim()
                .parse::<u32>()
                .ok()
                .filter(|n| range.contains(n))
                .ok_or_else(|| {
                    format!(
                        "{:?}: {} {}–{}",
                        clean(text),
                        self.t("a whole number of months from", "un número entero de meses de"),
                        range.start(),
                        range.end()
                    )
                })
        };
        match row {
            Row::Horizon => out.horizon_months = whole(text, 12..=60)?,
            Row::PriceMonth => out.price_change_month = whole(text, 1..=60)?,
            Row::Driver(k) => {
                let mut v = self.number(text)?;
                if k.is_rate() {
                    v /= Decimal::ONE_HUNDRED;
                }
                check_range(k, v).map_err(|_| {
                    if k == DriverKey::GrossMargin {
                        self.t("a margin cannot exceed 100%", "un margen no puede pasar de 100%")
                    } else {
                        self.t("must be above -100%", "debe ser mayor que -100%")
                    }
                    .to_owned()
                })?;
                apply_setting(&mut out, k.key(), &v.to_string()).map_err(|e| clean(&e))?;
            }
            Row::Hire(_) | Row::AddHire => {
                let at = if let Row::Hire(i) = row { Some(i) } else { None };
                if let Some(i) = at.filter(|i| *i < out.hires.len()) {
                    out.hires.remove(i);
                }
                apply_setting(&mut out, "hire", text).map_err(|e| {
                    format!(
                        "{} ({})",
                        self.t(
                            "type MONTH:PEOPLE:MONTHLY_COST, e.g. 3:2:4500",
                            "escriba MES:PERSONAS:COSTO_MENSUAL, p. ej. 3:2:4500"
                        ),
                        clean(&e)
                    )
                })?;
                if let Some(i) = at.filter(|i| *i < out.hires.len()) {
                    let h = out.hires.pop().expect("just pushed");
                    out.hires.insert(i, h);
                }
            }
            Row::Event(_) | Row::AddEvent => {
                let at = if let Row::Event(i) = row { Some(i) } else { None };
                if let Some(i) = at.filter(|i| *i < out.cash_events.len()) {
                    out.cash_events.remove(i);
                }
                apply_setting(&mut out, "cash_event", text).map_err(|e| {
                    format!(
                        "{} ({})",
                        self.t(
                            "type MONTH:AMOUNT:LABEL, e.g. 6:250000:Seed round",
                            "escriba MES:MONTO:ETIQUETA, p. ej. 6:250000:Ronda semilla"
                        ),
                        clean(&e)
                    )
                })?;
                if let Some(i) = at.filter(|i| *i < out.cash_events.len()) {
                    let e = out.cash_events.pop().expect("just pushed");
                    out.cash_events.insert(i, e);
                }
            }
        }
        Ok(out)
    }

    /// Keys while a cell or a dialog is open.
    pub fn on_input(&mut self, key: KeyEvent, data: &CompanyData) -> Vec<Effect> {
        if self.dialog.is_some() {
            return self.on_dialog_key(key, data);
        }
        let Some(cell) = self.cell.as_mut() else { return vec![] };
        match key.code {
            KeyCode::Esc => {
                self.cell = None;
                vec![]
            }
            KeyCode::Enter => {
                let row = cell.row;
                let text = text_of(&cell.input);
                let Some(s) = self.current() else { return vec![] };
                match self.apply_cell(&s.drivers, row, &text) {
                    Ok(d) => {
                        self.cell = None;
                        self.commit(d)
                    }
                    Err(e) => {
                        if let Some(c) = self.cell.as_mut() {
                            c.error = Some(e.clone());
                        }
                        self.say(e, true);
                        vec![]
                    }
                }
            }
            _ => {
                cell.input.input(key);
                self.refresh_preview();
                vec![]
            }
        }
    }

    /// Re-validates the cell's text and projects it: called on every keystroke.
    pub(super) fn refresh_preview(&mut self) {
        let Some(cell) = self.cell.as_ref() else { return };
        let (row, text) = (cell.row, text_of(&cell.input));
        let Some(s) = self.current() else { return };
        let result = if text.trim().is_empty() && matches!(row, Row::AddHire | Row::AddEvent) {
            Err(String::new())
        } else {
            self.apply_cell(&s.drivers, row, &text)
        };
        let start = s.start;
        if let Some(c) = self.cell.as_mut() {
            match result {
                Ok(d) => {
                    c.error = None;
                    c.preview = Some(project(start, &d));
                }
                Err(e) => {
                    c.error = (!e.is_empty()).then_some(e);
                    c.preview = None;
                }
            }
        }
    }

    pub(super) fn start_edit(&mut self) {
        if self.refuse_change() {
            return;
        }
        let Some(row) = self.rows().get(self.row).copied() else {
            return;
        };
        let Some(s) = self.current() else { return };
        let placeholder = match row {
            Row::AddHire | Row::Hire(_) => "3:2:4500",
            Row::AddEvent | Row::Event(_) => self.t("6:250000:Seed round", "6:250000:Ronda semilla"),
            _ => "",
        };
        let text = self.cell_text(&s.drivers, row);
        self.cell = Some(CellEdit {
            row,
            input: text_area(&text, placeholder),
            error: None,
            preview: None,
        });
        self.refresh_preview();
    }

    pub(super) fn nudge(&mut self, up: bool) -> Vec<Effect> {
        if self.refuse_change() {
            return vec![];
        }
        let Some(row) = self.rows().get(self.row).copied() else {
            return vec![];
        };
        let Some(s) = self.current() else { return vec![] };
        let (sign, delta) = if up { (Decimal::ONE, 1) } else { (-Decimal::ONE, -1) };
        let mut d = s.drivers.clone();
        match row {
            Row::Horizon => d.horizon_months = (i64::from(d.horizon_months) + delta).clamp(12, 60) as u32,
            Row::PriceMonth => d.price_change_month = (i64::from(d.price_change_month) + delta).clamp(1, 60) as u32,
            Row::Driver(k) => {
                let v = k.get(&d);
                let step = if k.is_rate() { rate_step(k) } else { amount_step(v) };
                let next = v + sign * step;
                if check_range(k, next).is_err() {
                    let msg = self.t(
                        "that step leaves the allowed range",
                        "ese paso sale del rango permitido",
                    );
                    self.say(msg, true);
                    return vec![];
                }
                k.set(&mut d, next);
            }
            Row::Hire(i) => {
                if let Some(h) = d.hires.get_mut(i) {
                    h.count = (i64::from(h.count) + delta).max(1) as u32;
                }
            }
            Row::Event(i) => {
                if let Some(e) = d.cash_events.get_mut(i) {
                    e.amount += sign * amount_step(e.amount);
                }
            }
            Row::AddHire | Row::AddEvent => return vec![],
        }
        self.commit(d)
    }
}
