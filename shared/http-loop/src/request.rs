//! A parsed HTTP request, owned, so that it can travel to any thread.

use crate::query::{self, QueryError};
use std::borrow::Cow;
use std::fmt;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};

/// The request methods this server knows. Anything else is answered 501.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    /// `GET`
    Get,
    /// `HEAD`
    Head,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `PATCH`
    Patch,
    /// `DELETE`
    Delete,
    /// `OPTIONS`
    Options,
}

impl Method {
    /// The method named by `token`, matched exactly as RFC 9110 says (methods are
    /// case-sensitive).
    pub fn from_token(token: &str) -> Option<Method> {
        Some(match token {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            "OPTIONS" => Method::Options,
            _ => return None,
        })
    }

    /// The method's token, as it appears on the request line.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The HTTP version of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    /// HTTP/1.0: the connection closes after each answer unless the client asks otherwise.
    Http10,
    /// HTTP/1.1: the connection stays open unless the client asks otherwise.
    Http11,
}

/// A number that names one request in log lines, so a reader can follow it across threads
/// (the Rust counterpart of the Go guide's "logging with goroutine IDs").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RequestId(u64);

impl RequestId {
    /// The next id of this process.
    pub fn next() -> RequestId {
        // Relaxed: the counter only has to hand out distinct numbers; it orders nothing.
        static NEXT: AtomicU64 = AtomicU64::new(1);
        RequestId(NEXT.fetch_add(1, Ordering::Relaxed))
    }

    /// The id's number.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "req-{}", self.0)
    }
}

/// One request header. Names are kept as sent; compare them with
/// [`Request::header`], which ignores case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// The header's name.
    pub name: String,
    /// The header's value: bytes, since HTTP does not promise text.
    pub value: Vec<u8>,
}

/// A complete HTTP request: head and body.
#[derive(Clone, Debug)]
pub struct Request {
    pub(crate) id: RequestId,
    pub(crate) method: Method,
    /// Path and query, as on the request line.
    pub(crate) target: String,
    pub(crate) version: Version,
    pub(crate) headers: Vec<Header>,
    pub(crate) body: Vec<u8>,
    /// Values of the route's `{name}` segments, filled in by the router.
    pub(crate) params: Vec<(String, String)>,
    /// The address of the client's end of the connection.
    pub(crate) peer: Option<IpAddr>,
}

impl Request {
    /// The id that names this request in logs.
    pub fn id(&self) -> RequestId {
        self.id
    }

    /// The IP address of the client's end of the connection (`None` for a request that did
    /// not come over a socket, such as one parsed in a test). Behind a proxy this is the
    /// proxy's address: only a proxy you trust may say who its client was.
    pub fn peer(&self) -> Option<IpAddr> {
        self.peer
    }

    /// The same request, as if it came from `peer`: for tests of code that looks at it.
    #[must_use]
    pub fn with_peer(mut self, peer: IpAddr) -> Request {
        self.peer = Some(peer);
        self
    }

    /// The request's method.
    pub fn method(&self) -> Method {
        self.method
    }

    /// The path, without the query: `/jobs/42` for `/jobs/42?wait=2s`.
    pub fn path(&self) -> &str {
        match self.target.split_once('?') {
            Some((path, _)) => path,
            None => &self.target,
        }
    }

    /// The query string without the `?`, if there is one.
    pub fn query(&self) -> Option<&str> {
        self.target.split_once('?').map(|(_, query)| query)
    }

    /// The percent-decoded value of query parameter `name` (`limit` in `?limit=10`), if given.
    ///
    /// # Errors
    ///
    /// The name is given twice, or its encoding is broken: see [`query`](crate::query).
    pub fn query_param(&self, name: &str) -> Result<Option<Cow<'_, str>>, QueryError> {
        self.query()
            .map_or(Ok(None), |query| query::find(query, name))
    }

    /// The HTTP version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The first header named `name`, compared without regard to case.
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|header| header.name.eq_ignore_ascii_case(name))
            .map(|header| header.value.as_slice())
    }

    /// All headers, in the order sent.
    pub fn headers(&self) -> &[Header] {
        &self.headers
    }

    /// The body (empty without `Content-Length`).
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The value of the route segment `{name}`, if the route had one.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find_map(|(key, value)| (key == name).then_some(value.as_str()))
    }
}
