//! The demo companies, embedded in the binary so `katalis demo` and the
//! interface's first run work from any directory; loaded through the same
//! validation as an import.

use crate::domain::NewCompany;
use crate::import::{Kind, parse};
use crate::store::{AnyStore, ImportTarget, Store};
use color_eyre::eyre::{Result, WrapErr};
use serde::Deserialize;

pub struct DemoCompany {
    pub dir: &'static str,
    pub profile: &'static str,
    pub financials: &'static str,
    pub products: &'static str,
    pub invoices: &'static str,
}

macro_rules! demo {
    ($dir:literal) => {
        DemoCompany {
            dir: $dir,
            profile: include_str!(concat!("../demo-data/", $dir, "/company.toml")),
            financials: include_str!(concat!("../demo-data/", $dir, "/financials.csv")),
            products: include_str!(concat!("../demo-data/", $dir, "/products.csv")),
            invoices: include_str!(concat!("../demo-data/", $dir, "/invoices.csv")),
        }
    };
}

pub const DEMO: [DemoCompany; 3] = [demo!("saas"), demo!("restaurant"), demo!("distributor")];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Profile {
    name: String,
    industry: String,
    currency: String,
    fiscal_year_start: u32,
    locale: String,
}

/// Loads every demo company; re-running replaces the same rows (idempotent).
pub async fn load(store: &AnyStore) -> Result<Vec<String>> {
    let mut names = Vec::new();
    for d in &DEMO {
        let p: Profile = toml::from_str(d.profile).wrap_err_with(|| format!("demo-data/{}/company.toml", d.dir))?;
        let company = store
            .upsert_company(&NewCompany {
                name: p.name,
                industry: p.industry,
                currency: p.currency,
                fiscal_year_start: p.fiscal_year_start,
                locale: p.locale,
            })
            .await?;
        for (kind, file, text) in [
            (Kind::Financials, "financials.csv", d.financials),
            (Kind::Products, "products.csv", d.products),
            (Kind::Invoices, "invoices.csv", d.invoices),
        ] {
            let batch = parse(kind, &format!("demo-data/{}/{file}", d.dir), text.as_bytes())?;
            store.import(&ImportTarget::Existing(company.id), &batch).await?;
        }
        store
            .record_or_warn(&crate::store::team::AuditEntry::new(
                &company,
                "import",
                "demo",
                format!("demo-data/{}", d.dir),
            ))
            .await;
        names.push(company.name);
    }
    Ok(names)
}
