//! The project has no async runtime: none of them may enter the dependency graph.
//!
//! `Cargo.lock` lists every package the workspace can build with, for every target and
//! feature, so checking it is stricter than `cargo tree`.

// ANCHOR: forbidden
/// Packages that are, or bring, an async runtime or executor.
const FORBIDDEN: &[&str] = &[
    "tokio",
    "async-std",
    "smol",
    "hyper",
    "futures-executor",
    "async-executor",
    "async-global-executor",
];
// ANCHOR_END: forbidden

#[test]
fn no_async_runtime_in_cargo_lock() {
    let lock_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.lock");
    let lock = std::fs::read_to_string(lock_path).expect("Cargo.lock is committed");
    let packages: Vec<&str> = lock
        .lines()
        .filter_map(|line| line.strip_prefix("name = \""))
        .filter_map(|rest| rest.strip_suffix('"'))
        .collect();
    assert!(
        packages.contains(&"mio"),
        "the lock file was read: {lock_path}"
    );
    let found: Vec<_> = packages
        .iter()
        .filter(|name| FORBIDDEN.contains(name))
        .collect();
    assert!(
        found.is_empty(),
        "an async runtime entered the graph: {found:?}"
    );
}
