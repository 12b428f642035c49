//! Chapter 3: a request context — deadline, cancellation tree, values — passed first to every
//! operation, and cancelled when the client hangs up.
//!
//! Chapter 2's workers ran every job to the end, even when the client had long gone. Here each
//! request gets a [`Context`], a child of the server's; the event loop cancels it when the
//! client hangs up (`Defer::on_abandon`), and the work checks it between steps and
//! stops. The server's own context is cancelled when the server stops, and with it every
//! request's.
//!
//! | file | what it shows |
//! |---|---|
//! | `context.rs` | the context: `with_cancel`, `with_timeout`, `with_value`, `err`, `wait`, `done` (loom-checked) |
//! | `work.rs` | work that respects its context: `select!` on `done`, checks in a loop |
//! | `app.rs` | a context per request, cancelled on hang-up; the pool runs `RequestJob`s |
//! | `examples/context_tree.rs` | cancellation flowing down a tree of contexts, without HTTP |

mod app;
pub mod context;
pub mod work;

pub use app::{
    DeadlinePolicy, Ran, RequestJob, RequestJobs, RequestPool, SLEEP_MAX, Task, request_pool,
    router, routes, run_job, run_task, stopped,
};
pub use context::{Cancel, Context, Never, Reason};
