//! The engine as tools: what an advisor calls instead of guessing a number.
//! Each tool takes JSON arguments and returns JSON in the report's formats;
//! a bad argument is an error result (said in words), never a crash.
//!
//! - `metrics {module?}`: the report's section (`cash_flow`, `collections`…) or all of it;
//! - `what_if {settings: ["hire=3:2:6000", "revenue_growth=0.05", …]}`: the base
//!   scenario with those changes, projected — the same keys as `scenario project`'s
//!   outputs, and the base's under `base`;
//! - `goal_seek {driver, target, min, max}`: as `scenario goal-seek`;
//! - `open_invoices {customer?, min_days_late?}`: open invoices at the as-of date,
//!   most overdue first (at most 20);
//! - `compare {scenario_a, scenario_b}`: two scenarios' outputs and b − a.

use crate::domain::{Drivers, Invoice};
use crate::finance::planning::{
    DriverKey, Projection, Start, Target, apply_setting, driver_number, goal_seek, project,
};
use crate::numbers::{fixed, money};
use serde_json::{Value, json};

/// What the tools compute from: one company at its as-of month.
pub struct ToolContext<'a> {
    pub report: &'a Value,
    pub start: Start,
    pub base: &'a Drivers,
    pub open_invoices: &'a [Invoice],
    /// The stored scenarios with where each starts (base is always there).
    pub scenarios: &'a [(String, Drivers, Start)],
}

/// One call as made and answered.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ToolCall {
    pub name: String,
    pub arguments: Value,
    pub result: Value,
}

/// The tools' names and what they take, as the chat-completions API describes them.
pub fn definitions() -> Value {
    json!([
        {"type": "function", "function": {"name": "metrics",
            "description": "The company's computed metrics (the report), optionally one module.",
            "parameters": {"type": "object", "properties": {"module": {"type": "string",
                "enum": ["profitability", "unit_economics", "cash_flow", "growth", "collections", "pricing", "health"]},
                "as_of": {"type": "string", "description": "YYYY-MM; the latest month with financials"}}}}},
        {"type": "function", "function": {"name": "what_if",
            "description": "Project the base scenario with changes, as KEY=VALUE settings: a driver (revenue_growth=0.05, opex_base=250000, price_change=0.1, price_change_month=3), hire=MONTH:COUNT:MONTHLY_COST or cash_event=MONTH:AMOUNT:LABEL (MONTH counts from 1, the first projected month).",
            "parameters": {"type": "object", "required": ["settings"], "properties": {"settings": {"type": "array", "items": {"type": "string"}}}}}},
        {"type": "function", "function": {"name": "goal_seek",
            "description": "The value of one driver that meets a target: min_cash>=0, runway_at_horizon>=N or break_even_by=K.",
            "parameters": {"type": "object", "required": ["driver", "target", "min", "max"], "properties": {
                "driver": {"type": "string"}, "target": {"type": "string"}, "min": {"type": "string"}, "max": {"type": "string"}}}}},
        {"type": "function", "function": {"name": "compare",
            "description": "Two scenarios' projected outputs side by side (base is the actuals' trend).",
            "parameters": {"type": "object", "required": ["scenario_a", "scenario_b"], "properties": {
                "scenario_a": {"type": "string"}, "scenario_b": {"type": "string"}}}}},
        {"type": "function", "function": {"name": "open_invoices",
            "description": "Open invoices at the as-of date, most overdue first (20 at most).",
            "parameters": {"type": "object", "properties": {"customer": {"type": "string"}, "min_days_late": {"type": "integer"}}}}}
    ])
}

/// The outputs of a projection, in `scenario project --format json`'s keys and formats.
pub fn outputs(p: &Projection) -> Value {
    json!({
        "cash_zero_month": p.cash_zero_month.map(|m| m.to_string()),
        "break_even_month": p.break_even_month.map(|m| m.to_string()),
        "min_cash": money(p.min_cash),
        "cash_at_horizon": money(p.cash_at_horizon),
        "runway_at_horizon": p.runway_at_horizon.map(|r| fixed(r, 2)),
        "npv": money(p.npv),
    })
}

fn error(message: String) -> Value {
    json!({ "error": message })
}

/// Runs one tool; its errors come back as `{"error": "…"}`.
pub fn call(cx: &ToolContext<'_>, name: &str, arguments: &Value) -> ToolCall {
    let result = match name {
        "metrics"
            if arguments
                .get("as_of")
                .and_then(Value::as_str)
                .is_some_and(|m| m != cx.start.month.to_string()) =>
        {
            error(format!(
                "metrics are computed as of {} (the latest month with financials); for an earlier month, read the report's monthly rows",
                cx.start.month
            ))
        }
        "metrics" => match arguments.get("module").and_then(Value::as_str) {
            None => cx.report.clone(),
            Some(m) => cx
                .report
                .get(m)
                .cloned()
                .unwrap_or_else(|| error(format!("no module {m:?}"))),
        },
        "what_if" => what_if(cx, arguments),
        "goal_seek" => seek(cx, arguments),
        "open_invoices" => open_invoices(cx, arguments),
        "compare" => compare(cx, arguments),
        other => error(format!(
            "no tool {:?}: metrics, what_if, goal_seek, open_invoices or compare",
            crate::sanitize::clean(other)
        )),
    };
    ToolCall {
        name: name.to_owned(),
        arguments: arguments.clone(),
        result,
    }
}

fn what_if(cx: &ToolContext<'_>, arguments: &Value) -> Value {
    let Some(settings) = arguments.get("settings").and_then(Value::as_array) else {
        return error("what_if needs settings: a list of KEY=VALUE".into());
    };
    let mut d = cx.base.clone();
    for s in settings {
        let Some((key, value)) = s.as_str().and_then(|s| s.split_once('=')) else {
            return error(format!("{s}: expected KEY=VALUE"));
        };
        if let Err(e) = apply_setting(&mut d, key.trim(), value) {
            return error(e);
        }
    }
    let mut out = outputs(&project(cx.start, &d));
    out["base"] = outputs(&project(cx.start, cx.base));
    out["base_month"] = json!(cx.start.month.to_string());
    out
}

fn seek(cx: &ToolContext<'_>, arguments: &Value) -> Value {
    let text = |k: &str| {
        arguments
            .get(k)
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
    };
    let (Some(driver), Some(target), Some(min), Some(max)) = (text("driver"), text("target"), text("min"), text("max"))
    else {
        return error("goal_seek needs driver, target, min and max".into());
    };
    let Some(key) = DriverKey::parse(&driver) else {
        return error(format!("{driver:?} is not a driver"));
    };
    let target = match Target::parse(&target) {
        Ok(t) => t,
        Err(e) => return error(e),
    };
    let (min, max) = match (driver_number(&min), driver_number(&max)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return error(e),
    };
    let found = goal_seek(cx.start, cx.base, key, target, min, max);
    json!({
        "driver": key.key(),
        "value": found.value.map(|v| fixed(v, 4)),
        "target": target.to_string(),
        "met": found.value.is_some(),
    })
}

fn compare(cx: &ToolContext<'_>, arguments: &Value) -> Value {
    let find = |key: &str| -> Result<Projection, Value> {
        let name = arguments.get(key).and_then(Value::as_str).unwrap_or("base");
        if name == "base" {
            return Ok(project(cx.start, cx.base));
        }
        cx.scenarios
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, d, s)| project(*s, d))
            .ok_or_else(|| {
                let known: Vec<&str> = std::iter::once("base")
                    .chain(cx.scenarios.iter().map(|s| s.0.as_str()))
                    .collect();
                error(format!("no scenario {name:?} (there are: {})", known.join(", ")))
            })
    };
    let (a, b) = match (find("scenario_a"), find("scenario_b")) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    json!({
        "a": outputs(&a),
        "b": outputs(&b),
        "difference": {
            "min_cash": money(b.min_cash - a.min_cash),
            "cash_at_horizon": money(b.cash_at_horizon - a.cash_at_horizon),
            "npv": money(b.npv - a.npv),
        },
    })
}

fn open_invoices(cx: &ToolContext<'_>, arguments: &Value) -> Value {
    let d = cx.start.month.last_day();
    let customer = arguments.get("customer").and_then(Value::as_str).map(str::to_lowercase);
    let min_late = arguments
        .get("min_days_late")
        .and_then(Value::as_i64)
        .unwrap_or(i64::MIN);
    let mut rows: Vec<(&Invoice, i64)> = cx
        .open_invoices
        .iter()
        .map(|i| (i, (d - i.due_date).num_days()))
        .filter(|(i, late)| {
            *late >= min_late && customer.as_ref().is_none_or(|c| i.customer.to_lowercase().contains(c))
        })
        .collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.number.cmp(&b.0.number)));
    let total = rows.len();
    json!({
        "total": total,
        "invoices": rows.iter().take(20).map(|(i, late)| json!({
            "number": i.number,
            "customer": i.customer,
            "due_date": i.due_date.to_string(),
            "open": money(crate::finance::collections::open_at(i, d)),
            "days_late": late.max(&0),
        })).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_call_is_an_error_result_not_a_crash() {
        let report = json!({"health": {"total_score": "75.10"}});
        let base = crate::finance::planning::base_drivers(
            &crate::finance::Ledger::new(Vec::new()),
            "2026-10".parse().unwrap(),
        );
        let cx = ToolContext {
            report: &report,
            start: Start {
                month: "2026-10".parse().unwrap(),
                revenue: rust_decimal::Decimal::from(1000),
                cash: rust_decimal::Decimal::from(5000),
            },
            base: &base,
            open_invoices: &[],
            scenarios: &[],
        };
        assert!(
            call(&cx, "weather", &json!({})).result["error"]
                .as_str()
                .unwrap()
                .contains("no tool")
        );
        assert!(call(&cx, "what_if", &json!({})).result["error"].is_string());
        assert!(call(&cx, "what_if", &json!({"settings": ["hire=0:1:1"]})).result["error"].is_string());
        assert!(
            call(
                &cx,
                "goal_seek",
                &json!({"driver": "nope", "target": "min_cash>=0", "min": "0", "max": "1"})
            )
            .result["error"]
                .is_string()
        );
        assert_eq!(
            call(&cx, "metrics", &json!({"module": "health"})).result["total_score"],
            "75.10"
        );
        let same_month = call(&cx, "metrics", &json!({"module": "health", "as_of": "2026-10"}));
        assert_eq!(same_month.result["total_score"], "75.10");
        let earlier = call(&cx, "metrics", &json!({"as_of": "2026-05"}));
        assert!(earlier.result["error"].as_str().unwrap().contains("as of 2026-10"));
        assert!(
            call(&cx, "compare", &json!({"scenario_a": "base", "scenario_b": "Nope"})).result["error"]
                .as_str()
                .unwrap()
                .contains("there are: base")
        );
        let same = call(&cx, "compare", &json!({"scenario_a": "base", "scenario_b": "base"})).result;
        assert_eq!(same["difference"]["npv"], "0.00");
        let ok = call(&cx, "what_if", &json!({"settings": ["revenue_growth=0.05"]})).result;
        assert!(ok["min_cash"].is_string() && ok["base"]["min_cash"].is_string(), "{ok}");
    }
}
