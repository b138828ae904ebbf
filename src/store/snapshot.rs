//! The consistent snapshot of every company (`katalis backup`), both
//! backends, written once; `restore_into` loads one back.

/// The [`super::Store`] methods of this part, for [`super::sql::backend!`].
macro_rules! snapshot_store {
    (snapshot = $snapshot:literal, bytes = $bytes:literal $(,)?) => {
        async fn backup(&self) -> StoreResult<Backup> {
            // One read transaction: every table seen at the same instant.
            let mut tx = self.begin_tx(false).await?;
            let mut companies = Vec::new();
            for c in Self::read_companies(&mut tx).await? {
                let analyses = sqlx::query_as(
                    "SELECT id, agent, provider, model, input_hash, input, output, CAST(result AS TEXT) AS result, \
                     prompt_tokens, completion_tokens, cost, latency_ms, status, created_at FROM ai_analysis \
                     WHERE company_id = $1 ORDER BY id",
                )
                .bind(c.id)
                .fetch_all(&mut *tx)
                .await?;
                companies.push($crate::store::CompanyBackup {
                    financials: Self::read_financials(&mut tx, c.id).await?,
                    products: Self::read_products(&mut tx, c.id).await?,
                    invoices: {
                        let mut invoices = Self::read_invoices(&mut tx, c.id).await?;
                        Self::attach_fx(&mut tx, c.id, &mut invoices, true).await?;
                        invoices
                    },
                    scenarios: Self::read_scenarios(&mut tx, c.id).await?,
                    analyses: Self::with_recommendations(&mut tx, analyses).await?,
                    members: sqlx::query_as(concat!(
                        "SELECT member, role FROM company_members WHERE company_id = $1 ORDER BY member",
                        $bytes
                    ))
                    .bind(c.id)
                    .fetch_all(&mut *tx)
                    .await?,
                    mappings: sqlx::query_as($crate::store::READ_MAPPINGS_SQL)
                        .bind(c.id)
                        .fetch_all(&mut *tx)
                        .await?,
                    audit: sqlx::query_as(
                        "SELECT at, who, company, action, target, detail FROM audit WHERE company_id = $1 \
                         ORDER BY at, id",
                    )
                    .bind(c.id)
                    .fetch_all(&mut *tx)
                    .await?,
                    targets: sqlx::query_as(concat!(
                        "SELECT metric, rule FROM targets WHERE company_id = $1 ORDER BY metric",
                        $bytes
                    ))
                    .bind(c.id)
                    .fetch_all(&mut *tx)
                    .await?,
                    conversations: sqlx::query_as(
                        "SELECT agent, question, answer, CAST(tool_calls AS TEXT) AS tool_calls \
                         FROM conversations WHERE company_id = $1 ORDER BY id",
                    )
                    .bind(c.id)
                    .fetch_all(&mut *tx)
                    .await?
                    .into_iter()
                    .map($crate::store::conversations::canonical)
                    .collect(),
                    cfdi: sqlx::query_as::<_, (String, String, String, String)>(concat!(
                        "SELECT uuid, invoice_uuid, kind, body FROM cfdi_documents WHERE company_id = $1 \
                         ORDER BY uuid",
                        $bytes,
                        ", invoice_uuid",
                        $bytes
                    ))
                    .bind(c.id)
                    .fetch_all(&mut *tx)
                    .await?
                    .into_iter()
                    .map(Into::into)
                    .collect(),
                    bank: Self::read_bank(&mut tx, c.id).await?,
                    reconciliation: Self::read_reconciliation(&mut tx, c.id).await?,
                    profile: c.into(),
                });
            }
            let names: std::collections::HashMap<i64, String> = Self::read_companies(&mut tx)
                .await?
                .into_iter()
                .map(|c| (c.id, c.name))
                .collect();
            let mut backup = Backup::new(companies);
            backup.rates = Self::load_rates(&mut tx).await?;
            backup.groups = Self::read_groups(&mut tx)
                .await?
                .into_iter()
                .map(|g| $crate::domain::fx::GroupBackup {
                    members: g.members.iter().filter_map(|id| names.get(id).cloned()).collect(),
                    name: g.name,
                    currency: g.currency,
                    intercompany: g.intercompany,
                })
                .collect();
            tx.commit().await?;
            Ok(backup)
        }
    };
}

pub(crate) use snapshot_store;
