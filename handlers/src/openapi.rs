//! The OpenAPI 3.1 document of every function, generated from the catalogue
//! ([`for_each_function`]) and the JSON Schemas of the functions' typed inputs and outputs
//! (schemars): one `POST /function/<name>` per function (and its `GET` twin), its request body the input, its 200
//! reply the output with `"status": "success"` beside its fields, and the error envelope for
//! every other status. The HTTP edge serves it at `GET /openapi.json`; `docs/openapi.json` is
//! this document, checked for drift by `tests/tests/openapi.rs`.
//!
//! The schemas say what the functions check before they touch storage (id and username
//! patterns, length and list limits, post types), so that a client or a fuzzer
//! (schemathesis, in `scripts/schemathesis.sh`) knows what is refused with a 400. Some rules
//! span fields and are only in the descriptions: a timeline page's `stop` is after `start` and
//! at most 1000 past it, media ids and types come in lists of one length, nobody follows
//! themselves. Byte limits of UTF-8 text appear as `maxLength`, which counts characters: the
//! server counts bytes, so non-ASCII text reaches the limit sooner.

use schemars::generate::{SchemaGenerator, SchemaSettings};
use serde_json::{Map, Value, json};

use crate::access::{Access, AuthMode};
use crate::catalogue::{FunctionVisitor, for_each_function};
use crate::function::Function;

/// A user id: 32 lowercase hexadecimal characters.
pub const USER_ID: &str = "^[0-9a-f]{32}$";
/// A username a mention can name ([`crate::validate::username`]).
pub const USERNAME: &str = "^[A-Za-z0-9_-]{1,64}$";
/// A URL the shortener takes.
pub const HTTP_URL: &str = "^https?://";
/// A media type: a short lowercase file extension.
pub const MEDIA_TYPE: &str = "^[a-z0-9]{1,16}$";
/// A filename with an extension that can be a media type.
pub const FILENAME: &str = "\\.[A-Za-z0-9]{1,16}$";

/// The tag of the functions clients call directly ([`Function::ACCESS`]).
pub const PUBLIC_TAG: &str = "public";
/// The security scheme of the functions that act for a user: the login token as a bearer token.
pub const LOGIN_TOKEN: &str = "loginToken";
/// The tag of the functions only other functions call.
pub const INTERNAL_TAG: &str = "internal";

/// Where the error statuses come from, in the order the document lists them.
const ERRORS: &[(&str, &str)] = &[
    (
        "400",
        "The body is not a JSON object (`MalformedJsonError`), lacks a field \
         (`MissingFieldError`) or has a field of the wrong type or value (`InvalidFieldError`, \
         naming the field); or a function it called refused its part of the input.",
    ),
    (
        "401",
        "Wrong username or password, or (with `DS_AUTH=required`) no valid login token for a \
         function that acts for a user (`UnauthorizedError`).",
    ),
    (
        "403",
        "With `DS_AUTH=required`: the body names another user than the login token's \
         (`ForbiddenError`), an internal function called by a client (`InternalFunctionError`), \
         or a call proof that is forged, altered or expired (`CallProofError`).",
    ),
    (
        "429",
        "Too many failed logins for the username or from the client (`TooManyRequestsError`, \
         user-service-login): retry after `retry_after` seconds (also in `Retry-After`).",
    ),
    (
        "404",
        "Something named in the input does not exist (`UserIDNotExistError`, \
         `UsernameNotFoundError`, `PostNotFoundError`, `UrlNotFoundError`, `MediaNotFoundError`).",
    ),
    (
        "408",
        "The body did not arrive within the request's deadline (`RequestTimeoutError`).",
    ),
    (
        "409",
        "What it would create exists already (`UsernameAlreadyExistError`, \
         `UserIDAlreadyExistError`, `PostAlreadyExistError`).",
    ),
    (
        "413",
        "The body is larger than the server accepts (`PayloadTooLargeError`).",
    ),
    (
        "500",
        "The function failed for a reason of its own (`<Function>Error`).",
    ),
    (
        "502",
        "A function it called failed or gave no usable reply (`<Function>Error`, with the \
         callees' envelopes nested in `errors`).",
    ),
    (
        "503",
        "Storage is unavailable (`StorageUnavailableError`) or the server is at its limit of \
         requests in flight (`OverloadedError`): retry later.",
    ),
    (
        "504",
        "The request's deadline passed, here or below (`TimeoutError`).",
    ),
];

/// The OpenAPI document of every function of the catalogue, as the default `DS_AUTH=required`
/// checks them (what `docs/openapi.json` holds).
pub fn document() -> Value {
    document_in(AuthMode::Required)
}

/// The document of a deployment in `mode`: with `DS_AUTH=open` no operation asks for a login
/// token (none is checked).
pub fn document_in(mode: AuthMode) -> Value {
    let settings = SchemaSettings::draft2020_12().with(|s| {
        s.definitions_path = "/components/schemas".into();
        s.meta_schema = None;
    });
    let mut visitor = Operations {
        generator: SchemaGenerator::new(settings),
        paths: Map::new(),
        mode,
    };
    for_each_function(&mut visitor);
    let mut schemas = visitor.generator.take_definitions(true);
    schemas.insert("ErrorEnvelope".into(), error_envelope());
    schemas.insert("ErrorItem".into(), error_item());
    json!({
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "DeathStarBench social network as functions",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Every function of the catalogue, served at `/function/<name>` \
                (the OpenFaaS gateway's path). A function takes a JSON object and answers \
                `{\"status\": \"success\", ...output}` with HTTP 200, or \
                `{\"status\": \"<Name>Error\", \"errors\": [{\"message\": ...}]}` with the \
                status of the failure. An empty body is `{}`. Fields the input does not name \
                are ignored. Functions tagged `public` are the ones clients call; `internal` \
                ones are called by other functions.",
        },
        "tags": [
            {"name": PUBLIC_TAG, "description": "Called by clients (an HTTP route on AWS, the web UI)."},
            {"name": INTERNAL_TAG, "description": "Called by other functions."},
        ],
        "paths": visitor.paths,
        "components": {
            "schemas": schemas,
            "responses": error_responses(),
            "securitySchemes": {
                LOGIN_TOKEN: {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "The token user-service-login returns; needed with DS_AUTH=required.",
                },
            },
        },
    })
}

struct Operations {
    generator: SchemaGenerator,
    paths: Map<String, Value>,
    mode: AuthMode,
}

impl FunctionVisitor for Operations {
    fn visit<F: Function>(&mut self) {
        let input = self.generator.subschema_for::<F::Input>();
        // An empty body is `{}`: a body is required where `{}` lacks a field.
        let body_required = input
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.rsplit('/').next())
            .and_then(|name| self.generator.definitions().get(name))
            .and_then(|schema| schema.get("required"))
            .and_then(Value::as_array)
            .is_some_and(|required| !required.is_empty());
        let output = self.generator.subschema_for::<F::Output>();
        let success = json!({
            "allOf": [
                output,
                {
                    "type": "object",
                    "properties": {"status": {"const": "success"}},
                    "required": ["status"],
                },
            ],
        });
        let mut responses = Map::new();
        responses.insert(
            "200".into(),
            json!({
                "description": "Done: the output, with `\"status\": \"success\"` beside its fields.",
                "content": {"application/json": {"schema": success}},
            }),
        );
        for (status, _) in ERRORS {
            let reference = format!("#/components/responses/{}", error_response_name(status));
            responses.insert((*status).into(), json!({ "$ref": reference }));
        }
        let public = F::ACCESS.is_public();
        let tag = if public { PUBLIC_TAG } else { INTERNAL_TAG };
        let mut operation = json!({
            "operationId": F::NAME,
            "summary": F::NAME,
            "tags": [tag],
            "x-public": public,
            "x-access": F::ACCESS.describe(),
            "x-error-status": F::ERROR,
            "requestBody": {
                "required": body_required,
                "content": {"application/json": {"schema": input}},
            },
            "responses": responses,
        });
        if F::ACCESS == Access::User && self.mode == AuthMode::Required {
            operation["security"] = json!([{ LOGIN_TOKEN: [] }]);
        }
        // GET takes the same body and gives the same replies (the OpenFaaS gateway's contract).
        let mut get = operation.clone();
        get["operationId"] = format!("{}.get", F::NAME).into();
        self.paths.insert(
            format!("/function/{}", F::NAME),
            json!({ "post": operation, "get": get }),
        );
    }
}

/// The name of the shared response of an error `status`.
fn error_response_name(status: &str) -> String {
    format!("Error{status}")
}

/// One shared response per error status, each the envelope.
fn error_responses() -> Map<String, Value> {
    ERRORS
        .iter()
        .map(|(status, description)| {
            let response = json!({
                "description": description,
                "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/ErrorEnvelope"},
                }},
            });
            (error_response_name(status), response)
        })
        .collect()
}

/// `{"status": "...Error", "errors": [{"message": ..., "field"?: ...}, ...]}`.
fn error_envelope() -> Value {
    json!({
        "description": "Why a function did not succeed. A failure of functions it called nests \
            their envelopes: one item per failed callee, with `callee`, `http_status` and the \
            callee's own `status` and `errors`.",
        "type": "object",
        "required": ["status", "errors"],
        "properties": {
            "status": {"type": "string", "pattern": "Error$"},
            "errors": {
                "type": "array",
                "minItems": 1,
                "items": {"$ref": "#/components/schemas/ErrorItem"},
            },
        },
    })
}

/// One item of an envelope's `errors`.
fn error_item() -> Value {
    json!({
        "type": "object",
        "required": ["message"],
        "properties": {
            "message": {"type": "string"},
            "field": {"type": "string", "description": "The input field at fault, as a path (`post.creator.user_id`, `urls[2]`)."},
            "callee": {"type": "string", "description": "The function called that failed."},
            "http_status": {"type": "integer", "description": "The status the callee answered."},
            "status": {"type": "string", "description": "The callee's envelope status."},
            "errors": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/ErrorItem"},
                "description": "The callee's errors.",
            },
        },
    })
}
