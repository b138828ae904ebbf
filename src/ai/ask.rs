//! Questions to the local advisor: a documented set of question shapes, in
//! English and Spanish, each answered by calling the engine's tools (the same
//! ones a model gets), never by guessing. A question it does not understand
//! gets the list of shapes it does.
//!
//! Shapes: a hire ("what if we hire 2 engineers at 6000 a month from
//! 2027-01?"), a cash event ("we raise 500000 in 2027-03"), a price change
//! ("raise prices 10% from 2027-02"), a driver ("revenue growth of 4%", "cut
//! opex 10%"), goal seek ("how much must prices rise to break even by Q3?",
//! "what opex keeps cash above zero?", "…runway of 12 months"), whom to call
//! first, and why the health score is what it is.

use super::tools::{ToolCall, ToolContext, call};
use crate::domain::Month;
use crate::locale::{Lang, Separators, group, percent};
use rust_decimal::Decimal;
use serde_json::{Value, json};

/// An answer: the text and the tool calls that made it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Answer {
    pub question: String,
    pub answer: String,
    pub tool_calls: Vec<ToolCall>,
    /// Figures the answer states that no tool or metric gave (none: the local
    /// advisor writes only what the tools returned).
    pub unverified: Vec<String>,
}

/// The question, lower-cased, without accents.
fn fold(q: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    q.nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .collect::<String>()
        .to_lowercase()
}

/// Numbers in the text with what follows them: `6000`, `6,000`, `6k`, `1.5m`, `10%`.
fn numbers(q: &str) -> Vec<(Decimal, bool)> {
    let chars: Vec<char> = q.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let starts = chars[i].is_ascii_digit() && (i == 0 || !chars[i - 1].is_alphanumeric() && chars[i - 1] != '-');
        if !starts {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < chars.len()
            && (chars[j].is_ascii_digit()
                || ((chars[j] == ',' || chars[j] == '.') && chars.get(j + 1).is_some_and(char::is_ascii_digit)))
        {
            j += 1;
        }
        let text: String = chars[i..j].iter().collect();
        // A date (2027-01) is not an amount.
        if chars.get(j) == Some(&'-') && chars.get(j + 1).is_some_and(char::is_ascii_digit) {
            i = j + 1;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '-') {
                i += 1;
            }
            continue;
        }
        let plain =
            if text.matches(',').count() >= 1 && !text.contains('.') && text.split(',').skip(1).all(|p| p.len() == 3) {
                text.replace(',', "")
            } else {
                text.replace(',', ".")
            };
        let mut v: Decimal = plain.parse().unwrap_or_default();
        let next = chars.get(j).copied();
        let pct = next == Some('%')
            || chars[j..]
                .iter()
                .collect::<String>()
                .trim_start()
                .starts_with("percent");
        match next {
            Some('k') if !chars.get(j + 1).is_some_and(|c| c.is_alphabetic()) => v *= Decimal::from(1_000),
            Some('m') if !chars.get(j + 1).is_some_and(|c| c.is_alphabetic()) => v *= Decimal::from(1_000_000),
            _ => {}
        }
        out.push((v, pct));
        i = j;
    }
    out
}

/// The first `YYYY-MM` in the text, or a quarter (`q3`, `q3 2027`: its last month).
fn month_in(q: &str, base: Month) -> Option<Month> {
    for w in q.split(|c: char| !c.is_ascii_alphanumeric() && c != '-') {
        if let Ok(m) = w.parse::<Month>() {
            return Some(m);
        }
    }
    let words: Vec<&str> = q.split(|c: char| !c.is_ascii_alphanumeric()).collect();
    for (i, w) in words.iter().enumerate() {
        if let Some(n) = w
            .strip_prefix('q')
            .or_else(|| w.strip_prefix('t'))
            .and_then(|n| n.parse::<u32>().ok())
            .filter(|n| (1..=4).contains(n))
        {
            let year = words
                .get(i + 1)
                .and_then(|y| y.parse::<i32>().ok())
                .filter(|y| *y > 1900)
                .unwrap_or(base.year());
            let m: Month = format!("{year}-{:02}", n * 3).parse().ok()?;
            return Some(if m <= base { m.plus(12) } else { m });
        }
    }
    None
}

fn has(q: &str, words: &[&str]) -> bool {
    words.iter().any(|w| q.contains(w))
}

/// Projection month index (1 = the first projected month) of `m`.
fn index(base: Month, m: Month) -> i32 {
    m.months_since(base).max(1)
}

struct Say<'a> {
    lang: Lang,
    sep: Separators,
    currency: &'a str,
}

impl Say<'_> {
    fn t<'s>(&self, en: &'s str, es: &'s str) -> &'s str {
        self.lang.pick(en, es)
    }
    fn money(&self, v: &Value) -> String {
        match v.as_str().and_then(|s| s.parse::<Decimal>().ok()) {
            Some(d) => format!("{} {}", self.currency, group(d, 0, self.sep)),
            None => "—".into(),
        }
    }
    fn months(&self, v: &Value) -> String {
        match v.as_str().and_then(|s| s.parse::<Decimal>().ok()) {
            Some(d) => format!("{} {}", group(d, 1, self.sep), self.t("months", "meses")),
            None => self.t("not burning cash", "sin quema de caja").to_owned(),
        }
    }
    fn month(&self, v: &Value) -> String {
        v.as_str()
            .map_or_else(|| self.t("never", "nunca").to_owned(), str::to_owned)
    }
    /// What a projection says, and against the base.
    fn outcome(&self, r: &Value) -> String {
        if let Some(e) = r.get("error").and_then(Value::as_str) {
            return format!("{} {e}", self.t("The engine refused it:", "El motor lo rechazó:"));
        }
        let b = &r["base"];
        // At or below zero at the horizon there is no runway to count.
        let runway = |p: &Value| {
            let gone = p["cash_at_horizon"]
                .as_str()
                .and_then(|s| s.parse::<Decimal>().ok())
                .is_some_and(|c| c <= Decimal::ZERO);
            if gone {
                self.t("none (cash at or below zero)", "ninguno (caja en cero o menos)")
                    .to_owned()
            } else {
                self.months(&p["runway_at_horizon"])
            }
        };
        let below = r["min_cash"]
            .as_str()
            .and_then(|s| s.parse::<Decimal>().ok())
            .filter(|m| *m < Decimal::ZERO);
        let template = self.t(
            "Runway at the horizon: {runway} (base: {runway0}). Cash runs out: {zero} (base: {zero0}). Lowest cash: {min} (base: {min0}). Break-even: {even} (base: {even0}).",
            "Meses de caja al final del horizonte: {runway} (base: {runway0}). La caja se agota: {zero} (base: {zero0}). Caja mínima: {min} (base: {min0}). Equilibrio: {even} (base: {even0}).",
        );
        [
            ("{runway0}", runway(b)),
            ("{runway}", runway(r)),
            ("{zero0}", self.month(&b["cash_zero_month"])),
            ("{zero}", self.month(&r["cash_zero_month"])),
            ("{min0}", self.money(&b["min_cash"])),
            ("{min}", self.money(&r["min_cash"])),
            ("{even0}", self.month(&b["break_even_month"])),
            ("{even}", self.month(&r["break_even_month"])),
        ]
        .iter()
        .fold(template.to_owned(), |text, (k, v)| text.replace(k, v))
            + &below.map_or_else(String::new, |m| {
                let funding = format!("{} {}", self.currency, group(-m, 0, self.sep));
                match self.lang {
                    Lang::En => format!(
                        " Cash goes below zero: keeping it at zero or above over the horizon takes {funding} of funding in the first month."
                    ),
                    Lang::Es => format!(
                        " La caja baja de cero: mantenerla en cero o más durante el horizonte requiere {funding} de financiamiento en el primer mes."
                    ),
                }
            })
    }
}

/// The shapes the local advisor understands, for a question it does not.
pub fn shapes(lang: Lang) -> &'static str {
    lang.pick(
        "I answer these questions (with your own figures):\n\
         - a hire: \"what if we hire 2 engineers at 6000 a month from 2027-01?\"\n\
         - a cash event: \"what if we raise 500000 in 2027-03?\"\n\
         - a price change: \"what if we raise prices 10% from 2027-02?\"\n\
         - a driver: \"what if revenue grows 4% a month?\", \"what if we cut opex 10%?\"\n\
         - goal seek: \"how much must prices rise to break even by Q3?\", \"what opex keeps cash above zero?\", \"what opex gives a runway of 12 months?\"\n\
         - collections: \"whom should I call first?\"\n\
         - the score: \"why is the health score what it is?\"\n\
         - scenarios: \"compare base and Plan\"",
        "Respondo estas preguntas (con sus propias cifras):\n\
         - una contratación: \"¿y si contratamos 2 ingenieros a 6000 al mes desde 2027-01?\"\n\
         - un evento de caja: \"¿y si recibimos 500000 en 2027-03?\"\n\
         - un cambio de precio: \"¿y si subimos precios 10% desde 2027-02?\"\n\
         - un supuesto: \"¿y si los ingresos crecen 4% al mes?\", \"¿y si recortamos gastos 10%?\"\n\
         - buscar objetivo: \"¿cuánto deben subir los precios para llegar al equilibrio en el T3?\", \"¿qué gasto mantiene la caja sobre cero?\", \"¿qué gasto da 12 meses de caja?\"\n\
         - cobranza: \"¿a quién cobro primero?\"\n\
         - el puntaje: \"¿por qué la salud financiera tiene ese puntaje?\"\n\
         - escenarios: \"compara base con Plan\"",
    )
}

/// Answers `question` with the tools, or lists the shapes it understands.
pub fn answer(question: &str, cx: &ToolContext<'_>, lang: Lang, sep: Separators, currency: &str) -> Answer {
    let q = fold(question);
    let base = cx.start.month;
    let say = Say { lang, sep, currency };
    let nums = numbers(&q);
    let amounts: Vec<Decimal> = nums.iter().filter(|(_, p)| !p).map(|(v, _)| *v).collect();
    let pct = nums.iter().find(|(_, p)| *p).map(|(v, _)| *v / Decimal::ONE_HUNDRED);
    let when = month_in(&q, base);
    let mut calls = Vec::new();
    let mut tool = |name: &str, args: Value| {
        let c = call(cx, name, &args);
        let r = c.result.clone();
        calls.push(c);
        r
    };
    let how_much = has(
        &q,
        &[
            "how much",
            "what opex",
            "which opex",
            "cuanto",
            "cuanta",
            "que gasto",
            "cual gasto",
        ],
    );
    let named: Vec<&str> = cx
        .scenarios
        .iter()
        .map(|s| s.0.as_str())
        .filter(|n| q.contains(&fold(n)))
        .collect();
    let text = if has(&q, &["compare", "compar", "versus", " vs "]) && !named.is_empty() {
        let (a, b) = match named[..] {
            [one] => ("base", one),
            [one, two, ..] => (one, two),
            [] => ("base", "base"),
        };
        let r = tool("compare", json!({"scenario_a": a, "scenario_b": b}));
        if let Some(e) = r.get("error").and_then(Value::as_str) {
            e.to_owned()
        } else {
            let line = |name: &str, o: &Value| {
                format!(
                    "- {name}: {} {} · {} {} · {} {}",
                    say.t("lowest cash", "caja mínima"),
                    say.money(&o["min_cash"]),
                    say.t("cash runs out", "la caja se agota"),
                    say.month(&o["cash_zero_month"]),
                    say.t("NPV", "VPN"),
                    say.money(&o["npv"])
                )
            };
            format!(
                "{}\n{}\n{}\n{} {}",
                say.t("The two scenarios:", "Los dos escenarios:"),
                line(a, &r["a"]),
                line(b, &r["b"]),
                say.t("Difference in NPV:", "Diferencia de VPN:"),
                say.money(&r["difference"]["npv"])
            )
        }
    } else if has(&q, &["why", "por que"]) && has(&q, &["score", "health", "puntaje", "salud"]) {
        let h = tool("metrics", json!({"module": "health"}));
        let score = |k: &str| h[k].as_str().map_or("—".to_owned(), |v| v.to_owned());
        let focus = h["focus_area"].as_str().unwrap_or("—");
        match lang {
            Lang::En => format!(
                "The health score is {} / 100: the weighted mean of its pillars — profitability {}, unit economics {}, cash flow {}, growth efficiency {}. The lowest, {focus}, is where to look first.",
                score("total_score"),
                score("profitability"),
                score("unit_economics"),
                score("cash_flow"),
                score("growth_efficiency")
            ),
            Lang::Es => format!(
                "La salud financiera es {} / 100: el promedio ponderado de sus pilares — rentabilidad {}, economía unitaria {}, flujo de caja {}, eficiencia del crecimiento {}. El más bajo, {focus}, es el que hay que atender primero.",
                score("total_score"),
                score("profitability"),
                score("unit_economics"),
                score("cash_flow"),
                score("growth_efficiency")
            ),
        }
    } else if has(&q, &["call", "collect", "chase", "cobr", "llam"]) {
        let r = tool("open_invoices", json!({"min_days_late": 1}));
        let list = r["invoices"].as_array().cloned().unwrap_or_default();
        if list.is_empty() {
            say.t(
                "No invoice is overdue: nobody to call.",
                "Ninguna factura está vencida: no hay a quién llamar.",
            )
            .to_owned()
        } else {
            let lines: Vec<String> = list
                .iter()
                .take(5)
                .map(|i| {
                    format!(
                        "- {} ({}): {} · {} {}",
                        i["customer"].as_str().unwrap_or_default(),
                        i["number"].as_str().unwrap_or_default(),
                        say.money(&i["open"]),
                        i["days_late"],
                        say.t("days late", "días de atraso")
                    )
                })
                .collect();
            format!(
                "{} ({} {}):\n{}",
                say.t(
                    "Call first, most overdue first",
                    "Llame primero, los más atrasados primero"
                ),
                r["total"],
                say.t("overdue invoices", "facturas vencidas"),
                lines.join("\n")
            )
        }
    } else if how_much && has(&q, &["price", "precio"]) && has(&q, &["break even", "break-even", "equilibrio"]) {
        let by = when.unwrap_or(base.plus(6));
        let k = index(base, by);
        let r = tool(
            "goal_seek",
            json!({"driver": "price_change", "target": format!("break_even_by={k}"), "min": "0", "max": "1"}),
        );
        match r["value"].as_str().and_then(|v| v.parse::<Decimal>().ok()) {
            Some(v) => format!(
                "{} {} {} {by}.",
                say.t("Prices must rise", "Los precios deben subir"),
                percent(v, sep),
                say.t("to break even by", "para llegar al equilibrio en")
            ),
            None => format!(
                "{} {by}.",
                say.t(
                    "No price rise up to 100% breaks even by",
                    "Ninguna subida de precios de hasta 100% llega al equilibrio en"
                )
            ),
        }
    } else if how_much && has(&q, &["opex", "spend", "gasto"]) {
        let opex = cx.base.opex_base;
        let runway = nums
            .iter()
            .find(|(v, p)| !p && *v <= Decimal::from(120))
            .map(|(v, _)| *v);
        let target = match runway {
            Some(n) if has(&q, &["runway", "month", "mes"]) => format!("runway_at_horizon>={n}"),
            _ => "min_cash>=0".to_owned(),
        };
        let r = tool(
            "goal_seek",
            json!({"driver": "opex_base", "target": target, "min": "0", "max": (opex * Decimal::TWO).round_dp(2).to_string()}),
        );
        match r["value"].as_str().and_then(|v| v.parse::<Decimal>().ok()) {
            Some(v) => format!(
                "{} {} {} ({} {}).",
                say.t("Opex of at most", "Gastos operativos de hasta"),
                say.money(&json!(v.to_string())),
                say.t("a month meet the target", "al mes cumplen la meta"),
                say.t("today", "hoy"),
                say.money(&json!(opex.to_string()))
            ),
            None => say
                .t(
                    "No opex level between zero and twice today's meets the target.",
                    "Ningún nivel de gasto entre cero y el doble del actual cumple la meta.",
                )
                .to_owned(),
        }
    } else if has(&q, &["hire", "contrat"]) {
        let count = amounts
            .iter()
            .find(|v| **v >= Decimal::ONE && **v <= Decimal::from(1000))
            .copied();
        let cost = amounts
            .iter()
            .filter(|v| **v > Decimal::from(1000) || count.is_none())
            .max()
            .copied();
        match (count, cost) {
            (Some(n), Some(c)) => {
                let m = when.unwrap_or(base.plus(1));
                let setting = format!("hire={}:{}:{}", index(base, m), n.trunc(), c);
                let r = tool("what_if", json!({"settings": [setting]}));
                format!(
                    "{} {} {} {} {} {m}: {}",
                    say.t("With", "Con"),
                    n.trunc(),
                    say.t("hires at", "contrataciones a"),
                    say.money(&json!(c.to_string())),
                    say.t("a month each from", "al mes cada una desde"),
                    say.outcome(&r)
                )
            }
            _ => say
                .t(
                    "Say how many people and their monthly cost: \"hire 2 engineers at 6000 a month from 2027-01\".",
                    "Diga cuántas personas y su costo mensual: \"contratar 2 ingenieros a 6000 al mes desde 2027-01\".",
                )
                .to_owned(),
        }
    } else if has(&q, &["price", "precio"]) && pct.is_some() {
        let p = pct.unwrap_or_default();
        let p = if has(&q, &["cut", "lower", "drop", "baj", "reduc"]) {
            -p
        } else {
            p
        };
        let m = when.unwrap_or(base.plus(1));
        let r = tool(
            "what_if",
            json!({"settings": [format!("price_change={p}"), format!("price_change_month={}", index(base, m))]}),
        );
        format!(
            "{} {} {} {m}: {}",
            say.t("With prices changed by", "Con los precios cambiados en"),
            percent(p, sep),
            say.t("from", "desde"),
            say.outcome(&r)
        )
    } else if has(
        &q,
        &[
            "raise",
            "funding",
            "invest",
            "loan",
            "round",
            "recib",
            "ronda",
            "prestamo",
            "inversion",
            "capital",
        ],
    ) && !amounts.is_empty()
    {
        let amount = amounts.iter().max().copied().unwrap_or_default();
        let m = when.unwrap_or(base.plus(1));
        let label = say.t("cash event (asked)", "evento de caja (consulta)");
        let r = tool(
            "what_if",
            json!({"settings": [format!("cash_event={}:{amount}:{label}", index(base, m))]}),
        );
        format!(
            "{} {} {} {m}: {}",
            say.t("With", "Con"),
            say.money(&json!(amount.to_string())),
            say.t("coming in", "entrando en"),
            say.outcome(&r)
        )
    } else if let Some(p) = pct.filter(|_| has(&q, &["revenue", "grow", "ingreso", "crec", "opex", "gasto"])) {
        let setting = if has(&q, &["opex", "gasto", "spend"]) {
            let cut = if has(&q, &["cut", "reduce", "lower", "recort", "baj", "reduc"]) {
                -p
            } else {
                p
            };
            format!("opex_base={}", (cx.base.opex_base * (Decimal::ONE + cut)).round_dp(2))
        } else {
            format!("revenue_growth={p}")
        };
        let r = tool("what_if", json!({"settings": [setting.clone()]}));
        format!("{} {setting}: {}", say.t("With", "Con"), say.outcome(&r))
    } else {
        shapes(lang).to_owned()
    };
    Answer {
        question: question.to_owned(),
        answer: text,
        tool_calls: calls,
        unverified: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_months_and_quarters_are_read_from_the_question() {
        let n = numbers(&fold("Hire 2 engineers at 6,000 a month from 2027-01, 10% more"));
        assert_eq!(
            n,
            vec![
                (Decimal::from(2), false),
                (Decimal::from(6000), false),
                (Decimal::from(10), true)
            ]
        );
        assert_eq!(numbers("raise 1.5m"), vec![(Decimal::from(1_500_000), false)]);
        assert_eq!(numbers("a 6k al mes"), vec![(Decimal::from(6000), false)]);
        let base: Month = "2026-10".parse().unwrap();
        assert_eq!(month_in("from 2027-01", base), Some("2027-01".parse().unwrap()));
        assert_eq!(month_in("break even by q3", base), Some("2027-09".parse().unwrap()));
        assert_eq!(month_in("en el q4 2026", base), Some("2026-12".parse().unwrap()));
        assert_eq!(fold("¿A quién COBRO primero?"), "¿a quien cobro primero?");
    }
}

/// Tool calls a model may make for one question before it must answer.
pub const MAX_TOOL_CALLS: usize = 8;

/// Why a question to a model ended without an answer, and what arrived.
#[derive(Debug)]
pub struct Unanswered {
    pub error: String,
    /// The tool calls made before it failed (kept with the conversation).
    pub tool_calls: Vec<ToolCall>,
    pub partial: String,
}

/// Asks an OpenAI-compatible endpoint, giving it the engine as function
/// tools: each call it makes is run and its result sent back (a malformed
/// argument or an unknown tool comes back as an error result), at most
/// [`MAX_TOOL_CALLS`] per question; earlier turns are sent as the
/// conversation. Figures in the final answer that match neither the metrics
/// nor any tool result are listed as unverified.
pub async fn ask_endpoint(
    ep: &super::openai::Endpoint,
    agent: super::Agent,
    question: &str,
    history: &[(String, String)],
    cx: &ToolContext<'_>,
    lang: Lang,
    progress: &tokio::sync::mpsc::UnboundedSender<super::openai::Progress>,
) -> Result<Answer, Unanswered> {
    let http = ep.client().map_err(|e| Unanswered {
        error: e.to_string(),
        tool_calls: Vec::new(),
        partial: String::new(),
    })?;
    let system = format!(
        "{} {}",
        lang.pick("You are the company's", "Usted es el"),
        agent.title(lang).to_lowercase()
    ) + lang.pick(
        ". Every figure you state must come from a tool: call metrics, what_if, goal_seek, open_invoices or compare rather than estimating. Answer briefly, in English, in markdown.",
        " de la empresa. Toda cifra que dé debe venir de una herramienta: llame a metrics, what_if, goal_seek, open_invoices o compare en lugar de estimar. Responda brevemente, en español, en markdown.",
    );
    let mut messages = vec![json!({"role": "system", "content": system})];
    for (q, a) in history {
        messages.push(json!({"role": "user", "content": q}));
        messages.push(json!({"role": "assistant", "content": a}));
    }
    messages.push(json!({"role": "user", "content": question}));
    let mut calls: Vec<ToolCall> = Vec::new();
    loop {
        let body = json!({
            "model": ep.model,
            "messages": messages,
            "tools": super::tools::definitions(),
            "stream": true,
            "stream_options": {"include_usage": true},
            "temperature": 0.2,
        });
        let done = super::openai::complete(ep, &http, &body, progress)
            .await
            .map_err(|f| Unanswered {
                error: f.error.to_string(),
                tool_calls: calls.clone(),
                partial: f.partial,
            })?;
        if done.tool_calls.is_empty() {
            let mut inputs = serde_json::Value::Array(vec![cx.report.clone()]);
            if let Value::Array(all) = &mut inputs {
                all.extend(calls.iter().map(|c| c.result.clone()));
            }
            let unverified = super::grounding::unverified(&done.content, &super::grounding::Inputs::of(&inputs))
                .into_iter()
                .map(|u| u.text)
                .collect();
            return Ok(Answer {
                question: question.to_owned(),
                answer: done.content,
                tool_calls: calls,
                unverified,
            });
        }
        if calls.len() + done.tool_calls.len() > MAX_TOOL_CALLS {
            return Err(Unanswered {
                error: format!(
                    "the model kept calling tools ({} calls) without answering; ask a narrower question",
                    calls.len() + done.tool_calls.len()
                ),
                tool_calls: calls,
                partial: done.content,
            });
        }
        messages.push(json!({
            "role": "assistant",
            "content": if done.content.is_empty() { Value::Null } else { json!(done.content) },
            "tool_calls": done.tool_calls.iter().map(|(id, name, args)| json!({
                "id": id, "type": "function", "function": {"name": name, "arguments": args},
            })).collect::<Vec<_>>(),
        }));
        for (id, name, args) in &done.tool_calls {
            let c = match serde_json::from_str::<Value>(if args.trim().is_empty() { "{}" } else { args }) {
                Ok(arguments) => call(cx, name, &arguments),
                Err(e) => ToolCall {
                    name: name.clone(),
                    arguments: json!(args),
                    result: json!({"error": format!("the arguments are not JSON: {e}")}),
                },
            };
            messages.push(json!({"role": "tool", "tool_call_id": id, "content": c.result.to_string()}));
            // Shown as it runs: the call, before the model answers from its result.
            let _ = progress.send(super::openai::Progress::Text(format!(
                "→ {}({})\n\n",
                crate::sanitize::clean(&c.name),
                crate::sanitize::clean(&c.arguments.to_string())
            )));
            calls.push(c);
        }
    }
}
