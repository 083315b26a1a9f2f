//! Which vendor and operation a request is for, from its raw (still percent-encoded) path.

use axum::http::Method;
use percent_encoding::percent_decode_str;

use crate::ncr::NcrRoute;
use crate::swr::SwrOp;

/// A recognised request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    Ncr(NcrRoute),
    Swr(SwrOp),
    /// Under no vendor prefix.
    Other,
}

impl Route {
    pub(crate) fn parse(method: &Method, raw_path: &str) -> Route {
        if let Some(r) = NcrRoute::parse(method, raw_path) {
            Route::Ncr(r)
        } else if let Some(op) = SwrOp::parse(method, raw_path) {
            Route::Swr(op)
        } else {
            Route::Other
        }
    }

    /// The route template counted in [`crate::EmulatorStats::by_route`].
    pub(crate) fn template(&self, method: &Method) -> String {
        match self {
            Route::Ncr(r) => r.template(method),
            Route::Swr(op) => op.template(method),
            Route::Other => format!("{method} (unmatched)"),
        }
    }
}

/// A path segment percent-decoded (`team%2Fapp` → `team/app`); invalid UTF-8 is replaced.
pub(crate) fn decode_segment(segment: &str) -> String {
    percent_decode_str(segment).decode_utf8_lossy().into_owned()
}
