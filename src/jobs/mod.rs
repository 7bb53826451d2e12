//! Work on timers: the sweeper and the usage flush.

pub mod sweeper;
pub mod usage;
