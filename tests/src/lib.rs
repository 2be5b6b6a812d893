//! The test harness: a social network to talk to, whatever its deployment and storage.
//!
//! A [`Net`] is one running deployment with a fresh, empty store. Behaviour tests take a `Net`
//! and call functions by name with JSON, exactly as a client would; [`deployments!`] runs each
//! of them against every deployment (in-process registry, HTTP server...) on every [`Backend`],
//! so a behaviour is written once.
//!
//! The MongoDB + Redis backend needs servers: `scripts/test.sh` starts them and sets
//! `MONGO_URI`, `REDIS_SERVER`, `REDIS_PORT` and `DS_REQUIRE_BACKENDS=1`. Without them, a plain
//! `cargo test` skips those tests and says so; with `DS_REQUIRE_BACKENDS=1` it fails instead.

use std::time::Duration;

use deathstar_backends::{BackendConfig, open_stores};
use deathstar_handlers::auth::AuthKey;
use deathstar_handlers::password::{Cost, PasswordPolicy};
use deathstar_handlers::{AuthMode, CallMeta, Invocation, Registry, Reply};
use serde_json::{Value, json};
use tower::ServiceExt;

pub mod access;
pub mod browser;
pub mod flows;
pub mod jaeger;
pub mod processes;
pub mod scrape;

pub use serde_json;

/// The key every test deployment signs login tokens with.
pub const TEST_SECRET: &str = "test-secret";

enum Target {
    InProcess(Registry),
    /// Through an invoker, as a function would call another (the Lambda Invoke API, say).
    Invoker(std::sync::Arc<dyn deathstar_handlers::Invoker>),
    Http {
        client: reqwest::Client,
        base: String,
    },
}

/// A running deployment of the social network, on its own empty store.
pub struct Net {
    target: Target,
    /// What must live as long as the deployment: its data dir, its processes.
    _guards: Vec<Box<dyn std::any::Any + Send + Sync>>,
}

/// Says a test is skipped because `missing` is not here (`how`: what provides it), or fails it
/// under `DS_REQUIRE_BACKENDS=1`, which `scripts/test.sh` sets: there nothing may be skipped.
pub fn skip_without(missing: &str, how: &str) {
    let required = std::env::var("DS_REQUIRE_BACKENDS").is_ok_and(|v| v == "1");
    assert!(!required, "DS_REQUIRE_BACKENDS=1 but no {missing}: {how}");
    eprintln!("skipped: no {missing} ({how})");
}

/// Where a test deployment keeps its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded store in a temporary directory.
    Embedded,
    /// MongoDB (FerretDB in the test script) and Redis, in a namespace of the test's own.
    MongoRedis,
}

impl Backend {
    /// The configuration of a fresh, empty store; `None` if its servers are not configured.
    pub fn config(self) -> Option<BackendConfig> {
        match self {
            Backend::Embedded => Some(BackendConfig::default()),
            Backend::MongoRedis => {
                let env = BackendConfig::from_env();
                if env.mongo_uri.is_none() || env.redis_server.is_none() {
                    skip_without("MONGO_URI/REDIS_SERVER", "scripts/test.sh sets them");
                    return None;
                }
                let namespace = format!("t{}_", uuid::Uuid::new_v4().simple());
                Some(BackendConfig { namespace, ..env })
            }
        }
    }
}

impl Net {
    /// Every function in this process, called through the registry (no HTTP).
    pub async fn in_process(backend: Backend) -> Option<Net> {
        Some(Net::in_process_on(backend.config()?).await)
    }

    /// Every function behind the local server's HTTP routes, on a loopback port.
    pub async fn over_http(backend: Backend) -> Option<Net> {
        Some(Net::over_http_on(backend.config()?).await)
    }

    pub async fn in_process_on(config: BackendConfig) -> Net {
        let (registry, dir) = registry(&config).await;
        Net {
            target: Target::InProcess(registry),
            _guards: vec![Box::new(dir)],
        }
    }

    pub async fn over_http_on(config: BackendConfig) -> Net {
        let (registry, dir) = registry(&config).await;
        // As the local server: the functions and DeathStarBench's routes.
        let dsb = deathstar_http::dsb::router(registry.clone(), Duration::from_secs(20));
        let app = deathstar_http::router_with(registry, Default::default(), dsb);
        let base = serve(app).await;
        Net {
            target: Target::Http {
                client: reqwest::Client::new(),
                base,
            },
            _guards: vec![Box::new(dir)],
        }
    }

    /// A deployment reached over HTTP at `base`, alive as long as `guards`.
    pub fn http(base: String, guards: Vec<Box<dyn std::any::Any + Send + Sync>>) -> Net {
        Net {
            target: Target::Http {
                client: reqwest::Client::new(),
                base,
            },
            _guards: guards,
        }
    }

    /// A deployment reached through `invoker`, alive as long as `guards`.
    pub fn via_invoker(
        invoker: std::sync::Arc<dyn deathstar_handlers::Invoker>,
        guards: Vec<Box<dyn std::any::Any + Send + Sync>>,
    ) -> Net {
        Net {
            target: Target::Invoker(invoker),
            _guards: guards,
        }
    }

    /// The base URL of an HTTP deployment.
    pub fn base_url(&self) -> Option<&str> {
        match &self.target {
            Target::Http { base, .. } => Some(base),
            Target::InProcess(_) | Target::Invoker(_) => None,
        }
    }

    /// Calls `function` with `body`; returns the status and the JSON body.
    pub async fn call(&self, function: &str, body: Value) -> Reply {
        match &self.target {
            Target::InProcess(registry) => {
                let Some(service) = registry.get(function) else {
                    return Reply {
                        status: 404,
                        body: json!({"status": "FunctionNotFoundError"}),
                    };
                };
                let meta = CallMeta::root().with_timeout(Duration::from_secs(20));
                service
                    .oneshot(Invocation::new(body, meta))
                    .await
                    .unwrap_or_else(|never| match never {})
            }
            Target::Invoker(invoker) => {
                let meta = CallMeta::root().with_timeout(Duration::from_secs(60));
                invoker
                    .invoke(function, body, &meta)
                    .await
                    .unwrap_or_else(|e| panic!("invoking {function}: {e}"))
            }
            Target::Http { client, base } => {
                let response = client
                    .post(format!("{base}/function/{function}"))
                    .json(&body)
                    .send()
                    .await
                    .expect("request reaches the server");
                let status = response.status().as_u16();
                let body = response.json().await.expect("reply is JSON");
                Reply { status, body }
            }
        }
    }

    /// Calls `function` with `body` as raw bytes, as a client's request carries them: over HTTP
    /// a POST of exactly these bytes, in-process the registry's bytes entry
    /// ([`Registry::call_wire`]). `Err` when no answer came within `deadline` or the connection
    /// closed without one. Not for invoker deployments (they carry JSON values).
    pub async fn call_raw(
        &self,
        function: &str,
        body: Vec<u8>,
        deadline: Duration,
    ) -> Result<(u16, Vec<u8>), String> {
        let answer = async {
            match &self.target {
                Target::InProcess(registry) => {
                    let meta = CallMeta::root().with_timeout(deadline);
                    let Some(call) = registry.call_wire(function, &body, meta) else {
                        return Err(format!("no function {function}"));
                    };
                    let reply = call.await;
                    Ok((reply.status, reply.body))
                }
                Target::Http { client, base } => {
                    let response = client
                        .post(format!("{base}/function/{function}"))
                        .header("content-type", "application/json")
                        .body(body)
                        .send()
                        .await
                        .map_err(|e| format!("no answer: {e:?}"))?;
                    let status = response.status().as_u16();
                    let bytes = response
                        .bytes()
                        .await
                        .map_err(|e| format!("reply cut short: {e:?}"))?;
                    Ok((status, bytes.to_vec()))
                }
                Target::Invoker(_) => Err("call_raw needs an in-process or HTTP deployment".into()),
            }
        };
        tokio::time::timeout(deadline, answer)
            .await
            .unwrap_or_else(|_| Err(format!("no answer within {deadline:?}")))
    }

    /// Calls `function` and asserts success; returns the body.
    pub async fn ok(&self, function: &str, body: Value) -> Value {
        let reply = self.call(function, body.clone()).await;
        assert_eq!(
            reply.status, 200,
            "{function} {body} answered {}",
            reply.body
        );
        assert_eq!(reply.body["status"], "success");
        reply.body
    }

    /// Calls `function` and asserts it fails with `status` and envelope `name`; returns the body.
    pub async fn fails(&self, function: &str, body: Value, status: u16, name: &str) -> Value {
        let reply = self.call(function, body.clone()).await;
        assert_eq!(
            (reply.status, reply.body["status"].as_str()),
            (status, Some(name)),
            "{function} {body} answered {}",
            reply.body
        );
        let errors = reply.body["errors"].as_array().expect("errors is a list");
        assert!(!errors.is_empty(), "no errors in {}", reply.body);
        assert!(errors.iter().all(|e| e["message"].is_string()));
        reply.body
    }

    /// Registers `username` (password `pw-<username>`) and returns the user id.
    pub async fn register(&self, username: &str) -> String {
        let reply = self
            .ok(
                "register-user",
                json!({
                    "username": username,
                    "first_name": format!("First {username}"),
                    "last_name": format!("Last {username}"),
                    "password": format!("pw-{username}"),
                }),
            )
            .await;
        reply["user"]["user_id"].as_str().unwrap().to_owned()
    }

    pub async fn follow(&self, user_id: &str, followee_id: &str) {
        self.ok(
            "social-graph-follow",
            json!({"user_id": user_id, "followee_id": followee_id}),
        )
        .await;
    }

    /// Composes a post and returns it.
    pub async fn compose(&self, user_id: &str, username: &str, text: &str) -> Value {
        let reply = self
            .ok(
                "compose-post-frontend",
                json!({"user_id": user_id, "username": username, "post_type": 0, "text": text}),
            )
            .await;
        reply["post"].clone()
    }

    /// Posts `start..stop` of a timeline (`"user"` or `"home"`), via its frontend.
    pub async fn timeline(&self, kind: &str, user_id: &str, start: i64, stop: i64) -> Vec<Value> {
        let reply = self
            .ok(
                &format!("{kind}-timeline-read-frontend"),
                json!({"user_id": user_id, "start": start, "stop": stop}),
            )
            .await;
        reply["posts"].as_array().unwrap().clone()
    }
}

/// The texts of `posts`, in order.
pub fn texts(posts: &[Value]) -> Vec<&str> {
    posts.iter().map(|p| p["text"].as_str().unwrap()).collect()
}

async fn registry(config: &BackendConfig) -> (Registry, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let stores = open_stores(config, dir.path())
        .await
        .unwrap_or_else(|e| panic!("stores ({}) open: {e}", config.describe()));
    // The original contract: the behaviour tests name users in bodies and call every function
    // (`tests/tests/access.rs` is the matrix of `DS_AUTH=required`).
    let registry = Registry::in_process(stores, AuthKey::new(TEST_SECRET));
    (
        registry
            .with_auth_mode(AuthMode::Open)
            .with_passwords(cheap_passwords()),
        dir,
    )
}

/// Argon2id at its least cost: the tests register thousands of users (`password.rs` tests the
/// real cost's hashes, `DS_PASSWORD_COST` sets it for processes).
pub fn cheap_passwords() -> PasswordPolicy {
    PasswordPolicy::new(Cost::MINIMAL)
}

/// Serves `app` on a free loopback port for the rest of the test; returns its base URL.
pub async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().unwrap();
    // With peer addresses, as the servers run (login throttling counts per client).
    let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// Runs each named behaviour test (an `async fn(Net)`) against every deployment on every
/// backend: `embedded::in_process::name`, `mongo_redis::over_http::name`...
#[macro_export]
macro_rules! deployments {
    ($($test:ident),* $(,)?) => {
        $crate::deployments!(@backend embedded, Embedded, $($test),*);
        $crate::deployments!(@backend mongo_redis, MongoRedis, $($test),*);
    };
    (@backend $module:ident, $backend:ident, $($test:ident),*) => {
        mod $module {
            $crate::deployments!(@deployment in_process, $backend, $($test),*);
            $crate::deployments!(@deployment over_http, $backend, $($test),*);
        }
    };
    (@deployment $deployment:ident, $backend:ident, $($test:ident),*) => {
        mod $deployment {
            $(
                #[tokio::test]
                async fn $test() {
                    let backend = $crate::Backend::$backend;
                    if let Some(net) = $crate::Net::$deployment(backend).await {
                        super::super::$test(net).await
                    }
                }
            )*
        }
    };
}

/// Runs every flow of [`flows`] on the deployment `$net` makes (an `Option<Net>`: `None`
/// skips), as tests in module `$module`.
#[macro_export]
macro_rules! flows_on {
    ($module:ident, $net:expr) => {
        $crate::flows_on!(@tests $module, $net;
            a_post_reaches_its_author_followers_and_mentioned_users,
            a_post_in_any_script_is_delivered_as_written,
            timelines_are_newest_first_and_paged,
            unfollowing_stops_new_posts_but_keeps_old_ones,
            login_returns_a_token_only_for_the_right_password,
            a_busy_graph_keeps_followers_and_followees_symmetric,
        );
    };
    (@tests $module:ident, $net:expr; $($flow:ident),* $(,)?) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test]
                async fn $flow() {
                    if let Some(net) = $net {
                        $crate::flows::$flow(net).await
                    }
                }
            )*
        }
    };
}
