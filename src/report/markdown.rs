//! The report for people: Markdown with the company's separators, in the
//! interface language. Names from outside are sanitised and table-escaped.

use super::CALL_LIST_LEN;
use crate::domain::Company;
use crate::finance::{Pillar, Snapshot};
use crate::locale::{Lang, Separators, group, percent};
use crate::sanitize;
use rust_decimal::Decimal;
use std::fmt::Write;

struct Fmt {
    sep: Separators,
    currency: String,
}

impl Fmt {
    fn money(&self, d: Option<Decimal>) -> String {
        d.map_or("—".into(), |v| format!("{} {}", group(v, 2, self.sep), self.currency))
    }
    fn pct(&self, d: Option<Decimal>) -> String {
        d.map_or("—".into(), |v| percent(v, self.sep))
    }
    fn num(&self, d: Option<Decimal>, dp: u32) -> String {
        d.map_or("—".into(), |v| group(v, dp, self.sep))
    }
}

/// Makes outside text safe inside a Markdown table cell.
fn cell(s: &str) -> String {
    sanitize::clean(s).replace('|', "\\|")
}

pub fn to_markdown(company: &Company, s: &Snapshot, lang: Lang) -> String {
    let f = Fmt {
        sep: Separators::for_locale(&company.locale),
        currency: sanitize::clean(&company.currency),
    };
    let t = |en, es| lang.pick(en, es);
    let mut o = String::new();
    let _ = writeln!(
        o,
        "# {} — {} {}\n",
        cell(&company.name),
        t("report as of", "reporte al"),
        s.as_of
    );
    if let Some(note) = s
        .translation
        .as_ref()
        .and_then(|t| super::translation_note(t, s.as_of, lang))
    {
        let _ = writeln!(o, "{note}\n");
    }

    let h = &s.health;
    let _ = writeln!(o, "## {}\n", t("Health score", "Salud financiera"));
    let score = |v: Option<Decimal>| v.map_or("NM".to_owned(), |v| group(v, 1, f.sep));
    let _ = writeln!(o, "**{}: {} / 100**\n", t("Total", "Total"), score(h.total_score));
    let _ = writeln!(
        o,
        "| {} | {} |\n| --- | ---: |",
        t("Pillar", "Pilar"),
        t("Score", "Puntaje")
    );
    for p in Pillar::ALL {
        let _ = writeln!(o, "| {} | {} |", pillar_label(p, lang), score(h.pillar(p)));
    }
    if let Some(p) = h.focus_area {
        let _ = writeln!(
            o,
            "\n{}: **{}**",
            t("Focus area", "Área a atender"),
            pillar_label(p, lang)
        );
    }

    let mut table = |title: &str, rows: Vec<(&str, String)>| {
        let _ = writeln!(
            o,
            "\n## {title}\n\n| {} | {} |\n| --- | ---: |",
            t("Metric", "Métrica"),
            t("Value", "Valor")
        );
        for (k, v) in rows {
            let _ = writeln!(o, "| {k} | {v} |");
        }
    };
    let p = &s.profitability;
    table(
        t(
            "Profitability (trailing twelve months)",
            "Rentabilidad (últimos doce meses)",
        ),
        vec![
            (t("Revenue", "Ingresos"), f.money(Some(p.revenue_ttm))),
            (t("Gross margin", "Margen bruto"), f.pct(p.gross_margin)),
            (t("Operating margin", "Margen operativo"), f.pct(p.operating_margin)),
            ("EBITDA", f.pct(p.ebitda_margin)),
            (t("Net margin", "Margen neto"), f.pct(p.net_margin)),
            (
                t("Break-even revenue (monthly)", "Punto de equilibrio (mensual)"),
                f.money(p.break_even_revenue),
            ),
        ],
    );
    let u = &s.unit_economics;
    table(
        t(
            "Unit economics (last three months)",
            "Economía unitaria (últimos tres meses)",
        ),
        vec![
            (
                t("ARPA (monthly)", "Ingreso promedio por cliente (ARPA)"),
                f.money(u.arpa),
            ),
            (
                t("Customer churn (monthly)", "Cancelación de clientes (churn)"),
                f.pct(u.customer_churn),
            ),
            ("LTV", f.money(u.ltv)),
            ("CAC", f.money(u.cac)),
            ("LTV:CAC", f.num(u.ltv_to_cac, 2)),
            (
                t("CAC payback (months)", "Recuperación del CAC (meses)"),
                f.num(u.cac_payback_months, 1),
            ),
        ],
    );
    let c = &s.cash_flow;
    table(
        t("Cash flow", "Flujo de caja"),
        vec![
            (t("Ending cash", "Caja al cierre"), f.money(Some(c.cash_end))),
            (
                t("Net burn (monthly, T3M)", "Quema de caja neta (mensual, 3m)"),
                f.money(c.net_burn),
            ),
            (
                t("Gross burn (monthly)", "Quema de caja bruta (mensual)"),
                f.money(c.gross_burn),
            ),
            (
                t("Runway (months)", "Meses de caja (runway)"),
                f.num(c.runway_months, 1),
            ),
            (
                t("Cash-zero month", "Mes en que se agota la caja"),
                c.cash_zero_month.map_or("—".into(), |m| m.to_string()),
            ),
        ],
    );
    let g = &s.growth;
    table(
        t("Growth", "Crecimiento"),
        vec![
            (
                t("Revenue, month on month", "Ingresos, mes contra mes"),
                f.pct(g.revenue_mom),
            ),
            (
                t("Revenue, year on year", "Ingresos, año contra año"),
                f.pct(g.revenue_yoy),
            ),
            (
                t("Revenue growth (TTM)", "Crecimiento de ingresos (12 meses)"),
                f.pct(g.revenue_growth_ttm),
            ),
            ("CMGR 3", f.pct(g.cmgr_3)),
            ("CMGR 12", f.pct(g.cmgr_12)),
            (t("Burn multiple", "Múltiplo de quema"), f.num(g.burn_multiple, 2)),
            (t("Rule of 40", "Regla del 40"), f.pct(g.rule_of_40)),
        ],
    );
    let k = &s.collections;
    table(
        t("Collections", "Cobranza"),
        vec![
            (
                t("Accounts receivable", "Cuentas por cobrar"),
                f.money(Some(k.ar_total)),
            ),
            (t("Current", "Vigente"), f.money(Some(k.aging.current))),
            (
                t("1-30 days past due", "Vencido 1-30 días"),
                f.money(Some(k.aging.d1_30)),
            ),
            (
                t("31-60 days past due", "Vencido 31-60 días"),
                f.money(Some(k.aging.d31_60)),
            ),
            (
                t("61-90 days past due", "Vencido 61-90 días"),
                f.money(Some(k.aging.d61_90)),
            ),
            (
                t("Over 90 days past due", "Vencido más de 90 días"),
                f.money(Some(k.aging.d90_plus)),
            ),
            (t("Overdue share", "Proporción vencida"), f.pct(k.overdue_share)),
            (t("DSO (days)", "Días de cobro (DSO)"), f.num(k.dso, 1)),
            (
                t("Collection effectiveness (CEI)", "Efectividad de cobranza (CEI)"),
                f.pct(k.cei),
            ),
        ],
    );
    if !k.call_list.is_empty() {
        let _ = writeln!(
            o,
            "\n### {}\n\n| # | {} | {} ({}) | {} | {} |\n| ---: | --- | ---: | ---: | ---: |",
            t("Call first", "Lista de cobro prioritaria"),
            t("Customer", "Cliente"),
            t("Open", "Saldo"),
            f.currency,
            t("Max days past due", "Máx. días vencido"),
            t("Score", "Puntaje"),
        );
        for (i, e) in k.call_list.iter().take(CALL_LIST_LEN).enumerate() {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} |",
                i + 1,
                cell(&e.customer),
                f.num(Some(e.open), 2),
                e.max_days_past_due,
                group(e.score, 0, f.sep)
            );
        }
    }
    if !s.pricing.is_empty() {
        let _ = writeln!(
            o,
            "\n## {}\n\n| SKU | {} | {} ({cur}) | {} ({cur}) | {} ({cur}) | Markup | {} |\n| --- | --- | ---: | ---: | ---: | ---: | ---: |",
            t("Costs & pricing", "Costos y precios"),
            t("Product", "Producto"),
            t("Price", "Precio"),
            t("Unit cost", "Costo unitario"),
            t("Contribution margin", "Margen de contribución"),
            t("Break-even units", "Unidades de equilibrio"),
            cur = f.currency,
        );
        for p in &s.pricing {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} ({}) | {} | {} |",
                cell(&p.sku),
                cell(&p.name),
                f.num(Some(p.unit_price), 2),
                f.num(Some(p.unit_cost), 2),
                f.num(Some(p.contribution_margin), 2),
                f.pct(p.contribution_margin_ratio),
                f.pct(p.markup),
                p.break_even_units
                    .map_or("—".into(), |u| group(Decimal::from(u), 0, f.sep)),
            );
        }
    }
    let recent: Vec<_> = s.monthly.iter().rev().take(12).rev().collect();
    let _ = writeln!(
        o,
        "\n## {}\n\n| {} | {} ({cur}) | {} | {} ({cur}) | {} ({cur}) | {} ({cur}) |\n| --- | ---: | ---: | ---: | ---: | ---: |",
        t("Last twelve months", "Últimos doce meses"),
        t("Month", "Mes"),
        t("Revenue", "Ingresos"),
        t("Gross margin", "Margen bruto"),
        t("Net income", "Utilidad neta"),
        t("Net cash flow", "Flujo neto"),
        t("Ending cash", "Caja al cierre"),
        cur = f.currency,
    );
    for m in recent {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} |",
            m.month,
            f.num(Some(m.revenue), 2),
            f.pct(m.gross_margin),
            f.num(Some(m.net_income), 2),
            f.num(m.net_cash_flow, 2),
            f.num(Some(m.cash_end), 2),
        );
    }
    o
}

pub fn pillar_label(p: Pillar, lang: Lang) -> &'static str {
    match (p, lang) {
        (Pillar::Profitability, Lang::En) => "Profitability",
        (Pillar::Profitability, Lang::Es) => "Rentabilidad",
        (Pillar::UnitEconomics, Lang::En) => "Unit economics",
        (Pillar::UnitEconomics, Lang::Es) => "Economía unitaria",
        (Pillar::CashFlow, Lang::En) => "Cash flow",
        (Pillar::CashFlow, Lang::Es) => "Flujo de caja",
        (Pillar::GrowthEfficiency, Lang::En) => "Growth efficiency",
        (Pillar::GrowthEfficiency, Lang::Es) => "Eficiencia del crecimiento",
    }
}
