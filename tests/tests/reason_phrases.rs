//! Every status the project's code answers with has its reason phrase on the status line
//! (`HTTP/1.1 415 Unsupported Media Type`, not `HTTP/1.1 415 `): the statuses are found by
//! reading the source, so a new one cannot be added without its phrase.

use std::fs;
use std::path::Path;

/// The Rust files under `dir`, recursively.
fn sources(dir: &Path, found: &mut Vec<std::path::PathBuf>) {
    for entry in fs::read_dir(dir).expect("a source folder") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            sources(&path, found);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            found.push(path);
        }
    }
}

#[test]
fn every_status_the_code_answers_with_has_a_reason_phrase() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for dir in ["shared", "chapters"] {
        sources(&root.join(dir), &mut files);
    }
    let mut statuses = std::collections::BTreeSet::new();
    for file in files {
        let text = fs::read_to_string(&file).expect("a readable source");
        for call in [
            "Response::error(",
            "Response::json(",
            "Response::text(",
            "Response::new(",
            // A row of chapter 5's error table: `ApiError::… => (415, "…", None)`.
            "=> (",
        ] {
            for (at, _) in text.match_indices(call) {
                let rest = &text[at + call.len()..];
                let digits: String = rest.trim_start().chars().take(3).collect();
                if let Ok(status) = digits.parse::<u16>() {
                    statuses.insert(status);
                }
            }
        }
    }
    assert!(
        statuses.contains(&415),
        "the scan found the statuses: {statuses:?}"
    );
    let missing: Vec<_> = statuses
        .iter()
        .filter(|&&status| http_loop::response::reason_phrase(status).is_empty())
        .collect();
    assert!(missing.is_empty(), "no reason phrase for {missing:?}");
}
