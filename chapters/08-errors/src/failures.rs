//! The job server's failures as typed errors that wrap their causes, and the way to ask a
//! chain of them what it holds — Go's `fmt.Errorf("…: %w", err)` and `errors.Is`/`errors.As`.
//!
//! A Rust error names its cause with [`Error::source`]; its own message does not repeat the
//! cause's. The chain is printed once, outermost first, by chapter 5's `error_chain`
//! (`sub-job 2 (fail): the job failed on purpose`), and searched by [`find`].

use std::error::Error;
use std::fmt;

// ANCHOR: find
/// The first error of type `T` in `error`'s chain, itself included: Go's `errors.As`
/// (and, with `.is_some()`, `errors.Is` for a type).
pub fn find<'a, T: Error + 'static>(mut error: &'a (dyn Error + 'static)) -> Option<&'a T> {
    loop {
        if let Some(found) = error.downcast_ref::<T>() {
            return Some(found);
        }
        error = error.source()?;
    }
}
// ANCHOR_END: find

// ANCHOR: kinds
/// A failure worth another try: the operation may succeed if repeated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transient {
    /// Which attempt failed.
    pub attempt: u32,
}

impl fmt::Display for Transient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a transient failure on attempt {}", self.attempt)
    }
}

impl Error for Transient {}

/// A failure the job asked for: `fail {"mode": "error"}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OnPurpose;

impl fmt::Display for OnPurpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the job failed on purpose")
    }
}

impl Error for OnPurpose {}

// ANCHOR: sub_job_failed
/// A sub-job of a batch failed: which one, of what kind, and — as its source — why.
#[derive(Debug)]
pub struct SubJobFailed {
    /// Its place in the batch, from 0.
    pub index: usize,
    /// Its kind.
    pub kind: &'static str,
    /// Why.
    pub cause: Box<dyn Error + Send + Sync>,
}

impl fmt::Display for SubJobFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The cause is not repeated here: it is the `source`, printed after by the chain.
        write!(f, "sub-job {} ({})", self.index, self.kind)
    }
}

impl Error for SubJobFailed {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&*self.cause)
    }
}
// ANCHOR_END: sub_job_failed
// ANCHOR_END: kinds

#[cfg(test)]
mod tests {
    use super::*;
    use ch05_job_status::error_chain;

    // ANCHOR: chain_test
    #[test]
    fn a_chain_prints_outermost_first_and_is_searched_by_type() {
        let error = SubJobFailed {
            index: 2,
            kind: "fail",
            cause: Box::new(OnPurpose),
        };
        assert_eq!(
            error_chain(&error),
            "sub-job 2 (fail): the job failed on purpose"
        );
        assert_eq!(find::<OnPurpose>(&error), Some(&OnPurpose));
        assert_eq!(find::<SubJobFailed>(&error).map(|e| e.index), Some(2));
        assert!(find::<Transient>(&error).is_none());
    }
    // ANCHOR_END: chain_test
}
