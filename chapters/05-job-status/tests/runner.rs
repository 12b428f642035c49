//! Running a job on a worker: every job that starts reaches a terminal status, whatever its
//! work does — including panic.

use ch03_context::Context;
use ch05_job_status::runner::{JobRun, run_with};
use ch05_job_status::{JobId, JobStore, Status, StoreConfig, parse_spec};

/// A job whose work panics is `failed`, with the panic's message, and holds no running slot:
/// the worker's `catch_unwind` alone would keep the thread but leave the job `running`.
#[test]
fn a_job_that_panics_fails_and_says_why() {
    let store = JobStore::new(StoreConfig::default());
    let spec = parse_spec(br#"{"kind":"sleep","input":{"ms":0}}"#).expect("a valid spec");
    let id = JobId::random().expect("randomness");
    let (ctx, cancel) = Context::background().with_cancel();
    store
        .insert(id, spec.work.kind(), cancel)
        .expect("room in the store");

    run_with(&store, JobRun { id, ctx, spec }, |_, _| {
        panic!("the input broke an assumption")
    });

    let view = store.view(id).expect("the job is still there");
    assert_eq!(view.status, Status::Failed);
    let error = view.error.expect("a failed job says why");
    assert!(error.contains("the input broke an assumption"), "{error}");
}
