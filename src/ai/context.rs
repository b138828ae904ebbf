//! What each agent is told: its brief (the system prompt, in the interface
//! language) and only the computed metrics it needs, as compact JSON at the
//! report's fixed scales. Every figure here comes from the engine.

use super::Agent;
use crate::domain::{Company, Product};
use crate::finance::advice::{opex_cut, price_moves, receivables};
use crate::finance::planning::Projection;
use crate::finance::{Ledger, Snapshot};
use crate::locale::{Lang, Separators};
use crate::numbers::{fixed, j_ratio, j_two, money};
use crate::report::Report;
use rust_decimal::Decimal;
use serde_json::{Value, json};

/// Products and call-list entries an agent sees at most.
const MAX_PRODUCTS: usize = 12;
const MAX_CALLS: usize = 8;

/// An agent's request, ready for a provider.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentInput {
    pub agent: Agent,
    pub lang: Lang,
    pub currency: String,
    /// The company's number separators, for the local advisor's text.
    pub sep: Separators,
    pub system: String,
    /// The brief asks for a JSON-schema answer (else text ending in a JSON block).
    pub structured: bool,
    /// The metrics, as sent (compact JSON).
    pub user: String,
    pub metrics: Value,
}

impl AgentInput {
    /// A rough token count (4 characters a token), for the prompt-size budget.
    pub fn estimated_tokens(&self) -> usize {
        (self.system.chars().count() + self.user.chars().count()).div_ceil(4)
    }

    /// The cache key: agent, language, model and the exact input.
    pub fn hash(&self, model: &str) -> String {
        let text = format!(
            "{}\u{1f}{}\u{1f}{model}\u{1f}{}\u{1f}{}",
            self.agent.key(),
            self.lang.code(),
            self.system,
            self.user
        );
        // BLAKE3, the first 128 bits in hex: stable across runs and platforms.
        blake3::hash(text.as_bytes()).to_hex()[..32].to_owned()
    }
}

/// Everything the agents draw from, computed once by the engine.
pub struct Facts<'a> {
    pub company: &'a Company,
    pub ledger: &'a Ledger,
    pub snapshot: &'a Snapshot,
    pub products: &'a [Product],
    /// The base scenario's projection, for the cash-flow advisor.
    pub projection: Option<&'a Projection>,
}

/// The facts of one company, owned: what `katalis analyze` (and the tests) load.
pub struct Loaded {
    pub company: Company,
    pub ledger: Ledger,
    pub snapshot: Snapshot,
    pub products: Vec<Product>,
    pub projection: Option<Projection>,
}

impl Loaded {
    /// Reads the company and computes its metrics at the latest month.
    pub async fn load(
        store: &crate::store::AnyStore,
        company: Company,
    ) -> Result<Loaded, Box<dyn std::error::Error + Send + Sync>> {
        let crate::company::Figures { books, snapshot } = crate::company::load(store, company, None).await?;
        let projection = books.projection();
        Ok(Loaded {
            company: books.company,
            ledger: books.ledger,
            snapshot,
            products: books.products,
            projection,
        })
    }

    pub fn facts(&self) -> Facts<'_> {
        Facts {
            company: &self.company,
            ledger: &self.ledger,
            snapshot: &self.snapshot,
            products: &self.products,
            projection: self.projection.as_ref(),
        }
    }
}

fn pick(v: &Value, keys: &[&str]) -> Value {
    let mut out = serde_json::Map::new();
    for k in keys {
        if let Some(x) = v.get(*k) {
            out.insert((*k).to_owned(), x.clone());
        }
    }
    Value::Object(out)
}

fn opt_month(m: Option<crate::domain::Month>) -> Value {
    m.map_or(Value::Null, |m| Value::String(m.to_string()))
}

/// The metrics one agent receives.
pub fn metrics(agent: Agent, f: &Facts<'_>) -> Value {
    let report = Report {
        company: f.company,
        snapshot: f.snapshot,
    }
    .to_json();
    let s = f.snapshot;
    let company = json!({
        "name": f.company.name,
        "industry": f.company.industry,
        "currency": f.company.currency,
        "fiscal_year_start": f.company.fiscal_year_start,
    });
    let cut = |share: Decimal| {
        opex_cut(f.ledger, s.as_of, &s.cash_flow, share).map_or(Value::Null, |c| {
            json!({
                "share": fixed(c.share, 2),
                "monthly_saving": money(c.monthly_saving),
                "runway_months": j_two(c.runway_months),
                "months_gained": j_two(c.months_gained),
            })
        })
    };
    // Cash at or below zero: what it takes to be back above zero (the engine's goal seek).
    let overdrawn = (s.cash_flow.cash_end <= Decimal::ZERO)
        .then(|| crate::finance::planning::Start::from_ledger(f.ledger, s.as_of))
        .flatten()
        .map(|start| {
            let drivers = crate::finance::planning::base_drivers(f.ledger, s.as_of);
            let b = crate::finance::planning::back_above_zero(start, &drivers);
            json!({
                "cash": money(s.cash_flow.cash_end),
                "funding_needed": money(b.funding),
                "opex_base_now": money(b.opex_base_now),
                "opex_base_keeping_cash_above_zero": b.opex_base.map(money),
                "horizon_months": b.horizon,
            })
        });
    let mut out = json!({ "company": company, "as_of": s.as_of.to_string() });
    let obj = out.as_object_mut().expect("object");
    if let Some(o) = &overdrawn
        && matches!(agent, Agent::Advisor | Agent::CashFlow)
    {
        obj.insert("overdrawn".into(), o.clone());
    }
    match agent {
        Agent::Advisor => {
            obj.insert("health".into(), report["health"].clone());
            obj.insert("profitability".into(), report["profitability"].clone());
            obj.insert("unit_economics".into(), report["unit_economics"].clone());
            obj.insert("cash_flow".into(), report["cash_flow"].clone());
            obj.insert("growth".into(), report["growth"].clone());
            obj.insert(
                "collections".into(),
                pick(&report["collections"], &["ar_total", "overdue_share", "dso"]),
            );
            obj.insert("what_if".into(), json!({ "opex_cut_10pct": cut(Decimal::new(1, 1)) }));
        }
        Agent::Pricing => {
            obj.insert(
                "profitability".into(),
                pick(&report["profitability"], &["revenue_ttm", "gross_margin"]),
            );
            let mut moves = price_moves(f.products, Decimal::new(5, 2));
            moves.retain(|m| m.unit_price > Decimal::ZERO);
            let econ = &s.pricing;
            moves.sort_by(|a, b| {
                let profit = |sku: &str| econ.iter().find(|e| e.sku == sku).map(|e| e.monthly_profit);
                profit(&b.sku).cmp(&profit(&a.sku)).then(a.sku.cmp(&b.sku))
            });
            let products: Vec<Value> = moves
                .iter()
                .take(MAX_PRODUCTS)
                .map(|m| {
                    let e = econ.iter().find(|e| e.sku == m.sku);
                    json!({
                        "sku": m.sku,
                        "name": m.name,
                        "unit_price": money(m.unit_price),
                        "unit_cost": money(m.unit_cost),
                        "margin": j_ratio(m.margin),
                        "monthly_profit": e.map(|e| money(e.monthly_profit)),
                        "break_even_units": e.and_then(|e| e.break_even_units),
                        "price_plus_5pct": money(m.target_price),
                        "margin_at_that_price": j_ratio(m.target_margin),
                        "monthly_gain_at_that_price": money(m.monthly_gain),
                    })
                })
                .collect();
            obj.insert("products".into(), Value::Array(products));
        }
        Agent::Growth => {
            obj.insert("growth".into(), report["growth"].clone());
            obj.insert("unit_economics".into(), report["unit_economics"].clone());
            obj.insert(
                "profitability".into(),
                pick(
                    &report["profitability"],
                    &["revenue_ttm", "gross_margin", "ebitda_margin"],
                ),
            );
            obj.insert("net_burn".into(), report["cash_flow"]["net_burn"].clone());
        }
        Agent::CashFlow => {
            obj.insert("cash_flow".into(), report["cash_flow"].clone());
            obj.insert(
                "profitability".into(),
                pick(&report["profitability"], &["break_even_revenue", "net_margin"]),
            );
            if let Some(p) = f.projection {
                obj.insert(
                    "base_projection".into(),
                    json!({
                        "months": p.months.len(),
                        "cash_zero_month": opt_month(p.cash_zero_month),
                        "break_even_month": opt_month(p.break_even_month),
                        "min_cash": money(p.min_cash),
                        "npv": money(p.npv),
                    }),
                );
            }
            obj.insert(
                "what_if".into(),
                json!({ "opex_cut_10pct": cut(Decimal::new(1, 1)), "opex_cut_20pct": cut(Decimal::new(2, 1)) }),
            );
        }
        Agent::Collections => {
            let mut c = pick(
                &report["collections"],
                &["ar_total", "aging", "overdue_share", "dso", "cei"],
            );
            let calls: Vec<Value> = s
                .collections
                .call_list
                .iter()
                .take(MAX_CALLS)
                .map(|e| {
                    json!({
                        "customer": e.customer,
                        "open": money(e.open),
                        "max_days_past_due": e.max_days_past_due,
                    })
                })
                .collect();
            c["call_list"] = Value::Array(calls);
            let r = receivables(&s.collections);
            c["overdue"] = Value::String(money(r.overdue));
            c["top3_open"] = Value::String(money(r.top3_open));
            c["top3_share"] = j_ratio(r.top3_share);
            obj.insert("collections".into(), c);
        }
    }
    out
}

fn role(agent: Agent, lang: Lang) -> &'static str {
    match agent {
        Agent::Advisor => lang.pick(
            "the financial advisor: read the overall health (four pillar scores 0-100 and the total) and give the first, most important recommendations",
            "el asesor financiero: lee la salud general (cuatro pilares de 0 a 100 y el total) y da las primeras recomendaciones, las más importantes",
        ),
        Agent::Pricing => lang.pick(
            "the pricing optimizer: which products to reprice, to what price and what it adds a month",
            "el optimizador de precios: qué productos reajustar, a qué precio y cuánto suma al mes",
        ),
        Agent::Growth => lang.pick(
            "the growth analyzer: how fast and how efficiently the company grows (CMGR, burn multiple, rule of 40, LTV/CAC)",
            "el analista de crecimiento: qué tan rápido y con qué eficiencia crece la empresa (CMGR, múltiplo de quema, regla del 40, LTV/CAC)",
        ),
        Agent::CashFlow => lang.pick(
            "the cash-flow advisor: runway, when cash runs out and what each cut buys",
            "el asesor de flujo de caja: meses de caja, cuándo se acaba y cuánto compra cada recorte",
        ),
        Agent::Collections => lang.pick(
            "the collections optimizer: whom to call first and why, and how to bring DSO down",
            "el optimizador de cobranza: a quién llamar primero y por qué, y cómo bajar el DSO",
        ),
    }
}

/// The brief: role, the rules of the house, and the form of the answer.
pub fn system_prompt(agent: Agent, lang: Lang, structured: bool) -> String {
    let rules = lang.pick(
        "You are Katalis' {role}. Katalis' engine computed every metric in the user's JSON exactly; you explain, rank and recommend, and you never compute new figures. Cite only numbers that appear in the JSON, as written or rounded (ratios are fractions: 0.2861 is 28.61%; amounts are in the company's currency). Be specific: name the products, customers and months. Write in English, plain markdown: one heading, short paragraphs or bullets, at most 200 words.",
        "Eres {role} de Katalis. El motor de Katalis calculó con exactitud cada métrica del JSON del usuario; tú explicas, priorizas y recomiendas, y nunca calculas cifras nuevas. Cita solo números que aparezcan en el JSON, tal cual o redondeados (las razones son fracciones: 0.2861 es 28,61 %; los montos están en la moneda de la empresa). Sé concreto: nombra productos, clientes y meses. Escribe en español, markdown sencillo: un título, párrafos cortos o viñetas, 200 palabras como máximo.",
    )
    .replace("{role}", role(agent, lang));
    let form = if structured {
        lang.pick(
            "Answer with one JSON object that follows the schema: the markdown text in \"analysis\", then the result fields.",
            "Responde con un objeto JSON que siga el esquema: el texto markdown en \"analysis\" y luego los campos del resultado.",
        )
        .to_owned()
    } else {
        format!(
            "{} {}",
            lang.pick(
                "End with a fenced ```json block holding only the result:",
                "Termina con un bloque ```json que contenga solo el resultado:",
            ),
            super::result::shape(agent)
        )
    };
    format!("{rules} {form}")
}

/// The request for `agent` on these facts.
pub fn build(agent: Agent, lang: Lang, f: &Facts<'_>, structured: bool) -> AgentInput {
    let metrics = metrics(agent, f);
    AgentInput {
        agent,
        lang,
        currency: f.company.currency.clone(),
        sep: Separators::for_locale(&f.company.locale),
        system: system_prompt(agent, lang, structured),
        structured,
        user: metrics.to_string(),
        metrics,
    }
}
