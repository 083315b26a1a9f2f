//! `reginv` inventories container registries across clouds.
//!
//! This facade re-exports [`reginv_core`]: the [`RegistryProvider`] trait that every registry
//! backend implements, the normalized models ([`Repository`], [`Tag`], …) and the [`Error`] type.
//! Backends (NAVER Cloud NCR, Huawei Cloud SWR) and the multi-source `Inventory` join it as they land.

pub use reginv_core as core;
pub use reginv_core::*;
