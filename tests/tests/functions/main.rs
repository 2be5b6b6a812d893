//! Every function of the catalogue, called by name as a client calls it: its success reply
//! (the key fields, not just the status), and each error a client's input can cause — 400
//! `MissingFieldError` / `InvalidFieldError`, 401, 404 and 409, with the envelope status that
//! names it. Where a function passes on a refusal of a function it called, the test checks
//! the nesting too (`errors[0].callee` and the callee's own status). Every test runs on both
//! backends, in-process and over HTTP.
//!
//! One module per service of the original, as axum keeps `routing/tests/`: `user`,
//! `social_graph`, `media`, `compose` (the frontend and every service composing calls),
//! `post_storage` and `timelines`; `support` holds the shared helpers. Modules, and the sections
//! within each, follow the order of the catalogue in `handlers/src/registry.rs`, except that the
//! reads of the user and the home timeline, which behave alike, are checked together for both
//! (`Timeline`) after the timeline writes. Each module runs its own tests on every deployment and
//! backend with `deployments!`; this file checks that together they cover the whole catalogue.

mod compose;
mod media;
mod post_storage;
mod social_graph;
mod support;
mod timelines;
mod user;

use deathstar_handlers::Registry;
use deathstar_tests::{Net, deployments};
use serde_json::json;

// The catalogue.

const COVERED: [&str; 32] = [
    "register-user",
    "register-user-with-id",
    "get-user-id",
    "user-service-get-users",
    "user-service-login",
    "user-service-upload-creator-with-user-id",
    "user-service-upload-creator-with-username",
    "social-graph-insert-user",
    "social-graph-follow",
    "social-graph-unfollow",
    "social-graph-follow-with-username",
    "social-graph-unfollow-with-username",
    "social-graph-get-followers",
    "social-graph-get-followees",
    "media-front-upload-media",
    "media-front-get-media",
    "media-service-upload-media",
    "compose-post-frontend",
    "unique-id-service-upload-unique-id",
    "text-service-upload-text",
    "url-shorten-service-upload-urls",
    "url-shorten-service-get-extended-urls",
    "user-mention-service-upload-user-mentions",
    "compose-post-service-compose-and-upload",
    "post-storage-service-store-post",
    "post-storage-service-read-posts",
    "user-timeline-service-write-user-timeline",
    "user-timeline-service-read-user-timeline",
    "user-timeline-read-frontend",
    "home-timeline-service-write-home-timeline",
    "home-timeline-service-read-home-timeline",
    "home-timeline-read-frontend",
];

async fn every_catalogue_function_is_covered_here_and_deployed(net: Net) {
    assert_eq!(
        Registry::names(),
        COVERED,
        "a function was added or renamed"
    );
    for name in COVERED {
        let reply = net.call(name, json!({})).await;
        assert_ne!(
            reply.body["status"], "FunctionNotFoundError",
            "{name} is not deployed"
        );
    }
}

deployments!(every_catalogue_function_is_covered_here_and_deployed);
