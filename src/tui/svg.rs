//! A drawn buffer as SVG, for the screenshots in `assets/` (rendered from the
//! app itself, so they cannot drift from what it shows).

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use std::fmt::Write;

const CELL_W: f32 = 8.4;
const CELL_H: f32 = 17.0;

fn hex(c: Color, default: &str) -> String {
    match c {
        Color::Rgb(r, g, b) => format!("#{r:02x}{g:02x}{b:02x}"),
        Color::Black => "#000000".into(),
        Color::Red => "#e06c75".into(),
        Color::Green => "#a3be8c".into(),
        Color::Yellow => "#ebcb8b".into(),
        Color::Blue => "#5fafd7".into(),
        Color::Magenta => "#c678dd".into(),
        Color::Cyan => "#88c0d0".into(),
        Color::Gray => "#c0c0c0".into(),
        Color::DarkGray => "#7b8494".into(),
        Color::White => "#ffffff".into(),
        _ => default.into(),
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// One `<text>` per row; runs of equal style become `<tspan>`s; backgrounds are rects.
pub fn to_svg(buf: &Buffer) -> String {
    let (w, h) = (buf.area.width, buf.area.height);
    let (bg_default, fg_default) = ("#1e222a", "#d8dee9");
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{:.0}\" height=\"{:.0}\" font-family=\"DejaVu Sans Mono, Menlo, Consolas, monospace\" font-size=\"14\">\n<rect width=\"100%\" height=\"100%\" fill=\"{bg_default}\"/>\n",
        f32::from(w) * CELL_W,
        f32::from(h) * CELL_H
    );
    for y in 0..h {
        for x in 0..w {
            let cell = &buf[(x, y)];
            let reversed = cell.modifier.contains(Modifier::REVERSED);
            let bg = if reversed { cell.fg } else { cell.bg };
            if !matches!(bg, Color::Reset) || reversed {
                let _ = writeln!(
                    out,
                    "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\"/>",
                    f32::from(x) * CELL_W,
                    f32::from(y) * CELL_H,
                    CELL_W + 0.3,
                    CELL_H,
                    hex(bg, fg_default)
                );
            }
        }
        let _ = write!(
            out,
            "<text y=\"{:.1}\" xml:space=\"preserve\">",
            f32::from(y) * CELL_H + 13.0
        );
        let mut x = 0;
        while x < w {
            let cell = &buf[(x, y)];
            let style = (cell.fg, cell.modifier);
            let start = x;
            let mut text = String::new();
            while x < w && (buf[(x, y)].fg, buf[(x, y)].modifier) == style {
                text.push_str(buf[(x, y)].symbol());
                x += 1;
            }
            if text.trim().is_empty() {
                continue;
            }
            let reversed = style.1.contains(Modifier::REVERSED);
            let fill = if reversed {
                hex(cell.bg, bg_default)
            } else {
                hex(style.0, fg_default)
            };
            let weight = if style.1.contains(Modifier::BOLD) {
                " font-weight=\"bold\""
            } else {
                ""
            };
            let _ = write!(
                out,
                "<tspan x=\"{:.1}\" fill=\"{fill}\"{weight}>{}</tspan>",
                f32::from(start) * CELL_W,
                escape(&text)
            );
        }
        out.push_str("</text>\n");
    }
    out.push_str("</svg>\n");
    out
}
