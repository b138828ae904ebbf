//! The structured end of every answer: one Rust type per agent, its JSON
//! schema (for endpoints that take `response_format`), the extraction of the
//! final JSON block (for those that do not), and the validation.

use super::Agent;
use crate::finance::Health;
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Value, json};

/// A number as the model writes it (JSON number or string), kept exact.
fn de_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    let v = Value::deserialize(d)?;
    let text = match &v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().to_owned(),
        other => return Err(serde::de::Error::custom(format!("expected a number, got {other}"))),
    };
    text.parse::<Decimal>()
        .or_else(|_| Decimal::from_scientific(&text))
        .map_err(|_| serde::de::Error::custom(format!("{text:?} is not a number")))
}

pub use crate::domain::Recommendation;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdvisorResult {
    #[serde(deserialize_with = "de_decimal")]
    pub profitability: Decimal,
    #[serde(deserialize_with = "de_decimal")]
    pub unit_economics: Decimal,
    #[serde(deserialize_with = "de_decimal")]
    pub cash_flow: Decimal,
    #[serde(deserialize_with = "de_decimal")]
    pub growth_efficiency: Decimal,
    #[serde(deserialize_with = "de_decimal")]
    pub total_score: Decimal,
    pub recommendations: Vec<Recommendation>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceChange {
    pub sku: String,
    #[serde(deserialize_with = "de_decimal")]
    pub suggested_price: Decimal,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PricingResult {
    pub price_changes: Vec<PriceChange>,
    pub recommendations: Vec<Recommendation>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrowthResult {
    /// "efficient", "inefficient", "stalled" or "declining".
    pub assessment: String,
    pub recommendations: Vec<Recommendation>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunwayAction {
    pub action: String,
    #[serde(deserialize_with = "de_decimal")]
    pub monthly_effect: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CashFlowResult {
    pub runway_actions: Vec<RunwayAction>,
    pub recommendations: Vec<Recommendation>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Call {
    pub customer: String,
    #[serde(deserialize_with = "de_decimal")]
    pub amount: Decimal,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollectionsResult {
    pub calls: Vec<Call>,
    pub recommendations: Vec<Recommendation>,
}

/// The result of one agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum AgentResult {
    Advisor(AdvisorResult),
    Pricing(PricingResult),
    Growth(GrowthResult),
    CashFlow(CashFlowResult),
    Collections(CollectionsResult),
}

impl AgentResult {
    pub fn recommendations(&self) -> &[Recommendation] {
        match self {
            AgentResult::Advisor(r) => &r.recommendations,
            AgentResult::Pricing(r) => &r.recommendations,
            AgentResult::Growth(r) => &r.recommendations,
            AgentResult::CashFlow(r) => &r.recommendations,
            AgentResult::Collections(r) => &r.recommendations,
        }
    }
}

/// The result's form, as the text-mode prompt describes it.
pub fn shape(agent: Agent) -> &'static str {
    match agent {
        Agent::Advisor => {
            r#"{"profitability":0-100,"unit_economics":0-100,"cash_flow":0-100,"growth_efficiency":0-100,"total_score":0-100,"recommendations":[{"category":"...","priority":1-5,"title":"...","description":"...","impact_score":0-100}]}"#
        }
        Agent::Pricing => {
            r#"{"price_changes":[{"sku":"...","suggested_price":0.00,"reason":"..."}],"recommendations":[{"category":"...","priority":1-5,"title":"...","description":"...","impact_score":0-100}]}"#
        }
        Agent::Growth => {
            r#"{"assessment":"efficient|inefficient|stalled|declining","recommendations":[{"category":"...","priority":1-5,"title":"...","description":"...","impact_score":0-100}]}"#
        }
        Agent::CashFlow => {
            r#"{"runway_actions":[{"action":"...","monthly_effect":0.00}],"recommendations":[{"category":"...","priority":1-5,"title":"...","description":"...","impact_score":0-100}]}"#
        }
        Agent::Collections => {
            r#"{"calls":[{"customer":"...","amount":0.00,"reason":"..."}],"recommendations":[{"category":"...","priority":1-5,"title":"...","description":"...","impact_score":0-100}]}"#
        }
    }
}

fn recs_schema() -> Value {
    json!({
        "type": "array",
        "items": {
            "type": "object",
            "additionalProperties": false,
            "required": ["category", "priority", "title", "description", "impact_score"],
            "properties": {
                "category": {"type": "string"},
                "priority": {"type": "integer", "minimum": 1, "maximum": 5},
                "title": {"type": "string"},
                "description": {"type": "string"},
                "impact_score": {"type": "integer", "minimum": 0, "maximum": 100},
            }
        }
    })
}

fn list(fields: &[(&str, &str)]) -> Value {
    let props: serde_json::Map<String, Value> = fields
        .iter()
        .map(|(k, t)| ((*k).to_owned(), json!({ "type": t })))
        .collect();
    json!({
        "type": "array",
        "items": {
            "type": "object",
            "additionalProperties": false,
            "required": fields.iter().map(|f| f.0).collect::<Vec<_>>(),
            "properties": props,
        }
    })
}

/// The `response_format` of a structured request: the markdown in `analysis`,
/// then the agent's result fields.
pub fn response_format(agent: Agent) -> Value {
    let score = json!({"type": "number", "minimum": 0, "maximum": 100});
    let mut props = serde_json::Map::new();
    props.insert("analysis".into(), json!({"type": "string"}));
    match agent {
        Agent::Advisor => {
            for k in [
                "profitability",
                "unit_economics",
                "cash_flow",
                "growth_efficiency",
                "total_score",
            ] {
                props.insert(k.into(), score.clone());
            }
        }
        Agent::Pricing => {
            props.insert(
                "price_changes".into(),
                list(&[("sku", "string"), ("suggested_price", "number"), ("reason", "string")]),
            );
        }
        Agent::Growth => {
            props.insert(
                "assessment".into(),
                json!({"type": "string", "enum": ["efficient", "inefficient", "stalled", "declining"]}),
            );
        }
        Agent::CashFlow => {
            props.insert(
                "runway_actions".into(),
                list(&[("action", "string"), ("monthly_effect", "number")]),
            );
        }
        Agent::Collections => {
            props.insert(
                "calls".into(),
                list(&[("customer", "string"), ("amount", "number"), ("reason", "string")]),
            );
        }
    }
    props.insert("recommendations".into(), recs_schema());
    let required: Vec<String> = props.keys().cloned().collect();
    json!({
        "type": "json_schema",
        "json_schema": {
            "name": format!("katalis_{}", agent.key()),
            "strict": true,
            "schema": {
                "type": "object",
                "additionalProperties": false,
                "required": required,
                "properties": props,
            }
        }
    })
}

/// Deserialises and checks the result of `agent` from a JSON value.
pub fn parse(agent: Agent, v: &Value) -> Result<AgentResult, String> {
    let r = match agent {
        Agent::Advisor => serde_json::from_value(v.clone()).map(AgentResult::Advisor),
        Agent::Pricing => serde_json::from_value(v.clone()).map(AgentResult::Pricing),
        Agent::Growth => serde_json::from_value(v.clone()).map(AgentResult::Growth),
        Agent::CashFlow => serde_json::from_value(v.clone()).map(AgentResult::CashFlow),
        Agent::Collections => serde_json::from_value(v.clone()).map(AgentResult::Collections),
    }
    .map_err(|e| e.to_string())?;
    for (i, rec) in r.recommendations().iter().enumerate() {
        if !(1..=5).contains(&rec.priority) {
            return Err(format!("recommendations[{i}].priority {} is not 1-5", rec.priority));
        }
        if rec.impact_score > 100 {
            return Err(format!(
                "recommendations[{i}].impact_score {} is over 100",
                rec.impact_score
            ));
        }
    }
    if let AgentResult::Advisor(a) = &r {
        for (k, s) in [
            ("profitability", a.profitability),
            ("unit_economics", a.unit_economics),
            ("cash_flow", a.cash_flow),
            ("growth_efficiency", a.growth_efficiency),
            ("total_score", a.total_score),
        ] {
            if s < Decimal::ZERO || s > Decimal::ONE_HUNDRED {
                return Err(format!("{k} {s} is not 0-100"));
            }
        }
    }
    Ok(r)
}

/// The last JSON object of a text answer: the last ```json fenced block, else
/// the last balanced `{…}`. Returns the object and where it starts in `text`.
pub fn extract_json(text: &str) -> Option<(usize, Value)> {
    if let Some(open) = text.rfind("```json") {
        let body_start = open + "```json".len();
        let body_end = text[body_start..].find("```").map_or(text.len(), |e| body_start + e);
        if let Ok(v) = serde_json::from_str::<Value>(text[body_start..body_end].trim()) {
            return Some((open, v));
        }
    }
    // Scan back from each closing brace for its opening one, strings respected.
    let bytes = text.as_bytes();
    let mut end = text.len();
    while let Some(close) = text[..end].rfind('}') {
        let mut depth = 0i32;
        let mut in_str = false;
        let mut i = close as isize;
        while i >= 0 {
            let c = bytes[i as usize];
            if in_str {
                if c == b'"' && !escaped(bytes, i as usize) {
                    in_str = false;
                }
            } else if c == b'"' {
                in_str = true;
            } else if c == b'}' {
                depth += 1;
            } else if c == b'{' {
                depth -= 1;
                if depth == 0 {
                    let start = i as usize;
                    if let Ok(v) = serde_json::from_str::<Value>(&text[start..=close]) {
                        return Some((start, v));
                    }
                    break;
                }
            }
            i -= 1;
        }
        end = close;
    }
    None
}

fn escaped(bytes: &[u8], i: usize) -> bool {
    let mut n = 0;
    let mut j = i;
    while j > 0 && bytes[j - 1] == b'\\' {
        n += 1;
        j -= 1;
    }
    n % 2 == 1
}

/// The text a person reads: the answer without its final JSON block.
pub fn display_text(text: &str) -> &str {
    match text.rfind("```json") {
        Some(i) => text[..i].trim_end(),
        None => text.trim_end(),
    }
}

/// Where the engine has the number, the engine's number stands: the advisor's
/// scores are replaced by the health scores, and what the model said is kept
/// for the difference shown beside them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScoreCheck {
    pub name: &'static str,
    pub model: Decimal,
    pub engine: Decimal,
}

pub fn ground_scores(result: &mut AgentResult, health: &Health) -> Vec<ScoreCheck> {
    let AgentResult::Advisor(a) = result else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (name, slot, engine) in [
        ("profitability", &mut a.profitability, health.profitability),
        ("unit_economics", &mut a.unit_economics, health.unit_economics),
        ("cash_flow", &mut a.cash_flow, health.cash_flow),
        ("growth_efficiency", &mut a.growth_efficiency, health.growth_efficiency),
        ("total_score", &mut a.total_score, health.total_score),
    ] {
        if let Some(e) = engine {
            let e = e.round_dp(2);
            out.push(ScoreCheck {
                name,
                model: *slot,
                engine: e,
            });
            *slot = e;
        }
    }
    out
}

/// Reads the `analysis` string of a structured answer as it streams in, so the
/// panel can draw the text before the JSON is complete.
#[derive(Debug, Default)]
pub struct AnalysisField {
    raw: String,
    /// Byte offset in `raw` where the string's content starts, once found.
    start: Option<usize>,
    /// Bytes of content consumed so far.
    pos: usize,
    done: bool,
    /// Not JSON: the text is the answer itself.
    plain: bool,
}

impl AnalysisField {
    /// Adds a chunk of the raw JSON; returns the newly decoded text. An answer
    /// that is not a JSON object (an endpoint that ignored the schema) passes through.
    pub fn push(&mut self, chunk: &str) -> String {
        self.raw.push_str(chunk);
        if self.plain {
            return chunk.to_owned();
        }
        if self.start.is_none() && !self.done {
            // A fenced object (```json) is still JSON; wait for the fence line to end.
            let trimmed = self.raw.trim_start();
            let body = match trimmed.strip_prefix("```") {
                Some(rest) => match rest.split_once('\n') {
                    Some((_, body)) => body,
                    None => return String::new(),
                },
                None => trimmed,
            };
            match body.trim_start().chars().next() {
                None | Some('{') => {}
                Some(_) => {
                    self.plain = true;
                    return self.raw.clone();
                }
            }
        }
        if self.done {
            return String::new();
        }
        if self.start.is_none() {
            let Some(k) = self.raw.find("\"analysis\"") else {
                return String::new();
            };
            let after = &self.raw[k + "\"analysis\"".len()..];
            let Some(colon) = after.find(':') else {
                return String::new();
            };
            let rest = &after[colon + 1..];
            let Some(q) = rest.find('"') else { return String::new() };
            if !rest[..q].trim().is_empty() {
                self.done = true;
                return String::new();
            }
            let start = k + "\"analysis\"".len() + colon + 1 + q + 1;
            self.start = Some(start);
            self.pos = start;
        }
        let mut out = String::new();
        let bytes = self.raw.as_bytes();
        let mut i = self.pos;
        while i < bytes.len() {
            match bytes[i] {
                b'"' => {
                    self.done = true;
                    i += 1;
                    break;
                }
                b'\\' => {
                    let Some(&e) = bytes.get(i + 1) else { break };
                    let (text, used) = match e {
                        b'n' => ("\n".to_owned(), 2),
                        b't' => ("\t".to_owned(), 2),
                        b'r' => (String::new(), 2),
                        b'"' => ("\"".to_owned(), 2),
                        b'\\' => ("\\".to_owned(), 2),
                        b'/' => ("/".to_owned(), 2),
                        b'b' | b'f' => (String::new(), 2),
                        b'u' => {
                            let Some(hex) = self.raw.get(i + 2..i + 6) else { break };
                            let Ok(code) = u32::from_str_radix(hex, 16) else {
                                self.done = true;
                                break;
                            };
                            if (0xD800..0xDC00).contains(&code) {
                                // A surrogate pair: wait for the low half.
                                let Some(low) = self.raw.get(i + 8..i + 12) else { break };
                                let low = u32::from_str_radix(low, 16).unwrap_or(0xDC00);
                                let c = char::from_u32(
                                    0x10000 + ((code - 0xD800) << 10) + (low.wrapping_sub(0xDC00) & 0x3FF),
                                );
                                (c.map(String::from).unwrap_or_default(), 12)
                            } else {
                                (char::from_u32(code).map(String::from).unwrap_or_default(), 6)
                            }
                        }
                        _ => (String::new(), 2),
                    };
                    out.push_str(&text);
                    i += used;
                }
                _ => {
                    // Copy a run of plain characters (UTF-8 boundaries stay whole: we stop only at ASCII).
                    let run_end = bytes[i..]
                        .iter()
                        .position(|b| *b == b'"' || *b == b'\\')
                        .map_or(bytes.len(), |p| i + p);
                    out.push_str(&self.raw[i..run_end]);
                    i = run_end;
                }
            }
        }
        self.pos = i;
        out
    }

    pub fn raw(&self) -> &str {
        &self.raw
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_analysis_field_streams_at_any_split() {
        let full = r##"{"analysis":"# Caja\nMeses: 8.28 \"ok\" \u00e9 \ud83d\ude00 fin","total_score":50}"##;
        for split in 0..full.len() {
            if !full.is_char_boundary(split) {
                continue;
            }
            let mut f = AnalysisField::default();
            let mut text = f.push(&full[..split]);
            text += &f.push(&full[split..]);
            assert_eq!(text, "# Caja\nMeses: 8.28 \"ok\" é 😀 fin", "split at {split}");
        }
        let mut f = AnalysisField::default();
        let text = f.push("  ") + &f.push("# Plain") + &f.push(" text");
        assert_eq!(text, "  # Plain text", "an answer that is not JSON passes through");
        let mut f = AnalysisField::default();
        let text = f.push("```js") + &f.push("on\n{\"analysis\": \"Fen") + &f.push("ced\"}\n```");
        assert_eq!(text, "Fenced", "a fenced object is read as JSON");
    }

    #[test]
    fn the_last_json_block_is_found() {
        let t = "Text {not json}\n```json\n{\"a\": 1}\n```\n";
        assert_eq!(extract_json(t).map(|x| x.1), Some(json!({"a": 1})));
        let t = "Plain then {\"b\": \"}\"} and {\"c\": [1, {\"d\": 2}]}";
        assert_eq!(extract_json(t).map(|x| x.1), Some(json!({"c": [1, {"d": 2}]})));
        assert_eq!(extract_json("no json here"), None);
        assert_eq!(display_text("Hello\n\n```json\n{}\n```"), "Hello");
    }
}
