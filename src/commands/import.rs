use crate::cli::{ImportArgs, ImportKind};
use crate::domain::NewCompany;
use crate::import::{Kind, import_file};
use crate::sanitize::clean;
use crate::store::{AnyStore, ImportTarget, StoreError};
use color_eyre::eyre::{Result, bail};

/// `company` is the global `--company`, which `import` requires (checked by main).
pub async fn run(store: &AnyStore, company_name: &str, args: &ImportArgs) -> Result<()> {
    let kind = match args.kind {
        ImportKind::Financials => Kind::Financials,
        ImportKind::Products => Kind::Products,
        ImportKind::Invoices => Kind::Invoices,
    };
    let target = match store.company(company_name).await {
        Ok(c) => ImportTarget::Existing(c.id),
        Err(StoreError::UnknownCompany(_)) if args.create => {
            let currency = args.currency.clone().unwrap_or_default().to_ascii_uppercase();
            if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
                bail!(
                    "--currency {:?}: expected an ISO 4217 code such as USD, MXN or COP",
                    clean(&currency)
                );
            }
            ImportTarget::Create(NewCompany {
                name: company_name.to_owned(),
                industry: args.industry.clone(),
                currency,
                fiscal_year_start: args.fiscal_year_start,
                locale: args.locale.clone(),
            })
        }
        Err(StoreError::UnknownCompany(name)) => {
            bail!("no company named {name:?}; add --create --currency XXX to create it")
        }
        Err(e) => return Err(e.into()),
    };
    // Validation and writing overlap; the transaction commits only for a valid file.
    let (company, rows) = import_file(store, &target, kind, &args.file).await?;
    eprintln!(
        "imported {} {} rows into {:?}",
        rows,
        format!("{:?}", args.kind).to_lowercase(),
        clean(&company.name)
    );
    Ok(())
}
