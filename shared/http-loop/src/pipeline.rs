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

use crate::handler::{Abandoned, Watch};
use crate::request::Method;
use crate::response::Response;
use std::collections::VecDeque;
use std::time::Instant;

/// What a request said about how its answer goes on the wire.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Framing {
    /// The connection carries no request after this one.
    pub(crate) last: bool,
    /// The request was `HEAD`: write the head of the response only.
    pub(crate) head_only: bool,
    /// An HTTP/1.0 client asked to keep the connection: the answer must say it does.
    pub(crate) announce_keep_alive: bool,
    /// For the observer, if there is one: the request's method, its route's label, and the
    /// loop turn that read it.
    pub(crate) observed: Option<(Method, &'static str, Instant)>,
}

/// One answer, ready to be written.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) response: Response,
    pub(crate) framing: Framing,
}

/// The place of one admitted request: how to frame its answer, the answer once it has
/// arrived, and what the loop watches for until then.
struct Slot {
    response: Option<Response>,
    framing: Framing,
    watch: Watch,
    /// The client hung up and the loop gave the request up (its `on_abandon` ran): no answer
    /// is awaited any more, and none can be written after it, since answers go out in order.
    abandoned: bool,
}

/// The in-flight requests of one connection, oldest first.
#[derive(Default)]
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

    /// Makes the newest request the connection's last (the server is draining): its answer
    /// says `Connection: close`, and no request is admitted after it.
    pub(crate) fn make_last(&mut self) {
        if let Some(slot) = self.slots.back_mut() {
            slot.framing.last = true;
        }
        self.closed = true;
    }

    /// Whether no more requests may be admitted, because an admitted one is the last.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed
    }

    /// Admits a request and returns its sequence number. A request framed as the `last` is
    /// the connection's last: nothing is admitted after it.
    pub(crate) fn admit(&mut self, framing: Framing) -> u64 {
        debug_assert!(!self.closed, "a request admitted after the last one");
        self.closed |= framing.last;
        self.slots.push_back(Slot {
            response: None,
            framing,
            watch: Watch::default(),
            abandoned: false,
        });
        self.first + self.slots.len() as u64 - 1
    }

    // ANCHOR: order
    // ANCHOR: fill
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
            slot.framing.last = true;
            self.slots.truncate(index + 1);
            self.closed = true;
        }
        let slot = &mut self.slots[index];
        slot.response = Some(response);
        // Answered: nothing more to watch for.
        slot.watch = Watch::default();
    }
    // ANCHOR_END: fill

    /// Keeps `watch` for request `seq` until it is answered.
    pub(crate) fn watch(&mut self, seq: u64, watch: Watch) {
        let index = seq
            .checked_sub(self.first)
            .and_then(|i| usize::try_from(i).ok());
        if let Some(slot) = index.and_then(|index| self.slots.get_mut(index)) {
            if slot.response.is_none() {
                slot.watch = watch;
            }
        }
    }

    // ANCHOR: hang_up
    /// The client has hung up: abandons every unanswered request that asked to hear of it
    /// ([`Defer::on_abandon`](crate::Defer::on_abandon)). The loop awaits no answer for those:
    /// their handler may give up without one (a long poll that stops waiting does).
    pub(crate) fn hang_up(&mut self) {
        for slot in &mut self.slots {
            if let Some(on_abandon) = slot.watch.on_abandon.take() {
                slot.abandoned = true;
                abandon(on_abandon, Abandoned::HangUp);
            }
        }
    }

    /// Whether no answer can be written any more: nothing is in flight, or the oldest request
    /// was abandoned, which holds back every answer after it.
    pub(crate) fn awaits_nothing(&self) -> bool {
        self.slots
            .front()
            .is_none_or(|slot| slot.response.is_none() && slot.abandoned)
    }
    // ANCHOR_END: hang_up

    /// The earliest deadline of an unanswered request.
    pub(crate) fn earliest_deadline(&self) -> Option<Instant> {
        self.slots
            .iter()
            .filter(|slot| slot.response.is_none())
            .filter_map(|slot| slot.watch.deadline)
            .min()
    }

    // ANCHOR: expire
    /// Answers 504 for every unanswered request whose deadline is past, and abandons it.
    pub(crate) fn expire(&mut self, now: Instant) {
        for slot in &mut self.slots {
            if slot.response.is_none() && slot.watch.deadline.is_some_and(|at| at <= now) {
                let watch = std::mem::take(&mut slot.watch);
                slot.response = Some(match watch.on_deadline {
                    // Handler code on the loop thread: a panic costs this request a 500.
                    Some(answer) => std::panic::catch_unwind(std::panic::AssertUnwindSafe(answer))
                        .unwrap_or_else(|_| {
                            let message = "the request's deadline answer panicked";
                            Response::error(500, "handler_panicked", message)
                        }),
                    None => {
                        let message = "the request did not finish before its deadline";
                        Response::error(504, "deadline_exceeded", message)
                    }
                });
                if let Some(on_abandon) = watch.on_abandon {
                    abandon(on_abandon, Abandoned::Deadline);
                }
            }
        }
    }
    // ANCHOR_END: expire

    // ANCHOR: take_ready
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
            framing: slot.framing,
        })
    }
    // ANCHOR_END: take_ready
    // ANCHOR_END: order
}

// ANCHOR: abandon
/// Calls a handler's abandon callback. It runs on the loop thread (sometimes while a connection
/// is being dropped), so a panic in it is caught here: it must not end the loop, nor abort the
/// process by panicking during another panic's unwinding.
fn abandon(on_abandon: Box<dyn FnOnce(Abandoned) + Send>, why: Abandoned) {
    let call = std::panic::AssertUnwindSafe(move || on_abandon(why));
    if std::panic::catch_unwind(call).is_err() {
        log::error!("an abandon callback panicked ({why:?})");
    }
}
// ANCHOR_END: abandon

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
        let first = pipeline.admit(Framing::default());
        let second = pipeline.admit(Framing::default());
        let third = pipeline.admit(Framing::default());

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
        let seq = pipeline.admit(Framing::default());
        pipeline.fill(seq, answer(200));
        pipeline.fill(seq, answer(500));
        assert_eq!(drain(&mut pipeline), [200]);
        pipeline.fill(seq, answer(500));
        assert!(drain(&mut pipeline).is_empty());
    }

    #[test]
    fn a_closing_answer_drops_the_requests_after_it() {
        let mut pipeline = Pipeline::default();
        let first = pipeline.admit(Framing::default());
        let second = pipeline.admit(Framing::default());
        pipeline.fill(first, Response::new(400).closing());
        pipeline.fill(second, answer(200));
        let answers: Vec<_> = std::iter::from_fn(|| pipeline.take_ready()).collect();
        assert_eq!(answers.len(), 1);
        assert!(answers[0].framing.last);
        assert!(pipeline.is_closed());
    }

    #[test]
    fn an_abandoned_request_is_awaited_no_more_and_holds_back_later_answers() {
        let mut pipeline = Pipeline::default();
        let first = pipeline.admit(Framing::default());
        let watched = pipeline.admit(Framing::default());
        let after = pipeline.admit(Framing::default());
        let watch = Watch {
            on_abandon: Some(Box::new(|_| {})),
            ..Watch::default()
        };
        pipeline.watch(watched, watch);
        pipeline.fill(after, answer(203));
        pipeline.hang_up();
        assert!(
            !pipeline.awaits_nothing(),
            "#1 has no watch: its answer is still due"
        );
        pipeline.fill(first, answer(201));
        assert_eq!(drain(&mut pipeline), [201]);
        assert!(
            pipeline.awaits_nothing(),
            "#2 is abandoned, and #3 cannot pass it"
        );
    }
}
