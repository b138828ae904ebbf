//! The ledger both backends share, written once: companies, months, products
//! and invoices read and edited (a stale edit refused), imports (streamed, and
//! CFDI with the documents kept for later imports).

/// The [`super::Store`] methods of this part, for [`super::sql::backend!`].
macro_rules! ledger_store {
    (write = $write:literal, snapshot = $snapshot:literal, now = $now:literal, bytes = $bytes:literal $(,)?) => {
        async fn ping(&self) -> StoreResult<std::time::Duration> {
            let t = std::time::Instant::now();
            let mut s = self.session().await?;
            sqlx::query("SELECT 1").execute(&mut *s).await?;
            s.done().await?;
            Ok(t.elapsed())
        }

        async fn companies(&self) -> StoreResult<Vec<Company>> {
            let mut conn = self.session().await?;
            let all = Self::read_companies(&mut conn).await?;
            conn.done().await?;
            Ok(all)
        }

        async fn upsert_company(&self, c: &NewCompany) -> StoreResult<Company> {
            let mut tx = self.begin_tx(true).await?;
            // The functional currency stays while a document in another is kept.
            let held: Option<String> = sqlx::query_scalar(
                "SELECT c.currency FROM companies c WHERE c.name = $1 \
                 AND EXISTS (SELECT 1 FROM invoice_fx f WHERE f.company_id = c.id)",
            )
            .bind(&c.name)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(held) = held.filter(|h| *h != c.currency) {
                return Err(StoreError::Conflict(format!(
                    "{} keeps its books in {held} and holds invoices in other currencies: its currency cannot become {}",
                    $crate::sanitize::clean(&c.name),
                    $crate::sanitize::clean(&c.currency)
                )));
            }
            let row: $crate::store::sql::CompanyRow = sqlx::query_as(
                "INSERT INTO companies (name, industry, currency, fiscal_year_start, locale) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (name) DO UPDATE SET industry = excluded.industry, currency = excluded.currency, \
                 fiscal_year_start = excluded.fiscal_year_start, locale = excluded.locale \
                 RETURNING id, name, industry, currency, fiscal_year_start, locale",
            )
            .bind(&c.name)
            .bind(&c.industry)
            .bind(&c.currency)
            .bind(c.fiscal_year_start as i16)
            .bind(&c.locale)
            .fetch_one(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(row.into())
        }

        async fn financials(&self, company_id: i64) -> StoreResult<Vec<MonthlyFinancials>> {
            let mut conn = self.session().await?;
            let rows = Self::read_financials(&mut conn, company_id).await?;
            conn.done().await?;
            Ok(rows)
        }

        async fn products(&self, company_id: i64) -> StoreResult<Vec<Product>> {
            let mut conn = self.session().await?;
            let rows = Self::read_products(&mut conn, company_id).await?;
            conn.done().await?;
            Ok(rows)
        }

        async fn invoices(&self, company_id: i64) -> StoreResult<Vec<Invoice>> {
            let mut conn = self.session().await?;
            let rows = Self::read_invoices(&mut conn, company_id).await?;
            conn.done().await?;
            Ok(rows)
        }

        async fn open_invoices(&self, company_id: i64, d: chrono::NaiveDate) -> StoreResult<Vec<Invoice>> {
            let mut s = self.session().await?;
            let rows: Vec<$crate::store::sql::InvoiceRow> = sqlx::query_as(concat!(
                "SELECT number, customer, issue_date, due_date, amount, paid_amount, paid_date FROM invoices \
                 WHERE company_id = $1 AND issue_date <= $2 \
                   AND amount - CASE WHEN paid_date <= $2 THEN paid_amount ELSE 0 END > 0 \
                 ORDER BY due_date, number",
                $bytes
            ))
            .bind(company_id)
            .bind(d)
            .fetch_all(&mut *s)
            .await?;
            s.done().await?;
            Ok(rows.into_iter().map(Invoice::from).collect())
        }

        async fn each_open_invoice(
            &self,
            company_id: i64,
            d: chrono::NaiveDate,
            filter: &str,
            sink: &mut (dyn FnMut(Invoice) -> Result<(), String> + Send),
        ) -> StoreResult<usize> {
            use futures_util::TryStreamExt;
            let pattern = $crate::store::sql::like_pattern(filter);
            let mut tx = self.begin_tx(false).await?;
            let mut n = 0;
            {
                let mut rows = sqlx::query_as::<_, $crate::store::sql::InvoiceRow>(concat!(
                    $crate::store::sql::open_at_sorted!(),
                    $bytes
                ))
                .bind(company_id)
                .bind(d)
                .bind(&pattern)
                .fetch(&mut *tx);
                while let Some(row) = rows.try_next().await? {
                    sink(Invoice::from(row)).map_err(StoreError::Aborted)?;
                    n += 1;
                }
            }
            tx.commit().await?;
            Ok(n)
        }

        async fn open_invoice_page(
            &self,
            company_id: i64,
            d: chrono::NaiveDate,
            filter: &str,
            offset: usize,
            limit: usize,
        ) -> StoreResult<(Vec<Invoice>, usize)> {
            // Open at D is: not fully paid (issued by D), or fully paid after D;
            // each half reads its own partial index (migration 0005).
            let pattern = $crate::store::sql::like_pattern(filter);
            let to_i64 = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
            let mut tx = self.begin_tx(false).await?;
            // Those paid in full after D: listed by the summaries when they
            // are at D, else found by reading the invoices.
            let kept = Self::read_summary_as_of(&mut tx, company_id).await? == Some(Some(d));
            let (rows_sql, count_sql) = if kept {
                (
                    concat!(
                        "SELECT * FROM (",
                        $crate::store::sql::unpaid_at!(),
                        " UNION ALL \
                           SELECT i.number, i.customer, i.issue_date, i.due_date, i.amount, i.paid_amount, i.paid_date \
                           FROM receivable_paid_after p CROSS JOIN invoices i \
                           WHERE p.company_id = $1 AND i.company_id = p.company_id AND i.number = p.number \
                             AND lower(i.number || ' ' || i.customer) LIKE $3 ESCAPE '\\' \
                         ) o ORDER BY due_date, number",
                        $bytes,
                        " LIMIT $4 OFFSET $5"
                    ),
                    concat!(
                        "SELECT (SELECT COUNT(*) FROM invoices WHERE ",
                        $crate::store::sql::open_at_where!(),
                        " AND paid_amount < amount) + (SELECT COUNT(*) FROM receivable_paid_after p \
                           CROSS JOIN invoices i WHERE p.company_id = $1 AND i.company_id = p.company_id \
                             AND i.number = p.number AND lower(i.number || ' ' || i.customer) LIKE $3 ESCAPE '\\')"
                    ),
                )
            } else {
                (
                    concat!($crate::store::sql::open_at_sorted!(), $bytes, " LIMIT $4 OFFSET $5"),
                    concat!(
                        "SELECT (SELECT COUNT(*) FROM invoices WHERE ",
                        $crate::store::sql::open_at_where!(),
                        " AND paid_amount < amount) + (SELECT COUNT(*) FROM invoices WHERE ",
                        $crate::store::sql::open_at_where!(),
                        " AND paid_amount = amount AND paid_date > $2)"
                    ),
                )
            };
            let rows: Vec<$crate::store::sql::InvoiceRow> = sqlx::query_as(rows_sql)
                .bind(company_id)
                .bind(d)
                .bind(&pattern)
                .bind(to_i64(limit))
                .bind(to_i64(offset))
                .fetch_all(&mut *tx)
                .await?;
            // Unfiltered, the summaries count them (O(customers)); a filter is
            // counted over the open invoices it may match.
            let total: i64 = if kept && filter.is_empty() {
                sqlx::query_scalar("SELECT CAST(COALESCE(SUM(invoices), 0) AS BIGINT) FROM receivable_aging WHERE company_id = $1")
                    .bind(company_id)
                    .fetch_one(&mut *tx)
                    .await?
            } else {
                sqlx::query_scalar(count_sql)
                    .bind(company_id)
                    .bind(d)
                    .bind(&pattern)
                    .fetch_one(&mut *tx)
                    .await?
            };
            let mut rows: Vec<Invoice> = rows.into_iter().map(Invoice::from).collect();
            // Those in another currency show it beside the functional amount.
            if Self::fx_book_has(&mut tx, company_id).await? {
                Self::attach_fx(&mut tx, company_id, &mut rows, false).await?;
            }
            tx.commit().await?;
            Ok((rows, usize::try_from(total).unwrap_or(0)))
        }

        async fn update_product(&self, company_id: i64, original: &Product, updated: &Product) -> StoreResult<()> {
            use $crate::store::sql::Money;
            let (o, u) = (original, updated);
            let mut tx = self.begin_tx(true).await?;
            let done = sqlx::query(concat!(
                "UPDATE products SET name = $3, unit_price = $4, unit_cost = $5, monthly_units = $6, \
                 fixed_costs = $7, version = version + 1, updated_at = ",
                $now,
                " WHERE company_id = $1 AND sku = $2 AND name = $8 AND unit_price = $9 AND unit_cost = $10 \
                   AND monthly_units = $11 AND fixed_costs = $12"
            ))
            .bind(company_id)
            .bind(&o.sku)
            .bind(&u.name)
            .bind(Money::new(u.unit_price)?)
            .bind(Money::new(u.unit_cost)?)
            .bind(Money::new(u.monthly_units)?)
            .bind(Money::new(u.fixed_costs)?)
            .bind(&o.name)
            .bind(Money(o.unit_price))
            .bind(Money(o.unit_cost))
            .bind(Money(o.monthly_units))
            .bind(Money(o.fixed_costs))
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() != 1 {
                return Err($crate::store::stale("product", &o.sku));
            }
            tx.commit().await?;
            Ok(())
        }

        async fn update_month(
            &self,
            company_id: i64,
            original: &MonthlyFinancials,
            updated: &MonthlyFinancials,
        ) -> StoreResult<()> {
            use $crate::store::sql::Money;
            let (o, u) = (original, updated);
            let mut tx = self.begin_tx(true).await?;
            let done = sqlx::query(concat!(
                "UPDATE financials SET revenue = $3, cogs = $4, opex = $5, sales_marketing = $6, depreciation = $7, \
                 other_income = $8, financing = $9, cash_end = $10, customers_new = $11, customers_churned = $12, \
                 customers_end = $13, version = version + 1, updated_at = ",
                $now,
                " WHERE company_id = $1 AND month = $2 AND revenue = $14 AND cogs = $15 AND opex = $16 \
                   AND sales_marketing IS NOT DISTINCT FROM $17 AND depreciation IS NOT DISTINCT FROM $18 \
                   AND other_income IS NOT DISTINCT FROM $19 AND financing IS NOT DISTINCT FROM $20 \
                   AND cash_end = $21 AND customers_new IS NOT DISTINCT FROM $22 \
                   AND customers_churned IS NOT DISTINCT FROM $23 AND customers_end IS NOT DISTINCT FROM $24"
            ))
            .bind(company_id)
            .bind(o.month)
            .bind(Money::new(u.revenue)?)
            .bind(Money::new(u.cogs)?)
            .bind(Money::new(u.opex)?)
            .bind(Money::opt(u.sales_marketing)?)
            .bind(Money::opt(u.depreciation)?)
            .bind(Money::opt(u.other_income)?)
            .bind(Money::opt(u.financing)?)
            .bind(Money::new(u.cash_end)?)
            .bind(u.customers_new)
            .bind(u.customers_churned)
            .bind(u.customers_end)
            .bind(Money(o.revenue))
            .bind(Money(o.cogs))
            .bind(Money(o.opex))
            .bind(o.sales_marketing.map(Money))
            .bind(o.depreciation.map(Money))
            .bind(o.other_income.map(Money))
            .bind(o.financing.map(Money))
            .bind(Money(o.cash_end))
            .bind(o.customers_new)
            .bind(o.customers_churned)
            .bind(o.customers_end)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() != 1 {
                return Err($crate::store::stale("month", &o.month.to_string()));
            }
            tx.commit().await?;
            Ok(())
        }

        async fn update_invoice(&self, company_id: i64, original: &Invoice, updated: &Invoice) -> StoreResult<()> {
            use $crate::store::sql::Money;
            let (o, u) = (original, updated);
            let mut tx = self.begin_tx(true).await?;
            if (o.amount, o.paid_amount, o.paid_date) != (u.amount, u.paid_amount, u.paid_date)
                && let Some(currency) = Self::invoice_currency(&mut tx, company_id, &o.number).await?
            {
                return Err(StoreError::Conflict(format!(
                    "invoice {} is in {currency}: change what it and its payments are by importing it again \
                     (with its currency and rates)",
                    $crate::sanitize::clean(&o.number)
                )));
            }
            let done = sqlx::query(concat!(
                "UPDATE invoices SET customer = $3, issue_date = $4, due_date = $5, amount = $6, paid_amount = $7, \
                 paid_date = $8, version = version + 1, updated_at = ",
                $now,
                " WHERE company_id = $1 AND number = $2 AND customer = $9 AND issue_date = $10 AND due_date = $11 \
                   AND amount = $12 AND paid_amount = $13 AND paid_date IS NOT DISTINCT FROM $14"
            ))
            .bind(company_id)
            .bind(&o.number)
            .bind(&u.customer)
            .bind(u.issue_date)
            .bind(u.due_date)
            .bind(Money::new(u.amount)?)
            .bind(Money::new(u.paid_amount)?)
            .bind(u.paid_date)
            .bind(&o.customer)
            .bind(o.issue_date)
            .bind(o.due_date)
            .bind(Money(o.amount))
            .bind(Money(o.paid_amount))
            .bind(o.paid_date)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() != 1 {
                return Err($crate::store::stale("invoice", &o.number));
            }
            // An edited paid amount is the user's word, the bank's part counted toward it.
            let settled = Self::settle(&mut tx, company_id, &u.number, true).await?;
            let u = settled.as_ref().map_or(u, |(_, s)| s);
            Self::summaries_after_edit(&mut tx, company_id, o, u).await?;
            tx.commit().await?;
            Ok(())
        }

        async fn import(&self, target: &ImportTarget, batch: &ImportBatch) -> StoreResult<Company> {
            let mut tx = self.begin_tx(true).await?;
            let company = Self::resolve(&mut tx, target).await?;
            match batch {
                ImportBatch::Financials(rows) => Self::write_financials(&mut tx, company.id, rows).await?,
                ImportBatch::Products(rows) => Self::write_products(&mut tx, company.id, rows).await?,
                ImportBatch::Invoices(rows) => {
                    let fx = Self::fx_book(&mut tx, &company, Some(rows)).await?;
                    let booked = fx.book(rows)?;
                    let rows = booked.as_deref().unwrap_or(rows);
                    let mut builder = Self::summary_builder(&mut tx, company.id).await?;
                    Self::write_invoices(&mut tx, company.id, rows).await?;
                    if booked.is_some() || fx.has_fx {
                        Self::write_invoice_fx(&mut tx, company.id, rows, fx.has_fx).await?;
                    }
                    if let Some(b) = builder.as_mut() {
                        rows.iter().for_each(|r| b.add(r));
                    }
                    Self::summaries_after_invoices(&mut tx, company.id, builder).await?;
                }
                ImportBatch::Statement(_) => return Err($crate::store::statement_elsewhere()),
            }
            if let ImportBatch::Financials(_) = batch {
                Self::refresh_after_financials(&mut tx, company.id).await?;
            }
            tx.commit().await?;
            Ok(company)
        }

        async fn cfdi_records(&self, company_id: i64, uuids: &[String]) -> StoreResult<Vec<$crate::domain::CfdiRecord>> {
            // One snapshot; the UUIDs asked for in chunks, through the key and the invoice index.
            let mut tx = self.begin_tx(false).await?;
            let mut out: Vec<$crate::domain::CfdiRecord> = Vec::new();
            let mut seen = std::collections::HashSet::new();
            for chunk in uuids.chunks(500) {
                let mut q = sqlx::QueryBuilder::new(
                    "SELECT uuid, invoice_uuid, kind, body FROM cfdi_documents WHERE company_id = ",
                );
                q.push_bind(company_id).push(" AND (invoice_uuid IN (");
                let mut list = q.separated(", ");
                for u in chunk {
                    list.push_bind(u);
                }
                q.push(") OR uuid IN (");
                let mut list = q.separated(", ");
                for u in chunk {
                    list.push_bind(u);
                }
                q.push("))");
                let rows: Vec<(String, String, String, String)> = q.build_query_as().fetch_all(&mut *tx).await?;
                for (uuid, invoice_uuid, kind, body) in rows {
                    if seen.insert((uuid.clone(), invoice_uuid.clone())) {
                        out.push($crate::domain::CfdiRecord { uuid, invoice_uuid, kind, body });
                    }
                }
            }
            tx.commit().await?;
            out.sort_by(|a, b| (&a.uuid, &a.invoice_uuid).cmp(&(&b.uuid, &b.invoice_uuid)));
            Ok(out)
        }

        async fn import_cfdi(&self, target: &ImportTarget, w: &$crate::domain::CfdiWrite) -> StoreResult<Company> {
            let mut tx = self.begin_tx(true).await?;
            let company = Self::resolve(&mut tx, target).await?;
            let mut builder = if w.removed_invoices.is_empty() {
                Self::summary_builder(&mut tx, company.id).await?
            } else {
                None
            };
            for number in &w.removed_invoices {
                sqlx::query("DELETE FROM invoices WHERE company_id = $1 AND number = $2")
                    .bind(company.id)
                    .bind(number)
                    .execute(&mut *tx)
                    .await?;
            }
            let mut replaced: Vec<&str> = w.removed_uuids.iter().map(String::as_str).collect();
            replaced.extend(w.records.iter().map(|r| r.uuid.as_str()));
            replaced.sort_unstable();
            replaced.dedup();
            for chunk in replaced.chunks(500) {
                let mut q = sqlx::QueryBuilder::new("DELETE FROM cfdi_documents WHERE company_id = ");
                q.push_bind(company.id).push(" AND uuid IN (");
                let mut list = q.separated(", ");
                for uuid in chunk {
                    list.push_bind(*uuid);
                }
                q.push(")");
                q.build().execute(&mut *tx).await?;
            }
            Self::insert_cfdi(&mut tx, company.id, &w.records).await?;
            let fx = Self::fx_book(&mut tx, &company, Some(&w.invoices)).await?;
            let booked = fx.book(&w.invoices)?;
            let invoices = booked.as_deref().unwrap_or(&w.invoices);
            Self::write_invoices(&mut tx, company.id, invoices).await?;
            if booked.is_some() || fx.has_fx {
                Self::write_invoice_fx(&mut tx, company.id, invoices, fx.has_fx).await?;
            }
            if let Some(b) = builder.as_mut() {
                invoices.iter().for_each(|r| b.add(r));
            }
            Self::summaries_after_invoices(&mut tx, company.id, builder).await?;
            tx.commit().await?;
            Ok(company)
        }
    };
}

pub(crate) use ledger_store;
