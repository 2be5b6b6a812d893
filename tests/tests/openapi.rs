//! `docs/openapi.json` is the OpenAPI document the registry gives
//! (`deathstar_handlers::openapi::document`): every function once, none extra, each tagged
//! public or internal as its `Function::PUBLIC` says. This test regenerates it and fails if
//! the committed file differs; `DS_UPDATE_DESCRIPTORS=1 cargo test -p deathstar-tests --test
//! openapi` rewrites it (the same switch as the deploy descriptors'). The document served at
//! `GET /openapi.json` is the committed one, byte for byte.

use std::path::PathBuf;

use deathstar_handlers::auth::AuthKey;
use deathstar_handlers::openapi::{INTERNAL_TAG, PUBLIC_TAG, document};
use deathstar_handlers::{AuthMode, Registry};
use deathstar_tests::serve;
use serde_json::Value;

fn committed_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/openapi.json")
}

/// The document as the file holds it: pretty JSON and a final newline.
fn generated() -> String {
    let mut text = serde_json::to_string_pretty(&document()).expect("the document encodes");
    text.push('\n');
    text
}

#[test]
fn docs_openapi_json_is_what_the_registry_gives() {
    let path = committed_path();
    if std::env::var("DS_UPDATE_DESCRIPTORS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, generated()).expect("write docs/openapi.json");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated(),
        "docs/openapi.json is not what the registry gives: run DS_UPDATE_DESCRIPTORS=1 cargo test -p deathstar-tests --test openapi"
    );
}

#[test]
fn every_function_has_one_operation_tagged_by_who_calls_it() {
    let doc = document();
    let paths = doc["paths"].as_object().expect("paths");
    let names = Registry::names();
    assert_eq!(paths.len(), names.len(), "one path per function");
    let public = Registry::public_names();
    for name in names {
        let operation = &paths[&format!("/function/{name}")]["post"];
        assert_eq!(operation["operationId"], name);
        let tag = if public.contains(&name) {
            PUBLIC_TAG
        } else {
            INTERNAL_TAG
        };
        assert_eq!(operation["tags"], serde_json::json!([tag]), "{name}");
        for reference in [
            &operation["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            &operation["responses"]["200"]["content"]["application/json"]["schema"]["allOf"][0]["$ref"],
        ] {
            let target = reference
                .as_str()
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
                .unwrap_or_else(|| panic!("{name}: {reference} is not a component"));
            assert!(
                doc["components"]["schemas"].get(target).is_some(),
                "{name}: no schema {target}"
            );
        }
        for status in ["400", "404", "413", "500", "503", "504"] {
            assert!(
                operation["responses"].get(status).is_some(),
                "{name}: no {status}"
            );
        }
    }
}

/// `GET /openapi.json` of a server in `mode`.
async fn served(mode: AuthMode) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let stores = deathstar_handlers::store::Stores::embedded(dir.path()).unwrap();
    let registry = Registry::in_process(stores, AuthKey::new("k")).with_auth_mode(mode);
    let base = serve(deathstar_http::router(registry, Default::default())).await;
    let response = reqwest::get(format!("{base}/openapi.json"))
        .await
        .expect("the server answers");
    assert_eq!(response.status().as_u16(), 200);
    response.json().await.expect("JSON")
}

/// A server in the default `DS_AUTH=required` serves the committed document; one in `open`
/// the same without the login token asked of any operation (none is checked).
#[tokio::test]
async fn the_server_serves_the_committed_document_for_its_auth_mode() {
    let committed: Value = serde_json::from_str(
        &std::fs::read_to_string(committed_path()).expect("docs/openapi.json"),
    )
    .expect("docs/openapi.json is JSON");
    assert_eq!(served(AuthMode::Required).await, committed);
    let asking = |document: &Value| {
        let paths = document["paths"].as_object().unwrap();
        let operations = paths
            .values()
            .flat_map(|path| path.as_object().unwrap().values());
        operations.filter(|op| op.get("security").is_some()).count()
    };
    assert_eq!(
        asking(&committed),
        2 * 7,
        "the 7 user functions, POST and GET"
    );
    assert_eq!(asking(&served(AuthMode::Open).await), 0);
}
