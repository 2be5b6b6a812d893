//! The DeathStarBench social network as platform-free functions.
//!
//! Every function of the catalogue is a type implementing [`Function`]: typed JSON input, typed
//! output, typed errors. A [`Registry`] hosts the functions of a process: it runs them for
//! the edges (JSON or bytes in, the project's envelope out; [`Registry::get`] gives one as a
//! `tower::Service` from an [`Invocation`] to a [`Reply`]) and is the invoker through which
//! they call each other ([`Ctx::call`]: typed in-process, JSON through a remote [`Invoker`]
//! otherwise). Functions touch storage only through the traits in [`store`]. Nothing here
//! knows about HTTP servers, OpenFaaS or Lambda: the crates under `adapters/` do.
//!
//! [`catalogue`] holds the one list of functions; everything else (registries, routes, deploy
//! descriptors, docs) is derived from it.
//!
//! Layers, each using only those below it: [`catalogue`] → [`function`] (the trait, [`Ctx`],
//! typed calls) → [`registry`] (functions by name, type-erased) → [`invoker`] (remote calls).

pub mod access;
pub mod auth;
pub mod catalogue;
pub mod envelope;
pub mod error;
pub mod function;
pub mod functions;
pub mod ids;
pub mod integer;
pub mod invocation;
pub mod invoker;
pub mod metrics;
pub mod model;
pub mod openapi;
pub mod password;
pub mod proof;
pub mod registry;
pub mod spans;
pub mod status;
pub mod store;
pub mod throttle;
pub mod trace;
pub mod user_id;
pub mod validate;

pub use access::{Access, ActsFor, AuthMode};
pub use envelope::{Reply, WireReply};
pub use error::{CalleeFailure, FunctionError};
pub use function::{Ctx, Function};
pub use invocation::{CallMeta, Caller, Identity, Invocation, Principal};
pub use invoker::{InvokeError, Invoked, InvokedWire, Invoker};
pub use registry::{FunctionService, Registry};
pub use user_id::UserId;
