//! The questions asked of the advisors and their answers, per company and
//! advisor (both stores; on PostgreSQL analysts and owners write them).

use super::{AnyStore, StoreError, StoreResult};

/// One stored question and answer.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, sqlx::FromRow)]
pub struct StoredTurn {
    pub agent: String,
    pub question: String,
    pub answer: String,
    /// The tool calls as JSON: `[{"name", "arguments", "result"}]`.
    pub tool_calls: String,
}

/// Tool calls as one text whatever the store made of them (PostgreSQL's JSONB
/// reorders keys and spaces them): keys sorted, no spaces.
pub fn canonical(mut t: StoredTurn) -> StoredTurn {
    fn sort(v: serde_json::Value) -> serde_json::Value {
        match v {
            serde_json::Value::Object(o) => {
                let mut pairs: Vec<(String, serde_json::Value)> = o.into_iter().collect();
                pairs.sort_by(|a, b| a.0.cmp(&b.0));
                serde_json::Value::Object(pairs.into_iter().map(|(k, v)| (k, sort(v))).collect())
            }
            serde_json::Value::Array(a) => serde_json::Value::Array(a.into_iter().map(sort).collect()),
            other => other,
        }
    }
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(&t.tool_calls) {
        t.tool_calls = sort(v).to_string();
    }
    t
}

impl AnyStore {
    /// A company's conversations with every advisor, oldest first.
    pub async fn conversations(&self, company_id: i64) -> StoreResult<Vec<StoredTurn>> {
        const SQL: &str = "SELECT agent, question, answer, CAST(tool_calls AS TEXT) AS tool_calls \
                           FROM conversations WHERE company_id = $1 ORDER BY id";
        let rows: Vec<StoredTurn> =
            with_pool!(self, pool => sqlx::query_as(SQL).bind(company_id).fetch_all(pool).await?);
        Ok(rows.into_iter().map(canonical).collect())
    }

    /// Adds one question and its answer to the company's conversation with `agent`.
    pub async fn save_turn(&self, company_id: i64, turn: &StoredTurn) -> StoreResult<()> {
        const SQL: &str = "INSERT INTO conversations (company_id, agent, question, answer, tool_calls) \
                           VALUES ($1, $2, $3, $4, $5)";
        let calls: serde_json::Value =
            serde_json::from_str(&turn.tool_calls).map_err(|e| StoreError::Corrupt(format!("tool calls: {e}")))?;
        with_pool!(self, pool => sqlx::query(SQL)
            .bind(company_id)
            .bind(&turn.agent)
            .bind(&turn.question)
            .bind(&turn.answer)
            .bind(sqlx::types::Json(&calls))
            .execute(pool)
            .await
            .map(drop))
        .map_err(|e| self.explain_refusal(e.into()))
    }

    /// Forgets the company's conversation with `agent`; how many turns went.
    pub async fn clear_conversation(&self, company_id: i64, agent: &str) -> StoreResult<u64> {
        const SQL: &str = "DELETE FROM conversations WHERE company_id = $1 AND agent = $2";
        with_pool!(self, pool => sqlx::query(SQL)
            .bind(company_id)
            .bind(agent)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))
        .map_err(|e| self.explain_refusal(e.into()))
    }
}
