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

/// A KPI: label, value, and the last twelve months as a sparkline.
pub fn tile(buf: &mut Buffer, area: Rect, theme: &Theme, label: &str, value: &str, style: Style, series: &Series) {
    let b = block(label, theme);
    let inner = b.inner(area);
    b.render(area, buf);
    if inner.height == 0 {
        return;
    }
    Paragraph::new(Line::from(Span::styled(value.to_owned(), style))).render(Rect { height: 1, ..inner }, buf);
    if inner.height > 1 {
        let spark = Rect {
            y: inner.y + 1,
            height: inner.height - 1,
            ..inner
        };
        let data = bars(series);
        let width = spark.width as usize;
        let start = data.len().saturating_sub(width);
        Sparkline::default()
            .data(&data[start..])
            .max(8)
            .style(theme.accent)
            .render(spark, buf);
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
