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

/// Whether a code block opened by `fence` is a listing: Rust, Go, or the Lua scripts the Redis
/// backend sends (appendix D).
fn opens_listing(fence: &str) -> bool {
    ["```rust", "```go", "```lua"]
        .iter()
        .any(|language| fence.starts_with(language))
}

/// Rust, Go and Lua code in the book comes from the project by include; a hand-typed block
/// could drift, and would not be compiled, vetted or tested.
#[test]
fn no_hand_typed_rust_or_go_listing() {
    for (chapter, text) in book_chapters() {
        let mut in_code = false;
        for (number, line) in text.lines().enumerate() {
            let trimmed = line.trim();
            if opens_listing(trimmed) {
                in_code = true;
            } else if trimmed.starts_with("```") {
                in_code = false;
            } else if in_code && !trimmed.is_empty() && !trimmed.starts_with("{{#") {
                panic!(
                    "{}:{}: a code block holds typed code; include it from a compiled file",
                    chapter.display(),
                    number + 1
                );
            }
        }
    }
}

/// The most lines a listing may show: a listing is read, not scrolled.
const MAX_LISTING_LINES: usize = 45;

/// Every listing is numbered and captioned (`**Listing 3.2** — …` on the line before it), the
/// numbers of a chapter run 1, 2, 3 … without a gap, and no listing is longer than
/// [`MAX_LISTING_LINES`].
#[test]
fn every_listing_is_numbered_captioned_and_short() {
    for (chapter, text) in book_chapters() {
        let lines: Vec<&str> = text.lines().collect();
        let mut last_number: std::collections::HashMap<String, u32> = Default::default();
        for (index, line) in lines.iter().enumerate() {
            let trimmed = line.trim();
            if !opens_listing(trimmed) {
                continue;
            }
            let at = format!("{}:{}", chapter.display(), index + 1);
            let caption = lines[..index]
                .iter()
                .rev()
                .map(|line| line.trim())
                .find(|line| !line.is_empty())
                .unwrap_or_default();
            let label = caption
                .strip_prefix("**Listing ")
                .and_then(|rest| rest.split_once("**"))
                .map(|(label, _)| label)
                .unwrap_or_else(|| panic!("{at}: a listing without a `**Listing N.M**` caption"));
            let (chapter_label, number) = label
                .rsplit_once('.')
                .unwrap_or_else(|| panic!("{at}: listing label {label:?} is not N.M"));
            let number: u32 = number
                .parse()
                .unwrap_or_else(|_| panic!("{at}: listing label {label:?} is not N.M"));
            let expected = last_number.get(chapter_label).map_or(1, |last| last + 1);
            assert_eq!(number, expected, "{at}: listing {label} out of sequence");
            last_number.insert(chapter_label.to_owned(), number);
            let block: String = lines[index + 1..]
                .iter()
                .take_while(|line| !line.trim().starts_with("```"))
                .map(|line| format!("{line}\n"))
                .collect();
            for include in includes(&block) {
                let shown = listing_length(&chapter, &include);
                assert!(
                    shown <= MAX_LISTING_LINES,
                    "{at}: listing {label} shows {shown} lines (at most {MAX_LISTING_LINES}): \
                     split its anchor"
                );
            }
        }
    }
}

/// How many lines an include shows: its anchored region, without anchor markers.
fn listing_length(chapter: &Path, include: &str) -> usize {
    let (file, anchor) = match include.split_once(':') {
        Some((file, anchor)) => (file, Some(anchor)),
        None => (include, None),
    };
    let target = chapter.parent().expect("a folder").join(file);
    let source = fs::read_to_string(&target).unwrap_or_default();
    let is_marker = |line: &str| line.contains("ANCHOR: ") || line.contains("ANCHOR_END: ");
    let Some(anchor) = anchor else {
        return source.lines().filter(|line| !is_marker(line)).count();
    };
    let mut shown = 0;
    let mut inside = false;
    for line in source.lines() {
        let trimmed = line.trim_end();
        if trimmed.ends_with(&format!("ANCHOR: {anchor}")) {
            inside = true;
        } else if trimmed.ends_with(&format!("ANCHOR_END: {anchor}")) {
            inside = false;
        } else if inside && !is_marker(line) {
            shown += 1;
        }
    }
    shown
}

/// Every markdown file of the book, with its text.
fn book_chapters() -> Vec<(PathBuf, String)> {
    let book = Path::new(env!("CARGO_MANIFEST_DIR")).join("../book/src");
    chapters(&book)
        .into_iter()
        .map(|chapter| {
            let text = fs::read_to_string(&chapter).expect("a readable chapter");
            (chapter, text)
        })
        .collect()
}

/// The id mdBook gives a heading: lower case, letters, digits, `-` and `_` kept, spaces made
/// `-`, everything else dropped.
fn heading_id(heading: &str) -> String {
    heading
        .trim()
        .chars()
        .filter_map(|c| match c {
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c.to_lowercase().to_string()),
            c if c.is_whitespace() => Some("-".to_owned()),
            _ => None,
        })
        .collect()
}

/// Every `#anchor` a link of the book points at is a heading of its target page (mdBook does
/// not check this, and a renamed heading breaks links silently).
#[test]
fn every_link_to_a_heading_finds_it() {
    let pages: std::collections::HashMap<String, Vec<String>> = book_chapters()
        .into_iter()
        .map(|(path, text)| {
            let name = path
                .file_name()
                .expect("a file")
                .to_string_lossy()
                .into_owned();
            let mut ids = Vec::new();
            let mut in_code = false;
            for line in text.lines() {
                if line.trim_start().starts_with("```") {
                    in_code = !in_code;
                } else if !in_code && line.starts_with('#') {
                    let id = heading_id(line.trim_start_matches('#'));
                    // A repeated heading gets `-1`, `-2` … after the first.
                    let repeats = ids.iter().filter(|seen: &&String| **seen == id).count();
                    ids.push(id.clone());
                    if repeats > 0 {
                        ids.push(format!("{id}-{repeats}"));
                    }
                }
            }
            (name, ids)
        })
        .collect();
    let mut checked = 0;
    for (path, text) in book_chapters() {
        let here = path
            .file_name()
            .expect("a file")
            .to_string_lossy()
            .into_owned();
        for (at, _) in text.match_indices("](") {
            let target = &text[at + 2..];
            let Some(end) = target.find(')') else {
                continue;
            };
            let target = &target[..end];
            if target.starts_with("http") {
                continue;
            }
            let Some((page, anchor)) = target.split_once('#') else {
                continue;
            };
            let page = if page.is_empty() { here.as_str() } else { page };
            let Some(ids) = pages.get(page) else { continue };
            assert!(
                ids.iter().any(|id| id == anchor),
                "{here}: a link to {page}#{anchor}, which has no such heading"
            );
            checked += 1;
        }
    }
    assert!(checked > 0, "the book links to no heading at all");
}
