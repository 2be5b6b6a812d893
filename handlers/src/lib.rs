//! The DeathStarBench social network as platform-free functions.
//!
//! Every function of the catalogue is a type implementing [`Function`]: typed JSON input, typed
//! output, typed errors. [`FunctionService`] turns one into a `tower::Service` from an
//! [`Invocation`] (a JSON body plus its [`CallMeta`]) to a [`Reply`] (HTTP status plus the
//! project's JSON envelope). A function calls another only through the [`Invoker`] in its
//! [`Ctx`], and touches storage only through the traits in [`store`]. Nothing here knows about
//! HTTP servers, OpenFaaS or Lambda: the crates under `adapters/` do.
//!
//! [`registry`] holds the one list of functions; everything else (routes, deploy descriptors,
//! docs) is derived from it.

pub mod auth;
pub mod envelope;
pub mod error;
pub mod function;
pub mod functions;
pub mod ids;
pub mod integer;
pub mod invocation;
pub mod invoker;
pub mod model;
pub mod openapi;
pub mod registry;
pub mod status;
pub mod store;
pub mod validate;

pub use envelope::{Reply, WireReply};
pub use error::{CalleeFailure, FunctionError};
pub use function::{Ctx, Env, Function, FunctionService, invoke_function};
pub use invocation::{CallMeta, Invocation};
pub use invoker::{FusedInvoker, InvokeError, Invoker, LocalInvoker};
pub use registry::Registry;
