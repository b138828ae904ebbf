//! The AI layer (README.md#the-ai-advisors): five agents, each with a brief and the computed
//! metrics it needs; two providers (the offline rules engine and any
//! OpenAI-compatible endpoint, streamed); grounding of the figures an answer
//! states; the cache and the record of every run in the store.

pub mod ask;
pub mod context;
pub mod grounding;
pub mod local;
pub mod openai;
pub mod result;
pub mod service;
pub mod sse;
pub mod tools;

use crate::locale::Lang;

/// The five advisors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Agent {
    Advisor,
    Pricing,
    Growth,
    CashFlow,
    Collections,
}

impl Agent {
    pub const ALL: [Agent; 5] = [
        Agent::Advisor,
        Agent::Pricing,
        Agent::Growth,
        Agent::CashFlow,
        Agent::Collections,
    ];

    /// The name used on the command line and in the store.
    pub fn key(self) -> &'static str {
        match self {
            Agent::Advisor => "advisor",
            Agent::Pricing => "pricing",
            Agent::Growth => "growth",
            Agent::CashFlow => "cashflow",
            Agent::Collections => "collections",
        }
    }

    pub fn parse(s: &str) -> Option<Agent> {
        let s = s.trim().to_ascii_lowercase().replace(['-', '_'], "");
        Agent::ALL.into_iter().find(|a| {
            a.key() == s
                || match a {
                    Agent::Advisor => s == "financial" || s == "financialadvisor",
                    Agent::Pricing => s == "pricingoptimizer",
                    Agent::Growth => s == "growthanalyzer",
                    Agent::CashFlow => s == "cashflowadvisor",
                    Agent::Collections => s == "collectionsoptimizer",
                }
        })
    }

    pub fn title(self, lang: Lang) -> &'static str {
        match self {
            Agent::Advisor => lang.pick("Financial advisor", "Asesor financiero"),
            Agent::Pricing => lang.pick("Pricing optimizer", "Optimizador de precios"),
            Agent::Growth => lang.pick("Growth analyzer", "Analista de crecimiento"),
            Agent::CashFlow => lang.pick("Cash-flow advisor", "Asesor de flujo de caja"),
            Agent::Collections => lang.pick("Collections optimizer", "Optimizador de cobranza"),
        }
    }
}

/// One line of error for the panel and stderr.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AiError {
    #[error("could not connect to {url}: {detail}")]
    Connect { url: String, detail: String },
    #[error("no answer within {0} s of the request (first-byte timeout); press r to try again")]
    FirstByteTimeout(u64),
    #[error("the stream stalled for {0} s (idle timeout); the text so far is kept")]
    IdleTimeout(u64),
    #[error("the endpoint refused the key (401): {0}")]
    Unauthorized(String),
    #[error("not found (404): {0} — check base_url and model")]
    NotFound(String),
    #[error("rate limited (429) after {attempts} attempts: {message}")]
    RateLimited { attempts: u32, message: String },
    #[error("server error ({status}) after {attempts} attempts: {message}")]
    Server {
        status: u16,
        attempts: u32,
        message: String,
    },
    #[error("the endpoint answered {status}: {message}")]
    Http { status: u16, message: String },
    #[error("the stream ended before it was complete (no [DONE] or finish_reason); the text so far is kept")]
    Truncated,
    #[error("a malformed chunk in the stream: {0}")]
    Malformed(String),
    #[error("answer too long (over {0} KiB); the text so far is kept")]
    TooLong(usize),
    #[error("a stream event over {0} KiB; the text so far is kept")]
    EventTooLong(usize),
    #[error("the monthly AI budget of {budget} is spent ({spent} this month); raise ai.monthly_budget to continue")]
    Budget { budget: String, spent: String },
    #[error("cancelled")]
    Cancelled,
    #[error("{0}")]
    Other(String),
}
