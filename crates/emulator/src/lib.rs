//! # reginv-emulator
//!
//! A local server of NAVER Cloud NCR API v2 and Huawei Cloud SWR `/v2/manage`, for tests,
//! examples, the demo and benchmarks. (Work in progress.)

#![warn(missing_docs)]
