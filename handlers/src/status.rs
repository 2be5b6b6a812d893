//! The envelope's status names that more than one place writes or reads, spelled once.
//!
//! A function's own `<Own>Error` (what it answers when it could not do its job) stays its
//! [`Function::ERROR`](crate::Function::ERROR); these are the names any function, or the HTTP
//! edge, can answer with, and that callers and clients match on. Names of the original are
//! kept where it had them (`MissingFieldError`, `UserIDNotExistError`...).

/// A successful reply.
pub const SUCCESS: &str = "success";

/// The body was not a JSON object (or not JSON at all).
pub const MALFORMED_JSON: &str = "MalformedJsonError";
pub const MISSING_FIELD: &str = "MissingFieldError";
pub const INVALID_FIELD: &str = "InvalidFieldError";
pub const PAYLOAD_TOO_LARGE: &str = "PayloadTooLargeError";
/// The body did not arrive before the request's deadline.
pub const REQUEST_TIMEOUT: &str = "RequestTimeoutError";
pub const UNAUTHORIZED: &str = "UnauthorizedError";
/// A logged-in user asking to act as someone else.
pub const FORBIDDEN: &str = "ForbiddenError";
/// A client calling a function that only the deployment's functions may call.
pub const INTERNAL_FUNCTION: &str = "InternalFunctionError";
/// A call between functions whose proof is forged, altered or expired.
pub const CALL_PROOF: &str = "CallProofError";
/// A state-changing browser request from a page of another site (CSRF).
pub const CROSS_SITE: &str = "CrossSiteRequestError";
pub const USER_ID_NOT_EXIST: &str = "UserIDNotExistError";
pub const USERNAME_NOT_FOUND: &str = "UsernameNotFoundError";
pub const FUNCTION_NOT_FOUND: &str = "FunctionNotFoundError";
pub const ROUTE_NOT_FOUND: &str = "RouteNotFoundError";
pub const METHOD_NOT_ALLOWED: &str = "MethodNotAllowedError";

/// Too many failed logins for a username or from a client: retry after the envelope's
/// `retry_after` seconds.
pub const TOO_MANY_REQUESTS: &str = "TooManyRequestsError";
/// Shed at the edge (here or in a callee): retry later.
pub const OVERLOADED: &str = "OverloadedError";
/// A storage server is down or hung (here or below): retry later.
pub const STORAGE_UNAVAILABLE: &str = "StorageUnavailableError";
/// The request's deadline passed (here or below).
pub const TIMEOUT: &str = "TimeoutError";
/// Something failed that is nobody's input (a reply that does not encode, say).
pub const INTERNAL: &str = "InternalError";
/// A function crashed instead of answering (its process died, or Lambda reported an error).
pub const FUNCTION_CRASHED: &str = "FunctionCrashedError";
/// The OpenFaaS gateway answered itself (no envelope: a timeout, no such function there).
pub const GATEWAY: &str = "GatewayError";
/// The way in failed rather than a function: an edge's own refusals, or a callee whose reply
/// was no envelope at all.
pub const INVOCATION: &str = "InvocationError";
