//! Synthetic data shared by the benchmarks: 1,000,000 invoices over ten years
//! for 5,000 customers, and 120 months of financials, as CSV files.
#![allow(dead_code)]

use std::io::Write;
use std::path::Path;

pub const INVOICES: usize = 1_000_000;
const CUSTOMERS: usize = 5_000;

/// A small deterministic generator (xorshift), so runs are comparable.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

pub fn generate(dir: &Path) -> std::io::Result<()> {
    generate_n(dir, INVOICES)
}

/// `n` invoices over the same ten years (and the same 120 months).
pub fn generate_n(dir: &Path, n: usize) -> std::io::Result<()> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let start = chrono::NaiveDate::from_ymd_opt(2016, 11, 1).unwrap_or_default();
    let mut w = std::io::BufWriter::new(std::fs::File::create(dir.join("invoices.csv"))?);
    writeln!(w, "number,customer,issue_date,due_date,amount,paid_amount,paid_date")?;
    for i in 0..n {
        let issue = start + chrono::Duration::days((i as i64 * 3650) / n as i64);
        let due = issue + chrono::Duration::days([15, 30, 45, 60][rng.below(4) as usize]);
        let cents = 5_000 + rng.below(2_000_000);
        let amount = format!("{}.{:02}", cents / 100, cents % 100);
        let customer = format!("Cliente {:04}", rng.below(CUSTOMERS as u64));
        if rng.below(10) < 9 && i + 20_000 < n {
            let paid = due + chrono::Duration::days(rng.below(60) as i64 - 10);
            writeln!(
                w,
                "INV-{i:07},{customer},{issue},{due},{amount},{amount},{}",
                paid.max(issue)
            )?;
        } else {
            writeln!(w, "INV-{i:07},{customer},{issue},{due},{amount},0,")?;
        }
    }
    w.flush()?;
    let mut f = std::io::BufWriter::new(std::fs::File::create(dir.join("financials.csv"))?);
    writeln!(
        f,
        "month,revenue,cogs,opex,sales_marketing,cash_end,customers_new,customers_churned,customers_end"
    )?;
    let mut customers = 1000;
    for k in 0..120 {
        let m = katalis::domain::Month::new(2016, 11)
            .map(|m| m.plus(k))
            .unwrap_or_else(|| unreachable!());
        let rev = 500_000 + k as u64 * 4_000;
        let (new, churned) = (60 + k as i64 % 7, 40 + k as i64 % 5);
        customers += new - churned;
        writeln!(
            f,
            "{m},{rev}.00,{}.00,{}.00,{}.00,{}.00,{new},{churned},{customers}",
            rev * 2 / 5,
            rev / 2,
            rev / 10,
            2_000_000 + k as u64 * 1_000
        )?;
    }
    f.flush()
}
