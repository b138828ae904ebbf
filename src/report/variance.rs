//! `scenario variance`: budget vs actual per month and the worst five, as JSON,
//! CSV or Markdown; money as fixed 2-decimal strings like the report.

use super::Format as ReportFormat;
use crate::domain::Month;
use crate::finance::variance::{Line, Variance};
use crate::numbers::fixed;
use crate::sanitize::{clean, json_pretty};
use serde_json::{Map, Value, json};

pub fn line_key(l: Line) -> &'static str {
    match l {
        Line::Revenue => "revenue",
        Line::Cogs => "cogs",
        Line::Opex => "opex",
        Line::NetIncome => "net_income",
        Line::Cash => "cash",
    }
}

fn cell(v: &Variance) -> Value {
    json!({
        "budget": fixed(v.budget, 2),
        "actual": fixed(v.actual, 2),
        "variance": fixed(v.variance, 2),
        "variance_pct": v.variance_pct.map(|p| fixed(p, 4)),
        "unfavourable": v.unfavourable,
    })
}

/// The variances of a locked budget in `format`.
pub fn render(
    scenario: &str,
    base_month: Month,
    currency: &str,
    all: &[Variance],
    worst: &[&Variance],
    format: ReportFormat,
) -> color_eyre::eyre::Result<String> {
    if format == ReportFormat::Html {
        color_eyre::eyre::bail!(
            "--format html is the board pack of `katalis report` (it shows the budget); variance prints json, csv or md"
        );
    }
    let mut months: Vec<Month> = all.iter().map(|v| v.month).collect();
    months.dedup();
    Ok(match format {
        ReportFormat::Json => {
            let rows: Vec<Value> = months
                .iter()
                .map(|m| {
                    let mut o = Map::new();
                    o.insert("month".into(), json!(m.to_string()));
                    for v in all.iter().filter(|v| v.month == *m) {
                        o.insert(line_key(v.line).into(), cell(v));
                    }
                    Value::Object(o)
                })
                .collect();
            let worst: Vec<Value> = worst
                .iter()
                .map(|v| {
                    let mut c = cell(v);
                    c["month"] = json!(v.month.to_string());
                    c["line"] = json!(line_key(v.line));
                    c
                })
                .collect();
            json_pretty(&json!({
                "scenario": scenario,
                "base_month": base_month.to_string(),
                "currency": currency,
                "months": rows,
                "worst": worst,
            }))? + "\n"
        }
        ReportFormat::Csv => {
            let mut out = String::from("month,line,budget,actual,variance,variance_pct,unfavourable\n");
            for v in all {
                out += &format!(
                    "{},{},{},{},{},{},{}\n",
                    v.month,
                    line_key(v.line),
                    fixed(v.budget, 2),
                    fixed(v.actual, 2),
                    fixed(v.variance, 2),
                    v.variance_pct.map(|p| fixed(p, 4)).unwrap_or_default(),
                    v.unfavourable
                );
            }
            out
        }
        ReportFormat::Md | ReportFormat::Html => {
            let mut out = format!(
                "# Budget vs actual — {} (from {base_month}, {})\n\n| month | line | budget | actual | variance | % |\n| --- | --- | ---: | ---: | ---: | ---: |\n",
                clean(scenario),
                clean(currency)
            );
            for v in all {
                out += &format!(
                    "| {} | {} | {} | {} | {}{} | {} |\n",
                    v.month,
                    line_key(v.line),
                    fixed(v.budget, 2),
                    fixed(v.actual, 2),
                    fixed(v.variance, 2),
                    if v.unfavourable { " ✗" } else { "" },
                    v.variance_pct
                        .map(|p| fixed(p * rust_decimal::Decimal::from(100), 1) + "%")
                        .unwrap_or_default()
                );
            }
            out += "\n## The five worst\n\n";
            for v in worst {
                out += &format!(
                    "- {} {}: {} ({})\n",
                    v.month,
                    line_key(v.line),
                    fixed(v.variance, 2),
                    v.variance_pct
                        .map(|p| fixed(p * rust_decimal::Decimal::from(100), 1) + "%")
                        .unwrap_or_default()
                );
            }
            out
        }
    })
}
