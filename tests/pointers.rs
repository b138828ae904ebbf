//! Every document the code cites is in the repository, and every cited
//! section (`docs/metrics.md#cash-flow`, `README.md#commands`) is a heading
//! there, so a pointer in a comment never leads nowhere.

use std::path::Path;

/// GitHub's anchor of a heading: lower case, punctuation dropped, spaces → `-`.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

fn anchors(markdown: &str) -> Vec<String> {
    let mut fenced = false;
    let mut out = Vec::new();
    for line in markdown.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
        }
        if !fenced && let Some(h) = line.strip_prefix('#') {
            out.push(slug(h.trim_start_matches('#')));
        }
    }
    out
}

/// `(file, cited document, anchor)` for each `NAME.md` or `NAME.md#anchor` cited.
fn citations(root: &Path) -> Vec<(String, String, Option<String>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.join("src"), root.join("tests"), root.join("benches")];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                if !p.ends_with("fixtures") && !p.ends_with("snapshots") {
                    stack.push(p);
                }
                continue;
            }
            if p.extension().is_none_or(|e| e != "rs") || p.ends_with("pointers.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&p).unwrap();
            let file = p.strip_prefix(root).unwrap().display().to_string();
            for (i, _) in text.match_indices(".md") {
                let before = &text[..i];
                let start = before
                    .rfind(|c: char| !(c.is_alphanumeric() || c == '/' || c == '_' || c == '-' || c == '.'))
                    .map_or(0, |k| k + 1);
                let doc = format!("{}.md", &text[start..i]);
                if doc == ".md" || doc.starts_with('.') {
                    continue;
                }
                let rest = &text[i + 3..];
                let anchor = rest.strip_prefix('#').map(|r| {
                    r.chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '-' || *c == '_')
                        .collect::<String>()
                });
                out.push((file.clone(), doc, anchor));
            }
        }
    }
    out
}

#[test]
fn every_cited_document_and_section_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cited = citations(root);
    assert!(
        cited.iter().any(|(_, d, a)| d == "docs/metrics.md" && a.is_some()),
        "the code cites sections of the docs"
    );
    let mut missing = Vec::new();
    for (file, doc, anchor) in &cited {
        let Ok(text) = std::fs::read_to_string(root.join(doc)) else {
            missing.push(format!("{file}: cites {doc}, which is not in the repository"));
            continue;
        };
        if let Some(a) = anchor
            && !anchors(&text).contains(a)
        {
            missing.push(format!("{file}: cites {doc}#{a}, which is no heading there"));
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn the_checker_sees_a_bad_pointer() {
    assert_eq!(slug(" Health score (0–100)"), "health-score-0100");
    assert_eq!(slug("`katalis report --format json`"), "katalis-report---format-json");
    let md = "# Top\n```\n# not a heading\n```\n## Cash flow\n";
    assert_eq!(anchors(md), ["top", "cash-flow"]);
}
