//! Goal seek from the planner: the search by the engine, and applying what it found.

use super::*;

impl Planner {
    /// Runs goal seek on the current scenario as the dialog reads.
    pub fn run_seek(&self, seek: &Seek) -> Result<SeekOutcome, String> {
        let s = self.current().ok_or_else(String::new)?;
        let scale = |v: Decimal| {
            if seek.driver.is_rate() {
                v / Decimal::ONE_HUNDRED
            } else {
                v
            }
        };
        let min = scale(self.number(&seek.values[1])?);
        let max = scale(self.number(&seek.values[2])?);
        let target = match seek.target {
            0 => Target::MinCashNonNegative,
            1 => Target::RunwayAtHorizonAtLeast(self.number(&seek.values[0])?),
            _ => {
                let k = seek.values[0]
                    .trim()
                    .parse::<u32>()
                    .ok()
                    .filter(|k| (1..=60).contains(k));
                Target::BreakEvenBy(k.ok_or_else(|| {
                    self.t(
                        "the month must be a whole number from 1 to 60",
                        "el mes debe ser un entero de 1 a 60",
                    )
                    .to_owned()
                })?)
            }
        };
        Ok(
            match goal_seek(s.start, &s.drivers, seek.driver, target, min, max).value {
                Some(v) => SeekOutcome::Found(v),
                None => SeekOutcome::NotFound,
            },
        )
    }

    pub(super) fn apply_found(&mut self, key: DriverKey, v: Decimal) -> Vec<Effect> {
        if self.refuse_change() {
            return vec![];
        }
        let Some(s) = self.current() else { return vec![] };
        let mut d = s.drivers.clone();
        if let Err(e) = apply_setting(&mut d, key.key(), &v.to_string()) {
            self.say(clean(&e), true);
            return vec![];
        }
        if let Some(r) = self.rows().iter().position(|r| *r == Row::Driver(key)) {
            self.row = r;
        }
        self.commit(d)
    }
}

/// The dialog's starting values for `driver`: the target parameter, min and max
/// (rates in percent; amounts from zero to three times the current value).
pub(super) fn seek_defaults(driver: DriverKey, d: &Drivers) -> [String; 3] {
    let param = "18".to_owned();
    let (min, max) = match driver {
        DriverKey::GrossMargin => ("0".to_owned(), "100".to_owned()),
        DriverKey::DiscountRate => ("0".to_owned(), "50".to_owned()),
        DriverKey::OpexGrowth => ("-10".to_owned(), "10".to_owned()),
        k if k.is_rate() => ("-50".to_owned(), "50".to_owned()),
        k => {
            let v = k.get(d).abs().max(Decimal::from(1000)) * Decimal::from(3);
            ("0".to_owned(), v.round().to_string())
        }
    };
    [param, min, max]
}

/// The label of a goal-seek target choice.
pub fn target_label(lang: Lang, target: usize) -> &'static str {
    match target {
        0 => lang.pick("min cash ≥ 0", "caja mínima ≥ 0"),
        1 => lang.pick("runway at horizon ≥ N months", "meses de caja al horizonte ≥ N"),
        _ => lang.pick("break-even by month K", "equilibrio a más tardar en el mes K"),
    }
}
