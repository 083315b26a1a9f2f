//! Pages, cursors, and the one page loop of reginv.
//!
//! A provider answers one [`Page`] at a time; [`paginate`] turns a page function into a lazy
//! stream of items. The loop is written once, here, with guards so that a misbehaving server can
//! never make it spin nor make it report less than it announced: a cursor the server hands out
//! twice, a page that starts with the same item as an earlier one (a server ignoring the page or
//! offset), more items than the announced total, a listing that ends short of its announced
//! total, a total beyond [`PagingOptions::max_total`], or more pages than
//! [`PagingOptions::max_pages`] all end the stream with an [`ErrorKind::Protocol`] error.
//!
//! A listing that ends without an error is complete: with an announced total, exactly that many
//! items arrived (and where the wire leaves room for doubt, a full last page or a `next` that
//! disagrees with the total, one more page was asked for and came back empty); without a total,
//! the provider's own end of the listing was reached.
//!
//! A listing may ask for its second page together with the first
//! ([`PagingOptions::speculative_next`]), before the first page's answer says whether there is
//! one: saved a round trip when there is, one request when there is not. That page is used only
//! where the loop would have asked for exactly that cursor next, and then passes every check a
//! page fetched afterwards would; otherwise it is dropped unread, so it never counts as proof of
//! completeness, nor against it.

use std::collections::HashSet;
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use futures::future::FutureExt;
use futures::stream::{self, BoxStream, StreamExt};

use crate::error::{Error, ErrorContext, ErrorKind, Result};

/// Where a page starts: a 1-based page number (NCR), an item offset (SWR), or an opaque token the
/// server handed out (OCI `Link` / `last`, `nextToken`, markers), with its size.
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
    /// The page that an opaque continuation `token` from the server names (a `Link` URL's
    /// `last`, a `nextToken`, a marker), of `size` items. `None` is never a token: the first
    /// page of a token listing is asked with `None` (or a provider's own first cursor). Token
    /// pages can only be fetched one after another: the next token comes with each page.
    Token {
        /// The server's continuation token, as it sent it.
        token: String,
        /// Items per page.
        size: u32,
    },
}

impl Cursor {
    /// The number of items a page of this cursor holds at most.
    pub fn page_size(&self) -> u32 {
        match self {
            Cursor::Page { size, .. } => *size,
            Cursor::Offset { limit, .. } => *limit,
            Cursor::Token { size, .. } => *size,
        }
    }

    /// Whether the page after this one can be computed without the server's answer (page
    /// numbers and offsets can; tokens cannot).
    pub fn is_computable(&self) -> bool {
        !matches!(self, Cursor::Token { .. })
    }

    /// The cursor of the page after this one. A [`Cursor::Token`]'s successor only comes from
    /// the server, so for a token this is the same cursor (which [`paginate`] would refuse as a
    /// repeat): use the `next` the server sent instead.
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
            Cursor::Token { .. } => self.clone(),
        }
    }

    /// The cursor of the page after this one when this one brought `received` items: an offset
    /// moves on by what was received (a server may send fewer items than asked, and the rest
    /// must not be skipped), with the limit lowered, if need be, to the largest one that divides
    /// the new offset (APIs such as SWR's want offsets that are multiples of the limit); a page
    /// number moves on by one; a token stays (see [`following`](Cursor::following)).
    pub fn after(&self, received: u64) -> Cursor {
        match self {
            Cursor::Offset { offset, limit } => {
                let offset = offset.saturating_add(received);
                let limit = if *limit == 0 {
                    0
                } else {
                    // The gcd of a u32 and anything fits a u32.
                    u32::try_from(gcd(offset, u64::from(*limit))).unwrap_or(*limit)
                };
                Cursor::Offset { offset, limit }
            }
            other => other.following(),
        }
    }

    /// The index of the first item this cursor's page holds (`0` for a token, whose position
    /// is not known).
    pub fn first_item(&self) -> u64 {
        match self {
            Cursor::Page { number, size } => number.saturating_sub(1).saturating_mul(*size as u64),
            Cursor::Offset { offset, .. } => *offset,
            Cursor::Token { .. } => 0,
        }
    }
}

/// The greatest common divisor (`gcd(0, b) == b`).
fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cursor::Page { number, size } => write!(f, "page {number} (size {size})"),
            Cursor::Offset { offset, limit } => write!(f, "offset {offset} (limit {limit})"),
            Cursor::Token { token, size } => write!(f, "token {token:?} (size {size})"),
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

    /// The cursors of every page after this one, known from the announced total (none when the
    /// total is unknown, this page is the last, or its cursor is a token). Lets a caller fetch
    /// the remaining pages concurrently instead of one after another.
    ///
    /// The cursors are made lazily, one per [`Iterator::next`]: a hostile total
    /// (`u64::MAX`) costs nothing until iterated, and [`RemainingCursors::count_left`] says how
    /// many there are without making them, so callers apply their caps first.
    pub fn remaining_cursors(&self) -> RemainingCursors {
        let empty = RemainingCursors {
            next: None,
            left: 0,
        };
        let Some(total) = self.total else {
            return empty;
        };
        let size = u64::from(self.cursor.page_size());
        if self.next.is_none() || size == 0 || !self.cursor.is_computable() {
            return empty;
        }
        let next = self.cursor.following();
        let start = next.first_item();
        if start >= total {
            return empty;
        }
        RemainingCursors {
            left: (total - start).div_ceil(size),
            next: Some(next),
        }
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

/// The cursors of the pages after a first one, made one at a time
/// ([`Page::remaining_cursors`]).
#[derive(Debug, Clone)]
pub struct RemainingCursors {
    next: Option<Cursor>,
    left: u64,
}

impl RemainingCursors {
    /// How many cursors are still to come, computed, not counted.
    pub fn count_left(&self) -> u64 {
        self.left
    }
}

impl Iterator for RemainingCursors {
    type Item = Cursor;

    fn next(&mut self) -> Option<Cursor> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let cursor = self.next.take()?;
        if self.left > 0 {
            self.next = Some(cursor.following());
        }
        Some(cursor)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match usize::try_from(self.left) {
            Ok(n) => (n, Some(n)),
            Err(_) => (usize::MAX, None),
        }
    }
}

/// The largest total a listing may announce by default ([`PagingOptions::max_total`]): one
/// hundred million items, far beyond any real registry account (and as many items as the default
/// page cap allows at SWR's largest page size), far below what would exhaust memory.
pub const MAX_PLAUSIBLE_TOTAL: u64 = 100_000_000;

/// Limits and parallelism of a paged listing.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PagingOptions {
    /// The most pages one listing may take before it ends with an error (default 100,000).
    /// Checked as soon as a total is announced, before any further page is asked for.
    pub max_pages: u64,
    /// The largest total a server may announce (default [`MAX_PLAUSIBLE_TOTAL`]); a larger one
    /// ends the listing with a protocol error instead of planning pages for it.
    pub max_total: u64,
    /// How many pages may be in flight at once once the first page announced the total
    /// (default 1: one page after another). Items still arrive in page order.
    pub concurrency: usize,
    /// The most items the pages fetched ahead of the consumer may hold together (default
    /// 2,000), so that memory does not grow with large pages: with pages of 1,000 at most two
    /// are in flight, with pages of 100 up to `concurrency`. At least one page always is.
    pub read_ahead_items: u32,
    /// A cursor asked for together with the first page, before the first page's answer
    /// (default `None`): the cursor of the second page, for a listing whose total comes only
    /// with the first page. Set per listing by its caller (the repository listing of a provider
    /// with [`Capabilities::speculative_second_repository_page`](crate::Capabilities)), not for
    /// every listing of a provider: each listing of one page pays one request for it. See
    /// [`paginate`].
    pub speculative_next: Option<Cursor>,
}

impl Default for PagingOptions {
    fn default() -> Self {
        PagingOptions {
            max_pages: 100_000,
            max_total: MAX_PLAUSIBLE_TOTAL,
            concurrency: 1,
            read_ahead_items: 2_000,
            speculative_next: None,
        }
    }
}

impl PagingOptions {
    /// Options with a page cap.
    pub fn with_max_pages(max_pages: u64) -> Self {
        PagingOptions {
            max_pages,
            ..PagingOptions::default()
        }
    }

    /// The same options with `concurrency` pages in flight (at least 1).
    pub fn with_concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency.max(1);
        self
    }

    /// The same options asking for page `cursor` together with the first
    /// ([`speculative_next`](PagingOptions::speculative_next)).
    pub fn with_speculative_next(mut self, cursor: Cursor) -> Self {
        self.speculative_next = Some(cursor);
        self
    }

    /// The same options with pages fetched ahead of the consumer holding at most `items` items
    /// together ([`read_ahead_items`](Self::read_ahead_items); at least one page always is in
    /// flight, whatever its size).
    pub fn with_read_ahead_items(mut self, items: u32) -> Self {
        self.read_ahead_items = items;
        self
    }

    /// How many pages of `page_size` items may be in flight: `concurrency`, fewer when their
    /// items would exceed `read_ahead_items`, and at least 1.
    pub fn pages_in_flight(&self, page_size: u32) -> usize {
        let by_items = (self.read_ahead_items / page_size.max(1)).max(1) as usize;
        self.concurrency.max(1).min(by_items)
    }
}

/// A stream driven by its own task, up to `capacity` items ahead of its consumer, so work starts
/// as soon as the stream exists rather than when the consumer first asks. Aborted when dropped.
/// Outside a Tokio runtime the stream is returned as it is (driven by its consumer).
///
/// With `hold_back`, the task asks `inner` for the next item only once there is room for it:
/// at most `capacity` items wait, none more in the task's hands. That suits an `inner` that
/// starts its work when asked (pages fetched one at a time): the next page is fetched while
/// the consumer works on the one before, not two ahead. Without it, the task keeps polling
/// `inner` while it waits to hand an item over (one more item held), so the work `inner` has
/// in flight (pages fetched concurrently) goes on.
fn read_ahead<T: Send + 'static>(
    mut inner: BoxStream<'static, T>,
    capacity: usize,
    hold_back: bool,
) -> BoxStream<'static, T> {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return inner;
    };
    let (tx, rx) = tokio::sync::mpsc::channel(capacity.max(1));
    let driver = runtime.spawn(async move {
        loop {
            let room = if hold_back {
                match tx.reserve().await {
                    Ok(room) => Some(room),
                    Err(_) => break,
                }
            } else {
                None
            };
            let Some(item) = inner.next().await else {
                break;
            };
            let sent = match room {
                Some(room) => {
                    room.send(item);
                    true
                }
                None => tx.send(item).await.is_ok(),
            };
            if !sent {
                break;
            }
        }
    });
    let guard = AbortOnDrop(driver);
    stream::unfold((rx, guard), |(mut rx, guard)| async move {
        let item = rx.recv().await?;
        Some((item, (rx, guard)))
    })
    .boxed()
}

/// Aborts a task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A page size that shrinks when the vendor refuses it, shared by every listing of a provider.
///
/// Vendors do not all document their largest page size (NCR does not). A provider asks for
/// [`current`](PageSize::current) and wraps its first-page requests in
/// [`negotiate`](PageSize::negotiate): when the vendor answers
/// [`InvalidRequest`](crate::ErrorKind::InvalidRequest) (HTTP 400), the size is halved, remembered
/// for every later listing of the provider, and the request is sent again, down to
/// [`PageSize::MIN`]. A 400 that has nothing to do with the page size therefore costs a few
/// extra requests (at most log2 of the size) before the vendor's error is returned.
#[derive(Debug)]
pub struct PageSize {
    configured: u32,
    current: AtomicU32,
}

impl PageSize {
    /// The size below which no halving goes.
    pub const MIN: u32 = 10;

    /// A page size that starts at `configured` (at least 1).
    pub fn new(configured: u32) -> Self {
        let configured = configured.max(1);
        PageSize {
            configured,
            current: AtomicU32::new(configured),
        }
    }

    /// The size that was configured.
    pub fn configured(&self) -> u32 {
        self.configured
    }

    fn floor(&self) -> u32 {
        Self::MIN.min(self.configured)
    }

    /// The size in use now (the configured one, or what negotiation settled on).
    pub fn current(&self) -> u32 {
        self.current.load(Ordering::Relaxed)
    }

    /// Runs `fetch` with the current size; on an invalid-request error, halves the size (not
    /// below [`PageSize::MIN`], nor below the configured size) and tries again.
    pub async fn negotiate<T, F, Fut>(&self, fetch: F) -> Result<T>
    where
        F: Fn(u32) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        loop {
            let size = self.current();
            match fetch(size).await {
                Err(err) if err.kind() == ErrorKind::InvalidRequest && size > self.floor() => {
                    let smaller = (size / 2).max(self.floor());
                    // Another listing may have shrunk it meanwhile: keep the smaller.
                    self.current.fetch_min(smaller, Ordering::Relaxed);
                    tracing::warn!(refused = size, next = smaller, error = %err, "page size refused; halving it");
                }
                other => return other,
            }
        }
    }
}

/// A page asked for before the listing knew whether it needs it
/// ([`PagingOptions::speculative_next`]): its cursor and the task fetching it, aborted when
/// dropped unused.
struct Speculative<T> {
    cursor: Cursor,
    task: tokio::task::JoinHandle<Result<Page<T>>>,
}

impl<T> Drop for Speculative<T> {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl<T: Send + 'static> Speculative<T> {
    /// Starts fetching `cursor` now; outside a Tokio runtime nothing is asked ahead (`None`).
    fn start<F, Fut>(fetch: &F, cursor: Cursor) -> Option<Self>
    where
        F: Fn(Option<Cursor>) -> Fut,
        Fut: Future<Output = Result<Page<T>>> + Send + 'static,
    {
        let runtime = tokio::runtime::Handle::try_current().ok()?;
        let task = runtime.spawn(fetch(Some(cursor.clone())));
        Some(Speculative { cursor, task })
    }

    /// The page, once it arrived (a fetch error is the page's error).
    async fn page(mut self) -> Result<Page<T>> {
        match (&mut self.task).await {
            Ok(result) => result,
            Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
            Err(_) => Err(Error::new(
                ErrorKind::Network,
                "the request was cancelled (the runtime is shutting down)",
            )),
        }
    }
}

/// Where the page loop is.
enum Phase<T> {
    /// The first page is next.
    First,
    /// The pages after the first, known from the announced total, in flight; `left` of them
    /// have not arrived yet.
    Parallel {
        pages: BoxStream<'static, Result<Page<T>>>,
        left: u64,
    },
    /// One page after another from this cursor.
    Sequential(Cursor),
    /// Nothing more to fetch.
    Done,
}

struct PageLoop<T, F> {
    fetch: Arc<F>,
    phase: Phase<T>,
    seen: HashSet<Cursor>,
    delivered: u64,
    pages: u64,
    /// The first item of the first page and of the latest page: a page starting with either
    /// again is a server that ignores the cursor.
    first_items: (Option<T>, Option<T>),
    options: PagingOptions,
    context: ErrorContext,
    /// The page asked for with the first one, until the loop uses or drops it.
    speculative: Option<Speculative<T>>,
}

/// What one step of the page loop yields.
type Yield<T> = Vec<Result<T>>;

/// What to do with a page that arrived.
enum Verdict<T> {
    /// Yield the items and go on.
    Items(Vec<T>),
    /// The listing is over (an empty page).
    End,
    /// The listing is broken.
    Fail(Error),
}

impl<T: Clone + PartialEq, F> PageLoop<T, F> {
    fn fail(&mut self, message: String) -> Error {
        self.phase = Phase::Done;
        Error::protocol(message).with_context(&self.context)
    }

    fn cap_error(&mut self, needed: u64) -> Error {
        self.fail(format!(
            "the listing needs {needed} pages, more than the page cap of {}; raise max_pages if \
             the listing really is that long",
            self.options.max_pages
        ))
    }

    /// Checks a page against what came before: a page repeating an earlier one's first item
    /// and over-delivery are errors; an empty page ends the listing
    /// (an error when the total promised more).
    fn accept(&mut self, page: &mut Page<T>) -> Verdict<T> {
        self.pages += 1;
        self.seen.insert(page.cursor.clone());
        let count = page.items.len() as u64;
        if count == 0 {
            if let Some(total) = page.total {
                if self.delivered < total {
                    let cursor = page.cursor.clone();
                    return Verdict::Fail(self.fail(format!(
                        "the server announced {total} items but delivered {} before an empty {cursor}",
                        self.delivered
                    )));
                }
            }
            self.phase = Phase::Done;
            return Verdict::End;
        }
        let first = page.items.first();
        let (first_page, previous) = &self.first_items;
        if first.is_some() && (first_page.as_ref() == first || previous.as_ref() == first) {
            let cursor = page.cursor.clone();
            return Verdict::Fail(self.fail(format!(
                "{cursor} starts with the same item as an earlier page: the server ignores the \
                 page or offset asked for; stopping instead of listing the same items again \
                 ({} items received)",
                self.delivered
            )));
        }
        if self.first_items.0.is_none() {
            self.first_items.0 = first.cloned();
        }
        self.first_items.1 = first.cloned();
        self.delivered += count;
        if let Some(total) = page.total {
            if self.delivered > total {
                let cursor = page.cursor.clone();
                return Verdict::Fail(self.fail(format!(
                    "the server delivered {} items by {cursor}, more than the {total} it announced",
                    self.delivered
                )));
            }
        }
        Verdict::Items(std::mem::take(&mut page.items))
    }

    /// What a fetch brought: the page's items to yield, with the page (for its `next`) and how
    /// many items it held, or, when the listing ends here (a fetch error, an empty page, a
    /// broken guard), the last things to yield.
    fn receive(
        &mut self,
        fetched: Result<Page<T>>,
    ) -> std::result::Result<(Yield<T>, Page<T>, u64), Yield<T>> {
        let mut page = fetched.map_err(|err| vec![Err(err)])?;
        match self.accept(&mut page) {
            Verdict::Items(items) => {
                let received = items.len() as u64;
                let mut out: Yield<T> = items.into_iter().map(Ok).collect();
                if let Some(total) = page.total.filter(|t| *t > self.options.max_total) {
                    // The items are kept; nothing more is planned for such a total.
                    let cursor = page.cursor.clone();
                    out.push(Err(self.fail(format!(
                        "the server announced {total} items at {cursor}, more than any \
                         plausible listing (the limit is {}); refusing to page through it",
                        self.options.max_total
                    ))));
                    return Err(out);
                }
                Ok((out, page, received))
            }
            Verdict::End => Err(Vec::new()),
            Verdict::Fail(err) => Err(vec![Err(err)]),
        }
    }

    /// The page to ask for after `page` (which brought `received` items), or why the listing
    /// cannot end here. The server's `next` is followed; where the total and the page disagree
    /// about the end, one more page is asked for (it must come back empty):
    /// - the total is reached but the page was full: the total may be short of the real count;
    /// - the total is not reached but the server says there is no next page.
    ///
    /// Without a total, the server's `next` decides.
    fn next_after(
        &mut self,
        page: &Page<T>,
        received: u64,
    ) -> std::result::Result<Option<Cursor>, Error> {
        let Some(total) = page.total else {
            return Ok(page.next.clone());
        };
        if self.delivered < total && matches!(page.cursor, Cursor::Offset { .. }) {
            // Offsets follow what was received, whatever the server thinks comes next.
            return Ok(Some(page.cursor.after(received)));
        }
        if page.next.is_some() {
            return Ok(page.next.clone());
        }
        let full = received >= u64::from(page.cursor.page_size());
        let computable = page.cursor.is_computable();
        if self.delivered >= total {
            return Ok((full && computable).then(|| page.cursor.after(received)));
        }
        if computable {
            return Ok(Some(page.cursor.after(received)));
        }
        Err(self.fail(format!(
            "the server announced {total} items but delivered {} and says there are no more",
            self.delivered
        )))
    }

    /// The phase after a page of the sequential phase (or the last parallel one): the page
    /// after it ([`next_after`](Self::next_after)), unless it repeats a cursor or passes the cap.
    fn follow(&mut self, page: &Page<T>, received: u64) -> Option<Error> {
        match self.next_after(page, received) {
            Ok(next) => self.go_to(next),
            Err(err) => Some(err),
        }
    }

    /// Keeps the speculative page only if the loop goes on with exactly its cursor, and drops
    /// it (aborting its request if still in flight) otherwise: unused, it is never read.
    fn settle_speculative(&mut self) {
        let next = match &self.phase {
            Phase::Sequential(cursor) => Some(cursor),
            _ => None,
        };
        if self.speculative.as_ref().map(|s| &s.cursor) != next {
            self.speculative = None;
        }
    }

    /// Moves to page `next` (or ends on `None`), unless it repeats a cursor or passes the cap.
    fn go_to(&mut self, next: Option<Cursor>) -> Option<Error> {
        match next {
            None => {
                self.phase = Phase::Done;
                None
            }
            Some(c) if self.seen.contains(&c) => Some(self.fail(format!(
                "the server handed out {c} a second time; stopping instead of looping"
            ))),
            Some(_) if self.pages >= self.options.max_pages => {
                let needed = self.pages + 1;
                Some(self.cap_error(needed))
            }
            Some(c) => {
                self.phase = Phase::Sequential(c);
                None
            }
        }
    }
}

/// Turns a page function into a lazy stream of items.
///
/// `fetch` is called with `None` for the first page (the provider picks its page size) and then
/// with later cursors. Nothing is sent until the stream is polled. With
/// [`PagingOptions::concurrency`] above 1 and a full first page that announces the total, the
/// remaining pages ([`Page::remaining_cursors`]) are fetched concurrently (within
/// [`PagingOptions::read_ahead_items`]), starting as soon as the first page arrived (on a Tokio
/// runtime, a task drives them), still yielded in page order; otherwise each page's `next` is
/// followed. Should the last known page still point further
/// (items were added during the listing), the loop follows it one page at a time. A page of
/// offsets that brings fewer items than asked (before the total) ends the parallel phase: the
/// listing goes on one page at a time from the offset after the items received, so none is
/// skipped.
///
/// The stream ends after a page without `next` (see below) or on an empty page, and ends with a
/// [`Protocol`](crate::ErrorKind::Protocol) error (carrying `context`) when the server repeats a
/// cursor, starts a page with the first item of the first or the previous page (it ignores the
/// cursor), delivers more items than it announced, stops short of its announced total,
/// announces a total above [`PagingOptions::max_total`], or the listing needs more than
/// [`PagingOptions::max_pages`] pages (checked as soon as a total is announced). An error from
/// `fetch` is yielded and ends the stream.
///
/// When a page announces a total, the listing ends without error only once exactly that many
/// items arrived; where a page and the total disagree about the end (a full page that reaches
/// the total, or no `next` before the total), one more page is asked for, which must come back
/// empty (or, before the total, goes on with the listing).
///
/// With [`PagingOptions::speculative_next`] (and on a Tokio runtime), that cursor is fetched
/// together with the first page. It stands in for the fetch of the same cursor if that is the
/// page the loop asks for next (the first of the remaining pages, the page after a first page
/// without a total, or the one more page above), checked like any other page; otherwise it is
/// dropped unread and its request aborted if still in flight.
pub fn paginate<T, F, Fut>(
    context: ErrorContext,
    options: PagingOptions,
    fetch: F,
) -> BoxStream<'static, Result<T>>
where
    T: Send + Clone + PartialEq + 'static,
    F: Fn(Option<Cursor>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Page<T>>> + Send + 'static,
{
    let state = PageLoop {
        fetch: Arc::new(fetch),
        phase: Phase::First,
        seen: HashSet::new(),
        delivered: 0,
        pages: 0,
        first_items: (None, None),
        options,
        context,
        speculative: None,
    };
    stream::unfold(state, |mut st| async move {
        match std::mem::replace(&mut st.phase, Phase::Done) {
            Phase::Done => None,
            Phase::First => {
                if let Some(cursor) = st.options.speculative_next.clone() {
                    st.speculative = Speculative::start(&*st.fetch, cursor);
                }
                let (mut out, page, received) = match st.receive((st.fetch)(None).await) {
                    Ok(received) => received,
                    Err(last) => {
                        st.speculative = None;
                        return Some((last, st));
                    }
                };
                let remaining = page.remaining_cursors();
                let left = remaining.count_left();
                // The cap first, before a single cursor is made.
                let needed = st.pages.saturating_add(left);
                if needed > st.options.max_pages {
                    st.speculative = None;
                    out.push(Err(st.cap_error(needed)));
                    return Some((out, st));
                }
                let full = received >= u64::from(page.cursor.page_size());
                if st.options.concurrency > 1 && left > 0 && full {
                    let mut remaining = remaining;
                    // The speculative page, when it is the first of the remaining ones.
                    let ahead = match (st.speculative.take(), remaining.clone().next()) {
                        (Some(spec), Some(first)) if spec.cursor == first => {
                            remaining.next();
                            Some(spec.page().boxed())
                        }
                        _ => None,
                    };
                    let fetch = st.fetch.clone();
                    let in_flight = st.options.pages_in_flight(page.cursor.page_size());
                    let pages = stream::iter(ahead)
                        .chain(
                            stream::iter(remaining).map(move |cursor| fetch(Some(cursor)).boxed()),
                        )
                        .buffered(in_flight)
                        .boxed();
                    // Started now, not when the consumer is done with this page's items; one
                    // page at a time, only the next (see `read_ahead`).
                    let pages = read_ahead(pages, 1, in_flight == 1);
                    st.phase = Phase::Parallel { pages, left };
                } else if let Some(err) = st.follow(&page, received) {
                    out.push(Err(err));
                }
                st.settle_speculative();
                Some((out, st))
            }
            Phase::Parallel { mut pages, left } => {
                let Some(result) = pages.next().await else {
                    return Some((Vec::new(), st));
                };
                let (mut out, page, received) = match st.receive(result) {
                    Ok(received) => received,
                    Err(last) => return Some((last, st)),
                };
                let left = left.saturating_sub(1);
                let short = received < u64::from(page.cursor.page_size())
                    && page.total.is_some_and(|total| st.delivered < total);
                if short && matches!(page.cursor, Cursor::Offset { .. }) {
                    // The planned offsets would skip what this page did not bring: go on from
                    // what was received, one page at a time (the pages ahead are dropped).
                    drop(pages);
                    if let Some(err) = st.go_to(Some(page.cursor.after(received))) {
                        out.push(Err(err));
                    }
                } else if left > 0 {
                    st.phase = Phase::Parallel { pages, left };
                } else if let Some(err) = st.follow(&page, received) {
                    out.push(Err(err));
                }
                Some((out, st))
            }
            Phase::Sequential(cursor) => {
                let fetched = match st.speculative.take().filter(|s| s.cursor == cursor) {
                    Some(spec) => spec.page().await,
                    None => (st.fetch)(Some(cursor)).await,
                };
                let (mut out, page, received) = match st.receive(fetched) {
                    Ok(received) => received,
                    Err(last) => return Some((last, st)),
                };
                if let Some(err) = st.follow(&page, received) {
                    out.push(Err(err));
                }
                Some((out, st))
            }
        }
    })
    .flat_map(stream::iter)
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use futures::future::BoxFuture;
    use futures::{FutureExt, TryStreamExt};
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn page_cursor(number: u64) -> Cursor {
        Cursor::Page { number, size: 2 }
    }

    /// A server of `items` with pages of 2, answering `total` as announced.
    fn server(
        items: Vec<u32>,
        total: Option<u64>,
        calls: Arc<AtomicUsize>,
    ) -> impl Fn(Option<Cursor>) -> futures::future::Ready<Result<Page<u32>>> + Send + Sync + 'static
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

    /// A token-paged server (as OCI `Link` paging): each page's `next` carries the name of the
    /// last item it held; `repeat_at` makes it hand out that token again instead.
    fn token_server(
        items: Vec<u32>,
        size: u32,
        repeat_at: Option<u32>,
        calls: Arc<AtomicUsize>,
    ) -> impl Fn(Option<Cursor>) -> futures::future::Ready<Result<Page<u32>>> + Send + Sync + 'static
    {
        move |cursor| {
            calls.fetch_add(1, Ordering::SeqCst);
            let after = match &cursor {
                None => 0,
                Some(Cursor::Token { token, .. }) => token.parse().unwrap(),
                Some(other) => panic!("a token server got {other}"),
            };
            let chunk: Vec<u32> = items
                .iter()
                .copied()
                .filter(|v| *v > after)
                .take(size as usize)
                .collect();
            let this = cursor.unwrap_or(Cursor::Token {
                token: String::new(),
                size,
            });
            let last = chunk.last().copied();
            let next = last
                .filter(|l| items.last() != Some(l))
                .map(|l| match repeat_at {
                    Some(r) if l > r => Cursor::Token {
                        token: r.to_string(),
                        size,
                    },
                    _ => Cursor::Token {
                        token: l.to_string(),
                        size,
                    },
                });
            futures::future::ready(Ok(Page::new(chunk, this, next, None)))
        }
    }

    #[tokio::test]
    async fn token_pages_are_fetched_one_after_another() {
        let calls = Arc::new(AtomicUsize::new(0));
        let s = paginate(
            ErrorContext::default(),
            // Parallelism asked for, but a token's successor only comes with its page.
            PagingOptions::default().with_concurrency(8),
            token_server((1..=7).collect(), 3, None, calls.clone()),
        );
        let items: Vec<u32> = s.try_collect().await.unwrap();
        assert_eq!(items, (1..=7).collect::<Vec<_>>());
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_repeated_token_is_an_error_not_a_loop() {
        let calls = Arc::new(AtomicUsize::new(0));
        let s = paginate(
            ErrorContext::default(),
            PagingOptions::default(),
            token_server((1..=9).collect(), 2, Some(4), calls.clone()),
        );
        let (items, err) = collect(s).await;
        assert_eq!(items, vec![1, 2, 3, 4, 5, 6]);
        let err = err.expect("a repeated token must end the listing with an error");
        assert_eq!(err.kind(), ErrorKind::Protocol);
        assert!(err.to_string().contains("second time"), "{err}");
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn token_cursors_have_no_computable_successor() {
        let token = Cursor::Token {
            token: "abc".into(),
            size: 50,
        };
        assert!(!token.is_computable());
        assert_eq!(token.page_size(), 50);
        assert_eq!(token.to_string(), "token \"abc\" (size 50)");
        let page = Page::new(vec![1u32], token.clone(), Some(token), Some(1_000));
        assert_eq!(page.remaining_cursors().count(), 0);
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
                let item = cursor.first_item() as u32;
                futures::future::ready(Ok(Page::new(vec![item], cursor, next, None)))
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

    /// A server of `items` in pages of 2 whose fetches take 10 ms (paused clock), recording the
    /// most fetches in flight at once; `grow` items appear after the first page is served.
    fn slow_server(
        items: Vec<u32>,
        grow: Vec<u32>,
        in_flight: Arc<AtomicUsize>,
        peak: Arc<AtomicUsize>,
    ) -> impl Fn(Option<Cursor>) -> BoxFuture<'static, Result<Page<u32>>> + Send + Sync + 'static
    {
        let served_first = Arc::new(std::sync::atomic::AtomicBool::new(false));
        move |cursor| {
            let cursor = cursor.unwrap_or(page_cursor(1));
            let mut all = items.clone();
            if served_first.swap(true, Ordering::SeqCst) {
                all.extend(grow.iter().copied());
            }
            let (in_flight, peak) = (in_flight.clone(), peak.clone());
            async move {
                let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                in_flight.fetch_sub(1, Ordering::SeqCst);
                let start = (cursor.first_item()) as usize;
                let chunk: Vec<u32> = all.iter().skip(start).take(2).copied().collect();
                let next = (start + chunk.len() < all.len()).then(|| cursor.following());
                Ok(Page::new(chunk, cursor, next, Some(all.len() as u64)))
            }
            .boxed()
        }
    }

    #[tokio::test(start_paused = true)]
    async fn parallel_pages_arrive_in_order_with_several_in_flight() {
        let (in_flight, peak) = (Arc::default(), Arc::new(AtomicUsize::new(0)));
        let s = paginate(
            ErrorContext::default(),
            PagingOptions::default().with_concurrency(4),
            slow_server((1..=21).collect(), vec![], in_flight, peak.clone()),
        );
        let items: Vec<u32> = s.try_collect().await.unwrap();
        assert_eq!(items, (1..=21).collect::<Vec<_>>());
        assert_eq!(peak.load(Ordering::SeqCst), 4);
    }

    #[test]
    fn large_pages_have_fewer_in_flight() {
        let options = PagingOptions::default().with_concurrency(8);
        assert_eq!(options.pages_in_flight(100), 8);
        assert_eq!(options.pages_in_flight(1000), 2);
        assert_eq!(options.pages_in_flight(5000), 1);
        assert_eq!(options.pages_in_flight(0), 8);
        assert_eq!(PagingOptions::default().pages_in_flight(10), 1);
        // A read-ahead smaller than a page still lets one page be in flight.
        let options = options.with_read_ahead_items(64);
        assert_eq!(options.pages_in_flight(10), 6);
        assert_eq!(options.pages_in_flight(100), 1);
        assert_eq!(options.pages_in_flight(1000), 1);
        assert_eq!(options.with_read_ahead_items(0).pages_in_flight(100), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn the_remaining_pages_start_before_the_consumer_asks() {
        let (in_flight, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let mut s = paginate(
            ErrorContext::default(),
            PagingOptions::default().with_concurrency(4),
            slow_server((1..=10).collect(), vec![], in_flight.clone(), peak.clone()),
        );
        // Take one item of the first page, then leave the stream alone.
        assert_eq!(s.next().await.unwrap().unwrap(), 1);
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        assert_eq!(
            in_flight.load(Ordering::SeqCst),
            4,
            "pages 2-5 are in flight"
        );
        let rest: Vec<u32> = s.try_collect().await.unwrap();
        assert_eq!(rest, (2..=10).collect::<Vec<_>>());
    }

    #[tokio::test(start_paused = true)]
    async fn a_small_read_ahead_bounds_the_pages_fetched_ahead_of_an_idle_consumer() {
        for (read_ahead, most_calls) in [(2, 2), (2_000, 1 + 8 + 2)] {
            let (in_flight, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
            let calls = Arc::new(AtomicUsize::new(0));
            let counter = calls.clone();
            let server = slow_server((1..=100).collect(), vec![], in_flight, peak.clone());
            let mut s = paginate(
                ErrorContext::default(),
                PagingOptions::default()
                    .with_concurrency(8)
                    .with_read_ahead_items(read_ahead),
                move |cursor| {
                    counter.fetch_add(1, Ordering::SeqCst);
                    server(cursor)
                },
            );
            // Take one item of the first page, then leave the stream alone long enough for
            // every page that may be fetched ahead to arrive.
            assert_eq!(s.next().await.unwrap().unwrap(), 1);
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            let ahead = calls.load(Ordering::SeqCst);
            // The first page, then: with room for 2 items (pages fetched one at a time), the
            // next one, waiting for the consumer, and no other; without, the pages in flight
            // (8), one waiting for the consumer and one waiting to be handed over.
            assert!(
                ahead <= most_calls,
                "read-ahead {read_ahead}: {ahead} pages"
            );
            if read_ahead == 2 {
                assert_eq!(ahead, 2, "the first page and the next");
                assert_eq!(peak.load(Ordering::SeqCst), 1);
            } else {
                assert!(ahead > 3, "the default read-ahead fetches more: {ahead}");
            }
            let rest: Vec<u32> = s.try_collect().await.unwrap();
            assert_eq!(rest, (2..=100).collect::<Vec<_>>(), "nothing lost");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn dropping_the_stream_stops_the_pages_ahead() {
        let (in_flight, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let mut s = paginate(
            ErrorContext::default(),
            PagingOptions::default().with_concurrency(4),
            slow_server((1..=100).collect(), vec![], in_flight.clone(), peak),
        );
        assert_eq!(s.next().await.unwrap().unwrap(), 1);
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        assert_eq!(in_flight.load(Ordering::SeqCst), 4);
        drop(s);
        // Had the fetches gone on, they would have finished (and left the count) by now; aborted,
        // they never finish.
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        assert_eq!(
            in_flight.load(Ordering::SeqCst),
            4,
            "aborted, not left running"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn sequential_by_default() {
        let (in_flight, peak) = (Arc::default(), Arc::new(AtomicUsize::new(0)));
        let s = paginate(
            ErrorContext::default(),
            PagingOptions::default(),
            slow_server((1..=9).collect(), vec![], in_flight, peak.clone()),
        );
        let items: Vec<u32> = s.try_collect().await.unwrap();
        assert_eq!(items.len(), 9);
        assert_eq!(peak.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn parallel_listing_follows_items_added_meanwhile() {
        let (in_flight, peak) = (Arc::default(), Arc::new(AtomicUsize::new(0)));
        let s = paginate(
            ErrorContext::default(),
            PagingOptions::default().with_concurrency(3),
            slow_server((1..=6).collect(), vec![7, 8, 9], in_flight, peak),
        );
        let items: Vec<u32> = s.try_collect().await.unwrap();
        assert_eq!(items, (1..=9).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn parallel_listing_keeps_the_guards() {
        // An empty page in the middle, short of the announced total.
        let s = paginate(
            ErrorContext::default(),
            PagingOptions::default().with_concurrency(8),
            |cursor: Option<Cursor>| {
                let cursor = cursor.unwrap_or(page_cursor(1));
                let first = cursor.first_item() as u32;
                let items = if first < 4 {
                    vec![first + 1, first + 2]
                } else {
                    vec![]
                };
                let next = Some(cursor.following());
                futures::future::ready(Ok(Page::new(items, cursor, next, Some(10))))
            },
        );
        let (items, err) = collect(s).await;
        assert_eq!(items, vec![1, 2, 3, 4]);
        assert!(err
            .unwrap()
            .to_string()
            .contains("announced 10 items but delivered 4"));

        // More pages than the cap, known from the total.
        let calls = Arc::new(AtomicUsize::new(0));
        let s = paginate(
            ErrorContext::default(),
            PagingOptions {
                max_pages: 3,
                concurrency: 4,
                ..PagingOptions::default()
            },
            server((1..=20).collect(), Some(20), calls.clone()),
        );
        let (items, err) = collect(s).await;
        assert_eq!(items, vec![1, 2]);
        assert!(err.unwrap().to_string().contains("page cap"));
        assert_eq!(calls.load(Ordering::SeqCst), 1);

        // Over-delivery on a parallel page.
        let s = paginate(
            ErrorContext::default(),
            PagingOptions::default().with_concurrency(4),
            |cursor: Option<Cursor>| {
                let cursor = cursor.unwrap_or(page_cursor(1));
                let items = if cursor.first_item() == 2 {
                    vec![3, 4, 5]
                } else {
                    vec![1, 2]
                };
                let next = (cursor.first_item() < 2).then(|| cursor.following());
                futures::future::ready(Ok(Page::new(items, cursor, next, Some(4))))
            },
        );
        let (_, err) = collect(s).await;
        assert!(err.unwrap().to_string().contains("more than the 4"));
    }

    #[tokio::test]
    async fn page_size_halves_until_accepted_and_remembers() {
        let size = PageSize::new(1000);
        let asked = std::sync::Mutex::new(Vec::new());
        let page = size
            .negotiate(|n| {
                asked.lock().unwrap().push(n);
                async move {
                    if n > 300 {
                        Err(Error::from_status(400, "invalid pagesize"))
                    } else {
                        Ok(n)
                    }
                }
            })
            .await
            .unwrap();
        assert_eq!(page, 250);
        assert_eq!(*asked.lock().unwrap(), vec![1000, 500, 250]);
        assert_eq!(size.current(), 250);
        assert_eq!(size.configured(), 1000);
        // Remembered: the next listing starts at 250.
        assert_eq!(
            size.negotiate(|n| async move { Ok::<_, Error>(n) })
                .await
                .unwrap(),
            250
        );
    }

    #[tokio::test]
    async fn page_size_gives_up_at_the_floor_and_ignores_other_errors() {
        let size = PageSize::new(100);
        let calls = AtomicUsize::new(0);
        let err = size
            .negotiate(|_| {
                calls.fetch_add(1, Ordering::SeqCst);
                async { Err::<(), _>(Error::from_status(400, "bad filter")) }
            })
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidRequest);
        // 100, 50, 25, 12, 10.
        assert_eq!(calls.load(Ordering::SeqCst), 5);
        assert_eq!(size.current(), PageSize::MIN);

        let size = PageSize::new(100);
        let err = size
            .negotiate(|_| async { Err::<(), _>(Error::from_status(500, "boom")) })
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Server);
        assert_eq!(size.current(), 100);
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
            page.remaining_cursors().collect::<Vec<_>>(),
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
            page.remaining_cursors().collect::<Vec<_>>(),
            vec![Cursor::Offset {
                offset: 100,
                limit: 100
            }]
        );
        let last = Page::new(vec![1], Cursor::Page { number: 3, size: 2 }, None, Some(5));
        assert_eq!(last.remaining_cursors().count(), 0);
    }

    /// An offset server of `items` that sends at most `cap` items whatever the limit asked,
    /// announcing `total` (the real count when `None` is not asked for), counting calls.
    fn capped_offset_server(
        items: Vec<u32>,
        cap: usize,
        total: Option<u64>,
        calls: Arc<AtomicUsize>,
    ) -> impl Fn(Option<Cursor>) -> futures::future::Ready<Result<Page<u32>>> + Send + Sync + 'static
    {
        move |cursor| {
            calls.fetch_add(1, Ordering::SeqCst);
            let cursor = cursor.unwrap_or(Cursor::Offset {
                offset: 0,
                limit: 5,
            });
            let Cursor::Offset { offset, limit } = cursor.clone() else {
                unreachable!()
            };
            let chunk: Vec<u32> = items
                .iter()
                .skip(offset as usize)
                .take((limit as usize).min(cap))
                .copied()
                .collect();
            // The server's own idea of the next page: by the limit asked, as SWR clients did.
            let next = (offset + (limit as u64) < items.len() as u64).then(|| Cursor::Offset {
                offset: offset + limit as u64,
                limit,
            });
            futures::future::ready(Ok(Page::new(chunk, cursor, next, total)))
        }
    }

    #[tokio::test]
    async fn short_offset_pages_skip_nothing_sequential_or_parallel() {
        for concurrency in [1, 4] {
            let calls = Arc::new(AtomicUsize::new(0));
            let s = paginate(
                ErrorContext::default(),
                PagingOptions::default().with_concurrency(concurrency),
                capped_offset_server((1..=12).collect(), 3, Some(12), calls.clone()),
            );
            let (items, err) = collect(s).await;
            assert!(err.is_none(), "{err:?}");
            assert_eq!(
                items,
                (1..=12).collect::<Vec<_>>(),
                "concurrency {concurrency}"
            );
        }
        // A short page in the middle of a parallel listing (the first page was full).
        let s = paginate(
            ErrorContext::default(),
            PagingOptions::default().with_concurrency(4),
            |cursor: Option<Cursor>| {
                let cursor = cursor.unwrap_or(Cursor::Offset {
                    offset: 0,
                    limit: 4,
                });
                let Cursor::Offset { offset, limit } = cursor.clone() else {
                    unreachable!()
                };
                let take = if offset == 4 { 1 } else { limit as usize };
                let chunk: Vec<u32> = (1..=16u32).skip(offset as usize).take(take).collect();
                let next = Some(cursor.following());
                futures::future::ready(Ok(Page::new(chunk, cursor, next, Some(16))))
            },
        );
        let (items, err) = collect(s).await;
        assert!(err.is_none(), "{err:?}");
        assert_eq!(items, (1..=16).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn a_full_page_reaching_the_total_is_checked_once_more() {
        // The total lands on a page boundary below the real count: the extra page finds more.
        let calls = Arc::new(AtomicUsize::new(0));
        let s = paginate(
            ErrorContext::default(),
            PagingOptions::default(),
            server((1..=6).collect(), Some(4), calls.clone()),
        );
        let (items, err) = collect(s).await;
        assert_eq!(items, vec![1, 2, 3, 4], "the items received are kept");
        let err = err.expect("a total below the real count must fail the listing");
        assert_eq!(err.kind(), ErrorKind::Protocol);
        assert!(err.to_string().contains("more than the 4"), "{err}");
        // A true total on a page boundary: the extra page comes back empty, no error.
        let calls = Arc::new(AtomicUsize::new(0));
        let s = paginate(
            ErrorContext::default(),
            PagingOptions::default().with_concurrency(4),
            server((1..=4).collect(), Some(4), calls.clone()),
        );
        let (items, err) = collect(s).await;
        assert!(err.is_none(), "{err:?}");
        assert_eq!(items, vec![1, 2, 3, 4]);
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn no_next_before_the_total_is_checked_once_more_and_fails() {
        // NCR style: count 3, `next: null` after one item, then nothing.
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = calls.clone();
        let s = paginate(
            ErrorContext::default(),
            PagingOptions::default(),
            move |cursor: Option<Cursor>| {
                counter.fetch_add(1, Ordering::SeqCst);
                let cursor = cursor.unwrap_or(page_cursor(1));
                let items = if cursor == page_cursor(1) {
                    vec![7]
                } else {
                    vec![]
                };
                futures::future::ready(Ok(Page::new(items, cursor, None, Some(3))))
            },
        );
        let (items, err) = collect(s).await;
        assert_eq!(items, vec![7]);
        let err = err.expect("a listing short of its total is not complete");
        assert!(
            err.to_string()
                .contains("announced 3 items but delivered 1"),
            "{err}"
        );
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        // When the extra page does bring the rest, the listing completes.
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = calls.clone();
        let s = paginate(
            ErrorContext::default(),
            PagingOptions::default(),
            move |cursor: Option<Cursor>| {
                counter.fetch_add(1, Ordering::SeqCst);
                let cursor = cursor.unwrap_or(page_cursor(1));
                let first = cursor.first_item() as u32;
                let items: Vec<u32> = (first + 1..=(first + 2).min(3)).collect();
                futures::future::ready(Ok(Page::new(items, cursor, None, Some(3))))
            },
        );
        let (items, err) = collect(s).await;
        assert!(err.is_none(), "{err:?}");
        assert_eq!(items, vec![1, 2, 3]);
    }

    #[tokio::test]
    async fn a_server_ignoring_the_cursor_is_stopped_at_the_second_page() {
        for (total, concurrency) in [(None, 1), (Some(1_000), 1), (Some(1_000), 8)] {
            let calls = Arc::new(AtomicUsize::new(0));
            let counter = calls.clone();
            let s = paginate(
                ErrorContext::default(),
                PagingOptions::default().with_concurrency(concurrency),
                move |cursor: Option<Cursor>| {
                    counter.fetch_add(1, Ordering::SeqCst);
                    let cursor = cursor.unwrap_or(page_cursor(1));
                    let next = Some(cursor.following());
                    // Always the first page, whatever was asked.
                    futures::future::ready(Ok(Page::new(vec![1, 2], cursor, next, total)))
                },
            );
            let (items, err) = collect(s).await;
            assert_eq!(items, vec![1, 2], "{total:?}");
            let err = err.expect("a server repeating its first page must fail the listing");
            assert_eq!(err.kind(), ErrorKind::Protocol);
            assert!(err.to_string().contains("same item"), "{err}");
            assert!(
                // The first page, the pages in flight, one read ahead.
                calls.load(Ordering::SeqCst) <= 1 + concurrency + 1,
                "{total:?}: {} calls",
                calls.load(Ordering::SeqCst)
            );
        }
    }

    #[tokio::test]
    async fn absurd_totals_fail_before_any_cursor_is_made() {
        for total in [u64::MAX, 1_000_000_000_000, 99_999_999_999] {
            for concurrency in [1, 8] {
                let calls = Arc::new(AtomicUsize::new(0));
                let counter = calls.clone();
                let s = paginate(
                    ErrorContext::default(),
                    PagingOptions::default().with_concurrency(concurrency),
                    move |cursor: Option<Cursor>| {
                        counter.fetch_add(1, Ordering::SeqCst);
                        let cursor = cursor.unwrap_or(page_cursor(1));
                        let first = cursor.first_item() as u32;
                        let next = Some(cursor.following());
                        let items = vec![first + 1, first + 2];
                        futures::future::ready(Ok(Page::new(items, cursor, next, Some(total))))
                    },
                );
                let (_, err) = collect(s).await;
                let err = err.expect("an absurd total is an error");
                assert_eq!(err.kind(), ErrorKind::Protocol);
                assert!(err.to_string().contains("plausible"), "{err}");
                assert_eq!(calls.load(Ordering::SeqCst), 1, "{total}");
            }
        }
        // Plausible as a total, but more pages than the cap: refused at the first page too.
        let calls = Arc::new(AtomicUsize::new(0));
        let s = paginate(
            ErrorContext::default(),
            PagingOptions::default(),
            server((1..=4).collect(), Some(99_999_999), calls.clone()),
        );
        let (_, err) = collect(s).await;
        assert!(err.expect("cap").to_string().contains("page cap"));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn after_a_short_page_offsets_follow_what_was_received() {
        let at = |offset, limit| Cursor::Offset { offset, limit };
        assert_eq!(at(0, 1000).after(1000), at(1000, 1000));
        assert_eq!(at(0, 1000).after(500), at(500, 500));
        assert_eq!(at(500, 500).after(500), at(1000, 500));
        assert_eq!(at(14, 7).after(3), at(17, 1));
        assert_eq!(page_cursor(3).after(1), page_cursor(4));
    }

    #[test]
    fn remaining_cursors_are_made_lazily() {
        let page = Page::new(
            vec![1u32, 2],
            page_cursor(1),
            Some(page_cursor(2)),
            Some(u64::MAX),
        );
        let remaining = page.remaining_cursors();
        assert_eq!(remaining.count_left(), u64::MAX / 2);
        let first: Vec<Cursor> = remaining.take(2).collect();
        assert_eq!(first, vec![page_cursor(2), page_cursor(3)]);
    }

    /// An offset server of `items` in pages of `size` announcing `total`, recording every
    /// cursor asked for (`None` is the first page).
    fn recording_server(
        items: Vec<u32>,
        size: u32,
        total: Option<u64>,
        asked: Arc<std::sync::Mutex<Vec<Option<Cursor>>>>,
    ) -> impl Fn(Option<Cursor>) -> futures::future::Ready<Result<Page<u32>>> + Send + Sync + 'static
    {
        move |cursor| {
            asked.lock().unwrap().push(cursor.clone());
            let cursor = cursor.unwrap_or(Cursor::Offset {
                offset: 0,
                limit: size,
            });
            let (offset, limit) = match cursor {
                Cursor::Offset { offset, limit } => (offset as usize, limit as usize),
                ref other => panic!("an offset server got {other}"),
            };
            let chunk: Vec<u32> = items.iter().skip(offset).take(limit).copied().collect();
            let next =
                (offset + chunk.len() < items.len()).then(|| cursor.after(chunk.len() as u64));
            futures::future::ready(Ok(Page::new(chunk, cursor, next, total)))
        }
    }

    fn offset(offset: u64, limit: u32) -> Cursor {
        Cursor::Offset { offset, limit }
    }

    /// The cursors asked for, the first page (`None`) first, then in offset order.
    fn asked_sorted(asked: &std::sync::Mutex<Vec<Option<Cursor>>>) -> Vec<Option<Cursor>> {
        let mut asked = asked.lock().unwrap().clone();
        asked.sort_by_key(|c| {
            c.as_ref()
                .map_or((0, 0), |c| (c.first_item() + 1, c.page_size()))
        });
        asked
    }

    /// A listing of `items` from a [`recording_server`] (pages of `size`, announcing `total`)
    /// with `concurrency` pages in flight and `speculative` as the speculative next cursor:
    /// the items, the error that ended it, and the cursors asked for ([`asked_sorted`]).
    async fn speculative_listing(
        items: Vec<u32>,
        size: u32,
        total: Option<u64>,
        concurrency: usize,
        speculative: Cursor,
    ) -> (Vec<u32>, Option<Error>, Vec<Option<Cursor>>) {
        let asked = Arc::new(std::sync::Mutex::new(Vec::new()));
        let s = paginate(
            ErrorContext::default(),
            PagingOptions::default()
                .with_concurrency(concurrency)
                .with_speculative_next(speculative),
            recording_server(items, size, total, asked.clone()),
        );
        let (items, err) = collect(s).await;
        (items, err, asked_sorted(&asked))
    }

    #[tokio::test]
    async fn the_speculative_page_stands_in_for_the_second_page() {
        // With a total (parallel and one page after another) and without one.
        for (total, concurrency) in [(Some(5), 4), (Some(5), 1), (None, 4), (None, 1)] {
            let (items, err, asked) =
                speculative_listing((1..=5).collect(), 2, total, concurrency, offset(2, 2)).await;
            assert!(err.is_none(), "{total:?} c{concurrency}: {err:?}");
            assert_eq!(
                items,
                (1..=5).collect::<Vec<_>>(),
                "{total:?} c{concurrency}"
            );
            // Offset 2 once: the speculative request is the second page, not an extra one.
            let expected = vec![None, Some(offset(2, 2)), Some(offset(4, 2))];
            assert_eq!(asked, expected, "{total:?} c{concurrency}");
        }
    }

    #[tokio::test]
    async fn a_listing_of_one_page_pays_one_request_for_the_speculative_page() {
        for concurrency in [1, 4] {
            // A short first page with its total: complete at once, the speculative page unused.
            let (items, err, asked) =
                speculative_listing(vec![1, 2], 3, Some(2), concurrency, offset(3, 3)).await;
            assert!(err.is_none(), "{err:?}");
            assert_eq!(items, vec![1, 2]);
            assert_eq!(asked, vec![None, Some(offset(3, 3))]);

            // A full first page reaching its total: the speculative page is the one more page
            // the loop asks for, so it costs nothing extra.
            let (items, err, asked) =
                speculative_listing(vec![1, 2, 3], 3, Some(3), concurrency, offset(3, 3)).await;
            assert!(err.is_none(), "{err:?}");
            assert_eq!(items, vec![1, 2, 3]);
            assert_eq!(asked, vec![None, Some(offset(3, 3))]);
        }
    }

    #[tokio::test]
    async fn an_unused_speculative_page_is_never_read() {
        // The first page is short of its limit and announces 2 items: complete. The speculative
        // page contradicts it (3 more items at offset 3) but is not the page the loop needs:
        // dropped unread, exactly as if it had never been asked for.
        let speculative_answer = |cursor: Option<Cursor>| {
            let cursor = cursor.unwrap_or(offset(0, 3));
            let items = if cursor.first_item() == 0 {
                vec![1, 2]
            } else {
                vec![7, 8, 9]
            };
            futures::future::ready(Ok(Page::new(items, cursor, None, Some(2))))
        };
        let s = paginate(
            ErrorContext::default(),
            PagingOptions::default().with_speculative_next(offset(3, 3)),
            speculative_answer,
        );
        let (items, err) = collect(s).await;
        assert!(err.is_none(), "{err:?}");
        assert_eq!(items, vec![1, 2]);

        // A first page whose size differs from the speculative cursor's (a negotiated page
        // size): the speculative page is not the next page, the loop asks for its own.
        let (items, err, asked) =
            speculative_listing((1..=5).collect(), 2, Some(5), 4, offset(4, 4)).await;
        assert!(err.is_none(), "{err:?}");
        assert_eq!(items, (1..=5).collect::<Vec<_>>());
        assert_eq!(
            asked,
            vec![
                None,
                Some(offset(2, 2)),
                Some(offset(4, 2)),
                Some(offset(4, 4))
            ]
        );
    }

    #[tokio::test]
    async fn a_speculative_page_that_contradicts_the_total_is_caught() {
        for concurrency in [1, 4] {
            // The total (2) lands on the first page's end, the real count is 4: the speculative
            // page is the one more page, and it brings items.
            let (items, err, _) =
                speculative_listing((1..=4).collect(), 2, Some(2), concurrency, offset(2, 2)).await;
            assert_eq!(items, vec![1, 2]);
            let err = err.expect("a total below the real count must fail the listing");
            assert_eq!(err.kind(), ErrorKind::Protocol);
            assert!(err.to_string().contains("more than the 2"), "{err}");

            // Total 3, and the speculative page brings 2 more: over-delivery.
            let (_, err, _) =
                speculative_listing((1..=4).collect(), 2, Some(3), concurrency, offset(2, 2)).await;
            let err = err.expect("over-delivery");
            assert!(err.to_string().contains("more than the 3"), "{err}");

            // A server that ignores the offset: the speculative page repeats the first.
            let s = paginate(
                ErrorContext::default(),
                PagingOptions::default()
                    .with_concurrency(concurrency)
                    .with_speculative_next(offset(2, 2)),
                |cursor: Option<Cursor>| {
                    let cursor = cursor.unwrap_or(offset(0, 2));
                    let next = Some(cursor.following());
                    futures::future::ready(Ok(Page::new(vec![1, 2], cursor, next, Some(100))))
                },
            );
            let (items, err) = collect(s).await;
            assert_eq!(items, vec![1, 2]);
            assert!(err.expect("repeat").to_string().contains("same item"));

            // The speculative page fails: its error is the listing's, as a later fetch's was.
            let s = paginate(
                ErrorContext::default(),
                PagingOptions::default()
                    .with_concurrency(concurrency)
                    .with_speculative_next(offset(2, 2)),
                |cursor: Option<Cursor>| {
                    let page = match cursor {
                        None => Ok(Page::new(
                            vec![1, 2],
                            offset(0, 2),
                            Some(offset(2, 2)),
                            Some(4),
                        )),
                        Some(_) => Err(Error::from_status(500, "boom")),
                    };
                    futures::future::ready(page)
                },
            );
            let (items, err) = collect(s).await;
            assert_eq!(items, vec![1, 2]);
            assert_eq!(err.expect("error").kind(), ErrorKind::Server);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_speculative_page_saves_a_round_trip_on_two_pages_only() {
        // Pages of 2 taking 10 ms each (paused clock). 3 items: the first page, then page 2
        // once the total is known; with speculation both at once. 4 items: the same, plus the
        // one more page a full last page reaching the total needs. 7 items: pages 3 and 4 wait
        // for the first page's total either way, so speculation saves nothing.
        for (items, speculative, round_trips) in [
            (3, false, 2u32),
            (3, true, 1),
            (4, false, 3),
            (4, true, 2),
            (7, false, 2),
            (7, true, 2),
        ] {
            let (in_flight, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
            let mut options = PagingOptions::default().with_concurrency(4);
            if speculative {
                options = options.with_speculative_next(page_cursor(2));
            }
            let started = tokio::time::Instant::now();
            let s = paginate(
                ErrorContext::default(),
                options,
                slow_server((1..=items).collect(), vec![], in_flight, peak),
            );
            let listed: Vec<u32> = s.try_collect().await.unwrap();
            assert_eq!(listed, (1..=items).collect::<Vec<_>>());
            let elapsed = started.elapsed();
            let round_trip = std::time::Duration::from_millis(10);
            assert!(
                elapsed >= round_trip * round_trips && elapsed < round_trip * (round_trips + 1),
                "{items} items, speculative {speculative}: {elapsed:?}"
            );
        }
    }

    #[tokio::test]
    async fn an_unused_speculative_request_is_aborted_not_awaited() {
        /// Counts its drops: a speculative fetch dropped is one that was aborted.
        struct Dropped(Arc<AtomicUsize>);
        impl Drop for Dropped {
            fn drop(&mut self) {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }
        let dropped = Arc::new(AtomicUsize::new(0));
        let counter = dropped.clone();
        let s = paginate(
            ErrorContext::default(),
            PagingOptions::default().with_speculative_next(page_cursor(2)),
            move |cursor: Option<Cursor>| {
                let guard = Dropped(counter.clone());
                async move {
                    let cursor = cursor.unwrap_or(page_cursor(1));
                    if cursor != page_cursor(1) {
                        // A server that never answers the speculative request.
                        futures::future::pending::<()>().await;
                    }
                    drop(guard);
                    Ok(Page::new(vec![1], cursor, None, Some(1)))
                }
                .boxed()
            },
        );
        // One short page with its total: complete without waiting for the speculative page.
        let (items, err) = collect(s).await;
        assert!(err.is_none(), "{err:?}");
        assert_eq!(items, vec![1]);
        // The first page's guard, and the speculative one's, dropped by the abort.
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        assert_eq!(dropped.load(Ordering::SeqCst), 2);
    }
}
