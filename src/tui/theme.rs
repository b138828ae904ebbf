//! Themes: TOML files (`themes/` shipped in the binary, plus the user's config
//! directory). `NO_COLOR` gives a monochrome theme that marks with bold and
//! reverse video; without truecolor, `#rrggbb` maps to the 256-colour palette.

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    name: String,
    background: String,
    text: String,
    muted: String,
    accent: String,
    border: String,
    title: String,
    selection_bg: String,
    selection_fg: String,
    good: String,
    warn: String,
    bad: String,
    history: String,
    projection: String,
    /// `"minus"` (default): `-1,234`; `"parentheses"`: `(1,234)`, as accountants write losses.
    #[serde(default)]
    negatives: Option<String>,
}

/// The styles every view draws with.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    pub base: Style,
    pub muted: Style,
    pub accent: Style,
    pub border: Style,
    pub title: Style,
    pub selected: Style,
    pub good: Style,
    pub warn: Style,
    pub bad: Style,
    pub history: Style,
    pub projection: Style,
    /// Negative figures in tables as `(1,234)` instead of `-1,234`.
    pub parentheses: bool,
}

pub const BUILTIN: [(&str, &str); 3] = [
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    ("high-contrast", include_str!("../../themes/high-contrast.toml")),
];

/// What the terminal can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Palette {
    TrueColor,
    Indexed256,
    NoColor,
}

impl Palette {
    pub fn detect() -> Palette {
        if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
            return Palette::NoColor;
        }
        match supports_color::on(supports_color::Stream::Stdout) {
            None => Palette::NoColor,
            Some(level) if level.has_16m => Palette::TrueColor,
            // 16-colour terminals get the 256 palette's nearest entries too.
            Some(_) => Palette::Indexed256,
        }
    }
}

fn parse_color(s: &str, palette: Palette) -> Result<Color, String> {
    let s = s.trim();
    if let Some(hex) = s.strip_prefix('#') {
        let v = u32::from_str_radix(hex, 16).map_err(|_| format!("{s:?} is not a #rrggbb colour"))?;
        if hex.len() != 6 {
            return Err(format!("{s:?} is not a #rrggbb colour"));
        }
        let (r, g, b) = ((v >> 16) as u8, (v >> 8) as u8, v as u8);
        return Ok(match palette {
            Palette::TrueColor => Color::Rgb(r, g, b),
            _ => Color::Indexed(nearest_256(r, g, b)),
        });
    }
    Ok(match s.to_ascii_lowercase().as_str() {
        "reset" | "default" => Color::Reset,
        "black" => Color::Black,
        "red" => Color::Red,
        "green" => Color::Green,
        "yellow" => Color::Yellow,
        "blue" => Color::Blue,
        "magenta" => Color::Magenta,
        "cyan" => Color::Cyan,
        "gray" | "grey" => Color::Gray,
        "darkgray" | "darkgrey" => Color::DarkGray,
        "white" => Color::White,
        _ => {
            return Err(format!(
                "{s:?} is not a colour (#rrggbb or a name such as red, gray, reset)"
            ));
        }
    })
}

/// The nearest colour of the xterm 256 palette (6×6×6 cube or grey ramp).
pub fn nearest_256(r: u8, g: u8, b: u8) -> u8 {
    const LEVELS: [u8; 6] = [0, 95, 135, 175, 215, 255];
    let level = |c: u8| {
        (0..6)
            .min_by_key(|i| (i32::from(LEVELS[*i]) - i32::from(c)).abs())
            .unwrap_or(0)
    };
    let (ri, gi, bi) = (level(r), level(g), level(b));
    let cube = (LEVELS[ri], LEVELS[gi], LEVELS[bi]);
    let dist = |a: (u8, u8, u8)| {
        let d = |x: u8, y: u8| (i32::from(x) - i32::from(y)).pow(2);
        d(a.0, r) + d(a.1, g) + d(a.2, b)
    };
    let avg = (u32::from(r) + u32::from(g) + u32::from(b)) / 3;
    let grey_i = ((avg.saturating_sub(8)) / 10).min(23) as u8;
    let grey_v = 8 + 10 * grey_i;
    if dist((grey_v, grey_v, grey_v)) < dist(cube) {
        232 + grey_i
    } else {
        16 + 36 * ri as u8 + 6 * gi as u8 + bi as u8
    }
}

impl Theme {
    /// Parses a theme file; the error names the key and the expected value.
    pub fn parse(text: &str, palette: Palette) -> Result<Theme, String> {
        let f: ThemeFile = toml::from_str(text).map_err(|e| e.message().to_owned())?;
        let parentheses = match f.negatives.as_deref() {
            None | Some("minus") => false,
            Some("parentheses") => true,
            Some(other) => return Err(format!("negatives: {other:?} is not minus or parentheses")),
        };
        if palette == Palette::NoColor {
            return Ok(Theme {
                parentheses,
                ..Theme::monochrome(&f.name)
            });
        }
        let c = |key: &str, v: &str| parse_color(v, palette).map_err(|e| format!("{key}: {e}"));
        let bg = c("background", &f.background)?;
        let fg = |key: &str, v: &str| -> Result<Style, String> { Ok(Style::new().fg(c(key, v)?).bg(bg)) };
        Ok(Theme {
            name: f.name.clone(),
            base: fg("text", &f.text)?,
            muted: fg("muted", &f.muted)?,
            accent: fg("accent", &f.accent)?.add_modifier(Modifier::BOLD),
            border: fg("border", &f.border)?,
            title: fg("title", &f.title)?.add_modifier(Modifier::BOLD),
            selected: Style::new()
                .fg(c("selection_fg", &f.selection_fg)?)
                .bg(c("selection_bg", &f.selection_bg)?)
                .add_modifier(Modifier::BOLD),
            good: fg("good", &f.good)?,
            warn: fg("warn", &f.warn)?,
            bad: fg("bad", &f.bad)?.add_modifier(Modifier::BOLD),
            history: fg("history", &f.history)?,
            projection: fg("projection", &f.projection)?,
            parentheses,
        })
    }

    /// No colours at all: emphasis by bold, underline and reverse video only.
    pub fn monochrome(name: &str) -> Theme {
        let plain = Style::new();
        Theme {
            name: name.to_owned(),
            base: plain,
            muted: plain.add_modifier(Modifier::DIM),
            accent: plain.add_modifier(Modifier::BOLD),
            border: plain,
            title: plain.add_modifier(Modifier::BOLD),
            selected: plain.add_modifier(Modifier::REVERSED),
            good: plain,
            warn: plain.add_modifier(Modifier::UNDERLINED),
            bad: plain.add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            history: plain,
            projection: plain.add_modifier(Modifier::DIM),
            parentheses: false,
        }
    }

    /// A theme by name: the user's `<config>/themes/NAME.toml` first, then the built-ins.
    pub fn load(name: &str, palette: Palette) -> Result<Theme, String> {
        if let Some(dirs) = crate::config::project_dirs() {
            let path = dirs.config_dir().join("themes").join(format!("{name}.toml"));
            if let Ok(text) = std::fs::read_to_string(&path) {
                return Theme::parse(&text, palette).map_err(|e| format!("theme {}: {e}", path.display()));
            }
        }
        let (_, text) = BUILTIN
            .iter()
            .find(|(n, _)| *n == name)
            .ok_or_else(|| format!("no theme named {name:?} (built in: dark, light, high-contrast)"))?;
        Theme::parse(text, palette).map_err(|e| format!("theme {name}: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_themes_parse_in_every_palette() {
        for (name, text) in BUILTIN {
            for p in [Palette::TrueColor, Palette::Indexed256, Palette::NoColor] {
                let t = Theme::parse(text, p).unwrap_or_else(|e| panic!("{name}: {e}"));
                if p == Palette::Indexed256 {
                    assert!(
                        !format!("{t:?}").contains("Rgb"),
                        "{name}: no truecolor on a 256-colour terminal"
                    );
                }
                if p == Palette::NoColor {
                    assert!(
                        !format!("{t:?}").contains("fg: Some"),
                        "{name}: no colour with NO_COLOR"
                    );
                }
            }
        }
    }

    #[test]
    fn maps_to_the_256_palette() {
        assert_eq!(nearest_256(0, 0, 0), 16);
        assert_eq!(nearest_256(255, 255, 255), 231);
        assert_eq!(nearest_256(255, 0, 0), 196);
        assert_eq!(nearest_256(128, 128, 128), 244);
    }

    #[test]
    fn a_bad_colour_names_its_key() {
        let bad = BUILTIN[0].1.replace("#e06c75", "#zz0000");
        assert!(Theme::parse(&bad, Palette::TrueColor).unwrap_err().starts_with("bad:"));
    }
}
