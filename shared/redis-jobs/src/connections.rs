//! A few open connections, reused: a round trip on an open connection costs tens of
//! microseconds, opening one costs a TCP handshake and more.

use crate::config::IO_TIMEOUT;
use redis::{Client, Connection, RedisError, RedisResult};
use std::sync::{Mutex, PoisonError};

/// The connections not in use. A connection that failed is dropped, not returned: the next
/// call opens a new one, which is how the server reconnects after Redis comes back.
pub struct Connections {
    client: Client,
    idle: Mutex<Vec<Connection>>,
}

/// More idle connections than this are closed: they would only wait.
const MAX_IDLE: usize = 32;

impl Connections {
    /// Connections to the Redis of `client` (none is opened yet).
    pub fn new(client: Client) -> Connections {
        Connections {
            client,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// A new connection, with every wait bounded by [`IO_TIMEOUT`].
    ///
    /// # Errors
    ///
    /// Redis cannot be reached.
    pub fn open(&self) -> RedisResult<Connection> {
        let connection = self.client.get_connection_with_timeout(IO_TIMEOUT)?;
        connection.set_read_timeout(Some(IO_TIMEOUT))?;
        connection.set_write_timeout(Some(IO_TIMEOUT))?;
        Ok(connection)
    }

    /// Runs `call` on an idle connection, or a new one.
    ///
    /// # Errors
    ///
    /// What `call` returned, or the failure to connect.
    pub fn with<T>(&self, call: impl FnOnce(&mut Connection) -> RedisResult<T>) -> RedisResult<T> {
        let idle = self.lock().pop();
        let mut connection = match idle {
            Some(connection) => connection,
            None => self.open()?,
        };
        let result = call(&mut connection);
        let mut idle = self.lock();
        if matches!(&result, Err(error) if is_lost(error)) {
            // Redis went away (a restart, say): the idle connections were opened to the same
            // Redis and are most likely broken too. Dropped now, they do not each fail one
            // more request — and flip `/ready` — after Redis is back.
            idle.clear();
        } else if idle.len() < MAX_IDLE {
            idle.push(connection);
        }
        result
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Connection>> {
        // A vector of connections is consistent between any two pushes and pops.
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Whether `error` says the connection (or Redis) is gone, rather than a command refused.
pub fn is_lost(error: &RedisError) -> bool {
    error.is_io_error()
        || error.is_timeout()
        || error.is_connection_dropped()
        || error.is_connection_refusal()
        || error.is_unrecoverable_error()
}
