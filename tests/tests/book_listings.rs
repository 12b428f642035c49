//! Every listing in the book is included from a real file of the project, by anchor, and every
//! include resolves. mdBook itself renders a missing anchor as an empty block and a missing file
//! as an error line, and exits 0 either way (see the book's appendix on testing): this test is
//! what makes a broken include fail the build.

use std::fs;
use std::path::{Path, PathBuf};

/// The markdown files of the book, recursively.
fn chapters(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir).expect("the book's source folder") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            found.extend(chapters(&path));
        } else if path.extension().is_some_and(|ext| ext == "md") {
            found.push(path);
        }
    }
    found
}

/// The `path:anchor` arguments of every `{{#include …}}` and `{{#rustdoc_include …}}` in `text`.
fn includes(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for directive in ["{{#include ", "{{#rustdoc_include "] {
        let mut rest = text;
        while let Some(start) = rest.find(directive) {
            rest = &rest[start + directive.len()..];
            let end = rest.find("}}").expect("an include is closed by }}");
            found.push(rest[..end].trim().to_owned());
        }
    }
    found
}

#[test]
fn every_include_names_an_existing_file_and_anchor() {
    let book = Path::new(env!("CARGO_MANIFEST_DIR")).join("../book/src");
    let mut checked = 0;
    for chapter in chapters(&book) {
        let text = fs::read_to_string(&chapter).expect("a readable chapter");
        for include in includes(&text) {
            let (file, anchor) = match include.split_once(':') {
                Some((file, anchor)) => (file, Some(anchor)),
                None => (include.as_str(), None),
            };
            let target = chapter.parent().expect("a folder").join(file);
            let source = fs::read_to_string(&target).unwrap_or_else(|error| {
                panic!(
                    "{}: cannot read {}: {error}",
                    chapter.display(),
                    target.display()
                )
            });
            if let Some(anchor) = anchor {
                // A line number instead of an anchor can drift silently: anchors only.
                assert!(
                    !anchor.chars().next().is_some_and(|c| c.is_ascii_digit()),
                    "{}: include by line number {include}; use an anchor",
                    chapter.display()
                );
                for marker in [format!("ANCHOR: {anchor}"), format!("ANCHOR_END: {anchor}")] {
                    assert!(
                        source
                            .lines()
                            .any(|line| line.trim_end().ends_with(&marker)),
                        "{}: {} has no `{marker}`",
                        chapter.display(),
                        target.display()
                    );
                }
            }
            checked += 1;
        }
    }
    assert!(checked > 0, "the book includes no listing at all");
}

/// Rust code in the book comes from the project by include; a hand-typed block could drift.
#[test]
fn no_hand_typed_rust_listing() {
    let book = Path::new(env!("CARGO_MANIFEST_DIR")).join("../book/src");
    for chapter in chapters(&book) {
        let text = fs::read_to_string(&chapter).expect("a readable chapter");
        let mut in_rust = false;
        for (number, line) in text.lines().enumerate() {
            let trimmed = line.trim();
            if trimmed.starts_with("```rust") {
                in_rust = true;
            } else if trimmed.starts_with("```") {
                in_rust = false;
            } else if in_rust && !trimmed.is_empty() && !trimmed.starts_with("{{#") {
                panic!(
                    "{}:{}: a Rust block holds typed code; include it from a compiled file",
                    chapter.display(),
                    number + 1
                );
            }
        }
    }
}
