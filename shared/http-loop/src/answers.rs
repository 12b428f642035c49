//! Answers kept instead of written: a [`Deliver`] for models and tests of code that holds
//! [`Responder`]s — the loom models of chapter 5's long polls and of the shared-Redis
//! server's, which check that each one is answered exactly once, and with what.

use crate::handler::{Deliver, Responder};
use crate::response::Response;
use crate::slab::Key;
use std::sync::{Arc, PoisonError};
use sync_shim::Mutex;

/// Keeps the status of every answer its responders deliver, in order.
#[derive(Default)]
pub struct Answers(Mutex<Vec<u16>>);

impl Deliver for Answers {
    fn deliver(&self, _connection: Key, _seq: u64, response: Response) {
        let mut answers = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        answers.push(response.status());
    }
}

impl Answers {
    /// The statuses delivered so far.
    pub fn statuses(&self) -> Vec<u16> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// A responder whose answer lands here.
    pub fn responder(answers: &Arc<Answers>) -> Responder {
        let deliver: Arc<dyn Deliver> = Arc::clone(answers) as Arc<dyn Deliver>;
        let key = Key {
            index: 0,
            generation: 0,
        };
        Responder::new(deliver, key, 0)
    }
}
