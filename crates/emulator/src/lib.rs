//! # reginv-emulator
//!
//! A local server of NAVER Cloud NCR API v2 and Huawei Cloud SWR `/v2/manage`, for tests,
//! examples, the demo and benchmarks.
//!
//! ```no_run
//! # async fn run() -> Result<(), reginv_emulator::EmulatorError> {
//! use reginv_emulator::{Emulator, Fixture};
//!
//! let emulator = Emulator::builder().fixture(Fixture::sample()).start().await?;
//! println!("NCR at {}/ncr/api/v2, SWR at {}/v2/manage", emulator.ncp_endpoint(), emulator.swr_endpoint());
//! emulator.shutdown().await;
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

mod auth;
mod error;
mod faults;
pub mod fixture;
mod ncr;
mod reply;
mod routes;
mod server;
mod stats;
mod swr;

pub use error::EmulatorError;
pub use faults::Faults;
pub use fixture::{
    Fixture, FixtureSizes, NcpImage, NcpPlatformImage, NcpRegistry, NcpTag, SwrFixture,
    SwrNamespace, SwrRepo, SwrTag,
};
pub use server::{
    Emulator, EmulatorBuilder, DEFAULT_NCP_ACCESS_KEY, DEFAULT_NCP_MAX_PAGE_SIZE,
    DEFAULT_NCP_SECRET_KEY, DEFAULT_SWR_ACCESS_KEY, DEFAULT_SWR_SECRET_KEY, DEFAULT_SWR_TOKEN,
};
pub use stats::EmulatorStats;
