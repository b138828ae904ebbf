//! The layers of the tree, pinned: each module may import only the modules
//! below it. Reads every `src/**/*.rs` and fails naming the file, the line and
//! the import that runs back up (and, below, that it does fail on one).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Module → the crate modules it may import (itself always). A module not
/// listed here may import anything but `tui` ↔ `commands` (see `FORBIDDEN`).
const RULES: &[(&str, &[&str])] = &[
    ("domain", &[]),
    ("sanitize", &[]),
    ("numbers", &[]),
    ("finance", &["domain"]),
    ("locale", &["numbers"]),
    ("diagnostics", &["domain", "finance"]),
    ("store", &["domain", "finance", "sanitize", "diagnostics", "numbers"]),
    ("report", &["domain", "finance", "locale", "sanitize", "numbers"]),
    ("company", &["domain", "finance", "sanitize", "store"]),
    // Tables written out: the interface builds them, this writes them.
    ("export", &["domain", "finance", "locale", "sanitize", "store"]),
    (
        "ai",
        &[
            "domain", "finance", "locale", "sanitize", "numbers", "store", "report", "company",
        ],
    ),
];

/// The import parsers see the domain, sanitize and numbers (fixed-scale
/// figures in their messages); only the import's writers (the pipeline, the
/// source reader) reach the store.
const IMPORT: &[&str] = &["domain", "sanitize", "numbers"];
const IMPORT_WRITERS: &[&str] = &["src/import/pipeline.rs", "src/import/source.rs"];

/// Pairs that never import each other, either way.
const FORBIDDEN: &[(&str, &str)] = &[("tui", "commands"), ("commands", "tui")];

/// The top-level crate modules a file's code names: `crate::x`, `$crate::x`
/// and each root of a `crate::{x::…, y}` group. Comments are skipped.
fn imports(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            let after = &rest[i + "crate::".len()..];
            if let Some(group) = after.strip_prefix('{') {
                // Roots at depth 0 of the group.
                let mut depth = 0;
                let mut word = String::new();
                let mut at_root = true;
                for c in group.chars() {
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => break,
                        '}' => depth -= 1,
                        ',' if depth == 0 => at_root = true,
                        c if c.is_alphanumeric() || c == '_' => {
                            if at_root && depth == 0 {
                                word.push(c)
                            }
                        }
                        _ => {
                            if !word.is_empty() {
                                out.push((n + 1, std::mem::take(&mut word)));
                                at_root = false;
                            }
                        }
                    }
                }
                if !word.is_empty() {
                    out.push((n + 1, word));
                }
            } else {
                let word: String = after.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if !word.is_empty() {
                    out.push((n + 1, word));
                }
            }
            rest = after;
        }
    }
    out
}

/// The top-level module a source file belongs to (`src/store/sql.rs` → store).
fn module_of(path: &str) -> Option<String> {
    let rel = path.strip_prefix("src/")?;
    let first = rel.split('/').next()?;
    Some(first.trim_end_matches(".rs").to_owned())
}

/// Every import that runs against the rules, as `file:line: a imports b`.
fn violations(files: &[(String, String)]) -> Vec<String> {
    let rules: BTreeMap<&str, &[&str]> = RULES.iter().copied().collect();
    let mut out = Vec::new();
    for (path, text) in files {
        let Some(module) = module_of(path) else { continue };
        for (line, target) in imports(text) {
            if target == module {
                continue;
            }
            let allowed = if module == "import" {
                IMPORT.contains(&target.as_str()) || (target == "store" && IMPORT_WRITERS.contains(&path.as_str()))
            } else if let Some(allowed) = rules.get(module.as_str()) {
                allowed.contains(&target.as_str())
            } else {
                !FORBIDDEN.contains(&(module.as_str(), target.as_str()))
            };
            if !allowed {
                out.push(format!("{path}:{line}: {module} imports {target}"));
            }
        }
    }
    out
}

fn sources(dir: &Path, root: &Path, out: &mut Vec<(String, String)>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            sources(&p, root, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
            out.push((rel, std::fs::read_to_string(&p).unwrap()));
        }
    }
}

#[test]
fn no_module_imports_one_above_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    sources(&root.join("src"), root, &mut files);
    assert!(files.len() > 50, "the tree was read: {} files", files.len());
    let v = violations(&files);
    assert!(v.is_empty(), "imports that run back up the layers:\n{}", v.join("\n"));
}

#[test]
fn a_planted_wrong_import_is_caught() {
    let planted = |path: &str, text: &str| violations(&[(path.to_owned(), text.to_owned())]);
    assert_eq!(
        planted("src/finance/x.rs", "use crate::store::AnyStore;\n"),
        ["src/finance/x.rs:1: finance imports store"]
    );
    assert_eq!(
        planted("src/tui/x.rs", "fn f() { crate::commands::demo::run(); }\n"),
        ["src/tui/x.rs:1: tui imports commands"]
    );
    assert_eq!(
        planted("src/store/x.rs", "use crate::{domain::Company, ai::Agent};\n"),
        ["src/store/x.rs:1: store imports ai"]
    );
    assert_eq!(
        planted("src/store/sql.rs", "    $crate::tui::draw();\n"),
        ["src/store/sql.rs:1: store imports tui"]
    );
    assert_eq!(
        planted("src/import/table.rs", "use crate::store::ImportBatch;\n"),
        ["src/import/table.rs:1: import imports store"]
    );
    // The import's writer may reach the store; comments are not imports.
    assert!(planted("src/import/pipeline.rs", "use crate::store::AnyStore;\n").is_empty());
    assert!(planted("src/domain/x.rs", "// crate::store is above\n").is_empty());
    assert!(planted("src/commands/x.rs", "use crate::{store::AnyStore, tui::run};\n").len() == 1);
}
