//! Scenarios and saved import mappings, both backends, written once: a save
//! carries the version it was loaded at, and a stale one is refused.

/// The [`super::Store`] methods of this part, for [`super::sql::backend!`].
macro_rules! plans_store {
    (write = $write:literal, now = $now:literal $(,)?) => {
        async fn scenarios(&self, company_id: i64) -> StoreResult<Vec<StoredScenario>> {
            let mut conn = self.session().await?;
            let all = Self::read_scenarios(&mut conn, company_id).await?;
            conn.done().await?;
            Ok(all)
        }

        async fn save_scenario(&self, company_id: i64, sc: &StoredScenario) -> StoreResult<i64> {
            use $crate::store::sql::Money;
            let drivers = sqlx::types::Json(&sc.drivers);
            let mut tx = self.begin_tx(true).await?;
            let version = if sc.version == 0 {
                let inserted = sqlx::query(
                    "INSERT INTO scenarios (company_id, name, drivers, locked, base_month, start_cash, \
                     start_revenue, version) VALUES ($1, $2, $3, $4, $5, $6, $7, 1) \
                     ON CONFLICT (company_id, name) DO NOTHING",
                )
                .bind(company_id)
                .bind(&sc.name)
                .bind(drivers)
                .bind(sc.locked)
                .bind(&sc.base_month)
                .bind(Money::opt(sc.start_cash)?)
                .bind(Money::opt(sc.start_revenue)?)
                .execute(&mut *tx)
                .await?;
                if inserted.rows_affected() != 1 {
                    return Err($crate::store::scenario_taken(&sc.name));
                }
                1
            } else {
                let version: Option<i64> = sqlx::query_scalar(concat!(
                    "UPDATE scenarios SET drivers = $3, locked = $4, base_month = $5, start_cash = $6, \
                     start_revenue = $7, version = version + 1, updated_at = ",
                    $now,
                    " WHERE company_id = $1 AND name = $2 AND version = $8 RETURNING version"
                ))
                .bind(company_id)
                .bind(&sc.name)
                .bind(drivers)
                .bind(sc.locked)
                .bind(&sc.base_month)
                .bind(Money::opt(sc.start_cash)?)
                .bind(Money::opt(sc.start_revenue)?)
                .bind(sc.version)
                .fetch_optional(&mut *tx)
                .await?;
                version.ok_or_else(|| $crate::store::stale("scenario", &sc.name))?
            };
            tx.commit().await?;
            Ok(version)
        }

        async fn rename_scenario(&self, company_id: i64, name: &str, new_name: &str, version: i64) -> StoreResult<i64> {
            let mut tx = self.begin_tx(true).await?;
            let taken: Option<i64> =
                sqlx::query_scalar("SELECT version FROM scenarios WHERE company_id = $1 AND name = $2")
                    .bind(company_id)
                    .bind(new_name)
                    .fetch_optional(&mut *tx)
                    .await?;
            if taken.is_some() {
                return Err($crate::store::scenario_taken(new_name));
            }
            let done = sqlx::query(concat!(
                "UPDATE scenarios SET name = $1, version = version + 1, updated_at = ",
                $now,
                " WHERE company_id = $2 AND name = $3 AND version = $4"
            ))
            .bind(new_name)
            .bind(company_id)
            .bind(name)
            .bind(version)
            .execute(&mut *tx)
            .await
            .map_err(|e| match &e {
                sqlx::Error::Database(db) if db.is_unique_violation() => $crate::store::scenario_taken(new_name),
                _ => e.into(),
            })?;
            if done.rows_affected() != 1 {
                return Err($crate::store::stale("scenario", name));
            }
            tx.commit().await?;
            Ok(version + 1)
        }

        async fn delete_scenario(&self, company_id: i64, name: &str, version: i64) -> StoreResult<()> {
            let mut s = self.session().await?;
            let done = sqlx::query("DELETE FROM scenarios WHERE company_id = $1 AND name = $2 AND version = $3")
                .bind(company_id)
                .bind(name)
                .bind(version)
                .execute(&mut *s)
                .await?;
            s.done().await?;
            if done.rows_affected() != 1 {
                return Err($crate::store::stale("scenario", name));
            }
            Ok(())
        }

        async fn save_mapping(&self, company_id: i64, m: &SavedMapping) -> StoreResult<()> {
            let mut s = self.session().await?;
            Self::insert_mapping(&mut *s, company_id, m).await?;
            s.done().await
        }

        async fn mappings(&self, company_id: i64) -> StoreResult<Vec<SavedMapping>> {
            let mut s = self.session().await?;
            let all = sqlx::query_as($crate::store::READ_MAPPINGS_SQL)
                .bind(company_id)
                .fetch_all(&mut *s)
                .await?;
            s.done().await?;
            Ok(all)
        }
    };
}

pub(crate) use plans_store;
