//! `katalis demo`: loads the demo companies (`crate::demo`).

use crate::store::AnyStore;
use color_eyre::eyre::Result;

pub async fn run(store: &AnyStore) -> Result<()> {
    for name in crate::demo::load(store).await? {
        eprintln!("loaded demo company {name:?}");
    }
    Ok(())
}
