//! Incremental HTTP/1.1 request parsing on top of `httparse`, with every refusal of a malformed
//! or oversized request (all of them in one table: `book/src/reference.md`).
//!
//! The connection keeps the bytes it has received in a growing buffer and calls
//! [`parse_request`] when a new read may have completed a request. `httparse` is stateless: it
//! parses the head from the start of the buffer each time, so the connection first looks for
//! the blank line that ends a head ([`find_head_end`]) and only then calls it; a client that
//! sends its head a byte at a time costs one scan of each new byte, not a re-parse of all of them.
//!
//! What a request is refused for, and why:
//!
//! | refusal | status | why |
//! |---|---|---|
//! | malformed request line or header | 400 | nothing after it can be trusted |
//! | head over `max_head_bytes`, more than `max_headers` | 431 | memory is bounded per client |
//! | body over `max_body_bytes` | 413 | likewise |
//! | `Content-Length` and `Transfer-Encoding` together | 400 | the classic request-smuggling shape: two servers on the path could disagree on where the body ends |
//! | two `Content-Length`s that differ, or one that is not a number | 400 | the same |
//! | `Transfer-Encoding` (chunked) | 501 | not implemented here; refused rather than misread |
//! | HTTP/1.1 without `Host` | 400 | RFC 9112 §3.2 requires it |
//! | unknown method | 501 | RFC 9110 §9.1 |
//!
//! All of them close the connection after the answer: once framing is in doubt, the next byte
//! might be the start of a request or the middle of a body.

use crate::config::Config;
use crate::request::{Header, Method, Request, RequestId, Version};
use crate::response::Response;

/// What [`parse_request`] found at the start of the buffer.
#[derive(Debug)]
pub enum Parsed {
    /// Not a whole request yet. `needed` is the total byte count the request will have, once
    /// its head is known and only the body is missing: the caller need not parse again until
    /// the buffer holds that many.
    Partial {
        /// Total length of the request, when known.
        needed: Option<usize>,
        /// The client sent `Expect: 100-continue`: it waits for a `100 Continue` before it
        /// sends the body (curl does, for larger bodies).
        expects_continue: bool,
    },
    /// A whole request, which took the first `consumed` bytes of the buffer.
    Complete {
        /// The request.
        request: Request,
        /// How many bytes of the buffer it took.
        consumed: usize,
        /// Whether the connection may carry another request after this one.
        keep_alive: bool,
    },
}

/// Why a request was refused: the status and the JSON error to answer with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The HTTP status.
    pub status: u16,
    /// The machine-readable error code.
    pub code: &'static str,
    /// What a person needs to know to fix the request.
    pub message: String,
}

impl Refusal {
    fn new(status: u16, code: &'static str, message: impl Into<String>) -> Refusal {
        Refusal {
            status,
            code,
            message: message.into(),
        }
    }

    /// The answer to send: the JSON error, closing the connection.
    pub fn into_response(self) -> Response {
        Response::error(self.status, self.code, &self.message).closing()
    }
}

/// Where the head starts in `buf` is 0; this returns the index just past the blank line that
/// ends it, searching from `from` (bytes before it were already searched). `httparse` accepts a
/// bare `\n` line ending as well as `\r\n`, and so does this.
pub fn find_head_end(buf: &[u8], from: usize) -> Option<usize> {
    // Back up a little so that a "\r\n\r\n" split across two reads is still found.
    let start = from.saturating_sub(3);
    let mut i = start;
    while let Some(offset) = buf[i..].iter().position(|&b| b == b'\n') {
        let newline = i + offset;
        match buf.get(newline + 1) {
            Some(b'\n') => return Some(newline + 2),
            Some(b'\r') if buf.get(newline + 2) == Some(&b'\n') => return Some(newline + 3),
            _ => i = newline + 1,
        }
    }
    None
}

/// Parses the request at the start of `buf`, applying `config`'s limits.
///
/// # Errors
///
/// A [`Refusal`] when the request must be refused; see the module documentation.
pub fn parse_request(buf: &[u8], config: &Config) -> Result<Parsed, Refusal> {
    let mut storage = [httparse::EMPTY_HEADER; 64];
    let mut spill;
    // The header array's length is the header limit: httparse answers `TooManyHeaders` beyond
    // it. A stack array serves the default limit; a larger configured limit needs the heap.
    let slots: &mut [httparse::Header<'_>] = if config.max_headers <= storage.len() {
        &mut storage[..config.max_headers]
    } else {
        spill = vec![httparse::EMPTY_HEADER; config.max_headers];
        &mut spill
    };
    let mut head = httparse::Request::new(slots);
    let head_len = match head.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => {
            // httparse has no size limit of its own: the cap is ours to enforce.
            if buf.len() > config.max_head_bytes {
                return Err(head_too_large(config));
            }
            return Ok(Parsed::Partial {
                needed: None,
                expects_continue: false,
            });
        }
        Err(httparse::Error::TooManyHeaders) => {
            return Err(Refusal::new(
                431,
                "too_many_headers",
                format!("a request may carry at most {} headers", config.max_headers),
            ));
        }
        Err(error) => return Err(Refusal::new(400, "malformed_request", describe(error))),
    };
    if head_len > config.max_head_bytes {
        return Err(head_too_large(config));
    }

    let framing = Framing::of(head.headers)?;
    let version = match head.version {
        Some(0) => Version::Http10,
        _ => Version::Http11,
    };
    if version == Version::Http11 && !framing.has_host {
        return Err(Refusal::new(
            400,
            "missing_host",
            "an HTTP/1.1 request must carry a Host header",
        ));
    }
    let method_token = head.method.unwrap_or_default();
    let Some(method) = Method::from_token(method_token) else {
        return Err(Refusal::new(
            501,
            "method_not_implemented",
            format!("method {method_token:?} is not implemented"),
        ));
    };
    let target = head.path.unwrap_or_default();
    if !target.starts_with('/') {
        return Err(Refusal::new(
            400,
            "bad_target",
            "the request target must be a path starting with '/'",
        ));
    }
    let body_len = framing.content_length.unwrap_or(0);
    if body_len > config.max_body_bytes as u64 {
        return Err(Refusal::new(
            413,
            "body_too_large",
            format!(
                "the body may be at most {} bytes; Content-Length says {body_len}",
                config.max_body_bytes
            ),
        ));
    }
    // Cannot truncate: body_len <= max_body_bytes, a usize.
    let total = head_len + body_len as usize;
    if buf.len() < total {
        return Ok(Parsed::Partial {
            needed: Some(total),
            expects_continue: framing.expects_continue,
        });
    }

    let keep_alive = match version {
        Version::Http11 => !framing.connection_close,
        Version::Http10 => framing.connection_keep_alive,
    };
    let request = Request {
        id: RequestId::next(),
        method,
        target: target.to_owned(),
        version,
        headers: head
            .headers
            .iter()
            .map(|header| Header {
                name: header.name.to_owned(),
                value: header.value.to_vec(),
            })
            .collect(),
        body: buf[head_len..total].to_vec(),
        params: Vec::new(),
        peer: None,
    };
    Ok(Parsed::Complete {
        request,
        consumed: total,
        keep_alive,
    })
}

/// What the headers say about the request's framing and connection.
#[derive(Default)]
struct Framing {
    content_length: Option<u64>,
    has_host: bool,
    connection_close: bool,
    connection_keep_alive: bool,
    expects_continue: bool,
}

impl Framing {
    fn of(headers: &[httparse::Header<'_>]) -> Result<Framing, Refusal> {
        let mut framing = Framing::default();
        let mut transfer_encoding = false;
        for header in headers {
            let name = header.name;
            if name.eq_ignore_ascii_case("content-length") {
                // `Content-Length: 5, 5` and two `Content-Length: 5` lines are allowed
                // (RFC 9110 §8.6); any disagreement is not.
                for part in header.value.split(|&b| b == b',') {
                    let length = parse_length(part)?;
                    match framing.content_length {
                        Some(seen) if seen != length => {
                            return Err(Refusal::new(
                                400,
                                "conflicting_content_length",
                                "the request carries Content-Length values that differ",
                            ));
                        }
                        _ => framing.content_length = Some(length),
                    }
                }
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                transfer_encoding = true;
            } else if name.eq_ignore_ascii_case("expect") {
                framing.expects_continue = header.value.eq_ignore_ascii_case(b"100-continue");
            } else if name.eq_ignore_ascii_case("host") {
                framing.has_host = true;
            } else if name.eq_ignore_ascii_case("connection") {
                for option in header.value.split(|&b| b == b',') {
                    let option = option.trim_ascii();
                    framing.connection_close |= option.eq_ignore_ascii_case(b"close");
                    framing.connection_keep_alive |= option.eq_ignore_ascii_case(b"keep-alive");
                }
            }
        }
        if transfer_encoding {
            return Err(if framing.content_length.is_some() {
                Refusal::new(
                    400,
                    "ambiguous_length",
                    "the request carries both Content-Length and Transfer-Encoding",
                )
            } else {
                Refusal::new(
                    501,
                    "transfer_encoding_not_implemented",
                    "Transfer-Encoding is not supported; send the body with Content-Length",
                )
            });
        }
        Ok(framing)
    }
}

/// Parses a `Content-Length` value: ASCII digits only (no sign, no spaces inside).
fn parse_length(value: &[u8]) -> Result<u64, Refusal> {
    let digits = value.trim_ascii();
    let invalid = || {
        Refusal::new(
            400,
            "invalid_content_length",
            "Content-Length must be a non-negative decimal number",
        )
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(invalid());
    }
    // All ASCII digits, so UTF-8; only overflow can fail now.
    std::str::from_utf8(digits)
        .ok()
        .and_then(|text| text.parse().ok())
        .ok_or_else(invalid)
}

fn head_too_large(config: &Config) -> Refusal {
    Refusal::new(
        431,
        "header_too_large",
        format!(
            "the request line and headers may be at most {} bytes",
            config.max_head_bytes
        ),
    )
}

fn describe(error: httparse::Error) -> String {
    let what = match error {
        httparse::Error::HeaderName => "invalid header name (is a colon missing?)",
        httparse::Error::HeaderValue => "invalid header value",
        httparse::Error::NewLine => "invalid line ending",
        httparse::Error::Status => "invalid status",
        httparse::Error::Token => "invalid method token",
        httparse::Error::Version => "invalid HTTP version",
        httparse::Error::TooManyHeaders => "too many headers",
    };
    format!("malformed request: {what}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &str) -> Result<Parsed, Refusal> {
        parse_request(raw.as_bytes(), &Config::default())
    }

    fn refusal(raw: &str) -> (u16, &'static str) {
        match parse(raw) {
            Err(refusal) => (refusal.status, refusal.code),
            Ok(parsed) => panic!("expected a refusal, got {parsed:?}"),
        }
    }

    #[test]
    fn a_complete_request_with_a_body() {
        let raw = "POST /jobs?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nbodyGET";
        let Ok(Parsed::Complete {
            request,
            consumed,
            keep_alive,
        }) = parse(raw)
        else {
            panic!("expected a complete request");
        };
        assert_eq!(request.method(), Method::Post);
        assert_eq!(request.path(), "/jobs");
        assert_eq!(request.query_param("x"), Ok(Some("1".into())));
        assert_eq!(request.body(), b"body");
        assert_eq!(consumed, raw.len() - "GET".len());
        assert!(keep_alive);
    }

    #[test]
    fn a_missing_body_says_how_many_bytes_it_needs() {
        let raw = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc";
        let needed = raw.len() - 3 + 10;
        assert!(matches!(parse(raw), Ok(Parsed::Partial { needed: Some(n), .. }) if n == needed));
    }

    #[test]
    fn http_1_0_closes_unless_asked_to_keep_alive() {
        let close = parse("GET / HTTP/1.0\r\n\r\n");
        assert!(matches!(
            close,
            Ok(Parsed::Complete {
                keep_alive: false,
                ..
            })
        ));
        let keep = parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
        assert!(matches!(
            keep,
            Ok(Parsed::Complete {
                keep_alive: true,
                ..
            })
        ));
    }

    #[test]
    fn the_refusals_of_spec_section_5() {
        assert_eq!(refusal("GET\r\n\r\n").0, 400);
        assert_eq!(refusal("GET / HTTP/1.1\r\nHost a\r\n\r\n").0, 400);
        assert_eq!(refusal("GET / HTTP/1.1\r\n\r\n"), (400, "missing_host"));
        assert_eq!(refusal("BREW / HTTP/1.1\r\nHost: a\r\n\r\n").0, 501);
        let both =
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n";
        assert_eq!(refusal(both), (400, "ambiguous_length"));
        let differing =
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n";
        assert_eq!(refusal(differing), (400, "conflicting_content_length"));
        let signed = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\n";
        assert_eq!(refusal(signed), (400, "invalid_content_length"));
        let chunked = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
        assert_eq!(refusal(chunked).0, 501);
        let huge = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n";
        assert_eq!(refusal(huge), (400, "invalid_content_length"));
        let large = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2000000\r\n\r\n";
        assert_eq!(refusal(large), (413, "body_too_large"));
    }

    #[test]
    fn equal_duplicate_lengths_are_accepted() {
        let raw =
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 1\r\nContent-Length: 1\r\n\r\nx";
        assert!(matches!(parse(raw), Ok(Parsed::Complete { .. })));
    }

    #[test]
    fn limits_on_the_head() {
        let config = Config {
            max_headers: 2,
            max_head_bytes: 64,
            ..Config::default()
        };
        let many = b"GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n";
        assert_eq!(
            parse_request(many, &config).map(|_| ()).unwrap_err().status,
            431
        );
        let long = format!("GET /{} HTTP/1.1\r\n", "a".repeat(100));
        assert_eq!(
            parse_request(long.as_bytes(), &config)
                .map(|_| ())
                .unwrap_err()
                .code,
            "header_too_large"
        );
    }

    #[test]
    fn the_end_of_a_head_is_found_across_reads() {
        let raw = b"GET / HTTP/1.1\r\nHost: a\r\n\r\nrest";
        assert_eq!(find_head_end(raw, 0), Some(raw.len() - 4));
        assert_eq!(find_head_end(raw, 26), Some(raw.len() - 4));
        assert_eq!(find_head_end(b"GET / HTTP/1.1\r\nHost: a\r\n", 0), None);
        assert_eq!(find_head_end(b"GET / HTTP/1.0\n\n", 0), Some(16));
    }
}
