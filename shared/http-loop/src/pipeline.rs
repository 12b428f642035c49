//! Answers in request order, whatever order the handlers finish in (HTTP pipelining).
//!
//! A client may send several requests on one connection without waiting for the answers; the
//! answers must then come back in the order the requests were sent (RFC 9112 §9.3.2). Handlers
//! run on many threads and finish in any order, so each request gets a sequence number and a
//! slot, and an answer that arrives early waits in its slot until every answer before it has
//! been written.
//!
//! ```text
//!   sent:      #7        #8        #9
//!   finished:  #9 ✓      #7 ✓      #8 ✓
//!   slots:   [ _ , _ , 9 ] → [ 7 , _ , 9 ] → write 7 → [ 8 , 9 ] → write 8, 9
//! ```

use crate::response::Response;
use std::collections::VecDeque;

/// One answer, ready to be written.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) response: Response,
    /// The connection carries no request after this one.
    pub(crate) last: bool,
    /// The request was `HEAD`: write the head of the response only.
    pub(crate) head_only: bool,
}

/// The place of one admitted request: what the request said about its answer, and the answer
/// once it has arrived.
#[derive(Debug)]
struct Slot {
    response: Option<Response>,
    last: bool,
    head_only: bool,
}

/// The in-flight requests of one connection, oldest first.
#[derive(Debug, Default)]
pub(crate) struct Pipeline {
    /// Sequence number of the oldest unwritten answer (the front slot).
    first: u64,
    /// One slot per in-flight request.
    slots: VecDeque<Slot>,
    /// Whether a request has been admitted as the connection's last.
    closed: bool,
}

impl Pipeline {
    /// How many requests are waiting for (or holding) an unwritten answer.
    pub(crate) fn in_flight(&self) -> usize {
        self.slots.len()
    }

    /// Whether no more requests may be admitted, because an admitted one is the last.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed
    }

    /// Admits a request and returns its sequence number. `last` marks the connection's last
    /// request: nothing is admitted after it. `head_only` marks a `HEAD` request.
    pub(crate) fn admit(&mut self, last: bool, head_only: bool) -> u64 {
        debug_assert!(!self.closed, "a request admitted after the last one");
        self.closed |= last;
        self.slots.push_back(Slot {
            response: None,
            last,
            head_only,
        });
        self.first + self.slots.len() as u64 - 1
    }

    /// Puts the answer to request `seq` in its slot. An answer to a request that is already
    /// answered (a handler that panicked after answering, say) is ignored. A response that
    /// closes the connection makes its request the last one: later slots are dropped.
    pub(crate) fn fill(&mut self, seq: u64, response: Response) {
        let Some(index) = seq
            .checked_sub(self.first)
            .and_then(|index| usize::try_from(index).ok())
        else {
            return;
        };
        let Some(slot) = self.slots.get_mut(index) else {
            return;
        };
        if slot.response.is_some() {
            return;
        }
        if response.closes_connection() {
            slot.last = true;
            self.slots.truncate(index + 1);
            self.closed = true;
        }
        self.slots[index].response = Some(response);
    }

    /// Takes the answers that are next in order, oldest first, stopping at the first request
    /// that is still being handled.
    pub(crate) fn take_ready(&mut self) -> Option<Answer> {
        let Slot {
            response: Some(_), ..
        } = self.slots.front()?
        else {
            return None;
        };
        let slot = self.slots.pop_front()?;
        self.first += 1;
        Some(Answer {
            response: slot.response?,
            last: slot.last,
            head_only: slot.head_only,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16) -> Response {
        Response::new(status)
    }

    fn drain(pipeline: &mut Pipeline) -> Vec<u16> {
        std::iter::from_fn(|| pipeline.take_ready())
            .map(|answer| answer.response.status())
            .collect()
    }

    #[test]
    fn answers_leave_in_request_order() {
        let mut pipeline = Pipeline::default();
        let first = pipeline.admit(false, false);
        let second = pipeline.admit(false, false);
        let third = pipeline.admit(false, false);

        pipeline.fill(third, answer(203));
        assert!(drain(&mut pipeline).is_empty(), "#3 waits for #1 and #2");
        pipeline.fill(first, answer(201));
        assert_eq!(drain(&mut pipeline), [201]);
        pipeline.fill(second, answer(202));
        assert_eq!(drain(&mut pipeline), [202, 203]);
        assert_eq!(pipeline.in_flight(), 0);
    }

    #[test]
    fn a_second_answer_to_one_request_is_ignored() {
        let mut pipeline = Pipeline::default();
        let seq = pipeline.admit(false, false);
        pipeline.fill(seq, answer(200));
        pipeline.fill(seq, answer(500));
        assert_eq!(drain(&mut pipeline), [200]);
        pipeline.fill(seq, answer(500));
        assert!(drain(&mut pipeline).is_empty());
    }

    #[test]
    fn a_closing_answer_drops_the_requests_after_it() {
        let mut pipeline = Pipeline::default();
        let first = pipeline.admit(false, false);
        let second = pipeline.admit(false, false);
        pipeline.fill(first, Response::new(400).closing());
        pipeline.fill(second, answer(200));
        let answers: Vec<_> = std::iter::from_fn(|| pipeline.take_ready()).collect();
        assert_eq!(answers.len(), 1);
        assert!(answers[0].last);
        assert!(pipeline.is_closed());
    }
}
