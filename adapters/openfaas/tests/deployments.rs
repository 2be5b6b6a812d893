//! The whole-network flows on multi-process deployments of this adapter: every function in its
//! own process, and compose's call tree fused into one process with the rest separate. Calls
//! between processes go over loopback HTTP through a gateway, with the gateway invoker.

use deathstar_tests::{flows_on, processes};

const BIN: &str = env!("CARGO_BIN_EXE_deathstar-openfaas");

flows_on!(
    one_process_per_function,
    processes::one_per_function(BIN).await
);
flows_on!(compose_fused, processes::fused(BIN).await);
