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

/// `DS_AUTH=required`, every adapter's default, across processes: the authorization matrix,
/// every call between functions going through the gateway with its proof.
#[tokio::test]
async fn the_authorization_matrix_holds_across_processes() {
    use deathstar_tests::access::{Target, run_matrix};
    let mode = deathstar_handlers::AuthMode::Required;
    let Some(net) = processes::one_per_function_in(BIN, mode).await else {
        return;
    };
    let base = net.base_url().expect("an HTTP deployment");
    run_matrix(&Target::new(base, deathstar_tests::TEST_SECRET)).await;
}

/// ds-net's pages as OpenFaaS serves them: their own process behind the gateway, at
/// `/function/ds-net/`, every page calling the functions' processes through the gateway, in
/// `DS_AUTH=required`. The whole browser scenario (tests/browser/scenario.mjs).
#[tokio::test]
async fn the_browser_scenario_runs_through_the_gateway() {
    if !deathstar_tests::browser::available() {
        return;
    }
    let mode = deathstar_handlers::AuthMode::Required;
    let Some(net) = processes::one_per_function_in(BIN, mode).await else {
        return;
    };
    let base = net.base_url().expect("an HTTP deployment");
    deathstar_tests::browser::run_scenario(&format!("{base}/function/ds-net/"), None).await;
}

/// Each function process serves its own `/metrics` (reached, as on OpenFaaS, through the
/// gateway at `/function/<name>/metrics`): after a compose, the frontend counts its invocation
/// and its calls through the gateway, and each callee its own invocation.
#[tokio::test]
async fn each_function_process_counts_its_invocations_and_calls() {
    use deathstar_tests::scrape::{sample, scrape};
    let Some(net) = processes::one_per_function(BIN).await else {
        return;
    };
    let base = net.base_url().expect("an HTTP deployment").to_owned();
    let alice = net.register("alice").await;
    net.compose(&alice, "alice", "hello https://example.com")
        .await;
    let frontend = scrape(&format!("{base}/function/compose-post-frontend/metrics")).await;
    let value = |text: &str, series: &str| {
        sample(text, series).unwrap_or_else(|| panic!("no {series} in\n{text}"))
    };
    let invoked =
        r#"deathstar_function_invocations_total{function="compose-post-frontend",code="200"}"#;
    assert_eq!(value(&frontend, invoked), 1.0);
    let called =
        r#"deathstar_invoker_calls_total{callee="text-service-upload-text",transport="gateway"}"#;
    assert_eq!(value(&frontend, called), 1.0);
    let text = scrape(&format!("{base}/function/text-service-upload-text/metrics")).await;
    let invoked =
        r#"deathstar_function_invocations_total{function="text-service-upload-text",code="200"}"#;
    assert_eq!(value(&text, invoked), 1.0);
    // A process counts only what it hosts.
    assert!(!text.contains(r#"function="compose-post-frontend""#));
    let storage = scrape(&format!(
        "{base}/function/post-storage-service-store-post/metrics"
    ))
    .await;
    let inserted =
        r#"deathstar_store_operations_total{backend="mongodb",store="posts",operation="insert"}"#;
    assert_eq!(value(&storage, inserted), 1.0);
}

/// A compose through the gateway, every function in a process of its own and each exporting to
/// one real Jaeger, reads back as one trace: the parent links cross the processes (each
/// invocation under the call its caller's process made), and each process names itself.
#[tokio::test]
async fn a_compose_is_one_trace_across_the_function_processes() {
    use deathstar_tests::jaeger::Jaeger;
    let Some(jaeger) = Jaeger::start().await else {
        return;
    };
    let Some(net) = processes::one_per_function_with(BIN, &jaeger.exporting()).await else {
        return;
    };
    let base = net.base_url().expect("an HTTP deployment").to_owned();
    let alice = net.register("alice").await;
    let bob = net.register("bob").await;
    net.follow(&bob, &alice).await;
    let url = format!("{base}/function/compose-post-frontend");
    let (trace, client_span) = jaeger.traced_compose(&url, &alice, None).await;
    trace.check_compose_tree(&client_span);
    for span in &trace.spans {
        // A function's invocation and its store operations are its own process's spans.
        if !span.name.starts_with("call ") && !span.name.contains(' ') {
            assert_eq!(span.service, span.name, "{}", trace.render());
        }
    }
    println!("{}", trace.render());
}
