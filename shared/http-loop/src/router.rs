//! Routes a request to a handler by method and path; answers 404 and 405 itself.
//!
//! Patterns are paths whose segments may be `{name}` placeholders: `/jobs/{id}/result` matches
//! `/jobs/7f3a/result` and sets the request's `id` parameter to `7f3a`. A path that matches a
//! route under another method is answered `405 Method Not Allowed` with an `Allow` header
//! listing the methods it does have (RFC 9110 §15.5.6); a path that matches nothing, `404`.
//!
//! ```
//! use http_loop::{Method, Reply, Response, Router};
//!
//! let router = Router::new()
//!     .route(Method::Get, "/health", |_, _| Reply::Now(Response::text(200, "ok")))
//!     .route(Method::Get, "/jobs/{id}", |request, _| {
//!         let id = request.param("id").unwrap_or_default().to_owned();
//!         Reply::Now(Response::text(200, id))
//!     });
//! ```

use crate::handler::{Defer, Handler, Reply};
use crate::request::{Method, Request};
use crate::response::{Response, excerpt};

/// A list of routes, tried in the order they were added.
#[derive(Default)]
pub struct Router {
    routes: Vec<Route>,
}

struct Route {
    method: Method,
    segments: Vec<Segment>,
    handler: Box<dyn Handler>,
}

enum Segment {
    Literal(String),
    Param(String),
}

impl Router {
    /// A router with no routes: every request gets 404.
    pub fn new() -> Router {
        Router::default()
    }

    /// Adds a route answered by a function or closure. `GET` routes also answer `HEAD` (with
    /// the head of the answer only).
    pub fn route<F>(self, method: Method, pattern: &str, handler: F) -> Router
    where
        // Spelled out, rather than `impl Handler`, so that a closure's argument types are
        // inferred from this bound.
        F: Fn(Request, Defer<'_>) -> Reply + Send + Sync + 'static,
    {
        self.route_to(method, pattern, handler)
    }

    /// Adds a route answered by any [`Handler`], such as another `Router`.
    pub fn route_to(mut self, method: Method, pattern: &str, handler: impl Handler) -> Router {
        let segments = split(pattern)
            .map(
                |segment| match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Some(name) => Segment::Param(name.to_owned()),
                    None => Segment::Literal(segment.to_owned()),
                },
            )
            .collect();
        self.routes.push(Route {
            method,
            segments,
            handler: Box::new(handler),
        });
        self
    }
}

impl Handler for Router {
    fn handle(&self, mut request: Request, defer: Defer<'_>) -> Reply {
        let mut allowed: Vec<Method> = Vec::new();
        for route in &self.routes {
            let Some(params) = route.matches(request.path()) else {
                continue;
            };
            let method = request.method();
            if route.method == method || (route.method == Method::Get && method == Method::Head) {
                request.params = params;
                return route.handler.handle(request, defer);
            }
            allowed.push(route.method);
        }
        if allowed.is_empty() {
            let message = format!("no route for {}", excerpt(request.path()));
            return Reply::Now(Response::error(404, "not_found", &message));
        }
        if allowed.contains(&Method::Get) {
            allowed.push(Method::Head);
        }
        allowed.sort();
        allowed.dedup();
        let allow = allowed
            .iter()
            .map(|method| method.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let message = format!("{} allows {allow}", excerpt(request.path()));
        Reply::Now(Response::error(405, "method_not_allowed", &message).with_header("Allow", allow))
    }
}

impl Route {
    /// The route's parameters if `path` matches it.
    fn matches(&self, path: &str) -> Option<Vec<(String, String)>> {
        let mut params = Vec::new();
        let mut parts = split(path);
        for segment in &self.segments {
            let part = parts.next()?;
            match segment {
                Segment::Literal(literal) if literal == part => {}
                Segment::Literal(_) => return None,
                Segment::Param(_) if part.is_empty() => return None,
                Segment::Param(name) => params.push((name.clone(), part.to_owned())),
            }
        }
        parts.next().is_none().then_some(params)
    }
}

/// The segments of a path after its leading `/`: `/jobs/7` gives `jobs`, `7`. Empty segments
/// are kept, so `/jobs//result` has three (`jobs`, ``, `result`) and matches no route with two
/// or with a `{name}` in the middle: a placeholder never matches an empty segment.
fn split(path: &str) -> impl Iterator<Item = &str> {
    path.strip_prefix('/').unwrap_or(path).split('/')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(pattern: &str) -> Route {
        let router = Router::new().route(Method::Get, pattern, |_, _| {
            Reply::Now(Response::text(200, "ok"))
        });
        router.routes.into_iter().next().expect("one route")
    }

    #[test]
    fn placeholders_take_one_non_empty_segment() {
        let result = route("/jobs/{id}/result");
        let params = result.matches("/jobs/7f3a/result").expect("a match");
        assert_eq!(params, [("id".to_owned(), "7f3a".to_owned())]);
        assert!(result.matches("/jobs//result").is_none());
        assert!(route("/jobs/{id}").matches("/jobs//result").is_none());
        assert!(route("/jobs/{id}").matches("/jobs/").is_none());
    }

    #[test]
    fn literal_paths_match_exactly() {
        assert!(route("/health").matches("/health").is_some());
        assert!(route("/health").matches("/health/").is_none());
        assert!(route("/health").matches("//health").is_none());
        assert!(route("/").matches("/").is_some());
    }
}
