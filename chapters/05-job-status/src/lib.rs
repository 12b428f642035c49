//! Chapter 5: job status tracking — `POST /jobs` answers 202 at once, the job runs on a pool,
//! and clients follow it by id through a bounded store whose status transitions are enforced
//! in one place.
//!
//! | file | what it shows |
//! |---|---|
//! | `job.rs` | ids (122 random bits), the status diagram, the spec and its 400s naming fields |
//! | `store.rs` | the `RwLock`ed map: sharded, preallocated, bounded, TTL, transitions (loom-checked) |
//! | `runner.rs` | a worker runs a job under its context and records the outcome |
//! | `error.rs` | every error the API answers with, and the one table of their statuses and codes |
//! | `api.rs` | `POST /jobs`, `GET /jobs/{id}`, `GET /jobs/{id}/result?wait=`, `DELETE /jobs/{id}` |
//! | `benches/store.rs` | the `HashMap`-doubling stall, measured, and the fix |

mod api;
pub mod error;
pub mod job;
pub mod runner;
pub mod store;

pub use api::{Jobs, MAX_WAIT, add_routes, read_spec, router, wait_param};
pub use error::ApiError;
pub use job::{
    Busy, FieldError, JobError, JobId, JobKind, JobSpec, Kinds, Status, Work, error_chain,
    parse_spec,
};
pub use runner::{JOB_QUEUE, job_pool_size, outcome_of, panic_message};
pub use store::{
    JobEvents, JobStore, JobView, Outcome, StoreConfig, StoreFull, TransitionError, WaiterId,
    job_not_found, result_of,
};
