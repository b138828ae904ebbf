//! The receivables both backends share, written once: the collections
//! reduction at a month, the flows for the DSO trend, the 13-week forecast's
//! input and its weeks from the summaries.

/// The [`super::Store`] methods of this part, for [`super::sql::backend!`].
macro_rules! receivables_store {
    (snapshot = $snapshot:literal, days_late = $late:literal $(,)?) => {
        async fn collections_input(&self, company_id: i64, m: Month) -> StoreResult<CollectionsInput> {
            use $crate::store::sql::Money;
            let d = m.last_day();
            let mut tx = self.begin_tx(false).await?;
            if Self::read_summary_as_of(&mut tx, company_id).await? == Some(Some(d)) {
                // The summaries kept by writes: O(customers + months).
                let flows = Self::read_month_flows(&mut tx, company_id).await?;
                let rows: Vec<(String, i32, Money, chrono::NaiveDate)> = sqlx::query_as(
                    "SELECT customer, bucket, open, oldest_due FROM receivable_aging WHERE company_id = $1",
                )
                .bind(company_id)
                .fetch_all(&mut *tx)
                .await?;
                tx.commit().await?;
                let t = $crate::finance::collections::month_totals(&flows, m);
                return $crate::store::collections_from(
                    rows.into_iter().map(|(c, b, open, due)| (c, b, open.0, due)).collect(),
                    t.ar_begin,
                    t.credit_sales_3m,
                    t.credit_sales_m,
                );
            }
            // Another month: one pass over the company's invoices: the open groups at D by
            // customer and aging bucket (bucket −1: not open at D), and in the
            // same groups the parts of the totals (AR at the previous month's
            // end, credit sales of M−2..M and of M).
            let query = sqlx::query_as($crate::store::sql::COLLECTIONS_SQL);
            let rows: Vec<(String, i32, Money, Option<chrono::NaiveDate>, Money, Money, Money)> =
                $crate::store::sql::bind_collections!(query, company_id, m)
                    .fetch_all(&mut *tx)
                    .await?;
            tx.commit().await?;
            let (mut ar_begin, mut credit_sales_3m, mut credit_sales_m) = (rust_decimal::Decimal::ZERO, rust_decimal::Decimal::ZERO, rust_decimal::Decimal::ZERO);
            let mut groups = Vec::new();
            for (customer, bucket, open, oldest_due, begin, c3, c1) in rows {
                ar_begin += begin.0;
                credit_sales_3m += c3.0;
                credit_sales_m += c1.0;
                if bucket >= 0 {
                    groups.push((customer, bucket, open.0, oldest_due.ok_or_else(|| StoreError::Corrupt("due date".into()))?));
                }
            }
            $crate::store::collections_from(groups, ar_begin, credit_sales_3m, credit_sales_m)
        }

        async fn receivable_flows(
            &self,
            company_id: i64,
        ) -> StoreResult<$crate::finance::collections::ReceivableFlows> {
            use $crate::store::sql::Money;
            let mut tx = self.begin_tx(false).await?;
            if Self::read_summary_as_of(&mut tx, company_id).await?.is_some() {
                let flows = Self::read_month_flows(&mut tx, company_id).await?;
                tx.commit().await?;
                return Ok($crate::store::summaries::as_flows(&flows));
            }
            let issued: Vec<(chrono::NaiveDate, Money)> = sqlx::query_as(
                "SELECT issue_date, SUM(amount) FROM invoices WHERE company_id = $1 GROUP BY issue_date",
            )
            .bind(company_id)
            .fetch_all(&mut *tx)
            .await?;
            let collected: Vec<(chrono::NaiveDate, Money)> = sqlx::query_as(
                "SELECT CASE WHEN paid_date > issue_date THEN paid_date ELSE issue_date END AS counted, \
                 SUM(paid_amount) FROM invoices WHERE company_id = $1 AND paid_date IS NOT NULL GROUP BY counted",
            )
            .bind(company_id)
            .fetch_all(&mut *tx)
            .await?;
            tx.commit().await?;
            let plain = |rows: Vec<(chrono::NaiveDate, Money)>| rows.into_iter().map(|(d, m)| (d, m.0)).collect();
            Ok($crate::finance::collections::ReceivableFlows {
                issued: plain(issued),
                collected: plain(collected),
            })
        }

        async fn forecast_input(&self, company_id: i64, m: Month) -> StoreResult<ForecastInput> {
            let d = m.last_day();
            let mut tx = self.begin_tx(false).await?;
            if Self::read_summary_as_of(&mut tx, company_id).await? == Some(Some(d)) {
                let flows = Self::read_month_flows(&mut tx, company_id).await?;
                let late: Vec<(String, i64, i64)> =
                    sqlx::query_as("SELECT customer, late_days, paid FROM receivable_late WHERE company_id = $1")
                        .bind(company_id)
                        .fetch_all(&mut *tx)
                        .await?;
                tx.commit().await?;
                return Ok(ForecastInput {
                    late: late.into_iter().map(|(c, days, n)| (c, (days, n))).collect(),
                    invoiced_t3m: $crate::finance::collections::month_totals(&flows, m).credit_sales_3m.normalize(),
                });
            }
            let late: Vec<(String, i64, i64)> = sqlx::query_as(concat!(
                "SELECT customer, CAST(SUM(",
                $late,
                ") AS BIGINT), COUNT(*) FROM invoices \
                 WHERE company_id = $1 AND paid_date IS NOT NULL AND paid_date <= $2 GROUP BY customer"
            ))
            .bind(company_id)
            .bind(d)
            .fetch_all(&mut *tx)
            .await?;
            let invoiced: $crate::store::sql::Money = sqlx::query_scalar(
                "SELECT COALESCE(SUM(amount), 0) FROM invoices \
                 WHERE company_id = $1 AND issue_date >= $2 AND issue_date <= $3",
            )
            .bind(company_id)
            .bind(m.plus(-2).first_day())
            .bind(d)
            .fetch_one(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(ForecastInput {
                late: late.into_iter().map(|(c, days, n)| (c, (days, n))).collect(),
                invoiced_t3m: invoiced.0.normalize(),
            })
        }

        async fn weekly_collections(&self, company_id: i64, m: Month) -> StoreResult<Option<Vec<rust_decimal::Decimal>>> {
            use $crate::store::sql::Money;
            let mut tx = self.begin_tx(false).await?;
            if Self::read_summary_as_of(&mut tx, company_id).await? != Some(Some(m.last_day())) {
                tx.commit().await?;
                return Ok(None);
            }
            let rows: Vec<(i32, Money)> = sqlx::query_as(
                "SELECT week, SUM(amount) FROM receivable_weeks WHERE company_id = $1 GROUP BY week",
            )
            .bind(company_id)
            .fetch_all(&mut *tx)
            .await?;
            tx.commit().await?;
            let mut weeks = vec![rust_decimal::Decimal::ZERO; $crate::finance::forecast::WEEKS as usize];
            for (w, amount) in rows {
                let slot = usize::try_from(w)
                    .ok()
                    .and_then(|w| weeks.get_mut(w))
                    .ok_or_else(|| StoreError::Corrupt(format!("forecast week {w}")))?;
                *slot = amount.0;
            }
            Ok(Some(weeks))
        }
    };
}

pub(crate) use receivables_store;
