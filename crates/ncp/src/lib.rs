//! # reginv-ncp
//!
//! The reginv backend for NAVER Cloud Platform Container Registry (NCR), API v2.
//! (Work in progress: only the [`signing`] module has landed so far.)

#![warn(missing_docs)]

pub mod signing;
