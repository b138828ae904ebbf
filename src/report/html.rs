//! The monthly board pack: one self-contained HTML file (inline CSS and SVG, no
//! script, nothing fetched) with the health score, KPI tiles with their trends,
//! revenue and margins, cash and runway with the base projection, unit
//! economics, receivables and the call list, the budget against the actuals
//! when one is locked, and the financial advisor's commentary. Light, print
//! ready (page breaks between sections, margins for A4 and Letter), readable
//! without colour (arrows and words carry the meaning).
//!
//! Every figure is written from the JSON report (or the projection's JSON) and
//! carries it: `<data value="0.7892" data-key="profitability.gross_margin">78.9%</data>`,
//! so a test checks each one against `report --format json`.

use crate::finance::planning::Projection;
use crate::finance::variance::Variance;
use crate::locale::{Lang, Separators, group, percent};
use crate::sanitize::clean;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::Value;
use std::fmt::Write;

/// The advisor's part of the pack.
pub struct Commentary {
    /// Markdown; raw HTML in it is shown as text.
    pub text: String,
    pub recommendations: Vec<crate::domain::Recommendation>,
    /// Figures grounding could not match, marked in the text.
    pub unverified: Vec<String>,
    /// Who wrote it: "local rules" or the model's name.
    pub source: String,
}

/// What the pack shows beyond the JSON report.
pub struct Pack<'a> {
    pub report: &'a Value,
    pub lang: Lang,
    pub sep: Separators,
    /// The base scenario's projection and its JSON (`scenario project base`).
    pub projection: Option<(&'a Projection, &'a Value)>,
    /// A locked budget: its name and actual − budget by month.
    pub budget: Option<(&'a str, &'a [Variance])>,
    /// Cash at or below zero: what it takes to be back above zero.
    pub overdrawn: Option<crate::finance::planning::BackAboveZero>,
    pub commentary: Option<Commentary>,
}

/// How a figure is written.
#[derive(Clone, Copy)]
enum Kind {
    /// Currency, whole units.
    Money,
    /// A fraction shown as a percentage.
    Ratio,
    /// Months, days, scores, multiples: one decimal.
    Number,
    /// As it is (a month, a count).
    Plain,
}

/// HTML text: `&`, `<`, `>` and quotes escaped, control characters removed.
fn esc(s: &str) -> String {
    clean(s)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A group's board pack section: its members, then each month's eliminations
/// and translation difference (`group_json`'s keys).
pub fn group_section(report: &Value, lang: crate::locale::Lang) -> String {
    let t = |en, es| lang.pick(en, es);
    let text = |v: &Value| v.as_str().map(esc).unwrap_or_default();
    let members: Vec<String> = report["members"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| format!("{} ({})", text(&m["name"]), text(&m["currency"])))
        .collect();
    let mut o = format!(
        "<section class=\"page-break\"><h2>{}</h2><p>{}</p><p>{}</p><table><tr><th>{}</th><th>{}</th><th>{}</th></tr>",
        t("The group", "El grupo"),
        members.join(" · "),
        t(
            "Each member's flows at its month's average rate, balances at the month-end rate; what members invoiced one another removed from revenue and costs.",
            "Los flujos de cada empresa al tipo de cambio promedio del mes, los saldos al del cierre; lo que se facturaron entre sí, fuera de ingresos y costos."
        ),
        t("Month", "Mes"),
        t("Eliminated", "Eliminado"),
        t("Translation difference", "Diferencia por conversión"),
    );
    let diffs = report["translation_difference"].as_array().cloned().unwrap_or_default();
    for e in report["eliminations"].as_array().into_iter().flatten() {
        let diff = diffs
            .iter()
            .find(|d| d["month"] == e["month"])
            .map_or("—".to_owned(), |d| text(&d["amount"]));
        o.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{diff}</td></tr>",
            text(&e["month"]),
            text(&e["amount"])
        ));
    }
    o.push_str("</table></section>\n");
    o
}

fn dec(v: &Value) -> Option<Decimal> {
    match v {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.to_string().parse().ok(),
        _ => None,
    }
}

/// The value at `key` (dots; list items by index) of a JSON document.
pub fn at<'v>(doc: &'v Value, key: &str) -> Option<&'v Value> {
    key.split('.').try_fold(doc, |v, k| match v {
        Value::Array(a) => a.get(k.parse::<usize>().ok()?),
        _ => v.get(k),
    })
}

impl Pack<'_> {
    fn t(&self, en: &'static str, es: &'static str) -> &'static str {
        self.lang.pick(en, es)
    }

    fn currency(&self) -> String {
        self.report["currency"].as_str().map(esc).unwrap_or_default()
    }

    fn show(&self, v: &Value, kind: Kind) -> String {
        match (kind, dec(v)) {
            (_, None) if v.is_null() => "—".into(),
            (Kind::Money, Some(d)) => group(d, 0, self.sep),
            (Kind::Ratio, Some(d)) => percent(d, self.sep),
            (Kind::Number, Some(d)) => group(d, 1, self.sep),
            _ => esc(&match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            }),
        }
    }

    /// A figure of `doc` at `key` (named `prefix.key` in the page), with its value.
    fn fig_in(&self, doc: &Value, prefix: &str, key: &str, kind: Kind) -> String {
        let v = at(doc, key).unwrap_or(&Value::Null);
        let raw = match v {
            Value::String(s) => esc(s),
            Value::Null => String::new(),
            other => esc(&other.to_string()),
        };
        let name = if prefix.is_empty() {
            key.to_owned()
        } else {
            format!("{prefix}.{key}")
        };
        format!(
            "<data value=\"{raw}\" data-key=\"{}\">{}</data>",
            esc(&name),
            self.show(v, kind)
        )
    }

    /// A figure of the report.
    fn fig(&self, key: &str, kind: Kind) -> String {
        self.fig_in(self.report, "", key, kind)
    }
}

/// A line through `values` in a `w`×`h` box (positions only are floats).
fn polyline(values: &[Option<Decimal>], lo: Decimal, hi: Decimal, h: f64, x0: f64, step: f64) -> String {
    let span = (hi - lo).to_f64().unwrap_or(1.0).max(1e-9);
    let mut pts = String::new();
    for (i, v) in values.iter().enumerate() {
        if let Some(v) = v {
            let y = h - ((*v - lo).to_f64().unwrap_or(0.0) / span) * h;
            let _ = write!(pts, "{:.1},{:.1} ", x0 + i as f64 * step, y);
        }
    }
    pts.trim_end().to_owned()
}

/// A sparkline of the last months of a metric.
fn sparkline(values: &[Option<Decimal>], label: &str) -> String {
    let present: Vec<Decimal> = values.iter().flatten().copied().collect();
    let (Some(lo), Some(hi)) = (present.iter().min().copied(), present.iter().max().copied()) else {
        return String::new();
    };
    let (w, h) = (160.0, 36.0);
    let step = if values.len() > 1 {
        w / (values.len() - 1) as f64
    } else {
        w
    };
    format!(
        "<svg class=\"spark\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{}\"><polyline points=\"{}\"/></svg>",
        esc(label),
        polyline(values, lo, hi, h, 0.0, step)
    )
}

fn series(report: &Value, key: &str, months: usize) -> Vec<Option<Decimal>> {
    let monthly = report["monthly"].as_array().cloned().unwrap_or_default();
    let start = monthly.len().saturating_sub(months);
    monthly[start..].iter().map(|m| dec(&m[key])).collect()
}

const CSS: &str = "
:root { color-scheme: light; }
body { font: 11pt/1.4 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: #1d2430; background: #fff;
       max-width: 180mm; margin: 0 auto; padding: 12mm 0; }
h1 { font-size: 18pt; margin: 0; } h2 { font-size: 13pt; border-bottom: 1px solid #c8ced8; padding-bottom: 2pt; margin-top: 0; }
h3 { font-size: 11pt; margin: 10pt 0 4pt; } h4, h5, h6 { font-size: 10pt; margin: 8pt 0 2pt; }
.sub { color: #5b6472; margin: 2pt 0 12pt; }
section { margin-bottom: 14pt; break-inside: avoid; }
.tiles { display: grid; grid-template-columns: repeat(3, 1fr); gap: 6pt; }
.tile { border: 1px solid #c8ced8; border-radius: 4pt; padding: 6pt; }
.tile .label { color: #5b6472; font-size: 9pt; } .tile .value { font-size: 14pt; font-weight: 600; }
.tile .delta { font-size: 9pt; }
.good { color: #1f7a3a; } .bad { color: #b3261e; } .muted { color: #5b6472; }
svg.spark { width: 100%; height: 28pt; } svg polyline { fill: none; stroke: #2f6db3; stroke-width: 1.5; }
svg .projected { stroke: #c46a1b; stroke-dasharray: 4 2; } svg .zero { stroke: #8a93a3; stroke-width: 0.8; }
table { border-collapse: collapse; width: 100%; font-size: 9.5pt; }
th, td { padding: 2pt 4pt; border-bottom: 1px solid #e3e7ee; text-align: right; } th:first-child, td:first-child { text-align: left; }
th { color: #5b6472; font-weight: 600; } th.text, td.text { text-align: left; }
svg text { font-size: 9px; fill: #5b6472; } svg .grid { stroke: #e3e7ee; stroke-width: 0.6; }
.bar { display: inline-block; height: 8pt; background: #2f6db3; vertical-align: middle; }
.unverified { text-decoration: underline dotted; } .unverified::after { content: '?'; }
.pillars td.name { width: 40%; }
@page { margin: 14mm; }
@media print { body { padding: 0; } .page-break { break-before: page; } a { color: inherit; } }
";

/// The pack as one HTML document.
pub fn to_html(p: &Pack) -> String {
    let r = p.report;
    let t = |en, es| p.t(en, es);
    let cur = p.currency();
    let company = r["company"].as_str().map(esc).unwrap_or_default();
    let mut o = String::new();
    let _ = writeln!(
        o,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{company} — {}</title>\n<style>{CSS}</style>\n</head>\n<body>",
        p.lang.pick("en", "es"),
        t("Board pack", "Reporte al directorio")
    );
    let _ = writeln!(
        o,
        "<header><h1>{company}</h1><p class=\"sub\">{} · {} {} · {} {cur}</p></header>",
        t("Board pack", "Reporte al directorio"),
        t("as of", "al"),
        p.fig("as_of", Kind::Plain),
        t("amounts in", "montos en"),
    );
    // Presented in another currency: which, and at which rates.
    if let Some(pr) = r.get("presentation") {
        let text = |v: &Value| v.as_str().map(esc).unwrap_or_default();
        let month = text(&r["as_of"]);
        let rate = pr["rates"]
            .as_array()
            .and_then(|rs| rs.iter().find(|x| x["month"] == r["as_of"]))
            .cloned()
            .unwrap_or_default();
        let _ = writeln!(
            o,
            "<p class=\"sub\">{}</p>",
            crate::report::presentation_note(
                &text(&pr["functional"]),
                &text(&pr["currency"]),
                &month,
                &text(&rate["average"]),
                &rate["close"]
                    .as_str()
                    .and_then(|c| c.parse::<rust_decimal::Decimal>().ok())
                    .map(|c| c.round_dp(6).normalize().to_string())
                    .unwrap_or_default(),
                &text(&rate["close_date"]),
                p.lang
            )
        );
    }

    // Health.
    let _ = write!(
        o,
        "<section><h2>{}</h2><p><strong>{} / 100</strong> · {} {}</p><table class=\"pillars\">",
        t("Financial health", "Salud financiera"),
        p.fig("health.total_score", Kind::Number),
        t("focus area:", "área a atender:"),
        r["health"]["focus_area"]
            .as_str()
            .and_then(crate::finance::Pillar::from_key)
            .map_or("—".to_owned(), |f| esc(super::pillar_label(f, p.lang)))
    );
    for pillar in crate::finance::Pillar::ALL {
        let key = format!("health.{}", pillar.key());
        let width = dec(&r["health"][pillar.key()]).and_then(|v| v.to_f64()).unwrap_or(0.0);
        let _ = write!(
            o,
            "<tr><td class=\"name\">{}</td><td>{}</td><td style=\"text-align:left\"><span class=\"bar\" style=\"width:{:.0}pt\"></span></td></tr>",
            esc(super::pillar_label(pillar, p.lang)),
            p.fig(&key, Kind::Number),
            width * 1.2
        );
    }
    o.push_str("</table></section>\n");

    // KPI tiles with the last twelve months.
    let monthly_len = r["monthly"].as_array().map_or(0, Vec::len);
    let last = monthly_len.saturating_sub(1);
    // `trend`: the monthly series drawn under the figure, and its change (empty: none).
    let tile = |label: &str, key: &str, kind: Kind, trend: &str, good_up: bool| -> String {
        let s = if trend.is_empty() {
            Vec::new()
        } else {
            series(r, trend, 12)
        };
        let delta = match (s.len().checked_sub(2).and_then(|i| s[i]), s.last().copied().flatten()) {
            (Some(prev), Some(now)) if now != prev => {
                let up = now > prev;
                let class = if up == good_up { "good" } else { "bad" };
                let word = if up == good_up {
                    t("better", "mejor")
                } else {
                    t("worse", "peor")
                };
                let arrow = if up { "▲" } else { "▼" };
                let change = match kind {
                    Kind::Ratio => format!("{} pp", group((now - prev) * Decimal::ONE_HUNDRED, 1, p.sep)),
                    _ => group(now - prev, 0, p.sep),
                };
                format!(
                    "<div class=\"delta {class}\">{arrow} {change} {} ({word})</div>",
                    t("vs last month", "vs mes anterior")
                )
            }
            _ => String::new(),
        };
        format!(
            "<div class=\"tile\"><div class=\"label\">{}</div><div class=\"value\">{}</div>{delta}{}</div>",
            esc(label),
            p.fig(key, kind),
            sparkline(&s, label)
        )
    };
    let _ = writeln!(
        o,
        "<section><h2>{}</h2><div class=\"tiles\">{}{}{}{}{}{}</div></section>",
        t("Key figures", "Indicadores clave"),
        tile(
            t("Revenue (month)", "Ingresos (mes)"),
            &format!("monthly.{last}.revenue"),
            Kind::Money,
            "revenue",
            true
        ),
        tile(
            t("Gross margin (month)", "Margen bruto (mes)"),
            &format!("monthly.{last}.gross_margin"),
            Kind::Ratio,
            "gross_margin",
            true
        ),
        tile(
            t("Net income (month)", "Utilidad neta (mes)"),
            &format!("monthly.{last}.net_income"),
            Kind::Money,
            "net_income",
            true
        ),
        tile(
            t("Ending cash", "Caja al cierre"),
            "cash_flow.cash_end",
            Kind::Money,
            "cash_end",
            true
        ),
        tile(
            t("Runway (months)", "Meses de caja"),
            "cash_flow.runway_months",
            Kind::Number,
            "",
            true
        ),
        tile(
            t("Net cash flow (month)", "Flujo neto (mes)"),
            &format!("monthly.{last}.net_cash_flow"),
            Kind::Money,
            "net_cash_flow",
            true
        ),
    );

    // Revenue and margins, the last twelve months.
    let _ = write!(
        o,
        "<section class=\"page-break\"><h2>{}</h2><table><tr><th>{}</th><th>{} ({cur})</th><th>{}</th><th>{} ({cur})</th><th>{} ({cur})</th></tr>",
        t("Revenue and margins", "Ingresos y márgenes"),
        t("Month", "Mes"),
        t("Revenue", "Ingresos"),
        t("Gross margin", "Margen bruto"),
        t("Net income", "Utilidad neta"),
        t("Ending cash", "Caja al cierre"),
    );
    for i in monthly_len.saturating_sub(12)..monthly_len {
        let _ = write!(
            o,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            p.fig(&format!("monthly.{i}.month"), Kind::Plain),
            p.fig(&format!("monthly.{i}.revenue"), Kind::Money),
            p.fig(&format!("monthly.{i}.gross_margin"), Kind::Ratio),
            p.fig(&format!("monthly.{i}.net_income"), Kind::Money),
            p.fig(&format!("monthly.{i}.cash_end"), Kind::Money),
        );
    }
    let _ = writeln!(
        o,
        "</table><p>{} {} · {} {} · {} {}</p></section>",
        t("Revenue, last twelve months:", "Ingresos, últimos doce meses:"),
        p.fig("profitability.revenue_ttm", Kind::Money),
        t("gross margin", "margen bruto"),
        p.fig("profitability.gross_margin", Kind::Ratio),
        t("net margin", "margen neto"),
        p.fig("profitability.net_margin", Kind::Ratio),
    );

    // Cash and runway, with the base projection.
    let _ = write!(
        o,
        "<section><h2>{}</h2><p>{} {} · {} {} · {} {} · {} {}</p>",
        t("Cash and runway", "Caja y meses de caja"),
        t("Ending cash", "Caja al cierre"),
        p.fig("cash_flow.cash_end", Kind::Money),
        t("net burn a month", "quema neta al mes"),
        p.fig("cash_flow.net_burn", Kind::Money),
        t("runway (months)", "meses de caja"),
        p.fig("cash_flow.runway_months", Kind::Number),
        t("cash runs out", "la caja se agota"),
        p.fig("cash_flow.cash_zero_month", Kind::Plain),
    );
    if let Some(b) = &p.overdrawn {
        let money = |d: Decimal| group(d, 0, p.sep);
        let (funding, months, now) = (money(b.funding), b.horizon, money(b.opex_base_now));
        let mut text = match p.lang {
            Lang::En => format!(
                "Cash is at or below zero: the company is overdrawn, and runway is not a number of months. \
                 To be back above zero and stay there over the next {months} months it needs {funding} of funding now"
            ),
            Lang::Es => format!(
                "La caja está en cero o por debajo: la empresa está en sobregiro y no tiene meses de caja que contar. \
                 Para volver a estar sobre cero y seguir así los próximos {months} meses necesita {funding} de financiamiento ahora"
            ),
        };
        text += &match (b.opex_base, p.lang) {
            (Some(o), Lang::En) => format!(", or opex brought to {} a month (from {now}).", money(o)),
            (Some(o), Lang::Es) => format!(", o bajar los gastos a {} al mes (desde {now}).", money(o)),
            (None, Lang::En) => "; no opex cut alone does it.".to_owned(),
            (None, Lang::Es) => "; ningún recorte de gastos lo logra por sí solo.".to_owned(),
        };
        let _ = write!(o, "<p class=\"overdrawn\"><strong>{}</strong></p>", esc(&text));
    }
    if let Some((proj, pj)) = p.projection {
        let actual = series(r, "cash_end", 12);
        let projected: Vec<Option<Decimal>> = proj.months.iter().map(|m| Some(m.cash)).collect();
        let all: Vec<Decimal> = actual
            .iter()
            .chain(&projected)
            .flatten()
            .copied()
            .chain(std::iter::once(Decimal::ZERO))
            .collect();
        let (lo, hi) = (
            all.iter().min().copied().unwrap_or_default(),
            all.iter().max().copied().unwrap_or_default(),
        );
        // The plot sits right of the value axis (as wide as its longest value)
        // and above the month labels.
        let ticks: Vec<(Decimal, String)> = (0..4)
            .map(|k| {
                let v = lo + (hi - lo) * Decimal::from(k) / Decimal::from(3);
                (v, group(v.round(), 0, p.sep))
            })
            .collect();
        let widest = ticks.iter().map(|(_, t)| t.chars().count()).max().unwrap_or(1);
        let (left, bottom) = (widest as f64 * 5.6 + 8.0, 14.0);
        let (w, h) = (480.0, 120.0);
        let n = actual.len() + projected.len();
        let step = w / n.max(2) as f64;
        let span = (hi - lo).to_f64().unwrap_or(1.0).max(1e-9);
        let y_of = |v: Decimal| h - ((v - lo).to_f64().unwrap_or(0.0) / span) * h;
        let zero_y = y_of(Decimal::ZERO);
        // Four values on the vertical axis, in the tables' unit (whole currency units).
        let mut axis = String::new();
        for (v, label) in &ticks {
            let y = y_of(*v);
            let _ = write!(
                axis,
                "<line class=\"grid\" x1=\"{left}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\"/><text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
                left + w,
                left - 3.0,
                y + 3.0,
                label
            );
        }
        // The first and last months, and the projection's cash-zero and break-even months.
        let first_month = r["monthly"]
            .as_array()
            .and_then(|m| m.get(m.len().saturating_sub(12)))
            .and_then(|m| m["month"].as_str())
            .unwrap_or_default()
            .to_owned();
        let mut marks: Vec<(f64, String)> = vec![(0.0, first_month)];
        if let Some(last) = proj.months.last() {
            marks.push(((n - 1) as f64 * step, last.month.to_string()));
        }
        for (month, what) in [
            (proj.cash_zero_month, t("cash zero", "caja en cero")),
            (proj.break_even_month, t("break-even", "equilibrio")),
        ] {
            if let Some(m) = month
                && let Some(i) = proj.months.iter().position(|x| x.month == m)
            {
                marks.push(((actual.len() + i) as f64 * step, format!("{what} {m}")));
            }
        }
        let mut labels = String::new();
        for (i, (x, text)) in marks.iter().enumerate() {
            let anchor = match i {
                0 => "start",
                1 => "end",
                _ => "middle",
            };
            let _ = write!(
                labels,
                "<text class=\"month\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\">{}</text>",
                left + x,
                h + bottom - 2.0,
                esc(text)
            );
        }
        let _ = write!(
            o,
            "<svg viewBox=\"0 0 {vw} {vh}\" role=\"img\" aria-label=\"{}\" style=\"width:100%;height:140pt\">{axis}<g transform=\"translate({left},0)\"><line class=\"zero\" x1=\"0\" y1=\"{zero_y:.1}\" x2=\"{w}\" y2=\"{zero_y:.1}\" stroke=\"#8a93a3\"/><polyline points=\"{}\"/><polyline class=\"projected\" points=\"{}\"/></g>{labels}</svg>",
            esc(t(
                "Cash: twelve months of actuals, then the base projection (dashed)",
                "Caja: doce meses reales, luego la proyección base (punteada)"
            )),
            polyline(&actual, lo, hi, h, 0.0, step),
            polyline(&projected, lo, hi, h, actual.len() as f64 * step, step),
            vw = left + w + 4.0,
            vh = h + bottom,
        );
        // What each date assumes.
        let _ = write!(
            o,
            "<p class=\"muted\">{}</p>",
            t(
                "“Cash runs out” above assumes today's burn (the last three months' average) goes on unchanged; the base projection's cash zero and break-even apply the base drivers (revenue growth, margin and opex trends) month by month.",
                "“La caja se agota” supone que la quema de hoy (el promedio de los últimos tres meses) sigue igual; la caja en cero y el equilibrio de la proyección base aplican los supuestos base (crecimiento de ingresos, margen y tendencia de gastos) mes a mes."
            )
        );
        let _ = write!(
            o,
            "<p class=\"muted\">{} ({} {}): {} {} · {} {} · {} {} · {} {}</p>",
            t("Base projection", "Proyección base"),
            t("from", "desde"),
            p.fig_in(pj, "scenario", "base_month", Kind::Plain),
            t("lowest cash", "caja mínima"),
            p.fig_in(pj, "scenario", "min_cash", Kind::Money),
            t("cash zero", "caja en cero"),
            p.fig_in(pj, "scenario", "cash_zero_month", Kind::Plain),
            t("break-even", "equilibrio"),
            p.fig_in(pj, "scenario", "break_even_month", Kind::Plain),
            t("NPV", "VPN"),
            p.fig_in(pj, "scenario", "npv", Kind::Money),
        );
    }
    o.push_str("</section>\n");

    // Unit economics.
    let _ = writeln!(
        o,
        "<section><h2>{}</h2><table><tr><th>ARPA ({cur})</th><th>Churn</th><th>LTV ({cur})</th><th>CAC ({cur})</th><th>LTV:CAC</th><th>{}</th></tr><tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr></table></section>",
        t("Unit economics", "Economía unitaria"),
        t("Payback (months)", "Recuperación (meses)"),
        p.fig("unit_economics.arpa", Kind::Money),
        p.fig("unit_economics.customer_churn", Kind::Ratio),
        p.fig("unit_economics.ltv", Kind::Money),
        p.fig("unit_economics.cac", Kind::Money),
        p.fig("unit_economics.ltv_to_cac", Kind::Number),
        p.fig("unit_economics.cac_payback_months", Kind::Number),
    );

    // Receivables and whom to call.
    let _ = write!(
        o,
        "<section class=\"page-break\"><h2>{}</h2><p>{} {} · DSO {} · CEI {} · {} {}</p><table><tr><th>{}</th><th>{}</th><th>1-30</th><th>31-60</th><th>61-90</th><th>90+</th></tr><tr><td>{cur}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr></table>",
        t("Receivables", "Cuentas por cobrar"),
        t("Open", "Por cobrar"),
        p.fig("collections.ar_total", Kind::Money),
        p.fig("collections.dso", Kind::Number),
        p.fig("collections.cei", Kind::Ratio),
        t("overdue", "vencido"),
        p.fig("collections.overdue_share", Kind::Ratio),
        t("Days past due", "Días vencido"),
        t("current", "al día"),
        p.fig("collections.aging.current", Kind::Money),
        p.fig("collections.aging.d1_30", Kind::Money),
        p.fig("collections.aging.d31_60", Kind::Money),
        p.fig("collections.aging.d61_90", Kind::Money),
        p.fig("collections.aging.d90_plus", Kind::Money),
    );
    let calls = r["collections"]["call_list"].as_array().map_or(0, Vec::len);
    if calls > 0 {
        let _ = write!(
            o,
            "<h3>{}</h3><table><tr><th>#</th><th class=\"text\">{}</th><th>{} ({cur})</th><th>{}</th></tr>",
            t("Call first", "Llamar primero"),
            t("Customer", "Cliente"),
            t("Open", "Saldo"),
            t("Days past due", "Días vencido"),
        );
        for i in 0..calls {
            let _ = write!(
                o,
                "<tr><td>{}</td><td class=\"text\">{}</td><td>{}</td><td>{}</td></tr>",
                i + 1,
                p.fig(&format!("collections.call_list.{i}.customer"), Kind::Plain),
                p.fig(&format!("collections.call_list.{i}.open"), Kind::Money),
                p.fig(&format!("collections.call_list.{i}.max_days_past_due"), Kind::Plain),
            );
        }
        o.push_str("</table>");
    }
    o.push_str("</section>\n");

    // The budget against the actuals.
    if let Some((name, variances)) = p.budget
        && let Some(month) = variances.iter().map(|v| v.month).max()
    {
        let _ = write!(
            o,
            "<section><h2>{} · {} · {month}</h2><table><tr><th></th><th>{} ({cur})</th><th>{} ({cur})</th><th>{} ({cur})</th><th>%</th></tr>",
            t("Budget vs actual", "Presupuesto vs real"),
            esc(name),
            t("budget", "presupuesto"),
            t("actual", "real"),
            t("actual − budget", "real − presupuesto"),
        );
        for v in variances.iter().filter(|v| v.month == month) {
            // Tagged with the `scenario variance --format json` keys they equal.
            let tag = |field: &str, value: rust_decimal::Decimal, dp: u32| {
                format!(
                    "<data value=\"{}\" data-key=\"variance.{month}.{}.{field}\">{}</data>",
                    crate::numbers::fixed(value, dp),
                    super::variance::line_key(v.line),
                    if dp == 2 {
                        group(value, 0, p.sep)
                    } else {
                        percent(value, p.sep)
                    }
                )
            };
            let class = if v.unfavourable { "bad" } else { "good" };
            let word = if v.unfavourable {
                t("unfavourable", "desfavorable")
            } else {
                t("favourable", "favorable")
            };
            let _ = write!(
                o,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"{class}\">{} ({word})</td><td>{}</td></tr>",
                esc(line_label(v.line, p.lang)),
                tag("budget", v.budget, 2),
                tag("actual", v.actual, 2),
                tag("variance", v.variance, 2),
                v.variance_pct.map_or("—".to_owned(), |r| tag("variance_pct", r, 4)),
            );
        }
        o.push_str("</table></section>\n");
    }

    // The advisor's commentary.
    if let Some(c) = &p.commentary {
        let _ = write!(
            o,
            "<section class=\"page-break\"><h2>{}</h2><p class=\"muted\">{} {}</p>{}",
            t("The financial advisor's view", "La opinión del asesor financiero"),
            t("Written by", "Escrito por"),
            esc(&c.source),
            markdown_html(&c.text, &c.unverified)
        );
        if !c.recommendations.is_empty() {
            let _ = write!(o, "<h3>{}</h3><ol>", t("Recommendations", "Recomendaciones"));
            for rec in &c.recommendations {
                let _ = write!(
                    o,
                    "<li><strong>{}</strong> (P{} · {} {}) — {}</li>",
                    esc(&rec.title),
                    rec.priority,
                    t("impact", "impacto"),
                    rec.impact_score,
                    mark(&esc(&rec.description), &c.unverified)
                );
            }
            o.push_str("</ol>");
        }
        o.push_str("</section>\n");
    }
    o.push_str("</body>\n</html>\n");
    o
}

fn line_label(l: crate::finance::variance::Line, lang: Lang) -> &'static str {
    use crate::finance::variance::Line;
    match l {
        Line::Revenue => lang.pick("Revenue", "Ingresos"),
        Line::Cogs => lang.pick("COGS", "Costo de ventas"),
        Line::Opex => lang.pick("Opex", "Gastos operativos"),
        Line::NetIncome => lang.pick("Net income", "Utilidad neta"),
        Line::Cash => lang.pick("Cash", "Caja"),
    }
}

/// Figures grounding could not match, marked in escaped text.
fn mark(text: &str, unverified: &[String]) -> String {
    let mut out = text.to_owned();
    for u in unverified.iter().filter(|u| !u.is_empty()) {
        let e = esc(u);
        out = out.replace(&e, &format!("<span class=\"unverified\">{e}</span>"));
    }
    out
}

/// The advisor's markdown as HTML: raw HTML in it becomes text, links are
/// shown as text with their address (nothing in the pack points outside it).
fn markdown_html(text: &str, unverified: &[String]) -> String {
    use pulldown_cmark::HeadingLevel::{H3, H4, H5, H6};
    use pulldown_cmark::{Event, Parser, Tag, TagEnd};
    // The advisor's headings sit under the section's title: # becomes h3.
    let demote = |l: pulldown_cmark::HeadingLevel| match l as u8 {
        1 => H3,
        2 => H4,
        3 => H5,
        _ => H6,
    };
    let events = Parser::new(text).map(|e| match e {
        Event::Start(Tag::Heading {
            level,
            id,
            classes,
            attrs,
        }) => Event::Start(Tag::Heading {
            level: demote(level),
            id,
            classes,
            attrs,
        }),
        Event::End(TagEnd::Heading(level)) => Event::End(TagEnd::Heading(demote(level))),
        Event::Html(t) | Event::InlineHtml(t) => Event::Text(t),
        Event::Start(Tag::Link { dest_url, .. }) => Event::Text(format!("[{}] ", dest_url).into()),
        Event::End(TagEnd::Link) => Event::Text("".into()),
        Event::Start(Tag::Image { dest_url, .. }) => Event::Text(format!("[{}] ", dest_url).into()),
        Event::End(TagEnd::Image) => Event::Text("".into()),
        other => other,
    });
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events);
    mark(&html, unverified)
}
