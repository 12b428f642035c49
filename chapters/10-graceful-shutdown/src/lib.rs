//! Chapter 10: graceful shutdown and monitoring — the complete job server.
//!
//! | file | what it shows |
//! |---|---|
//! | `shutdown.rs` | the drain: stop taking work, finish it by a deadline, cancel the rest, account |
//! | `tally.rs` | every accepted job counted until it ends; the drain waits on it (loom-checked) |
//! | `metrics.rs` | `/metrics` in the Prometheus text format, fed by the loop's observer |
//! | `app.rs` | the complete server: chapter 9's, with `/ready`, `/metrics`, `/openapi.json` |
//! | `backend.rs` | where the jobs are kept: this process, or a Redis shared by several servers |
//! | `options.rs` | `--drain`, `--log`, `--store` and `--claim-idle`, beside chapter 9's flags |
//! | `examples/drain.rs` | a tally and a drain, without HTTP |
//!
//! The signals themselves reach the event loop through `signal-hook-mio`, and the loop's own
//! part of a drain — listener closed, connections finishing — is chapter 0's crate
//! (`Server::drain_on_signals`, `RunningServer::drain`).

pub mod app;
pub mod backend;
pub mod metrics;
pub mod options;
pub mod shutdown;
pub mod tally;

pub use app::{App, Monitoring, OPENAPI, app, app_on, monitoring_routes};
pub use backend::{JobBackend, JobGauges};
pub use metrics::{Gauges, Metrics, route_label};
pub use shutdown::{DEFAULT_DRAIN, Report, Shutdown, drain};
pub use tally::{JobTally, Tally};
