//! `deathstar-bench`: the DeathStarBench benchmark driver as a library, so the binary stays thin
//! and the pieces (dataset parsing, parameter generation, the Poisson schedule, statistics,
//! reports, plots, the two API flavours, the trace breakdown) can be tested one by one.
//!
//! The spec is `WORKLOAD.md` sections 1–4 and 6 (DeathStarBench's wrk2 scripts,
//! `init_social_graph.py` and its wrk2 fork); what differs from wrk2 is said where it is done.

pub mod args;
pub mod breakdown;
pub mod client;
pub mod dataset;
pub mod init;
pub mod jaeger;
pub mod logins;
pub mod plot;
pub mod report;
pub mod run;
pub mod schedule;
pub mod stats;
pub mod sweep;
#[cfg(test)]
mod testserver;
pub mod traced;
pub mod wire;
pub mod workload;
