//! The one line editor of the interface: a filter, a what-if value, a
//! question, a path. Backspace deletes, printable characters the line accepts
//! are added up to its limit, Enter submits and Esc cancels; what the line
//! means is its owner's business.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key did to the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    /// The text changed.
    Changed,
    /// A key the line does not take (an arrow, a character it refuses).
    Ignored,
    Submit,
    Cancel,
}

/// Applies `key` to `text`: at most `limit` characters, each one `accept` allows.
pub fn edit(text: &mut String, key: &KeyEvent, limit: usize, accept: impl Fn(char) -> bool) -> Edit {
    match key.code {
        KeyCode::Esc => Edit::Cancel,
        KeyCode::Enter => Edit::Submit,
        KeyCode::Backspace => {
            if text.pop().is_some() {
                Edit::Changed
            } else {
                Edit::Ignored
            }
        }
        KeyCode::Char(c)
            if !c.is_control()
                && !key.modifiers.contains(KeyModifiers::CONTROL)
                && accept(c)
                && text.chars().count() < limit =>
        {
            text.push(c);
            Edit::Changed
        }
        _ => Edit::Ignored,
    }
}

/// Any printable character.
pub fn any(_: char) -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    #[test]
    fn typing_deleting_limits_and_the_two_ends() {
        let mut t = String::new();
        assert_eq!(edit(&mut t, &k(KeyCode::Char('a')), 2, any), Edit::Changed);
        assert_eq!(edit(&mut t, &k(KeyCode::Char('ñ')), 2, any), Edit::Changed);
        assert_eq!(
            edit(&mut t, &k(KeyCode::Char('b')), 2, any),
            Edit::Ignored,
            "at its limit"
        );
        assert_eq!(t, "añ");
        assert_eq!(edit(&mut t, &k(KeyCode::Backspace), 2, any), Edit::Changed);
        assert_eq!(
            edit(&mut t, &k(KeyCode::Char('x')), 9, |c| c.is_ascii_digit()),
            Edit::Ignored
        );
        let ctrl = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(edit(&mut t, &ctrl, 9, any), Edit::Ignored);
        assert_eq!(edit(&mut t, &k(KeyCode::Enter), 9, any), Edit::Submit);
        assert_eq!(edit(&mut t, &k(KeyCode::Esc), 9, any), Edit::Cancel);
        assert_eq!(t, "a");
    }
}
