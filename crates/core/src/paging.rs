//! Pages, cursors, and the one page loop of reginv.
//!
//! A provider answers one [`Page`] at a time; [`paginate`] turns a page function into a lazy
//! stream of items. The loop is written once, here, with guards so that a misbehaving server can
//! never make it spin: a cursor the server hands out twice, more items than the announced total,
//! an empty page while the total promised more, or more pages than [`PagingOptions::max_pages`]
//! all end the stream with an [`ErrorKind::Protocol`](crate::ErrorKind::Protocol) error.

use std::collections::HashSet;
use std::fmt;
use std::future::Future;

use futures::stream::{self, BoxStream, StreamExt};

use crate::error::{Error, ErrorContext, Result};

/// Where a page starts: a 1-based page number (NCR) or an item offset (SWR), with its size.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Cursor {
    /// Page `number` (1-based) of `size` items.
    Page {
        /// 1-based page number.
        number: u64,
        /// Items per page.
        size: u32,
    },
    /// `limit` items starting at item `offset` (0-based).
    Offset {
        /// 0-based index of the first item.
        offset: u64,
        /// Items per page.
        limit: u32,
    },
}

impl Cursor {
    /// The number of items a page of this cursor holds at most.
    pub fn page_size(&self) -> u32 {
        match self {
            Cursor::Page { size, .. } => *size,
            Cursor::Offset { limit, .. } => *limit,
        }
    }

    /// The cursor of the page after this one.
    pub fn following(&self) -> Cursor {
        match self {
            Cursor::Page { number, size } => Cursor::Page {
                number: number.saturating_add(1),
                size: *size,
            },
            Cursor::Offset { offset, limit } => Cursor::Offset {
                offset: offset.saturating_add(u64::from(*limit)),
                limit: *limit,
            },
        }
    }

    /// The index of the first item this cursor's page holds.
    pub fn first_item(&self) -> u64 {
        match self {
            Cursor::Page { number, size } => number.saturating_sub(1).saturating_mul(*size as u64),
            Cursor::Offset { offset, .. } => *offset,
        }
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cursor::Page { number, size } => write!(f, "page {number} (size {size})"),
            Cursor::Offset { offset, limit } => write!(f, "offset {offset} (limit {limit})"),
        }
    }
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// The cursor that fetched this page.
    pub cursor: Cursor,
    /// The cursor of the next page, or `None` when this is the last.
    pub next: Option<Cursor>,
    /// The total number of items of the whole listing, when the provider announced it.
    pub total: Option<u64>,
}

impl<T> Page<T> {
    /// Creates a page.
    pub fn new(items: Vec<T>, cursor: Cursor, next: Option<Cursor>, total: Option<u64>) -> Self {
        Page {
            items,
            cursor,
            next,
            total,
        }
    }

    /// The cursors of every page after this one, known from the announced total (empty when the
    /// total is unknown or this page is the last). Lets a caller fetch the remaining pages
    /// concurrently instead of one after another.
    pub fn remaining_cursors(&self) -> Vec<Cursor> {
        let Some(total) = self.total else {
            return Vec::new();
        };
        if self.next.is_none() || self.cursor.page_size() == 0 {
            return Vec::new();
        }
        let mut out = Vec::new();
        let mut cursor = self.cursor.following();
        while cursor.first_item() < total {
            out.push(cursor.clone());
            cursor = cursor.following();
        }
        out
    }

    /// Maps the items, keeping the paging information.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            cursor: self.cursor,
            next: self.next,
            total: self.total,
        }
    }
}

/// Limits of a paged listing.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PagingOptions {
    /// The most pages one listing may take before it ends with an error (default 100,000).
    pub max_pages: u64,
}

impl Default for PagingOptions {
    fn default() -> Self {
        PagingOptions { max_pages: 100_000 }
    }
}

impl PagingOptions {
    /// Options with a page cap.
    pub fn with_max_pages(max_pages: u64) -> Self {
        PagingOptions { max_pages }
    }
}

struct PageLoop<F> {
    fetch: F,
    next: Option<Option<Cursor>>,
    seen: HashSet<Cursor>,
    delivered: u64,
    pages: u64,
    options: PagingOptions,
    context: ErrorContext,
}

impl<F> PageLoop<F> {
    fn fail(&mut self, message: String) -> Error {
        self.next = None;
        let mut err = Error::protocol(message);
        let ctx = &self.context;
        if let Some(p) = &ctx.provider {
            err = err.with_provider(p.clone());
        }
        if let Some(s) = &ctx.source {
            err = err.with_source(s.clone());
        }
        if let Some(o) = &ctx.operation {
            err = err.with_operation(o.clone());
        }
        if let Some(t) = &ctx.target {
            err = err.with_target(t.clone());
        }
        err
    }
}

/// Turns a page function into a lazy stream of items.
///
/// `fetch` is called with `None` for the first page (the provider picks its configured page size)
/// and then with each page's `next` cursor. Nothing is sent until the stream is polled. The stream
/// ends after a page without `next` or on an empty page, and ends with a
/// [`Protocol`](crate::ErrorKind::Protocol) error (carrying `context`) when the server repeats a
/// cursor, delivers more items than it announced, stops short of its announced total, or the
/// listing needs more than [`PagingOptions::max_pages`] pages. An error from `fetch` is yielded
/// and ends the stream.
pub fn paginate<T, F, Fut>(
    context: ErrorContext,
    options: PagingOptions,
    fetch: F,
) -> BoxStream<'static, Result<T>>
where
    T: Send + 'static,
    F: FnMut(Option<Cursor>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Page<T>>> + Send + 'static,
{
    let state = PageLoop {
        fetch,
        next: Some(None),
        seen: HashSet::new(),
        delivered: 0,
        pages: 0,
        options,
        context,
    };
    stream::unfold(state, |mut st| async move {
        let cursor = st.next.take()?;
        if st.pages >= st.options.max_pages {
            let err = st.fail(format!(
                "listing stopped after {} pages (the page cap); raise max_pages if the listing \
                 really is that long",
                st.pages
            ));
            return Some((vec![Err(err)], st));
        }
        if let Some(c) = &cursor {
            if st.seen.contains(c) {
                let err = st.fail(format!(
                    "the server handed out {c} a second time; stopping instead of looping"
                ));
                return Some((vec![Err(err)], st));
            }
        }
        let page = match (st.fetch)(cursor).await {
            Ok(page) => page,
            Err(err) => return Some((vec![Err(err)], st)),
        };
        st.pages += 1;
        st.seen.insert(page.cursor.clone());
        let count = page.items.len() as u64;
        if count == 0 {
            if let Some(total) = page.total {
                if st.delivered < total {
                    let err = st.fail(format!(
                        "the server announced {total} items but delivered {} before an empty {}",
                        st.delivered, page.cursor
                    ));
                    return Some((vec![Err(err)], st));
                }
            }
            return Some((Vec::new(), st));
        }
        st.delivered += count;
        if let Some(total) = page.total {
            if st.delivered > total {
                let err = st.fail(format!(
                    "the server delivered {} items by {}, more than the {total} it announced",
                    st.delivered, page.cursor
                ));
                return Some((vec![Err(err)], st));
            }
        }
        st.next = page.next.map(Some);
        Some((page.items.into_iter().map(Ok).collect(), st))
    })
    .flat_map(stream::iter)
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use futures::TryStreamExt;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    fn page_cursor(number: u64) -> Cursor {
        Cursor::Page { number, size: 2 }
    }

    /// A server of `items` with pages of 2, answering `total` as announced.
    fn server(
        items: Vec<u32>,
        total: Option<u64>,
        calls: Arc<AtomicUsize>,
    ) -> impl FnMut(Option<Cursor>) -> futures::future::Ready<Result<Page<u32>>> + Send + 'static
    {
        move |cursor| {
            calls.fetch_add(1, Ordering::SeqCst);
            let cursor = cursor.unwrap_or(page_cursor(1));
            let Cursor::Page { number, size } = cursor.clone() else {
                unreachable!()
            };
            let start = ((number - 1) * size as u64) as usize;
            let chunk: Vec<u32> = items
                .iter()
                .skip(start)
                .take(size as usize)
                .copied()
                .collect();
            let next = if start + chunk.len() < items.len() {
                Some(cursor.following())
            } else {
                None
            };
            futures::future::ready(Ok(Page::new(chunk, cursor, next, total)))
        }
    }

    async fn collect(s: BoxStream<'static, Result<u32>>) -> (Vec<u32>, Option<Error>) {
        let mut out = Vec::new();
        let mut s = s;
        while let Some(item) = s.next().await {
            match item {
                Ok(v) => out.push(v),
                Err(e) => return (out, Some(e)),
            }
        }
        (out, None)
    }

    #[tokio::test]
    async fn lists_every_item_across_pages() {
        let calls = Arc::new(AtomicUsize::new(0));
        let s = paginate(
            ErrorContext::default(),
            PagingOptions::default(),
            server((1..=5).collect(), Some(5), calls.clone()),
        );
        let items: Vec<u32> = s.try_collect().await.unwrap();
        assert_eq!(items, vec![1, 2, 3, 4, 5]);
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn is_lazy_until_polled() {
        let calls = Arc::new(AtomicUsize::new(0));
        let mut s = paginate(
            ErrorContext::default(),
            PagingOptions::default(),
            server((1..=5).collect(), Some(5), calls.clone()),
        );
        assert_eq!(calls.load(Ordering::SeqCst), 0);
        assert_eq!(s.next().await.unwrap().unwrap(), 1);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        drop(s);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn ends_on_an_empty_page_even_when_next_is_set() {
        let s = paginate(
            ErrorContext::default(),
            PagingOptions::default(),
            |cursor: Option<Cursor>| {
                let cursor = cursor.unwrap_or(page_cursor(1));
                let next = Some(cursor.following());
                let items = if cursor == page_cursor(1) {
                    vec![7]
                } else {
                    vec![]
                };
                futures::future::ready(Ok(Page::new(items, cursor, next, None)))
            },
        );
        let (items, err) = collect(s).await;
        assert_eq!(items, vec![7]);
        assert!(err.is_none());
    }

    #[tokio::test]
    async fn a_repeated_cursor_is_an_error_not_a_loop() {
        let ctx = ErrorContext {
            operation: Some("list_tags".into()),
            ..ErrorContext::default()
        };
        let s = paginate(ctx, PagingOptions::default(), |cursor: Option<Cursor>| {
            let cursor = cursor.unwrap_or(page_cursor(1));
            // Always points back at page 1.
            futures::future::ready(Ok(Page::new(vec![1], cursor, Some(page_cursor(1)), None)))
        });
        let (items, err) = collect(s).await;
        assert_eq!(items, vec![1]);
        let err = err.expect("error");
        assert_eq!(err.kind(), ErrorKind::Protocol);
        assert!(err.to_string().contains("second time"), "{err}");
        assert_eq!(err.context().operation.as_deref(), Some("list_tags"));
    }

    #[tokio::test]
    async fn more_items_than_the_total_is_an_error() {
        let calls = Arc::new(AtomicUsize::new(0));
        let s = paginate(
            ErrorContext::default(),
            PagingOptions::default(),
            server((1..=5).collect(), Some(3), calls),
        );
        let (items, err) = collect(s).await;
        assert_eq!(items, vec![1, 2]);
        let err = err.expect("error");
        assert_eq!(err.kind(), ErrorKind::Protocol);
        assert!(err.to_string().contains("more than the 3"), "{err}");
    }

    #[tokio::test]
    async fn an_empty_page_short_of_the_total_is_an_error() {
        let s = paginate(
            ErrorContext::default(),
            PagingOptions::default(),
            |cursor: Option<Cursor>| {
                let cursor = cursor.unwrap_or(page_cursor(1));
                let items = if cursor == page_cursor(1) {
                    vec![1, 2]
                } else {
                    vec![]
                };
                let next = Some(cursor.following());
                futures::future::ready(Ok(Page::new(items, cursor, next, Some(10))))
            },
        );
        let (items, err) = collect(s).await;
        assert_eq!(items, vec![1, 2]);
        assert!(err
            .expect("error")
            .to_string()
            .contains("announced 10 items but delivered 2"));
    }

    #[tokio::test]
    async fn the_page_cap_ends_an_endless_listing() {
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = calls.clone();
        let s = paginate(
            ErrorContext::default(),
            PagingOptions::with_max_pages(4),
            move |cursor: Option<Cursor>| {
                counter.fetch_add(1, Ordering::SeqCst);
                let cursor = cursor.unwrap_or(page_cursor(1));
                let next = Some(cursor.following());
                futures::future::ready(Ok(Page::new(vec![1], cursor, next, None)))
            },
        );
        let (items, err) = collect(s).await;
        assert_eq!(items.len(), 4);
        assert!(err.expect("error").to_string().contains("page cap"));
        assert_eq!(calls.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn a_fetch_error_is_yielded_and_ends_the_stream() {
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = calls.clone();
        let s = paginate(
            ErrorContext::default(),
            PagingOptions::default(),
            move |_cursor: Option<Cursor>| {
                counter.fetch_add(1, Ordering::SeqCst);
                futures::future::ready(Err::<Page<u32>, _>(Error::from_status(500, "boom")))
            },
        );
        let (items, err) = collect(s).await;
        assert!(items.is_empty());
        assert_eq!(err.unwrap().kind(), ErrorKind::Server);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn remaining_cursors_follow_the_total() {
        let page = Page::new(
            vec![1, 2],
            Cursor::Page { number: 1, size: 2 },
            Some(Cursor::Page { number: 2, size: 2 }),
            Some(5),
        );
        assert_eq!(
            page.remaining_cursors(),
            vec![
                Cursor::Page { number: 2, size: 2 },
                Cursor::Page { number: 3, size: 2 }
            ]
        );
        let page = Page::new(
            vec![1; 100],
            Cursor::Offset {
                offset: 0,
                limit: 100,
            },
            Some(Cursor::Offset {
                offset: 100,
                limit: 100,
            }),
            Some(200),
        );
        assert_eq!(
            page.remaining_cursors(),
            vec![Cursor::Offset {
                offset: 100,
                limit: 100
            }]
        );
        let last = Page::new(vec![1], Cursor::Page { number: 3, size: 2 }, None, Some(5));
        assert!(last.remaining_cursors().is_empty());
    }
}
