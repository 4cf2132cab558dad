//! The server's layering, checked from its source: every `crate::` path in `src/` points down
//! the layer table (or sideways within a row), and the modules' imports have no cycle. The same
//! table is the `//!` of `src/lib.rs`; a new top-level module fails here until it is placed.
//!
//! The unit is a top-level module of `src/`, except that a feature's `routes` (its handlers,
//! `src/<feature>/routes.rs` or `src/<feature>/routes/`) is its own unit one layer above every
//! feature's domain: handlers may use any feature, a feature's domain only lower layers and
//! other domains. Read: `use crate::x…`, `use crate::{x…, y…}` (nested groups too) and
//! `crate::x::…` anywhere in code; `crate::name!` macro calls are skipped (macros live at the
//! crate root); `super::` never crosses a top-level module, but a domain file that reaches its
//! own feature's `routes` (`routes::…`, `super::routes…`) is caught.

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::{Path, PathBuf},
};

/// Lowest first. Edges go to the same row or a lower one.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "core",
        &[
            "config",
            "error",
            "telemetry",
            "tls",
            "metrics",
            "request",
            "routing",
        ],
    ),
    ("db", &["db"]),
    ("events", &["events"]),
    ("bus", &["bus"]),
    ("state", &["state"]),
    (
        "features",
        &[
            "accounts",
            "attachments",
            "audit",
            "auth",
            "conversations",
            "messages",
            "presence",
            "sessions",
            "stream",
        ],
    ),
    (
        "feature routes",
        &[
            "accounts::routes",
            "attachments::routes",
            "auth::routes",
            "conversations::routes",
            "messages::routes",
            "presence::routes",
            "sessions::routes",
            "stream::routes",
        ],
    ),
    ("http", &["http"]),
    ("startup", &["startup"]),
];

fn layer_of(unit: &str) -> Option<(usize, &'static str)> {
    LAYERS
        .iter()
        .enumerate()
        .find(|(_, (_, units))| units.contains(&unit))
        .map(|(i, (name, _))| (i, *name))
}

fn is_feature(module: &str) -> bool {
    layer_of(&format!("{module}::routes")).is_some()
}

/// The unit a file belongs to, from its path under `src/`.
fn unit_of_file(relative: &Path) -> Option<String> {
    let parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_owned())
        .collect();
    let top = parts.first()?.clone();
    if top == "lib" || top == "main" {
        return None; // the crate root and the binary (which uses `courier::`, not `crate::`)
    }
    if is_feature(&top) && parts.get(1).map(String::as_str) == Some("routes") {
        return Some(format!("{top}::routes"));
    }
    Some(top)
}

fn strip_line_comments(source: &str) -> String {
    source
        .lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn ident_at(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    &text[..end]
}

/// The unit a path after `crate::` names (`x`, or `x::routes` for a feature's handlers);
/// `None` for a macro call.
fn unit_of_path(path: &str) -> Option<String> {
    let first = ident_at(path);
    let rest = &path[first.len()..];
    if rest.trim_start().starts_with('!') || first.is_empty() {
        return None;
    }
    if is_feature(first) && rest.starts_with("::routes") {
        return Some(format!("{first}::routes"));
    }
    Some(first.to_owned())
}

/// The top-level items of a `{…}` group starting just after its `{`, and where it ends.
fn group_items(text: &str) -> Vec<String> {
    let (mut depth, mut items, mut current) = (1, Vec::new(), String::new());
    for c in text.chars() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            ',' if depth == 1 => {
                items.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    items.push(current);
    items
        .into_iter()
        .map(|i| i.split_whitespace().collect::<Vec<_>>().join(""))
        .filter(|i| !i.is_empty())
        .collect()
}

/// Every unit the source refers to with a `crate::` path.
fn references(source: &str) -> BTreeSet<String> {
    let code = strip_line_comments(source);
    let mut found = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let after = &code[at + "crate::".len()..];
        if let Some(group) = after.strip_prefix('{') {
            found.extend(group_items(group).iter().filter_map(|i| unit_of_path(i)));
        } else {
            found.extend(unit_of_path(after));
        }
    }
    found
}

/// Whether a domain file of a feature reaches its own `routes` by a relative path.
fn reaches_own_routes(source: &str) -> bool {
    let code = strip_line_comments(source);
    code.match_indices("routes::").any(|(at, _)| {
        let before = &code[..at];
        // `crate::x::routes::` is read by `references`; `foo_routes::` is another name.
        let through_another_module = before.ends_with("::") && !before.ends_with("super::");
        let part_of_a_name = before.ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_');
        !through_another_module && !part_of_a_name
    })
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("read src/") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// unit -> (unit it refers to -> files that do).
fn graph() -> BTreeMap<String, BTreeMap<String, BTreeSet<String>>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut edges: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for file in files {
        let relative = file.strip_prefix(&src).expect("under src/").to_path_buf();
        let Some(unit) = unit_of_file(&relative) else {
            continue;
        };
        let source = fs::read_to_string(&file).expect("read a source file");
        let mut targets = references(&source);
        if is_feature(&unit) && reaches_own_routes(&source) {
            targets.insert(format!("{unit}::routes"));
        }
        let out = edges.entry(unit.clone()).or_default();
        for target in targets.into_iter().filter(|t| *t != unit) {
            out.entry(target)
                .or_default()
                .insert(relative.display().to_string());
        }
    }
    edges
}

#[test]
fn every_module_of_the_server_is_in_the_layer_table() {
    let lib = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs"))
        .expect("read src/lib.rs");
    let modules: Vec<&str> = lib
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod "))
        .map(|l| l.trim_end_matches(';'))
        .collect();
    assert!(
        modules.len() > 10,
        "src/lib.rs lists its modules as `pub mod x;`"
    );
    let missing: Vec<_> = modules.iter().filter(|m| layer_of(m).is_none()).collect();
    assert!(missing.is_empty(), "not in the layer table: {missing:?}");
    for unit in graph().keys() {
        assert!(layer_of(unit).is_some(), "not in the layer table: {unit}");
    }
}

#[test]
fn every_import_of_the_server_points_down_the_layers() {
    let mut upward = Vec::new();
    for (from, targets) in graph() {
        let (from_layer, from_name) = layer_of(&from).expect("placed (other test)");
        for (to, files) in targets {
            match layer_of(&to) {
                None => upward.push(format!("{from} -> {to} (unknown module) in {files:?}")),
                Some((to_layer, to_name)) if to_layer > from_layer => upward.push(format!(
                    "{from} ({from_name}) -> {to} ({to_name}) in {files:?}"
                )),
                Some(_) => {}
            }
        }
    }
    assert!(
        upward.is_empty(),
        "imports pointing up:\n{}",
        upward.join("\n")
    );
}

#[test]
fn the_modules_of_the_server_import_each_other_without_a_cycle() {
    let edges = graph();
    // Depth-first search; a unit met again while still on the path closes a cycle.
    fn visit(
        unit: &str,
        edges: &BTreeMap<String, BTreeMap<String, BTreeSet<String>>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|u| u == unit) {
            let mut cycle = path[at..].to_vec();
            cycle.push(unit.to_owned());
            return Some(cycle);
        }
        if !done.insert(unit.to_owned()) {
            return None;
        }
        path.push(unit.to_owned());
        for next in edges.get(unit).into_iter().flat_map(|t| t.keys()) {
            if let Some(cycle) = visit(next, edges, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    for unit in edges.keys() {
        if let Some(cycle) = visit(unit, &edges, &mut Vec::new(), &mut done) {
            panic!("import cycle: {}", cycle.join(" -> "));
        }
    }
}

#[test]
fn the_reader_finds_every_form_of_a_crate_path() {
    let source = "use crate::{a, b::{c, d}, e::f as g};\n\
                  use crate::h;\n\
                  // use crate::commented;\n\
                  fn x() { crate::i::j(); crate::routes![k]; }\n\
                  type T = crate::auth::routes::Pair;";
    let found: Vec<_> = references(source).into_iter().collect();
    assert_eq!(found, ["a", "auth::routes", "b", "e", "h", "i"]);
    assert!(reaches_own_routes("use super::routes::x;"));
    assert!(reaches_own_routes("routes::change_events(conn)"));
    assert!(!reaches_own_routes("crate::auth::routes::x"));
    assert!(!reaches_own_routes("my_routes::x"));
}
