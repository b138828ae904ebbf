//! Groups of companies (`katalis group`), both backends, written once.

/// The [`super::Store`] methods of this part, for [`super::sql::backend!`].
macro_rules! group_store {
    (write = $write:literal, snapshot = $snapshot:literal $(,)?) => {
        async fn groups(&self) -> StoreResult<Vec<$crate::domain::fx::Group>> {
            let mut tx = self.begin_tx(false).await?;
            let groups = Self::read_groups(&mut tx).await?;
            tx.commit().await?;
            Ok(groups)
        }

        async fn change_group(
            &self,
            name: &str,
            change: &$crate::domain::fx::GroupChange,
        ) -> StoreResult<Option<$crate::domain::fx::Group>> {
            use $crate::domain::fx::GroupChange;
            let mut tx = self.begin_tx(true).await?;
            let id: Option<i64> = sqlx::query_scalar("SELECT id FROM company_groups WHERE name = $1")
                .bind(name)
                .fetch_optional(&mut *tx)
                .await?;
            let unknown = || StoreError::Conflict(format!("no group named {:?}", $crate::sanitize::clean(name)));
            let id = match (change, id) {
                (GroupChange::Create { .. }, Some(_)) => {
                    return Err(StoreError::Conflict(format!(
                        "a group named {:?} already exists",
                        $crate::sanitize::clean(name)
                    )));
                }
                (GroupChange::Create { currency, .. }, None) => {
                    sqlx::query_scalar("INSERT INTO company_groups (name, currency) VALUES ($1, $2) RETURNING id")
                        .bind(name)
                        .bind(currency)
                        .fetch_one(&mut *tx)
                        .await?
                }
                (_, None) => return Err(unknown()),
                (GroupChange::Delete, Some(id)) => {
                    let done = sqlx::query("DELETE FROM company_groups WHERE id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    // Row policies hide what a login may not delete: said, not passed over.
                    if done.rows_affected() == 0 {
                        return Err(StoreError::Forbidden(format!(
                            "group {:?}",
                            $crate::sanitize::clean(name)
                        )));
                    }
                    tx.commit().await?;
                    return Ok(None);
                }
                (_, Some(id)) => id,
            };
            match change {
                GroupChange::Create {
                    members,
                    intercompany,
                    ..
                }
                | GroupChange::Add {
                    members,
                    intercompany,
                } => {
                    for m in members {
                        sqlx::query(
                            "INSERT INTO group_members (group_id, company_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                        )
                        .bind(id)
                        .bind(m)
                        .execute(&mut *tx)
                        .await?;
                    }
                    for n in intercompany {
                        sqlx::query(
                            "INSERT INTO group_intercompany (group_id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                        )
                        .bind(id)
                        .bind(n)
                        .execute(&mut *tx)
                        .await?;
                    }
                }
                GroupChange::Remove {
                    members,
                    intercompany,
                } => {
                    let held = Self::read_groups(&mut tx).await?.into_iter().find(|g| g.id == id);
                    for m in members {
                        let done = sqlx::query("DELETE FROM group_members WHERE group_id = $1 AND company_id = $2")
                            .bind(id)
                            .bind(m)
                            .execute(&mut *tx)
                            .await?;
                        if done.rows_affected() == 0 && held.as_ref().is_some_and(|g| g.members.contains(m)) {
                            return Err(StoreError::Forbidden(format!(
                                "group {:?}",
                                $crate::sanitize::clean(name)
                            )));
                        }
                    }
                    for n in intercompany {
                        sqlx::query("DELETE FROM group_intercompany WHERE group_id = $1 AND name = $2")
                            .bind(id)
                            .bind(n)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                GroupChange::Delete => {}
            }
            let group = Self::read_groups(&mut tx).await?.into_iter().find(|g| g.id == id);
            tx.commit().await?;
            group.map(Some).ok_or_else(unknown)
        }

        async fn invoices_to(
            &self,
            company_id: i64,
            names: &std::collections::BTreeSet<String>,
        ) -> StoreResult<Vec<Invoice>> {
            let mut tx = self.begin_tx(false).await?;
            let customers: Vec<String> =
                sqlx::query_scalar("SELECT DISTINCT customer FROM invoices WHERE company_id = $1")
                    .bind(company_id)
                    .fetch_all(&mut *tx)
                    .await?;
            let wanted: Vec<String> = customers
                .into_iter()
                .filter(|c| names.contains(&$crate::finance::group::folded(c)))
                .collect();
            let mut out = Vec::new();
            for chunk in wanted.chunks(500) {
                let mut q = sqlx::QueryBuilder::new(
                    "SELECT number, customer, issue_date, due_date, amount, paid_amount, paid_date FROM invoices \
                     WHERE company_id = ",
                );
                q.push_bind(company_id).push(" AND customer IN (");
                let mut list = q.separated(", ");
                for c in chunk {
                    list.push_bind(c.clone());
                }
                q.push(") ORDER BY issue_date, number");
                let rows: Vec<$crate::store::sql::InvoiceRow> = q.build_query_as().fetch_all(&mut *tx).await?;
                out.extend(rows.into_iter().map(Invoice::from));
            }
            tx.commit().await?;
            Ok(out)
        }
    };
}
pub(crate) use group_store;

/// The helpers of this part, in each backend's inherent `impl`.
macro_rules! group_helpers {
    (conn = $conn:ty $(,)?) => {
        async fn read_groups(conn: &mut $conn) -> StoreResult<Vec<$crate::domain::fx::Group>> {
            let groups: Vec<(i64, String, String)> =
                sqlx::query_as("SELECT id, name, currency FROM company_groups ORDER BY name")
                    .fetch_all(&mut *conn)
                    .await?;
            let members: Vec<(i64, i64)> =
                sqlx::query_as("SELECT group_id, company_id FROM group_members ORDER BY group_id, company_id")
                    .fetch_all(&mut *conn)
                    .await?;
            let names: Vec<(i64, String)> =
                sqlx::query_as("SELECT group_id, name FROM group_intercompany ORDER BY group_id, name")
                    .fetch_all(&mut *conn)
                    .await?;
            Ok(groups
                .into_iter()
                .map(|(id, name, currency)| $crate::domain::fx::Group {
                    id,
                    name,
                    currency,
                    members: members
                        .iter()
                        .filter(|(g, _)| *g == id)
                        .map(|(_, c)| *c)
                        .collect(),
                    intercompany: names
                        .iter()
                        .filter(|(g, _)| *g == id)
                        .map(|(_, n)| n.clone())
                        .collect(),
                })
                .collect())
        }
    };
}
pub(crate) use group_helpers;
