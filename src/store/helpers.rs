//! The helpers the shared store bodies call (reading a company's rows,
//! resolving an import's target, inserting an analysis, restoring a backup),
//! written once for both backends.

/// The helpers the shared bodies call, in each backend's inherent `impl`.
macro_rules! shared_helpers {
    (conn = $conn:ty, bytes = $bytes:literal $(,)?) => {
        async fn read_companies(conn: &mut $conn) -> StoreResult<Vec<Company>> {
            let rows: Vec<$crate::store::sql::CompanyRow> = sqlx::query_as(
                "SELECT id, name, industry, currency, fiscal_year_start, locale FROM companies ORDER BY id",
            )
            .fetch_all(&mut *conn)
            .await?;
            Ok(rows.into_iter().map(Company::from).collect())
        }

        async fn read_company(conn: &mut $conn, id: Option<i64>, name: Option<&str>) -> StoreResult<Option<Company>> {
            let row: Option<$crate::store::sql::CompanyRow> = sqlx::query_as(
                "SELECT id, name, industry, currency, fiscal_year_start, locale FROM companies \
                 WHERE id = $1 OR name = $2",
            )
            .bind(id)
            .bind(name)
            .fetch_optional(&mut *conn)
            .await?;
            Ok(row.map(Company::from))
        }

        async fn insert_company(conn: &mut $conn, c: &NewCompany) -> StoreResult<Company> {
            let row: $crate::store::sql::CompanyRow = sqlx::query_as(
                "INSERT INTO companies (name, industry, currency, fiscal_year_start, locale) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id, name, industry, currency, fiscal_year_start, locale",
            )
            .bind(&c.name)
            .bind(&c.industry)
            .bind(&c.currency)
            .bind(c.fiscal_year_start as i16)
            .bind(&c.locale)
            .fetch_one(&mut *conn)
            .await?;
            Ok(row.into())
        }

        /// The company an import writes to: an existing one, or one created now.
        async fn resolve(conn: &mut $conn, target: &ImportTarget) -> StoreResult<Company> {
            match target {
                ImportTarget::Existing(id) => Self::read_company(conn, Some(*id), None)
                    .await?
                    .ok_or_else(|| StoreError::UnknownCompany(id.to_string())),
                ImportTarget::Create(c) => match Self::read_company(conn, None, Some(&c.name)).await? {
                    Some(found) => Ok(found),
                    None => Self::insert_company(conn, c).await,
                },
            }
        }

        async fn read_financials(conn: &mut $conn, company_id: i64) -> StoreResult<Vec<MonthlyFinancials>> {
            let rows: Vec<$crate::store::sql::FinancialsRow> = sqlx::query_as(
                "SELECT month, revenue, cogs, opex, sales_marketing, depreciation, other_income, financing, \
                 cash_end, customers_new, customers_churned, customers_end FROM financials \
                 WHERE company_id = $1 ORDER BY month",
            )
            .bind(company_id)
            .fetch_all(&mut *conn)
            .await?;
            Ok(rows.into_iter().map(MonthlyFinancials::from).collect())
        }

        async fn read_products(conn: &mut $conn, company_id: i64) -> StoreResult<Vec<Product>> {
            let rows: Vec<$crate::store::sql::ProductRow> = sqlx::query_as(concat!(
                "SELECT sku, name, unit_price, unit_cost, monthly_units, fixed_costs FROM products \
                 WHERE company_id = $1 ORDER BY sku",
                $bytes
            ))
            .bind(company_id)
            .fetch_all(&mut *conn)
            .await?;
            Ok(rows.into_iter().map(Product::from).collect())
        }

        async fn read_invoices(conn: &mut $conn, company_id: i64) -> StoreResult<Vec<Invoice>> {
            let rows: Vec<$crate::store::sql::InvoiceRow> = sqlx::query_as(concat!(
                "SELECT number, customer, issue_date, due_date, amount, paid_amount, paid_date FROM invoices \
                 WHERE company_id = $1 ORDER BY number",
                $bytes
            ))
            .bind(company_id)
            .fetch_all(&mut *conn)
            .await?;
            Ok(rows.into_iter().map(Invoice::from).collect())
        }

        async fn read_scenarios(conn: &mut $conn, company_id: i64) -> StoreResult<Vec<StoredScenario>> {
            let rows: Vec<$crate::store::sql::ScenarioRow> = sqlx::query_as(concat!(
                "SELECT name, CAST(drivers AS TEXT) AS drivers, locked, base_month, start_cash, start_revenue, \
                 version FROM scenarios WHERE company_id = $1 ORDER BY name",
                $bytes
            ))
            .bind(company_id)
            .fetch_all(&mut *conn)
            .await?;
            rows.into_iter().map(StoredScenario::try_from).collect()
        }

        async fn insert_mapping<'e, E: sqlx::Executor<'e, Database = <$conn as sqlx::Connection>::Database>>(
            ex: E,
            company_id: i64,
            m: &SavedMapping,
        ) -> StoreResult<()> {
            let q = sqlx::query($crate::store::SAVE_MAPPING_SQL)
                .bind(company_id)
                .bind(&m.name);
            q.bind(&m.kind).bind(&m.spec).execute(ex).await?;
            Ok(())
        }

        async fn insert_analysis(conn: &mut $conn, company_id: i64, a: &AnalysisRecord) -> StoreResult<i64> {
            use $crate::store::sql::{Money, Stamp, json_text};
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO ai_analysis (company_id, agent, provider, model, input_hash, input, output, result, \
                 prompt_tokens, completion_tokens, cost, latency_ms, status, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
            )
            .bind(company_id)
            .bind(&a.agent)
            .bind(&a.provider)
            .bind(&a.model)
            .bind(&a.input_hash)
            .bind(&a.input)
            .bind(&a.output)
            .bind(json_text(&a.result)?)
            .bind(a.prompt_tokens)
            .bind(a.completion_tokens)
            .bind(Money::opt(a.cost)?)
            .bind(a.latency_ms)
            .bind(&a.status)
            .bind(Stamp::parse(&a.created_at)?)
            .fetch_one(&mut *conn)
            .await?;
            for r in &a.recommendations {
                sqlx::query(
                    "INSERT INTO recommendations (analysis_id, company_id, category, priority, title, description, \
                     impact_score) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(id)
                .bind(company_id)
                .bind(&r.category)
                .bind(r.priority as i16)
                .bind(&r.title)
                .bind(&r.description)
                .bind(r.impact_score as i16)
                .execute(&mut *conn)
                .await?;
            }
            Ok(id)
        }

        /// Analyses as read, each with its recommendations.
        async fn with_recommendations(
            conn: &mut $conn,
            analyses: Vec<$crate::store::sql::AnalysisRow>,
        ) -> StoreResult<Vec<AnalysisRecord>> {
            let mut records = Vec::with_capacity(analyses.len());
            for a in analyses {
                let recs: Vec<$crate::store::RecommendationRecord> = sqlx::query_as(
                    "SELECT category, priority, title, description, impact_score FROM recommendations \
                     WHERE analysis_id = $1 ORDER BY id",
                )
                .bind(a.id)
                .fetch_all(&mut *conn)
                .await?;
                records.push(a.into_record(recs));
            }
            Ok(records)
        }

        /// Keeps a company's imported CFDI (one row per document and invoice).
        async fn insert_cfdi(
            conn: &mut $conn,
            company_id: i64,
            records: &[$crate::domain::CfdiRecord],
        ) -> StoreResult<()> {
            // Multi-row inserts: 5 parameters a row, well under either database's limit.
            for chunk in records.chunks(500) {
                let mut q =
                    sqlx::QueryBuilder::new("INSERT INTO cfdi_documents (company_id, uuid, invoice_uuid, kind, body) ");
                q.push_values(chunk, |mut row, r| {
                    row.push_bind(company_id)
                        .push_bind(&r.uuid)
                        .push_bind(&r.invoice_uuid)
                        .push_bind(&r.kind)
                        .push_bind(&r.body);
                });
                q.build().execute(&mut *conn).await?;
            }
            Ok(())
        }

        /// Loads a snapshot's companies into an empty store, inside `conn`'s transaction.
        async fn restore_into(conn: &mut $conn, b: &Backup) -> StoreResult<()> {
            use $crate::store::sql::{Money, Stamp};
            let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM companies")
                .fetch_one(&mut *conn)
                .await?;
            if count > 0 {
                return Err(StoreError::NotEmpty);
            }
            Self::insert_rates(conn, &b.rates).await?;
            for cb in &b.companies {
                let c = Self::insert_company(conn, &cb.profile).await?;
                Self::write_financials(conn, c.id, &cb.financials).await?;
                Self::write_products(conn, c.id, &cb.products).await?;
                Self::write_invoices(conn, c.id, &cb.invoices).await?;
                Self::write_invoice_fx(conn, c.id, &cb.invoices, false).await?;
                Self::refresh_receivables(conn, c.id, true, None).await?;
                for s in &cb.scenarios {
                    sqlx::query(
                        "INSERT INTO scenarios (company_id, name, drivers, locked, base_month, start_cash, \
                         start_revenue, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(c.id)
                    .bind(&s.name)
                    .bind(sqlx::types::Json(&s.drivers))
                    .bind(s.locked)
                    .bind(&s.base_month)
                    .bind(Money::opt(s.start_cash)?)
                    .bind(Money::opt(s.start_revenue)?)
                    .bind(s.version)
                    .execute(&mut *conn)
                    .await?;
                }
                for a in &cb.analyses {
                    Self::insert_analysis(conn, c.id, a).await?;
                }
                for m in &cb.members {
                    sqlx::query("INSERT INTO company_members (company_id, member, role) VALUES ($1, $2, $3)")
                        .bind(c.id)
                        .bind(&m.member)
                        .bind(&m.role)
                        .execute(&mut *conn)
                        .await?;
                }
                for m in &cb.mappings {
                    Self::insert_mapping(&mut *conn, c.id, m).await?;
                }
                for t in &cb.conversations {
                    let calls: serde_json::Value = serde_json::from_str(&t.tool_calls)
                        .map_err(|e| StoreError::Corrupt(format!("a conversation's tool calls: {e}")))?;
                    sqlx::query(
                        "INSERT INTO conversations (company_id, agent, question, answer, tool_calls) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(c.id)
                    .bind(&t.agent)
                    .bind(&t.question)
                    .bind(&t.answer)
                    .bind(sqlx::types::Json(&calls))
                    .execute(&mut *conn)
                    .await?;
                }
                Self::insert_cfdi(conn, c.id, &cb.cfdi).await?;
                Self::restore_bank(conn, c.id, &cb.bank).await?;
                Self::restore_reconciliation(conn, c.id, &cb.reconciliation).await?;
                for (metric, rule) in &cb.targets {
                    sqlx::query("INSERT INTO targets (company_id, metric, rule) VALUES ($1, $2, $3)")
                        .bind(c.id)
                        .bind(metric)
                        .bind(rule)
                        .execute(&mut *conn)
                        .await?;
                }
                for a in &cb.audit {
                    sqlx::query(
                        "INSERT INTO audit (at, who, company_id, company, action, target, detail) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(Stamp::parse(&a.at)?)
                    .bind(&a.who)
                    .bind(c.id)
                    .bind(&a.company)
                    .bind(&a.action)
                    .bind(&a.target)
                    .bind(&a.detail)
                    .execute(&mut *conn)
                    .await?;
                }
            }
            // Groups, their members by name among the companies just restored.
            let ids: std::collections::HashMap<String, i64> = Self::read_companies(conn)
                .await?
                .into_iter()
                .map(|c| (c.name, c.id))
                .collect();
            for g in &b.groups {
                let id: i64 =
                    sqlx::query_scalar("INSERT INTO company_groups (name, currency) VALUES ($1, $2) RETURNING id")
                        .bind(&g.name)
                        .bind(&g.currency)
                        .fetch_one(&mut *conn)
                        .await?;
                for m in &g.members {
                    let company = ids
                        .get(m)
                        .ok_or_else(|| StoreError::Corrupt(format!("group {:?}: no company named {:?}", g.name, m)))?;
                    sqlx::query("INSERT INTO group_members (group_id, company_id) VALUES ($1, $2)")
                        .bind(id)
                        .bind(company)
                        .execute(&mut *conn)
                        .await?;
                }
                for n in &g.intercompany {
                    sqlx::query("INSERT INTO group_intercompany (group_id, name) VALUES ($1, $2)")
                        .bind(id)
                        .bind(n)
                        .execute(&mut *conn)
                        .await?;
                }
            }
            Ok(())
        }
    };
}

pub(crate) use shared_helpers;
