//! Small drawing pieces shared by the views: metric cards, KPI tiles with a
//! sparkline, a scrolling window over long tables.

use super::data::Series;
use super::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::{Alignment, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, BorderType, Borders, Chart, Dataset, Paragraph, Sparkline, Widget};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

pub fn block<'a>(title: &'a str, theme: &Theme) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(theme.border)
        .title(Span::styled(format!(" {title} "), theme.title))
}

/// A labelled value in a box.
pub fn card(buf: &mut Buffer, area: Rect, theme: &Theme, label: &str, value: &str, style: Style) {
    let b = block(label, theme);
    let inner = b.inner(area);
    b.render(area, buf);
    Paragraph::new(Line::from(Span::styled(value.to_owned(), style)))
        .alignment(Alignment::Center)
        .render(inner, buf);
}

/// Bar heights for a sparkline: each value's place between the window's
/// minimum and maximum, 1..=8 (0 for a month that cannot be computed). Only
/// screen positions come out of this, never a figure.
pub fn bars(series: &Series) -> Vec<u64> {
    let present: Vec<Decimal> = series.iter().flatten().copied().collect();
    let (Some(min), Some(max)) = (present.iter().min().copied(), present.iter().max().copied()) else {
        return vec![0; series.len()];
    };
    let span = max - min;
    series
        .iter()
        .map(|v| match v {
            None => 0,
            Some(_) if span.is_zero() => 4,
            Some(v) => ((*v - min) * Decimal::from(7) / span).round().to_u64().unwrap_or(0) + 1,
        })
        .collect()
}

/// A change shown on a KPI card: the full text, a short one for narrow
/// cards, and its style (good or bad by the metric's direction).
#[derive(Debug, Clone)]
pub struct Change {
    pub full: String,
    pub short: String,
    pub style: Style,
}

/// A KPI card: its label, value and style, the change against the previous
/// month, the change against the budget (when one is locked), and its history.
pub struct Kpi<'a> {
    pub label: &'a str,
    pub value: String,
    pub style: Style,
    pub change: Option<Change>,
    pub budget: Option<Change>,
    pub series: &'a Series,
    pub months: &'a [crate::domain::Month],
}

/// Draws a KPI card: the value with its change on the first line (the short
/// form when the full one does not fit), the change against the budget under
/// it, then the history as a sparkline as wide as the card (as many months as
/// there are columns, up to the history's length), the first and last month
/// labelled when there is a row for them.
pub fn tile(buf: &mut Buffer, area: Rect, theme: &Theme, k: &Kpi) {
    let b = block(k.label, theme);
    let inner = b.inner(area);
    b.render(area, buf);
    if inner.height == 0 {
        return;
    }
    let width = inner.width as usize;
    let value_w = crate::sanitize::width(&k.value);
    let mut first = vec![Span::styled(k.value.clone(), k.style)];
    if let Some(c) = &k.change {
        let text = [&c.full, &c.short]
            .into_iter()
            .find(|t| value_w + 2 + crate::sanitize::width(t) <= width);
        if let Some(text) = text {
            let pad = width - value_w - crate::sanitize::width(text);
            first.push(Span::raw(" ".repeat(pad)));
            first.push(Span::styled(text.clone(), c.style));
        }
    }
    Paragraph::new(Line::from(first)).render(Rect { height: 1, ..inner }, buf);
    let mut y = inner.y + 1;
    let bottom = inner.y + inner.height;
    if let Some(c) = &k.budget
        && y < bottom
    {
        let text = if crate::sanitize::width(&c.full) <= width {
            &c.full
        } else {
            &c.short
        };
        Paragraph::new(Line::from(Span::styled(text.clone(), c.style))).render(Rect { y, height: 1, ..inner }, buf);
        y += 1;
    }
    // Leading months without a value are not drawn: the history starts where the data does.
    let known = k.series.iter().position(Option::is_some).unwrap_or(k.series.len());
    let series = &k.series[known..];
    let months = &k.months[known.min(k.months.len())..];
    let shown = series.len().min(width);
    let labels = bottom.saturating_sub(y) >= 3 && shown >= 2;
    let spark_h = bottom.saturating_sub(y) - u16::from(labels);
    if spark_h > 0 && shown > 0 {
        let data = bars(&series[series.len() - shown..].to_vec());
        Sparkline::default().data(&data).max(8).style(theme.accent).render(
            Rect {
                y,
                height: spark_h,
                ..inner
            },
            buf,
        );
    }
    if labels && months.len() >= shown {
        let (a, z) = (
            months[months.len() - shown].to_string(),
            months[months.len() - 1].to_string(),
        );
        let gap = shown.saturating_sub(a.len() + z.len());
        if a.len() + z.len() < shown {
            let line = format!("{a}{}{z}", " ".repeat(gap));
            Paragraph::new(Line::from(Span::styled(line, theme.muted))).render(
                Rect {
                    y: bottom - 1,
                    height: 1,
                    ..inner
                },
                buf,
            );
        }
    }
}

/// A chart of money over months: the y axis spans the values and zero and is
/// labelled with the figures; only plotting positions are f64.
#[allow(clippy::too_many_arguments)]
pub fn money_chart<'a>(
    buf: &mut Buffer,
    area: Rect,
    theme: &Theme,
    fmt: &super::format::Fmt,
    title: &'a str,
    datasets: Vec<Dataset<'a>>,
    points: usize,
    (first, last): (String, String),
    values: impl Iterator<Item = Decimal> + Clone,
) {
    let lo = values.clone().min().unwrap_or_default().min(Decimal::ZERO);
    let hi = values.max().unwrap_or_default().max(Decimal::ZERO);
    let (lo_f, hi_f) = (lo.to_f64().unwrap_or(0.0), hi.to_f64().unwrap_or(0.0));
    Chart::new(datasets)
        .block(block(title, theme))
        .x_axis(
            Axis::default()
                .bounds([0.0, points.max(2) as f64 - 1.0])
                .labels(vec![Span::styled(first, theme.muted), Span::styled(last, theme.muted)])
                .style(theme.muted),
        )
        .y_axis(
            Axis::default()
                .bounds([lo_f, hi_f.max(lo_f + 1.0)])
                .labels(vec![
                    Span::styled(fmt.money(Some(lo), true), theme.muted),
                    Span::styled(fmt.money(Some(hi), true), theme.muted),
                ])
                .style(theme.muted),
        )
        .style(theme.base)
        .render(area, buf);
}

/// The first row to show so that `selected` stays visible in `height` rows.
pub fn window_start(selected: usize, height: usize, total: usize) -> usize {
    if height == 0 || total <= height {
        return 0;
    }
    selected.saturating_sub(height - 1).min(total - height)
}

/// Splits `area` into `n` columns of equal width.
pub fn columns(area: Rect, n: u16) -> Vec<Rect> {
    let n = n.max(1);
    let w = area.width / n;
    (0..n)
        .map(|i| Rect {
            x: area.x + i * w,
            width: if i == n - 1 { area.width - w * (n - 1) } else { w },
            ..area
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_between_min_and_max() {
        let s = vec![
            Some(Decimal::from(10)),
            None,
            Some(Decimal::from(20)),
            Some(Decimal::from(15)),
        ];
        assert_eq!(bars(&s), vec![1, 0, 8, 5]);
        assert_eq!(bars(&vec![None, None]), vec![0, 0]);
        assert_eq!(bars(&vec![Some(Decimal::ONE); 3]), vec![4, 4, 4]);
    }

    #[test]
    fn window_keeps_the_selection_visible() {
        assert_eq!(window_start(0, 10, 100), 0);
        assert_eq!(window_start(15, 10, 100), 6);
        assert_eq!(window_start(99, 10, 100), 90);
        assert_eq!(window_start(5, 10, 8), 0);
    }
}
