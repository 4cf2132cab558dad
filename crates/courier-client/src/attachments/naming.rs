//! Names and types of attachments, both ways.
//!
//! Sending (§11.4): the local file name becomes a descriptor name that every reader accepts
//! (forbidden characters replaced, at most 255 characters), the extension a media type.
//! Saving (§11.5): the descriptor name is the sender's claim, so it is sanitised again for the
//! local file system: it can never name a directory, a hidden or option-like file (a
//! `.bash_profile` arriving in the home folder would run at the next login), a device name
//! Windows reserves, or bytes the file system refuses; and an existing file is never replaced
//! ([`numbered`] gives `name (1).ext`, `name (2).ext`, …).

use std::path::Path;

use courier_protocol::crypto::attachment::{is_valid_attachment_name, is_valid_media_type};
use courier_protocol::limits::MAX_ATTACHMENT_NAME_LEN;

/// The media type of unknown files.
pub const OCTET_STREAM: &str = "application/octet-stream";

/// Characters a descriptor name may not hold (§11.4): `/`, `\`, C0 and C1 controls, DEL, and
/// the bidirectional controls that make `photo`, U+202E, `gpj.exe` look like `photoexe.jpg`.
fn forbidden_in_descriptor(c: char) -> bool {
    matches!(c, '/' | '\\' | '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Characters a saved file name does not get: the descriptor's forbidden ones, those Windows
/// file systems refuse, and invisible ones that make a name look like another (zero-width
/// spaces and joiners, the byte order mark, line and paragraph separators).
fn forbidden_locally(c: char) -> bool {
    forbidden_in_descriptor(c)
        || matches!(
            c,
            '<' | '>' | ':' | '"' | '|' | '?' | '*' | '\u{200b}'
                ..='\u{200d}' | '\u{2028}' | '\u{2029}' | '\u{2060}' | '\u{feff}'
        )
}

/// `(stem, extension with its dot)`; a leading dot is not an extension, nor a long tail.
fn split_extension(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(i) if i > 0 && name.len() - i <= 16 => name.split_at(i),
        _ => (name, ""),
    }
}

/// `name` cut to at most `max` by `measure` (characters or bytes), keeping the extension.
fn truncate_keeping_extension(name: &str, max: usize, measure: fn(&str) -> usize) -> String {
    if measure(name) <= max {
        return name.to_owned();
    }
    let (stem, ext) = split_extension(name);
    let ext = if measure(ext) < max / 2 { ext } else { "" };
    let mut out = String::new();
    for c in stem.chars() {
        let mut next = out.clone();
        next.push(c);
        if measure(&next) + measure(ext) > max {
            break;
        }
        out = next;
    }
    out.push_str(ext);
    out
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

fn bytes(s: &str) -> usize {
    s.len()
}

/// The descriptor name for a local file (§11.4): its file name with every forbidden
/// character replaced by `_`, at most 255 characters; `file` when nothing usable is left.
pub fn attachment_name(path: &Path) -> String {
    let raw = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let cleaned: String = raw
        .chars()
        .map(|c| if forbidden_in_descriptor(c) { '_' } else { c })
        .collect();
    let name = truncate_keeping_extension(cleaned.trim(), MAX_ATTACHMENT_NAME_LEN, chars);
    if is_valid_attachment_name(&name) {
        name
    } else {
        "file".to_owned()
    }
}

/// The media type to claim for a local file: from its extension, lowercased, if it passes
/// the writer rule (§5.1); `application/octet-stream` otherwise.
pub fn media_type(path: &Path) -> String {
    mime_guess::from_path(path)
        .first_raw()
        .map(str::to_ascii_lowercase)
        .filter(|t| is_valid_media_type(t))
        .unwrap_or_else(|| OCTET_STREAM.to_owned())
}

/// Longest saved name, in bytes: under the common 255-byte limit with room for ` (999)`.
const MAX_LOCAL_NAME_BYTES: usize = 200;

/// Device names Windows reserves whatever the extension (`CON`, `nul.txt`, `COM1.jpg`).
fn reserved_on_windows(name: &str) -> bool {
    let stem = name
        .split('.')
        .next()
        .unwrap_or("")
        .trim_end()
        .to_ascii_uppercase();
    matches!(
        stem.as_str(),
        "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$"
    ) || (stem.len() == 4
        && (stem.starts_with("COM") || stem.starts_with("LPT"))
        && stem.as_bytes()[3].is_ascii_digit())
}

/// A local file name for a descriptor name (§11.5): never a path, never hidden or starting
/// like an option, no character a common file system refuses, no reserved device name, at most
/// 200 bytes; `attachment` when nothing usable is left.
pub fn local_file_name(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| if forbidden_locally(c) { '_' } else { c })
        .collect();
    // Trailing dots and spaces vanish on Windows (`a.exe.` is `a.exe`); leading ones hide the
    // file or make it an option to the next command that globs the folder.
    out = out.trim_end_matches(['.', ' ']).trim_start().to_owned();
    if out.starts_with(['.', '-', '~']) {
        out.replace_range(..1, "_");
    }
    if reserved_on_windows(&out) {
        out.insert(0, '_');
    }
    out = truncate_keeping_extension(&out, MAX_LOCAL_NAME_BYTES, bytes);
    if out.is_empty() {
        return "attachment".to_owned();
    }
    out
}

/// The `n`-th alternative to an existing `name`: `report (1).pdf`, `archive.tar (2).gz`.
pub fn numbered(name: &str, n: u32) -> String {
    if n == 0 {
        return name.to_owned();
    }
    let (stem, ext) = split_extension(name);
    format!("{stem} ({n}){ext}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_descriptor_name_is_the_file_name_made_acceptable_to_every_reader() {
        assert_eq!(
            attachment_name(Path::new("/tmp/dir/report.pdf")),
            "report.pdf"
        );
        assert_eq!(
            attachment_name(Path::new("photo\u{202e}gpj.exe")),
            "photo_gpj.exe"
        );
        assert_eq!(attachment_name(Path::new("tab\there\\x")), "tab_here_x");
        assert_eq!(attachment_name(Path::new("/")), "file");
        assert_eq!(attachment_name(Path::new("..")), "file");
        let long = format!("{}.jpeg", "é".repeat(300));
        let cut = attachment_name(Path::new(&long));
        assert_eq!(cut.chars().count(), 255);
        assert!(cut.ends_with("é.jpeg"));
        assert!(is_valid_attachment_name(&cut));
    }

    #[test]
    fn media_types_come_from_the_extension_and_pass_the_writer_rule() {
        assert_eq!(media_type(Path::new("a.PNG")), "image/png");
        assert_eq!(media_type(Path::new("a.jpg")), "image/jpeg");
        assert_eq!(media_type(Path::new("a.pdf")), "application/pdf");
        assert_eq!(media_type(Path::new("no-extension")), OCTET_STREAM);
        assert_eq!(media_type(Path::new("a.unknownext")), OCTET_STREAM);
    }

    #[test]
    fn a_saved_name_can_be_no_path_hidden_file_option_or_device() {
        assert_eq!(local_file_name("report.pdf"), "report.pdf");
        assert_eq!(local_file_name(".bash_profile"), "_bash_profile");
        assert_eq!(local_file_name("-rf"), "_rf");
        assert_eq!(local_file_name("~"), "_");
        assert_eq!(local_file_name("a/b\\c"), "a_b_c");
        assert_eq!(local_file_name("what?<x>:\"y\"|*"), "what__x___y___");
        assert_eq!(local_file_name("CON"), "_CON");
        assert_eq!(local_file_name("nul.txt"), "_nul.txt");
        assert_eq!(local_file_name("com1.jpg"), "_com1.jpg");
        assert_eq!(local_file_name("computer.jpg"), "computer.jpg");
        assert_eq!(local_file_name("x.exe. . "), "x.exe");
        assert_eq!(local_file_name("zero\u{200b}width\u{feff}"), "zero_width_");
        assert_eq!(local_file_name("..."), "attachment");
        let long = format!("{}.png", "日".repeat(255));
        let cut = local_file_name(&long);
        assert!(cut.len() <= 200 && cut.ends_with("日.png"), "{cut}");
    }

    #[test]
    fn alternatives_keep_the_extension() {
        assert_eq!(numbered("report.pdf", 0), "report.pdf");
        assert_eq!(numbered("report.pdf", 1), "report (1).pdf");
        assert_eq!(numbered("archive.tar.gz", 2), "archive.tar (2).gz");
        assert_eq!(numbered("README", 3), "README (3)");
        assert_eq!(numbered("_bashrc", 1), "_bashrc (1)");
    }
}
