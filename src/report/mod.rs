//! `report`'s computation: per campaign, test split and hyper-parameter group, the runs count
//! and the statistics of each metric's value and of the run duration.

pub mod stats;
