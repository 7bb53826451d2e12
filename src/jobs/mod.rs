//! Work on timers: the sweeper.

pub mod sweeper;
