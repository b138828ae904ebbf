//! KPI targets: any scalar of `report --format json` by its key, held to a rule
//! (`>= 12`, `<= 45`, `between 0.4 0.6`). Evaluated on the report itself, so a
//! target means exactly what the report prints.

use crate::sanitize::clean;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;
use std::str::FromStr;

/// How a value must stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    AtLeast(Decimal),
    AtMost(Decimal),
    Between(Decimal, Decimal),
}

impl Rule {
    pub fn holds(self, v: Decimal) -> bool {
        match self {
            Rule::AtLeast(a) => v >= a,
            Rule::AtMost(a) => v <= a,
            Rule::Between(a, b) => a <= v && v <= b,
        }
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Rule::AtLeast(a) => write!(f, ">= {a}"),
            Rule::AtMost(a) => write!(f, "<= {a}"),
            Rule::Between(a, b) => write!(f, "between {a} {b}"),
        }
    }
}

impl FromStr for Rule {
    type Err = String;
    fn from_str(s: &str) -> Result<Rule, String> {
        let num = |t: &str| {
            Decimal::from_str_exact(t.trim())
                .map_err(|_| format!("{:?} is not a number (write 12, 0.3 or -5000)", clean(t)))
        };
        let t = s.trim();
        if let Some(rest) = t.strip_prefix(">=") {
            return Ok(Rule::AtLeast(num(rest)?));
        }
        if let Some(rest) = t.strip_prefix("<=") {
            return Ok(Rule::AtMost(num(rest)?));
        }
        if let Some(rest) = t.strip_prefix("between") {
            let parts: Vec<&str> = rest.split_whitespace().collect();
            if let [a, b] = parts.as_slice() {
                let (a, b) = (num(a)?, num(b)?);
                if a > b {
                    return Err(format!("between {a} {b}: the lower bound comes first"));
                }
                return Ok(Rule::Between(a, b));
            }
        }
        Err(format!(
            "{:?}: expected \">= N\", \"<= N\" or \"between A B\"",
            clean(s)
        ))
    }
}

/// A metric held to a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The report key as written (`runway_months` or `cash_flow.runway_months`).
    pub metric: String,
    pub rule: Rule,
}

/// Every scalar leaf of the report as `section.key` (nested objects joined by
/// dots; lists left out).
pub fn leaves(report: &Value) -> Vec<(String, &Value)> {
    fn walk<'a>(prefix: &str, v: &'a Value, out: &mut Vec<(String, &'a Value)>) {
        match v {
            Value::Object(o) => {
                for (k, v) in o {
                    let p = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&p, v, out);
                }
            }
            Value::Array(_) => {}
            v => out.push((prefix.to_owned(), v)),
        }
    }
    let mut out = Vec::new();
    walk("", report, &mut out);
    out
}

/// The report key a metric names: the full path, or the one path it ends.
pub fn resolve(report: &Value, metric: &str) -> Result<String, String> {
    let all = leaves(report);
    if all.iter().any(|(k, _)| k == metric) {
        return Ok(metric.to_owned());
    }
    let suffix = format!(".{metric}");
    let found: Vec<&String> = all.iter().map(|(k, _)| k).filter(|k| k.ends_with(&suffix)).collect();
    match found.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(format!(
            "{:?} is not a key of the report (e.g. runway_months, gross_margin, dso, cash_flow.net_burn)",
            clean(metric)
        )),
        many => Err(format!(
            "{:?} is ambiguous: {}",
            clean(metric),
            many.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")
        )),
    }
}

/// One target evaluated: `ok` is `None` when the report has no value for it
/// (e.g. runway while not burning), which is not a miss.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetCheck {
    pub metric: String,
    pub rule: String,
    pub value: Option<String>,
    pub ok: Option<bool>,
}

/// Evaluates targets on a report; a metric that is not a key is an error.
pub fn evaluate(report: &Value, targets: &[Target]) -> Result<Vec<TargetCheck>, String> {
    targets
        .iter()
        .map(|t| {
            let key = resolve(report, &t.metric)?;
            let value = leaves(report)
                .into_iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.clone());
            let number = match &value {
                Some(Value::String(s)) => Decimal::from_str(s).ok(),
                Some(Value::Number(n)) => Decimal::from_str(&n.to_string()).ok(),
                _ => None,
            };
            Ok(TargetCheck {
                metric: key,
                rule: t.rule.to_string(),
                value: match value {
                    Some(Value::String(s)) => Some(s),
                    Some(Value::Null) | None => None,
                    Some(v) => Some(v.to_string()),
                },
                ok: number.map(|n| t.rule.holds(n)),
            })
        })
        .collect()
}

/// Config targets, then the company's (a company's rule for a metric replaces the config's).
pub fn merge(config: &[Target], company: &[Target]) -> Vec<Target> {
    let mut out: Vec<Target> = config
        .iter()
        .filter(|c| !company.iter().any(|t| t.metric == c.metric))
        .cloned()
        .collect();
    out.extend(company.iter().cloned());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rules_parse_hold_and_print() {
        let r: Rule = ">= 12".parse().unwrap();
        assert!(r.holds(Decimal::from(12)) && !r.holds(Decimal::new(119, 1)));
        assert_eq!(r.to_string(), ">= 12");
        let b: Rule = "between 0.4 0.6".parse().unwrap();
        assert!(b.holds(Decimal::new(5, 1)) && !b.holds(Decimal::new(7, 1)));
        assert!("between 2 1".parse::<Rule>().is_err());
        assert!("> 3".parse::<Rule>().is_err());
        assert!(">= 1e3".parse::<Rule>().is_err());
    }

    #[test]
    fn metrics_resolve_by_key_or_path() {
        let r = json!({"cash_flow": {"runway_months": "8.28", "net_burn": null}, "collections": {"aging": {"d1_30": "5.00"}, "dso": "41.2"}});
        assert_eq!(resolve(&r, "runway_months").unwrap(), "cash_flow.runway_months");
        assert_eq!(resolve(&r, "aging.d1_30").unwrap(), "collections.aging.d1_30");
        assert!(resolve(&r, "nope").is_err());
        let checks = evaluate(
            &r,
            &[
                Target {
                    metric: "runway_months".into(),
                    rule: ">= 12".parse().unwrap(),
                },
                Target {
                    metric: "dso".into(),
                    rule: "<= 45".parse().unwrap(),
                },
                Target {
                    metric: "net_burn".into(),
                    rule: "<= 0".parse().unwrap(),
                },
            ],
        )
        .unwrap();
        assert_eq!(checks[0].ok, Some(false));
        assert_eq!(checks[1].ok, Some(true));
        assert_eq!(checks[2].ok, None, "no value is not a miss");
    }
}
