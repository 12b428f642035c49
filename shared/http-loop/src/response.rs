//! An HTTP response, and how it is written onto the wire.
//!
//! Every error this project sends has the same JSON shape, built by [`Response::error`] (every
//! code the project uses is listed in `book/src/reference.md`):
//!
//! ```json
//! {"error":{"code":"queue_full","message":"all 8 workers are busy; try again"}}
//! ```

use crate::pipeline::Framing;
use serde::Serialize;
use std::borrow::Cow;

/// A response: status, headers, body. Build it with the constructors and `with_header`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    status: u16,
    /// Names are static (the server's code names them); values are usually static too
    /// (`application/json`), and a `Cow` spares them an allocation per response.
    headers: Vec<(&'static str, Cow<'static, str>)>,
    body: Vec<u8>,
    /// Whether the connection must close after this response (for an error that leaves the
    /// request stream in an unknown state, such as a malformed request line).
    close: bool,
}

impl Response {
    /// An empty response with `status`.
    pub fn new(status: u16) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            close: false,
        }
    }

    /// A JSON response: `value` serialized, with `Content-Type: application/json`.
    pub fn json(status: u16, value: &impl Serialize) -> Response {
        match serde_json::to_vec(value) {
            Ok(body) => Response::new(status)
                .with_header("Content-Type", "application/json")
                .with_body(body),
            // Serializing plain data (strings, numbers, maps with string keys) cannot fail; a
            // type whose `Serialize` can fail is a bug in the handler, reported as one.
            Err(error) => Response::error(500, "serialize", &format!("cannot encode: {error}")),
        }
    }

    /// A plain-text response.
    pub fn text(status: u16, text: impl Into<String>) -> Response {
        Response::new(status)
            .with_header("Content-Type", "text/plain; charset=utf-8")
            .with_body(text.into().into_bytes())
    }

    /// The project's error response: `{"error":{"code":…,"message":…}}` with `status`.
    pub fn error(status: u16, code: &str, message: &str) -> Response {
        #[derive(Serialize)]
        struct Body<'a> {
            error: Detail<'a>,
        }
        #[derive(Serialize)]
        struct Detail<'a> {
            code: &'a str,
            message: &'a str,
        }
        Response::json(
            status,
            &Body {
                error: Detail { code, message },
            },
        )
    }

    /// Adds a header. `Content-Length` and `Connection` are written by the server; do not add
    /// them.
    pub fn with_header(
        mut self,
        name: &'static str,
        value: impl Into<Cow<'static, str>>,
    ) -> Response {
        self.headers.push((name, value.into()));
        self
    }

    /// Sets the body.
    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Response {
        self.body = body.into();
        self
    }

    /// Marks the response as the connection's last.
    pub fn closing(mut self) -> Response {
        self.close = true;
        self
    }

    /// The status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The first header named `name` (ignoring case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_ref())
    }

    /// The body.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// Whether the connection closes after this response.
    pub fn closes_connection(&self) -> bool {
        self.close
    }

    /// Appends the response, as it goes on the wire, to `out`: with a `Date` of `date` (none
    /// if empty), a `Connection` header as `framing` asks, and no body for an answer to `HEAD`.
    pub(crate) fn write_to(&self, out: &mut Vec<u8>, framing: Framing, date: &str) {
        // Plain byte copies rather than `write!`: this runs on the loop thread for every
        // response, and the formatting machinery costs more than the copying.
        out.extend_from_slice(b"HTTP/1.1 ");
        push_decimal(out, self.status.into());
        out.push(b' ');
        out.extend_from_slice(reason_phrase(self.status).as_bytes());
        out.extend_from_slice(b"\r\n");
        for (name, value) in &self.headers {
            push_header(out, name, value);
        }
        out.extend_from_slice(b"Content-Length: ");
        push_decimal(out, self.body.len());
        out.extend_from_slice(b"\r\n");
        if !date.is_empty() {
            push_header(out, "Date", date);
        }
        if framing.last {
            out.extend_from_slice(b"Connection: close\r\n");
        } else if framing.announce_keep_alive {
            out.extend_from_slice(b"Connection: keep-alive\r\n");
        }
        out.extend_from_slice(b"\r\n");
        if !framing.head_only {
            out.extend_from_slice(&self.body);
        }
    }
}

fn push_header(out: &mut Vec<u8>, name: &str, value: &str) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value.as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// Appends `n` in decimal.
fn push_decimal(out: &mut Vec<u8>, mut n: usize) {
    let mut digits = [0_u8; 20]; // usize::MAX has 20 digits
    let mut start = digits.len();
    loop {
        start -= 1;
        // `n % 10` is below 10: the cast cannot truncate.
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[start..]);
}

/// The reason phrase of `status` (informative only; clients must not rely on it).
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        413 => "Content Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Content",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}

/// The most characters of a client's text an error message repeats.
pub const EXCERPT_CHARS: usize = 64;

/// `text` as an error message may repeat it: whole when short, otherwise its first
/// [`EXCERPT_CHARS`] characters and a note of its length. A client that sends a 10 kB id must
/// not get 10 kB back in the 404 (nor fill a log with it).
pub fn excerpt(text: &str) -> Cow<'_, str> {
    match text.char_indices().nth(EXCERPT_CHARS) {
        None => Cow::Borrowed(text),
        Some((cut, _)) => Cow::Owned(format!("{}… ({} bytes)", &text[..cut], text.len())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_is_json_naming_its_code() {
        let response = Response::error(503, "queue_full", "try again");
        assert_eq!(response.status(), 503);
        assert_eq!(response.header("content-type"), Some("application/json"));
        assert_eq!(
            response.body(),
            br#"{"error":{"code":"queue_full","message":"try again"}}"#
        );
    }

    #[test]
    fn decimals() {
        for n in [0, 7, 10, 1234, usize::MAX] {
            let mut out = Vec::new();
            push_decimal(&mut out, n);
            assert_eq!(out, n.to_string().as_bytes());
        }
    }

    #[test]
    fn a_response_on_the_wire() {
        let mut wire = Vec::new();
        let closing = Framing {
            last: true,
            ..Framing::default()
        };
        Response::text(200, "hi")
            .with_header("X-Test", "1")
            .write_to(&mut wire, closing, "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(
            wire,
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nX-Test: 1\r\n\
              Content-Length: 2\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\n\
              Connection: close\r\n\r\nhi"
        );
    }

    #[test]
    fn excerpts_keep_short_text_and_cut_long_text() {
        assert_eq!(excerpt("abc"), "abc");
        let long = "é".repeat(10_000);
        let cut = excerpt(&long);
        assert!(cut.starts_with(&"é".repeat(EXCERPT_CHARS)));
        assert!(cut.ends_with("… (20000 bytes)"), "{cut}");
    }
}
