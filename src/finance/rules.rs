//! Categorisation rules for bank lines (docs/reconcile.md#rules): TOML, the
//! first matching rule wins, in file order. Rules never rewrite a stored
//! line: a line's category is computed again on every read, so editing a
//! rule re-categorises history.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// What a line counts as in the month so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Revenue,
    Cogs,
    Opex,
    SalesMarketing,
    OtherIncome,
    Financing,
    Transfer,
    Ignore,
}

impl Category {
    pub const ALL: [Category; 8] = [
        Category::Revenue,
        Category::Cogs,
        Category::Opex,
        Category::SalesMarketing,
        Category::OtherIncome,
        Category::Financing,
        Category::Transfer,
        Category::Ignore,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Revenue => "revenue",
            Category::Cogs => "cogs",
            Category::Opex => "opex",
            Category::SalesMarketing => "sales_marketing",
            Category::OtherIncome => "other_income",
            Category::Financing => "financing",
            Category::Transfer => "transfer",
            Category::Ignore => "ignore",
        }
    }

    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == s.trim())
    }
}

/// What a rule does with the lines it catches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Categorise(Category),
    /// `match = "invoices"`: sends the line to matching instead.
    MatchInvoices,
}

/// A condition on the amount: `< 0`, `>= 100`, `= 12.50`, `between -500 0` (inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmountTest {
    Lt(Decimal),
    Le(Decimal),
    Gt(Decimal),
    Ge(Decimal),
    Eq(Decimal),
    Between(Decimal, Decimal),
}

impl AmountTest {
    pub fn parse(s: &str) -> Option<AmountTest> {
        let s = s.trim();
        let num = |t: &str| t.trim().parse::<Decimal>().ok();
        if let Some(rest) = s.strip_prefix("between") {
            let mut it = rest.split_whitespace();
            let (a, b) = (num(it.next()?)?, num(it.next()?)?);
            return (it.next().is_none() && a <= b).then_some(AmountTest::Between(a, b));
        }
        for (op, make) in [
            ("<=", AmountTest::Le as fn(Decimal) -> AmountTest),
            (">=", AmountTest::Ge),
            ("<", AmountTest::Lt),
            (">", AmountTest::Gt),
            ("=", AmountTest::Eq),
        ] {
            if let Some(rest) = s.strip_prefix(op) {
                return num(rest).map(make);
            }
        }
        None
    }

    pub fn test(self, x: Decimal) -> bool {
        match self {
            AmountTest::Lt(a) => x < a,
            AmountTest::Le(a) => x <= a,
            AmountTest::Gt(a) => x > a,
            AmountTest::Ge(a) => x >= a,
            AmountTest::Eq(a) => x == a,
            AmountTest::Between(a, b) => a <= x && x <= b,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub name: String,
    pub description: Option<regex::Regex>,
    pub amount: Option<AmountTest>,
    pub account: Option<String>,
    pub action: Action,
    /// The line of its `[[rule]]` in the file.
    pub line: usize,
}

impl Rule {
    /// Whether it catches a line of `account` with this text and amount.
    pub fn catches(&self, account: &str, text: &str, amount: Decimal) -> bool {
        self.account.as_deref().is_none_or(|a| a == account)
            && self.amount.is_none_or(|t| t.test(amount))
            && self.description.as_ref().is_none_or(|r| r.is_match(text))
    }
}

/// What a rule's pattern is matched against: the description, then the
/// counterparty when there is one.
pub fn rule_text(description: &str, counterparty: &str) -> String {
    if counterparty.is_empty() {
        description.to_owned()
    } else {
        format!("{description} {counterparty}")
    }
}

/// A company's rules, in file order.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    pub rules: Vec<Rule>,
    /// Where they came from (`--rules FILE`, the config file, the store), for messages.
    pub origin: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    name: Option<String>,
    description: Option<String>,
    amount: Option<String>,
    account: Option<String>,
    category: Option<String>,
    #[serde(rename = "match")]
    match_: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    #[serde(default)]
    rule: Vec<RuleSpec>,
}

/// The line (1-based) of each `[[rule]]` header, and of a field in a rule's block.
fn header_lines(text: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.split('#').next().unwrap_or("").trim() == "[[rule]]")
        .map(|(i, _)| i + 1)
        .collect()
}

fn field_line(text: &str, from: usize, field: &str) -> usize {
    text.lines()
        .enumerate()
        .skip(from)
        .take_while(|(i, l)| *i + 1 == from || !l.trim_start().starts_with('['))
        .find(|(_, l)| {
            let t = l.trim_start();
            t.strip_prefix(field).is_some_and(|r| r.trim_start().starts_with('='))
        })
        .map_or(from, |(i, _)| i + 1)
}

impl Rules {
    /// Reads rules from TOML; a bad rule is refused naming its name and line.
    pub fn parse(text: &str, origin: &str) -> Result<Rules, String> {
        let file: RulesFile = toml::from_str(text).map_err(|e| format!("{origin}: {}", e.to_string().trim_end()))?;
        let heads = header_lines(text);
        let mut rules = Vec::new();
        for (k, spec) in file.rule.into_iter().enumerate() {
            let at = heads.get(k).copied().unwrap_or(0);
            let name = spec.name.clone().unwrap_or_else(|| format!("rule {}", k + 1));
            let bad = |field: &str, why: String| {
                format!(
                    "{origin}, line {}: rule {name:?}: {field}: {why}",
                    field_line(text, at, field)
                )
            };
            let description = match &spec.description {
                Some(p) => Some(regex::Regex::new(p).map_err(|e| {
                    bad(
                        "description",
                        format!(
                            "not a regular expression ({})",
                            e.to_string().lines().last().unwrap_or("").trim()
                        ),
                    )
                })?),
                None => None,
            };
            let amount = match &spec.amount {
                Some(a) => Some(AmountTest::parse(a).ok_or_else(|| {
                    bad(
                        "amount",
                        format!("{a:?}: expected \"< 0\", \"> 0\", \"<= 100\", \"= 12.50\" or \"between -500 0\""),
                    )
                })?),
                None => None,
            };
            let action = match (&spec.category, &spec.match_) {
                (Some(c), None) => Action::Categorise(Category::parse(c).ok_or_else(|| {
                    bad(
                        "category",
                        format!(
                            "{c:?}: expected one of {}",
                            Category::ALL.map(Category::as_str).join(", ")
                        ),
                    )
                })?),
                (None, Some(m)) if m.trim() == "invoices" => Action::MatchInvoices,
                (None, Some(m)) => return Err(bad("match", format!("{m:?}: the only value is \"invoices\""))),
                (Some(_), Some(_)) => {
                    return Err(bad(
                        "category",
                        "give a category or match = \"invoices\", not both".into(),
                    ));
                }
                (None, None) => {
                    return Err(bad(
                        "category",
                        "missing: give a category or match = \"invoices\"".into(),
                    ));
                }
            };
            rules.push(Rule {
                name,
                description,
                amount,
                account: spec.account.map(|a| a.trim().to_owned()),
                action,
                line: at,
            });
        }
        Ok(Rules {
            rules,
            origin: origin.to_owned(),
        })
    }

    /// The first rule that catches the line, with its index.
    pub fn first(&self, account: &str, description: &str, counterparty: &str, amount: Decimal) -> Option<&Rule> {
        let text = rule_text(description, counterparty);
        self.rules.iter().find(|r| r.catches(account, &text, amount))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: &str = r#"
# Bank fees first.
[[rule]]
name = "Bank fees"
description = "(?i)^comision"
amount = "< 0"
category = "opex"

[[rule]]
name = "Customer receipts"
description = "(?i)spei recibido|deposito"
amount = "> 0"
match = "invoices"

[[rule]]
name = "Payroll"
description = "(?i)nomina"
account = "BBVA"
amount = "between -100000 0"
category = "opex"
"#;

    #[test]
    fn first_matching_rule_wins_in_file_order() {
        let r = Rules::parse(RULES, "rules.toml").unwrap();
        let n = Decimal::from;
        assert_eq!(
            r.first("BBVA", "COMISION SPEI", "", n(-5)).map(|r| r.name.as_str()),
            Some("Bank fees")
        );
        assert_eq!(r.first("BBVA", "COMISION", "", n(5)).map(|r| r.name.as_str()), None);
        assert_eq!(
            r.first("BBVA", "SPEI RECIBIDO", "ACME", n(5)).map(|r| r.action),
            Some(Action::MatchInvoices)
        );
        assert!(r.first("Chase", "NOMINA", "", n(-50)).is_none());
        assert_eq!(r.first("BBVA", "PAGO NOMINA", "", n(-50)).map(|r| r.line), Some(15));
    }

    #[test]
    fn a_bad_rule_is_refused_naming_it_and_its_line() {
        let bad = RULES.replace("(?i)nomina", "(?i)nomina(");
        let e = Rules::parse(&bad, "rules.toml").unwrap_err();
        assert!(
            e.starts_with("rules.toml, line 17: rule \"Payroll\": description"),
            "{e}"
        );
        let bad = RULES.replace(
            "\"opex\"\n\n[[rule]]\nname = \"Customer",
            "\"opx\"\n\n[[rule]]\nname = \"Customer",
        );
        let e = Rules::parse(&bad, "rules.toml").unwrap_err();
        assert!(e.contains("line 7") && e.contains("\"opx\""), "{e}");
        assert!(Rules::parse("[[rule]]\nname = 1", "f").is_err());
    }

    #[test]
    fn amount_tests() {
        let t = |s: &str, x: i64| AmountTest::parse(s).unwrap().test(Decimal::from(x));
        assert!(t("< 0", -1) && !t("< 0", 0) && t("between -500 0", -500) && t("between -500 0", 0));
        assert!(t(">= 10", 10) && t("= 3", 3) && !t("> 0", 0));
        assert!(AmountTest::parse("between 5 1").is_none() && AmountTest::parse("about 3").is_none());
    }
}
