//! Query parameters: `?wait=2s&limit=10`, percent-decoded, each name at most once.
//!
//! Use [`Request::query_param`](crate::Request::query_param) rather than splitting the query by
//! hand: a client may write `wait=%32s` for `wait=2s` (percent-encoding, RFC 3986 §2.1) and
//! `+` for a space (the HTML form encoding every browser and `curl -G --data-urlencode` use),
//! and the two spellings must mean the same. A name given twice (`?wait=1s&wait=30s`) is
//! refused rather than resolved by a rule the client has to guess: servers disagree on whether
//! the first or the last wins, and the disagreement is a known source of bugs behind proxies
//! ("HTTP parameter pollution").

use crate::response::{Response, excerpt};
use std::borrow::Cow;
use std::fmt;

/// Why a query parameter cannot be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QueryError {
    /// The name appears more than once.
    Repeated(String),
    /// The value's percent-encoding is broken (`%4`, `%zz`) or decodes to bytes that are not
    /// UTF-8.
    BadEncoding(String),
}

impl QueryError {
    /// The 400 that names the parameter and the problem.
    pub fn into_response(self) -> Response {
        Response::error(400, "invalid_query", &self.to_string())
    }
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueryError::Repeated(name) => write!(f, "`{}` is given more than once", excerpt(name)),
            QueryError::BadEncoding(name) => {
                write!(f, "`{}` is not valid percent-encoded UTF-8", excerpt(name))
            }
        }
    }
}

/// The decoded value of parameter `name` in `query` (the part after `?`), if it is there.
///
/// # Errors
///
/// The name is repeated, or its value's encoding is broken.
pub fn find<'q>(query: &'q str, name: &str) -> Result<Option<Cow<'q, str>>, QueryError> {
    let mut found = None;
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = decode(key).map_err(|()| QueryError::BadEncoding(key.to_owned()))?;
        if key != name {
            continue;
        }
        if found.is_some() {
            return Err(QueryError::Repeated(name.to_owned()));
        }
        found = Some(decode(value).map_err(|()| QueryError::BadEncoding(name.to_owned()))?);
    }
    Ok(found)
}

/// Percent-decodes `text`, with `+` as a space; borrows when there is nothing to decode.
fn decode(text: &str) -> Result<Cow<'_, str>, ()> {
    if !text.contains(['%', '+']) {
        return Ok(Cow::Borrowed(text));
    }
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&byte, tail)) = rest.split_first() {
        rest = tail;
        match byte {
            b'+' => bytes.push(b' '),
            b'%' => {
                let hex = rest.get(..2).ok_or(())?;
                let hex = std::str::from_utf8(hex).map_err(|_| ())?;
                bytes.push(u8::from_str_radix(hex, 16).map_err(|_| ())?);
                rest = &rest[2..];
            }
            _ => bytes.push(byte),
        }
    }
    String::from_utf8(bytes).map(Cow::Owned).map_err(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_percent_decoded_and_plus_is_a_space() {
        assert_eq!(find("wait=%32s", "wait"), Ok(Some("2s".into())));
        assert_eq!(find("q=a+b%20c", "q"), Ok(Some("a b c".into())));
        assert_eq!(find("w%61it=1s", "wait"), Ok(Some("1s".into())));
        assert_eq!(find("caf%C3%A9=1", "café"), Ok(Some("1".into())));
    }

    #[test]
    fn a_missing_name_is_none_and_a_bare_name_is_empty() {
        assert_eq!(find("limit=10", "wait"), Ok(None));
        assert_eq!(find("", "wait"), Ok(None));
        assert_eq!(find("wait&x=1", "wait"), Ok(Some("".into())));
    }

    #[test]
    fn a_repeated_name_is_refused_not_guessed() {
        let error = find("wait=1s&wait=30s", "wait").unwrap_err();
        assert_eq!(error, QueryError::Repeated("wait".into()));
        assert_eq!(error.into_response().status(), 400);
    }

    #[test]
    fn broken_encodings_are_refused() {
        for query in ["wait=%3", "wait=%zz", "wait=%ff", "wait=%"] {
            assert_eq!(
                find(query, "wait"),
                Err(QueryError::BadEncoding("wait".into())),
                "{query}"
            );
        }
    }
}
