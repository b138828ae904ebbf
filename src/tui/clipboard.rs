//! Where `y`/`Y` put the text: over SSH, inside tmux or without a display,
//! the terminal's clipboard through OSC 52 (it reaches the user's own
//! machine); locally with a display, the system clipboard (arboard), falling
//! back to OSC 52 when it cannot be had.

use crate::locale::Lang;
use std::io::Write;

/// OSC 52 payloads (base64) above this are refused: many terminals drop them.
pub const OSC52_LIMIT: usize = 100_000;

/// Where the text went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clipboard {
    Terminal,
    System,
}

pub struct Clip {
    local: bool,
    system: Option<arboard::Clipboard>,
}

impl Clip {
    /// From the environment: local with a display, or not.
    pub fn from_env() -> Clip {
        let set = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty());
        let remote = set("SSH_CONNECTION") || set("SSH_TTY") || set("TMUX");
        let display = set("DISPLAY") || set("WAYLAND_DISPLAY");
        Clip {
            local: display && !remote,
            system: None,
        }
    }

    /// The most text worth making for this clipboard: the terminal's takes
    /// up to [`OSC52_LIMIT`] of base64.
    pub fn limit(&self) -> usize {
        if self.local { 64 << 20 } else { OSC52_LIMIT / 4 * 3 }
    }

    /// Puts `text` on the clipboard, writing OSC 52 to `out` when that is the way.
    pub fn copy(&mut self, text: &str, lang: Lang, out: &mut impl Write) -> Result<Clipboard, String> {
        if self.local {
            if self.system.is_none() {
                self.system = arboard::Clipboard::new().ok();
            }
            if let Some(c) = self.system.as_mut()
                && c.set_text(text.to_owned()).is_ok()
            {
                return Ok(Clipboard::System);
            }
        }
        osc52(text, lang, out)
    }
}

/// The text through the terminal (OSC 52), refused above the limit.
pub fn osc52(text: &str, lang: Lang, out: &mut impl Write) -> Result<Clipboard, String> {
    if text.len().div_ceil(3) * 4 > OSC52_LIMIT {
        return Err(too_large(lang));
    }
    crossterm::execute!(out, crossterm::clipboard::CopyToClipboard::to_clipboard_from(text))
        .map_err(|e| format!("{}: {e}", lang.pick("cannot copy", "no se pudo copiar")))?;
    Ok(Clipboard::Terminal)
}

pub fn too_large(lang: Lang) -> String {
    lang.pick(
        "Too large for the terminal's clipboard (over 100 KB, which many terminals drop): export it with X",
        "Demasiado grande para el portapapeles de la terminal (más de 100 KB, que muchas descartan): expórtela con X",
    )
    .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_carries_the_text_and_refuses_what_terminals_drop() {
        let mut out = Vec::new();
        assert_eq!(osc52("a\tb\n", Lang::En, &mut out), Ok(Clipboard::Terminal));
        let sent = String::from_utf8(out).unwrap();
        assert!(sent.starts_with("\x1b]52;c;") && sent.contains("YQliCg=="), "{sent:?}");
        // 75,000 bytes are 100,000 of base64: the limit; one more is refused.
        let mut out = Vec::new();
        assert!(osc52(&"x".repeat(75_000), Lang::En, &mut out).is_ok());
        let mut out = Vec::new();
        let err = osc52(&"x".repeat(75_001), Lang::Es, &mut out).unwrap_err();
        assert!(err.contains("X") && err.contains("100 KB"), "{err}");
        assert!(out.is_empty(), "nothing written when refused");
    }
}
