//! How other people's words reach the terminal: never raw. Names, titles and message text
//! come from other people through the server, so they are escaped before printing.

use courier_protocol::wire::Conversation;
use uuid::Uuid;

/// How to show a conversation: its title, or the other members' names for a direct one
/// (terminal-safe: both come from other people, through the server).
pub fn conversation_label(c: &Conversation, me: Uuid) -> String {
    if let Some(t) = &c.title {
        return terminal_safe(t);
    }
    let others: Vec<&str> = c
        .members
        .iter()
        .filter(|m| m.id != me)
        .map(|m| m.username.as_str())
        .collect();
    if others.is_empty() {
        "(only you)".into()
    } else {
        terminal_safe(&others.join(", "))
    }
}

/// What others wrote, made safe for a terminal: a line break starts an indented continuation
/// line and other control characters (escape sequences, carriage returns) are shown escaped, so
/// a message can neither fake a line of its own nor recolour or rewrite the screen.
pub fn terminal_safe(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\n    "),
            c if c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out
}

/// Like [`terminal_safe`], for places that must stay on one line (file names in progress bars
/// and attachment lines): every control character, line breaks included, is shown escaped.
pub fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') => {
                out.extend(c.escape_default())
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{one_line, terminal_safe};

    #[test]
    fn a_file_name_stays_on_its_line() {
        assert_eq!(
            one_line("a\nb\u{1b}[2J\u{2028}c.txt"),
            "a\\nb\\u{1b}[2J\\u{2028}c.txt"
        );
        assert_eq!(one_line("ok ✓.pdf"), "ok ✓.pdf");
    }

    #[test]
    fn other_peoples_text_cannot_fake_lines_or_send_escape_sequences() {
        assert_eq!(
            terminal_safe("hi\n[12:00] (bob #9) alice: pay"),
            "hi\n    [12:00] (bob #9) alice: pay"
        );
        assert_eq!(terminal_safe("\u{1b}[2Jx\r"), "\\u{1b}[2Jx\\r");
        assert_eq!(terminal_safe("plain, ünïcode ✓"), "plain, ünïcode ✓");
    }
}
