//! # reginv-huawei
//!
//! The reginv backend for Huawei Cloud SWR (SoftWare Repository for Container), `/v2/manage`.
//! (Work in progress: only the [`signing`] module has landed so far.)

#![warn(missing_docs)]

pub mod signing;
