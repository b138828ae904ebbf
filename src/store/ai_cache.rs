//! The AI's record, both backends, written once: runs and their
//! recommendations, the cache they answer from, what they cost.

/// The [`super::Store`] methods of this part, for [`super::sql::backend!`].
macro_rules! ai_store {
    (write = $write:literal $(,)?) => {
        async fn save_analysis(&self, company_id: i64, a: &AnalysisRecord) -> StoreResult<i64> {
            let mut tx = self.begin_tx(true).await?;
            let id = Self::insert_analysis(&mut tx, company_id, a).await?;
            tx.commit().await?;
            Ok(id)
        }

        async fn cached_analysis(&self, key: &$crate::store::CacheKey<'_>) -> StoreResult<Option<AnalysisRecord>> {
            let mut conn = self.session().await?;
            let found = sqlx::query_as(
                "SELECT id, agent, provider, model, input_hash, input, output, CAST(result AS TEXT) AS result, \
                 prompt_tokens, completion_tokens, cost, latency_ms, status, created_at FROM ai_analysis \
                 WHERE company_id = $1 AND agent = $2 AND model = $3 AND input_hash = $4 AND status = 'ok' \
                   AND created_at >= $5 ORDER BY id DESC LIMIT 1",
            )
            .bind(key.company_id)
            .bind(key.agent)
            .bind(key.model)
            .bind(key.input_hash)
            .bind($crate::store::sql::Stamp(key.since))
            .fetch_all(&mut *conn)
            .await?;
            let found = Self::with_recommendations(&mut conn, found).await?.pop();
            conn.done().await?;
            Ok(found)
        }

        async fn ai_spend_since(&self, since: chrono::DateTime<chrono::Utc>) -> StoreResult<rust_decimal::Decimal> {
            let mut s = self.session().await?;
            let spent: $crate::store::sql::Money =
                sqlx::query_scalar("SELECT COALESCE(SUM(cost), 0) FROM ai_analysis WHERE created_at >= $1")
                    .bind($crate::store::sql::Stamp(since))
                    .fetch_one(&mut *s)
                    .await?;
            s.done().await?;
            Ok(spent.0.normalize())
        }

        async fn latest_recommendations(&self, company_id: i64, limit: i64) -> StoreResult<Vec<RecommendationRecord>> {
            let mut s = self.session().await?;
            let rows: Vec<$crate::store::RecommendationRecord> = sqlx::query_as(
                "SELECT category, priority, title, description, impact_score FROM recommendations \
                 WHERE analysis_id = (SELECT MAX(id) FROM ai_analysis WHERE company_id = $1 AND status = 'ok') \
                 ORDER BY priority, impact_score DESC, id LIMIT $2",
            )
            .bind(company_id)
            .bind(limit)
            .fetch_all(&mut *s)
            .await?;
            s.done().await?;
            Ok(rows)
        }
    };
}

pub(crate) use ai_store;
