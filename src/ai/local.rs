//! The local provider: deterministic rules over the same metrics a model gets,
//! writing ranked, specific recommendations that name the numbers (all taken
//! from the input, so they pass grounding), in English or Spanish. Its answer
//! has the form a model's has: markdown, then a fenced JSON result.

use super::Agent;
use super::context::AgentInput;
use super::result::{
    AdvisorResult, AgentResult, Call, CashFlowResult, CollectionsResult, GrowthResult, PriceChange, PricingResult,
    Recommendation, RunwayAction,
};
use crate::locale::{Lang, Separators, group};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::Value;

pub const MODEL: &str = "katalis-rules-1";

/// Reads the metrics and writes.
struct Writer<'a> {
    m: &'a Value,
    lang: Lang,
    sep: Separators,
    currency: &'a str,
}

fn dec(v: &Value) -> Option<Decimal> {
    match v {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.to_string().parse().ok(),
        _ => None,
    }
}

impl Writer<'_> {
    fn t<'s>(&self, en: &'s str, es: &'s str) -> &'s str {
        self.lang.pick(en, es)
    }

    fn get(&self, path: &str) -> Option<Decimal> {
        dec(self.m.pointer(path)?)
    }

    fn text(&self, path: &str) -> Option<String> {
        self.m.pointer(path)?.as_str().map(str::to_owned)
    }

    /// An amount as the input has it (2 decimals), grouped: `USD 764,240.43`.
    fn money(&self, v: Decimal) -> String {
        format!("{} {}", self.currency, group(v, 2, self.sep))
    }

    /// A ratio as a percentage with the input's 4 decimals: 0.2861 → `28.61%`.
    fn pct(&self, v: Decimal) -> String {
        format!("{}%", group(v * Decimal::ONE_HUNDRED, 2, self.sep))
    }

    fn num(&self, v: Decimal) -> String {
        group(v, 2, self.sep)
    }

    /// A whole sentence in the reader's language, its figures put in by name:
    /// each language keeps its own word order (`{cash}` becomes the `cash` value).
    /// One pass over the template, so a value that itself reads `{x}` (a
    /// customer's name) is never replaced in turn.
    fn say(&self, en: &str, es: &str, args: &[(&str, String)]) -> String {
        let mut rest = self.t(en, es);
        let mut out = String::with_capacity(rest.len() + 32);
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let value = after.find('}').and_then(|close| {
                args.iter()
                    .find(|(n, _)| *n == &after[..close])
                    .map(|(_, v)| (close, v))
            });
            match value {
                Some((close, v)) => {
                    out.push_str(v);
                    rest = &after[close + 1..];
                }
                None => {
                    out.push('{');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }
}

fn rec(category: &str, priority: u8, title: String, description: String, impact: u8) -> Recommendation {
    Recommendation {
        category: category.to_owned(),
        priority,
        title,
        description,
        impact_score: impact,
    }
}

fn ranked(mut recs: Vec<Recommendation>) -> Vec<Recommendation> {
    recs.sort_by(|a, b| a.priority.cmp(&b.priority).then(b.impact_score.cmp(&a.impact_score)));
    recs.truncate(5);
    recs
}

/// The answer of the rules for `input`: text and result.
pub fn answer(input: &AgentInput) -> (String, AgentResult) {
    let w = Writer {
        m: &input.metrics,
        lang: input.lang,
        sep: input.sep,
        currency: &input.currency,
    };
    match input.agent {
        Agent::Advisor => advisor(&w),
        Agent::Pricing => pricing(&w),
        Agent::Growth => growth(&w),
        Agent::CashFlow => cash_flow(&w),
        Agent::Collections => collections(&w),
    }
}

/// The whole output as stored: the text, then the result as a fenced JSON block.
pub fn output(input: &AgentInput) -> (String, AgentResult) {
    let (text, result) = answer(input);
    let json = serde_json::to_string_pretty(&result).unwrap_or_default();
    (format!("{text}\n```json\n{json}\n```\n"), result)
}

/// Cash at or below zero: no runway to count, and what it takes to be back
/// above zero (funding now, or the opex the engine's goal seek found).
fn overdrawn_rec(w: &Writer<'_>) -> Option<Recommendation> {
    let cash = w.get("/overdrawn/cash")?;
    let funding = w.get("/overdrawn/funding_needed")?;
    let now = w.get("/overdrawn/opex_base_now").unwrap_or_default();
    let h = w.get("/overdrawn/horizon_months").unwrap_or_default();
    let mut d = w.say(
        "Cash is {cash}: the company is overdrawn, so there is no runway to count in months. To be back above zero and stay there over the next {h} months it needs {funding} of funding now",
        "La caja está en {cash}: la empresa está en sobregiro y no tiene meses de caja que contar. Para volver a estar sobre cero y seguir así los próximos {h} meses necesita {funding} de financiamiento ahora",
        &[("cash", w.money(cash)), ("h", h.trunc().to_string()), ("funding", w.money(funding))],
    );
    d.push_str(&match w.get("/overdrawn/opex_base_keeping_cash_above_zero") {
        Some(opex) => w.say(
            ", or opex brought to {opex}/month (from {now}).",
            ", o bajar los gastos a {opex}/mes (desde {now}).",
            &[("opex", w.money(opex)), ("now", w.money(now))],
        ),
        None => w.say(
            "; no opex cut alone does it.",
            "; ningún recorte de gastos lo logra por sí solo.",
            &[],
        ),
    });
    Some(rec(
        "cash_flow",
        1,
        w.t("Get back above zero", "Volver a tener caja").into(),
        d,
        100,
    ))
}

fn runway_rec(w: &Writer<'_>, what_if: &str) -> Option<Recommendation> {
    if w.get("/cash_flow/cash_end").is_some_and(|c| c <= Decimal::ZERO) {
        return overdrawn_rec(w);
    }
    let runway = w.get("/cash_flow/runway_months")?;
    let burn = w.get("/cash_flow/net_burn")?;
    let cash = w.get("/cash_flow/cash_end")?;
    let zero = w.text("/cash_flow/cash_zero_month").unwrap_or_default();
    let (priority, impact) = if runway < Decimal::from(6) {
        (1, 95)
    } else if runway < Decimal::from(12) {
        (2, 75)
    } else if runway < Decimal::from(18) {
        (3, 50)
    } else {
        return None;
    };
    let mut d = w.say(
        "Cash of {cash} covers {runway} months at a net burn of {burn}/month (cash runs out in {zero}).",
        "La caja de {cash} cubre {runway} meses con una quema neta de {burn}/mes (se agota en {zero}).",
        &[
            ("cash", w.money(cash)),
            ("runway", w.num(runway)),
            ("burn", w.money(burn)),
            ("zero", zero),
        ],
    );
    if let (Some(saving), Some(after)) = (
        w.get(&format!("{what_if}/monthly_saving")),
        w.get(&format!("{what_if}/runway_months")),
    ) {
        let gained = w
            .get(&format!("{what_if}/months_gained"))
            .map_or_else(String::new, |g| {
                w.say(" (+{g} months)", " (+{g} meses)", &[("g", w.num(g))])
            });
        d.push_str(&w.say(
            " Cutting opex 10% saves {saving}/month and stretches the runway to {after} months{gained}.",
            " Recortar 10% de los gastos ahorra {saving}/mes y alarga la caja a {after} meses{gained}.",
            &[("saving", w.money(saving)), ("after", w.num(after)), ("gained", gained)],
        ));
    }
    Some(rec(
        "cash_flow",
        priority,
        w.t("Extend the runway", "Alargar la caja").into(),
        d,
        impact,
    ))
}

fn advisor(w: &Writer<'_>) -> (String, AgentResult) {
    let score = |k: &str| w.get(&format!("/health/{k}")).unwrap_or_default();
    let total = score("total_score");
    let focus = w.text("/health/focus_area");
    let mut out = format!(
        "# {} {}/100\n\n",
        w.t("Financial health", "Salud financiera"),
        w.num(total)
    );
    for (k, en, es) in [
        ("profitability", "Profitability", "Rentabilidad"),
        ("unit_economics", "Unit economics", "Economía unitaria"),
        ("cash_flow", "Cash flow", "Flujo de caja"),
        ("growth_efficiency", "Growth efficiency", "Eficiencia del crecimiento"),
    ] {
        let mark = if focus.as_deref() == Some(k) {
            w.t(" ← focus here", " ← enfoque aquí")
        } else {
            ""
        };
        // A pillar without data is not scored (NM), not zero.
        let value = w.get(&format!("/health/{k}")).map_or_else(
            || w.t("not scored (no data)", "sin puntaje (sin datos)").to_owned(),
            |v| format!("{}/100", w.num(v)),
        );
        out.push_str(&format!("- {}: {value}{mark}\n", w.t(en, es)));
    }
    let mut recs = Vec::new();
    recs.extend(runway_rec(w, "/what_if/opex_cut_10pct"));
    if let Some(gm) = w.get("/profitability/gross_margin")
        && gm < Decimal::new(4, 1)
    {
        recs.push(rec(
            "profitability",
            if gm < Decimal::new(2, 1) { 1 } else { 2 },
            w.t("Lift the gross margin", "Subir el margen bruto").into(),
            w.say(
                "Gross margin is {gm}: review prices and the cost of the products that sell most (the pricing optimizer lists them).",
                "El margen bruto es {gm}: revise precios y el costo de los productos que más venden (el optimizador de precios los lista).",
                &[("gm", w.pct(gm))],
            ),
            70,
        ));
    }
    if let (Some(x), Some(ltv), Some(cac)) = (
        w.get("/unit_economics/ltv_to_cac"),
        w.get("/unit_economics/ltv"),
        w.get("/unit_economics/cac"),
    ) {
        let payback = w.get("/unit_economics/cac_payback_months");
        let pay = payback.map_or_else(String::new, |p| {
            w.say("; payback in {p} months", "; recupera en {p} meses", &[("p", w.num(p))])
        });
        let (p, i, title) = if x < Decimal::from(3) {
            (
                2,
                65,
                w.t(
                    "Fix unit economics before scaling",
                    "Corregir la economía unitaria antes de escalar",
                ),
            )
        } else {
            (
                4,
                40,
                w.t(
                    "Unit economics support more acquisition",
                    "La economía unitaria permite adquirir más",
                ),
            )
        };
        recs.push(rec(
            "unit_economics",
            p,
            title.into(),
            format!(
                "LTV/CAC {} (LTV {}, CAC {}){pay}.",
                w.num(x),
                w.money(ltv),
                w.money(cac)
            ),
            i,
        ));
    }
    if let (Some(share), Some(ar)) = (w.get("/collections/overdue_share"), w.get("/collections/ar_total"))
        && share > Decimal::new(25, 2)
    {
        let dso = w
            .get("/collections/dso")
            .map_or_else(String::new, |d| format!("; DSO {}", w.num(d)));
        recs.push(rec(
            "collections",
            2,
            w.t("Collect what is overdue", "Cobrar lo vencido").into(),
            w.say(
                "{share} of {ar} in receivables is overdue{dso}.",
                "{share} de {ar} en cuentas por cobrar está vencido{dso}.",
                &[("share", w.pct(share)), ("ar", w.money(ar)), ("dso", dso)],
            ),
            60,
        ));
    }
    if let Some(bm) = w.get("/growth/burn_multiple")
        && bm > Decimal::TWO
    {
        recs.push(rec(
            "growth",
            3,
            w.t("Grow more efficiently", "Crecer con más eficiencia").into(),
            w.say(
                "Burn multiple {bm}: each unit of new revenue costs more than two of cash.",
                "Múltiplo de quema {bm}: cada unidad de ingreso nuevo cuesta más de dos de caja.",
                &[("bm", w.num(bm))],
            ),
            55,
        ));
    }
    if recs.is_empty()
        && let Some(r40) = w.get("/growth/rule_of_40")
    {
        recs.push(rec(
            "growth",
            4,
            w.t(
                "Keep the balance of growth and margin",
                "Mantener el equilibrio entre crecimiento y margen",
            )
            .into(),
            w.say("Rule of 40 at {r40}.", "Regla del 40 en {r40}.", &[("r40", w.pct(r40))]),
            35,
        ));
    }
    let recs = ranked(recs);
    let result = AdvisorResult {
        profitability: score("profitability"),
        unit_economics: score("unit_economics"),
        cash_flow: score("cash_flow"),
        growth_efficiency: score("growth_efficiency"),
        total_score: total,
        recommendations: recs,
    };
    (out, AgentResult::Advisor(result))
}

fn pricing(w: &Writer<'_>) -> (String, AgentResult) {
    let products =
        w.m.get("products")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
    let gm = w.get("/profitability/gross_margin");
    let mut out = w.say(
        "# Pricing — {n} products\n\n",
        "# Precios — {n} productos\n\n",
        &[("n", products.len().to_string())],
    );
    if let Some(gm) = gm {
        out.push_str(&w.say(
            "Company gross margin: {gm}.\n",
            "Margen bruto de la empresa: {gm}.\n",
            &[("gm", w.pct(gm))],
        ));
    }
    // The moves that add most a month first; products sold below cost before all.
    let mut moves: Vec<(&Value, Decimal)> = products
        .iter()
        .filter_map(|p| Some((p, dec(p.get("monthly_gain_at_that_price")?)?)))
        .collect();
    moves.sort_by(|a, b| {
        let neg = |p: &Value| dec(&p["margin"]).is_some_and(|m| m < Decimal::ZERO);
        neg(b.0).cmp(&neg(a.0)).then(b.1.cmp(&a.1))
    });
    let total_gain: Decimal = moves.iter().map(|m| m.1).sum();
    let mut recs = Vec::new();
    let mut changes = Vec::new();
    for (rank, (p, gain)) in moves.iter().take(3).enumerate() {
        let s = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
        let (Some(price), Some(target), Some(tm)) = (
            dec(&p["unit_price"]),
            dec(&p["price_plus_5pct"]),
            dec(&p["margin_at_that_price"]),
        ) else {
            continue;
        };
        let margin = dec(&p["margin"]).unwrap_or_default();
        let below_cost = margin < Decimal::ZERO;
        let share = if total_gain > Decimal::ZERO {
            (*gain * Decimal::from(60) / total_gain).round()
        } else {
            Decimal::ZERO
        };
        let impact = (Decimal::from(30) + share).min(Decimal::from(95));
        let desc = w.say(
            "Raise {sku} ({name}) from {price} to {target}: margin {margin} → {tm}, +{gain}/month at the current volume.",
            "Subir {sku} ({name}) de {price} a {target}: margen {margin} → {tm}, +{gain}/mes con el volumen actual.",
            &[
                ("sku", s("sku")),
                ("name", s("name")),
                ("price", w.money(price)),
                ("target", w.money(target)),
                ("margin", w.pct(margin)),
                ("tm", w.pct(tm)),
                ("gain", w.money(*gain)),
            ],
        );
        recs.push(rec(
            "pricing",
            if below_cost { 1 } else { rank as u8 + 1 },
            w.say("Reprice {sku}", "Reajustar {sku}", &[("sku", s("sku"))]),
            desc,
            impact.to_u8().unwrap_or(50),
        ));
        changes.push(PriceChange {
            sku: s("sku"),
            suggested_price: target,
            reason: w.say("margin to {tm}", "margen a {tm}", &[("tm", w.pct(tm))]),
        });
    }
    if moves.is_empty() {
        out.push_str(w.t(
            "\nNo products with prices and costs to work with: import products.csv.\n",
            "\nNo hay productos con precio y costo para analizar: importe products.csv.\n",
        ));
    }
    let recs = ranked(recs);
    (
        out,
        AgentResult::Pricing(PricingResult {
            price_changes: changes,
            recommendations: recs,
        }),
    )
}

fn growth(w: &Writer<'_>) -> (String, AgentResult) {
    let g = |k: &str| w.get(&format!("/growth/{k}"));
    let cmgr3 = g("cmgr_3");
    let cmgr12 = g("cmgr_12");
    let bm = g("burn_multiple");
    let yoy = g("revenue_yoy");
    let assessment = match (cmgr3, bm) {
        (Some(c), _) if c < Decimal::new(-5, 3) || yoy.is_some_and(|y| y < Decimal::ZERO) => "declining",
        (Some(c), _) if c < Decimal::new(5, 3) => "stalled",
        (_, Some(b)) if b > Decimal::TWO => "inefficient",
        _ => "efficient",
    };
    let label = match (assessment, w.lang) {
        ("declining", Lang::En) => "declining",
        ("declining", Lang::Es) => "en caída",
        ("stalled", Lang::En) => "stalled",
        ("stalled", Lang::Es) => "estancado",
        ("inefficient", Lang::En) => "growing, at a high cash cost",
        ("inefficient", Lang::Es) => "creciendo, con alto costo de caja",
        (_, Lang::En) => "growing efficiently",
        (_, Lang::Es) => "creciendo con eficiencia",
    };
    let mut out = format!("# {}: {label}\n\n", w.t("Growth", "Crecimiento"));
    for (k, en, es) in [
        ("cmgr_3", "CMGR (3 months)", "CMGR (3 meses)"),
        ("cmgr_12", "CMGR (12 months)", "CMGR (12 meses)"),
        (
            "revenue_yoy",
            "Revenue year over year",
            "Ingresos contra el año anterior",
        ),
        ("rule_of_40", "Rule of 40", "Regla del 40"),
    ] {
        if let Some(v) = g(k) {
            out.push_str(&format!("- {}: {}\n", w.t(en, es), w.pct(v)));
        }
    }
    if let Some(b) = bm {
        out.push_str(&format!(
            "- {}: {}\n",
            w.t("Burn multiple", "Múltiplo de quema"),
            w.num(b)
        ));
    }
    let mut recs = Vec::new();
    if let (Some(c3), Some(c12)) = (cmgr3, cmgr12) {
        if c3 < c12 {
            recs.push(rec(
                "growth",
                2,
                w.t("Growth is slowing", "El crecimiento se frena").into(),
                w.say(
                    "CMGR {c3} over 3 months against {c12} over 12: look at the channels and the churn of the last quarter.",
                    "CMGR {c3} a 3 meses frente a {c12} a 12: revise los canales y la pérdida de clientes del último trimestre.",
                    &[("c3", w.pct(c3)), ("c12", w.pct(c12))],
                ),
                65,
            ));
        } else {
            recs.push(rec(
                "growth",
                4,
                w.t("Growth is holding up", "El crecimiento se sostiene").into(),
                w.say(
                    "CMGR {c3} over 3 months against {c12} over 12.",
                    "CMGR {c3} a 3 meses frente a {c12} a 12.",
                    &[("c3", w.pct(c3)), ("c12", w.pct(c12))],
                ),
                35,
            ));
        }
    }
    if let Some(b) = bm
        && b > Decimal::new(15, 1)
    {
        let burn = w.get("/net_burn").map_or_else(String::new, |n| {
            w.say(" (net burn {n})", " (quema neta {n})", &[("n", w.money(n))])
        });
        recs.push(rec(
            "efficiency",
            if b > Decimal::TWO { 1 } else { 2 },
            w.t("Bring the burn multiple down", "Bajar el múltiplo de quema").into(),
            w.say(
                "Burn multiple {b}{burn}: cut spend that does not bring revenue before adding more.",
                "Múltiplo de quema {b}{burn}: recorte el gasto que no trae ingresos antes de sumar más.",
                &[("b", w.num(b)), ("burn", burn)],
            ),
            75,
        ));
    }
    if let (Some(churn), Some(x)) = (
        w.get("/unit_economics/customer_churn"),
        w.get("/unit_economics/ltv_to_cac"),
    ) {
        let (p, i) = if x < Decimal::from(3) { (2, 60) } else { (3, 45) };
        recs.push(rec(
            "unit_economics",
            p,
            w.t("Keep the customers you win", "Retener a los clientes que gana")
                .into(),
            w.say(
                "Monthly churn {churn} sets how long a customer pays back; LTV/CAC {x}.",
                "Pérdida mensual de clientes {churn} define cuánto tarda un cliente en pagar su costo; LTV/CAC {x}.",
                &[("churn", w.pct(churn)), ("x", w.num(x))],
            ),
            i,
        ));
    }
    let recs = ranked(recs);
    (
        out,
        AgentResult::Growth(GrowthResult {
            assessment: assessment.to_owned(),
            recommendations: recs,
        }),
    )
}

fn cash_flow(w: &Writer<'_>) -> (String, AgentResult) {
    let runway = w.get("/cash_flow/runway_months");
    let cash = w.get("/cash_flow/cash_end").unwrap_or_default();
    let mut out = match runway {
        Some(r) => w.say(
            "# Runway: {r} months\n\n",
            "# Caja para {r} meses\n\n",
            &[("r", w.num(r))],
        ),
        None => format!("# {}\n\n", w.t("Not burning cash", "Sin quema de caja")),
    };
    out.push_str(&format!("- {} {}\n", w.t("Cash:", "Caja:"), w.money(cash)));
    if let Some(b) = w.get("/cash_flow/net_burn").filter(|b| *b > Decimal::ZERO) {
        out.push_str(&w.say(
            "- Net burn a month: {b}\n",
            "- Quema neta al mes: {b}\n",
            &[("b", w.money(b))],
        ));
    }
    if let Some(m) = w.text("/cash_flow/cash_zero_month") {
        out.push_str(&w.say("- Cash runs out in {m}\n", "- La caja se agota en {m}\n", &[("m", m)]));
    }
    let mut recs = Vec::new();
    let mut actions = Vec::new();
    recs.extend(runway_rec(w, "/what_if/opex_cut_10pct"));
    for (path, share) in [("/what_if/opex_cut_10pct", "10%"), ("/what_if/opex_cut_20pct", "20%")] {
        if let Some(saving) = w.get(&format!("{path}/monthly_saving")) {
            actions.push(RunwayAction {
                action: w.say(
                    "cut opex {share}",
                    "recortar gastos {share}",
                    &[("share", share.to_owned())],
                ),
                monthly_effect: saving,
            });
        }
    }
    if let (Some(saving), Some(after)) = (
        w.get("/what_if/opex_cut_20pct/monthly_saving"),
        w.get("/what_if/opex_cut_20pct/runway_months"),
    ) {
        recs.push(rec(
            "cash_flow",
            3,
            w.t("Prepare a deeper cut", "Preparar un recorte mayor").into(),
            w.say(
                "A 20% opex cut saves {saving}/month and gives {after} months of runway.",
                "Un recorte de 20% de los gastos ahorra {saving}/mes y da {after} meses de caja.",
                &[("saving", w.money(saving)), ("after", w.num(after))],
            ),
            55,
        ));
    }
    if let Some(be) = w.get("/profitability/break_even_revenue") {
        recs.push(rec(
            "profitability",
            3,
            w.t("Know the break-even", "Conocer el punto de equilibrio").into(),
            w.say(
                "The business breaks even at {be} of revenue a month.",
                "El negocio llega al equilibrio con {be} de ingresos al mes.",
                &[("be", w.money(be))],
            ),
            45,
        ));
    }
    if let Some(min) = w.get("/base_projection/min_cash") {
        let month = w.text("/base_projection/cash_zero_month");
        let d = match &month {
            Some(m) => w.say(
                "On the current trend cash reaches zero in {m}; lowest cash {min}.",
                "Con la tendencia actual la caja llega a cero en {m}; caja mínima {min}.",
                &[("m", m.clone()), ("min", w.money(min))],
            ),
            None => w.say(
                "On the current trend cash stays positive; lowest point {min}.",
                "Con la tendencia actual la caja se mantiene positiva; punto más bajo {min}.",
                &[("min", w.money(min))],
            ),
        };
        recs.push(rec(
            "planning",
            if month.is_some() { 2 } else { 4 },
            w.t("Plan the next months", "Planear los próximos meses").into(),
            d,
            if month.is_some() { 70 } else { 30 },
        ));
    }
    let recs = ranked(recs);
    (
        out,
        AgentResult::CashFlow(CashFlowResult {
            runway_actions: actions,
            recommendations: recs,
        }),
    )
}

fn collections(w: &Writer<'_>) -> (String, AgentResult) {
    let c = |k: &str| w.get(&format!("/collections/{k}"));
    let ar = c("ar_total").unwrap_or_default();
    let mut out = w.say(
        "# Collections: {ar} open\n\n",
        "# Cobranza: {ar} por cobrar\n\n",
        &[("ar", w.money(ar))],
    );
    if let Some(d) = c("dso") {
        out.push_str(&w.say("- DSO: {d} days\n", "- DSO: {d} días\n", &[("d", w.num(d))]));
    }
    if let Some(s) = c("overdue_share") {
        out.push_str(&format!("- {} {}\n", w.t("Overdue:", "Vencido:"), w.pct(s)));
    }
    if let Some(cei) = c("cei") {
        out.push_str(&format!("- CEI: {}\n", w.pct(cei)));
    }
    let calls_in =
        w.m.pointer("/collections/call_list")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
    let mut recs = Vec::new();
    let mut calls = Vec::new();
    let overdue: Vec<&Value> = calls_in
        .iter()
        .filter(|e| e["max_days_past_due"].as_i64().unwrap_or(0) > 0)
        .take(3)
        .collect();
    for (rank, e) in overdue.iter().enumerate() {
        let customer = e["customer"].as_str().unwrap_or_default().to_owned();
        let open = dec(&e["open"]).unwrap_or_default();
        let days = e["max_days_past_due"].as_i64().unwrap_or(0);
        let reason = w.say(
            "{open} open, {days} days past due",
            "{open} por cobrar, con {days} días de atraso",
            &[("open", w.money(open)), ("days", days.to_string())],
        );
        recs.push(rec(
            "collections",
            rank as u8 + 1,
            w.say(
                "Call {customer}",
                "Llamar a {customer}",
                &[("customer", customer.clone())],
            ),
            format!("{customer}: {reason}."),
            (90 - rank as u8 * 15).max(40),
        ));
        calls.push(Call {
            customer,
            amount: open,
            reason,
        });
    }
    if let Some(d90) = w.get("/collections/aging/d90_plus")
        && d90 > Decimal::ZERO
    {
        recs.push(rec(
            "risk",
            2,
            w.t(
                "Decide on the debts over 90 days",
                "Decidir sobre la deuda de más de 90 días",
            )
            .into(),
            w.say(
                "{d90} is more than 90 days past due: agree a payment plan or provision it.",
                "{d90} tiene más de 90 días de atraso: acuerde un plan de pagos o provisiónelo.",
                &[("d90", w.money(d90))],
            ),
            70,
        ));
    }
    if let Some(cei) = c("cei")
        && cei < Decimal::new(8, 1)
    {
        recs.push(rec(
            "process",
            3,
            w.t("Tighten the collection routine", "Ajustar la rutina de cobro")
                .into(),
            format!(
                "CEI {}: {}",
                w.pct(cei),
                w.t(
                    "a good part of what could be collected was not; remind customers before the due date.",
                    "buena parte de lo cobrable no se cobró; recuerde a los clientes antes del vencimiento."
                )
            ),
            50,
        ));
    }
    if let Some(share) = c("top3_share")
        && share > Decimal::new(5, 1)
    {
        recs.push(rec(
            "risk",
            4,
            w.t(
                "Receivables are concentrated",
                "Las cuentas por cobrar están concentradas",
            )
            .into(),
            w.say(
                "Three customers hold {share} ({open}) of the receivables.",
                "Tres clientes concentran {share} ({open}) de las cuentas por cobrar.",
                &[
                    ("share", w.pct(share)),
                    ("open", w.money(c("top3_open").unwrap_or_default())),
                ],
            ),
            40,
        ));
    }
    if recs.is_empty() {
        recs.push(rec(
            "collections",
            5,
            w.t("Nothing overdue", "Nada vencido").into(),
            w.t(
                "Every open invoice is within its terms; keep the reminders going.",
                "Todas las facturas abiertas están en plazo; mantenga los recordatorios.",
            )
            .into(),
            10,
        ));
    }
    let recs = ranked(recs);
    (
        out,
        AgentResult::Collections(CollectionsResult {
            calls,
            recommendations: recs,
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn writer(lang: Lang) -> Writer<'static> {
        static EMPTY: Value = Value::Null;
        Writer {
            m: &EMPTY,
            lang,
            sep: Separators::for_locale("en-US"),
            currency: "USD",
        }
    }

    #[test]
    fn sentences_keep_each_languages_word_order_and_insert_values_once() {
        let en = writer(Lang::En);
        let es = writer(Lang::Es);
        let (t_en, t_es) = ("{who} owes {amount}", "Debe {amount}: {who}");
        let args = [("who", "Acme {amount}".to_owned()), ("amount", "USD 10.00".to_owned())];
        assert_eq!(en.say(t_en, t_es, &args), "Acme {amount} owes USD 10.00");
        assert_eq!(es.say(t_en, t_es, &args), "Debe USD 10.00: Acme {amount}");
        assert_eq!(en.say("{unknown} {", "", &[]), "{unknown} {");
    }
}
