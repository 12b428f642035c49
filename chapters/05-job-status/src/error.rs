//! Every error the job API answers with, and the one table that gives each its HTTP status
//! and JSON `code`.
//!
//! A handler returns an [`ApiError`]; [`ApiError::into_response`] is the only place that turns
//! one into a status, a code, a `Retry-After`, and the body
//! `{"error":{"code":…,"message":…}}`. Adding an error is adding a variant: the compiler then
//! points at the table until it has a row. (The HTTP layer's own refusals — 413, 431, 408 … —
//! are answered by the event loop before any route runs.)

use crate::job::{Busy, FieldError, JobId, Status};
use http_loop::Response;
use std::fmt;

/// An error the job API answers with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiError {
    /// The body is not a JSON object.
    InvalidJson(FieldError),
    /// A field of the body is missing or wrong.
    InvalidField(FieldError),
    /// The body is not declared `application/json`; what it was declared as, if anything.
    UnsupportedMediaType(Option<String>),
    /// `?wait=` is not a duration the API offers; what it was.
    InvalidWait(String),
    /// No job has this id (or the text is not an id); the text, cut short.
    JobNotFound(String),
    /// The job has no result (yet, or ever): its status, and why, if it failed.
    NotCompleted {
        /// The job.
        id: JobId,
        /// Its status.
        status: Status,
        /// Why it failed, if it did.
        error: Option<String>,
    },
    /// The job cannot be cancelled: it has ended already.
    AlreadyFinished {
        /// The job.
        id: JobId,
        /// How it ended.
        status: Status,
    },
    /// The store holds only unfinished jobs.
    StoreFull,
    /// Every job worker is busy and the queue is full.
    QueueFull,
    /// The job's kind admits no more jobs for now (chapter 9's semaphore).
    Busy(Busy),
    /// The server is shutting down: it runs the jobs it has, and takes no more (chapter 10).
    Draining,
    /// The operating system gave no randomness for an id.
    NoRandomness,
}

impl ApiError {
    // ANCHOR: table
    /// The table: each error's HTTP status, JSON `code`, and `Retry-After` in seconds.
    pub fn status_code_retry(&self) -> (u16, &'static str, Option<u32>) {
        match self {
            ApiError::InvalidJson(_) => (400, "invalid_json", None),
            ApiError::InvalidField(_) => (400, "invalid_field", None),
            ApiError::InvalidWait(_) => (400, "invalid_wait", None),
            ApiError::JobNotFound(_) => (404, "job_not_found", None),
            ApiError::NotCompleted { .. } => (409, "not_completed", None),
            ApiError::AlreadyFinished { .. } => (409, "already_finished", None),
            ApiError::UnsupportedMediaType(_) => (415, "unsupported_media_type", None),
            ApiError::NoRandomness => (500, "no_randomness", None),
            ApiError::StoreFull => (503, "store_full", Some(1)),
            ApiError::QueueFull => (503, "queue_full", Some(1)),
            ApiError::Busy(busy) => (503, "busy", Some(busy.retry_after_s)),
            ApiError::Draining => (503, "draining", Some(5)),
        }
    }
    // ANCHOR_END: table

    // ANCHOR: into_response
    /// The answer: the table's status and code, the message, and `Retry-After` when the table
    /// has one.
    pub fn into_response(self) -> Response {
        let (status, code, retry_after) = self.status_code_retry();
        let message = self.to_string();
        let response = match &self {
            // A job without a result says where it is, so a client need not ask again.
            ApiError::NotCompleted {
                id, status: job, ..
            } => Response::json(
                status,
                &serde_json::json!({
                    "error": { "code": code, "message": message },
                    "id": id,
                    "status": job,
                }),
            ),
            _ => Response::error(status, code, &message),
        };
        match retry_after {
            Some(seconds) => response.with_header("Retry-After", seconds.to_string()),
            None => response,
        }
    }
    // ANCHOR_END: into_response
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::InvalidJson(error) | ApiError::InvalidField(error) => write!(f, "{error}"),
            ApiError::UnsupportedMediaType(sent) => {
                let sent = sent
                    .as_ref()
                    .map_or("none".to_owned(), |sent| format!("{sent:?}"));
                write!(f, "a job is submitted as application/json, not as {sent}")
            }
            ApiError::InvalidWait(sent) => {
                write!(
                    f,
                    "`wait` must be like 2s or 500ms, at most 30s, not \"{sent}\""
                )
            }
            ApiError::JobNotFound(id) => write!(f, "there is no job \"{id}\""),
            ApiError::NotCompleted { id, status, error } => match (status, error) {
                (Status::Failed, Some(error)) => write!(f, "job {id} failed: {error}"),
                (Status::Cancelled, Some(why)) => {
                    write!(f, "job {id} was cancelled ({why}); it has no result")
                }
                (Status::Cancelled, None) => write!(f, "job {id} was cancelled; it has no result"),
                (status, _) => write!(
                    f,
                    "job {id} is {}; ask again later, or wait with ?wait=2s",
                    status.as_str()
                ),
            },
            ApiError::AlreadyFinished { id, status } => {
                write!(f, "job {id} is {} already", status.as_str())
            }
            ApiError::StoreFull => write!(f, "too many unfinished jobs; try again"),
            ApiError::QueueFull => write!(f, "every job worker is busy; try again"),
            ApiError::Busy(busy) => write!(f, "{}", busy.message),
            ApiError::Draining => write!(f, "the server is shutting down; try another"),
            ApiError::NoRandomness => write!(f, "the server cannot make an id"),
        }
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every error answers with its row of the table: status, code, and `Retry-After`.
    #[test]
    fn every_error_answers_with_its_row() {
        let id = JobId::parse("7c3f0a8e-52f1-4c6e-9d0b-3a1e5f7b2c4d").expect("an id");
        let field = FieldError {
            field: "kind".to_owned(),
            problem: "is required".to_owned(),
        };
        let errors = [
            ApiError::InvalidJson(field.clone()),
            ApiError::InvalidField(field),
            ApiError::UnsupportedMediaType(None),
            ApiError::InvalidWait("soon".to_owned()),
            ApiError::JobNotFound("x".to_owned()),
            ApiError::NotCompleted {
                id,
                status: Status::Running,
                error: None,
            },
            ApiError::AlreadyFinished {
                id,
                status: Status::Completed,
            },
            ApiError::StoreFull,
            ApiError::QueueFull,
            ApiError::Busy(Busy {
                message: "all 2 permits for primes are taken".to_owned(),
                retry_after_s: 2,
            }),
            ApiError::Draining,
            ApiError::NoRandomness,
        ];
        // The table, written out again by hand: a changed row must be changed here too.
        let rows = [
            (400, "invalid_json", None),
            (400, "invalid_field", None),
            (415, "unsupported_media_type", None),
            (400, "invalid_wait", None),
            (404, "job_not_found", None),
            (409, "not_completed", None),
            (409, "already_finished", None),
            (503, "store_full", Some(1)),
            (503, "queue_full", Some(1)),
            (503, "busy", Some(2)),
            (503, "draining", Some(5)),
            (500, "no_randomness", None),
        ];
        for (error, row) in errors.into_iter().zip(rows) {
            let (status, code, retry_after) = error.status_code_retry();
            assert_eq!((status, code, retry_after), row, "{error:?}");
            let response = error.clone().into_response();
            assert_eq!(response.status(), status, "{error:?}");
            let body: serde_json::Value =
                serde_json::from_slice(response.body()).expect("a JSON body");
            assert_eq!(body["error"]["code"], code, "{error:?}");
            assert_eq!(body["error"]["message"], error.to_string());
            let header = response.header("retry-after").map(str::to_owned);
            assert_eq!(header, retry_after.map(|s| s.to_string()), "{error:?}");
        }
    }
}
