//! DeathStarBench's routes through the router, as the local server serves them, called with
//! `oneshot` (no process, no socket): `/wrk2-api/` with bodies exactly as DSB's scripts send
//! them, and `/api/` acting as the user the `login_token` cookie names.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request};
use deathstar_handlers::Registry;
use deathstar_handlers::auth::AuthKey;
use deathstar_handlers::password::{Cost, PasswordPolicy};
use deathstar_handlers::store::Stores;
use deathstar_http::{HttpOptions, dsb, router_with};
use serde_json::{Value, json};
use tower::ServiceExt;

/// The key the routes' login tokens are signed with.
const SECRET: &str = "dsb-routes-test-secret";

/// The local server's routes on an embedded store of their own.
struct App {
    router: Router,
    _dir: tempfile::TempDir,
}

/// An answer: status, headers and the body as text.
struct Reply {
    status: u16,
    headers: HeaderMap,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name} header: {:?}", self.headers))
            .to_str()
            .unwrap()
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

impl App {
    fn new() -> App {
        let dir = tempfile::tempdir().unwrap();
        let stores = Stores::embedded(dir.path()).unwrap();
        let registry = Registry::in_process(stores, AuthKey::new(SECRET))
            .with_passwords(PasswordPolicy::new(Cost::MINIMAL));
        let options = HttpOptions::default();
        let dsb = dsb::router(registry.clone(), options.timeout);
        App {
            router: router_with(registry, options, dsb),
            _dir: dir,
        }
    }

    /// `method path` with a form `body`, and the `cookie` header if given.
    fn send(
        &self,
        method: Method,
        path: String,
        body: String,
        cookie: Option<String>,
    ) -> impl Future<Output = Reply> + use<> {
        let headers: Vec<(&str, String)> = cookie.into_iter().map(|c| ("cookie", c)).collect();
        self.send_with(method, path, body, &headers)
    }

    /// `method path` with a form `body` and `headers`.
    fn send_with(
        &self,
        method: Method,
        path: String,
        body: String,
        headers: &[(&str, String)],
    ) -> impl Future<Output = Reply> + use<> {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header("content-type", "application/x-www-form-urlencoded");
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let request = request.body(Body::from(body)).unwrap();
        let router = self.router.clone();
        async move {
            let response = router.oneshot(request).await.unwrap();
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .unwrap();
            Reply {
                status,
                headers,
                body: String::from_utf8(body.to_vec()).unwrap(),
            }
        }
    }
}

/// DeathStarBench's `/wrk2-api/` routes, with bodies exactly as its scripts send them:
/// aiohttp's url-encoded forms (`init_social_graph.py`) and wrk's raw ones (the Lua scripts).
#[tokio::test]
async fn deathstarbench_routes_take_dsb_requests() {
    let app = App::new();
    let send = |method: Method, path: String, body: String| {
        let reply = app.send(method, path, body, None);
        async move {
            let reply = reply.await;
            (reply.status, reply.body)
        }
    };
    for i in 0..3 {
        let form = format!(
            "first_name=first_name_{i}&last_name=last_name_{i}&username=username_{i}&password=password_{i}&user_id={i}"
        );
        let reply = send(Method::POST, "/wrk2-api/user/register".into(), form).await;
        assert_eq!(reply, (200, "Success!".into()));
    }
    for (a, b) in [(1, 0), (0, 1), (2, 0)] {
        let form = format!("user_name=username_{a}&followee_name=username_{b}");
        let reply = send(Method::POST, "/wrk2-api/user/follow".into(), form).await;
        assert_eq!(reply, (200, "Success!".into()));
    }
    // wrk's compose body: not percent-encoded.
    let text = "abcXYZ019 @username_1 @username_2 http://aAbB0123456789";
    let form = format!(
        "username=username_0&user_id=0&text={text}&media_ids=[\"123456789012345678\"]&media_types=[\"png\"]&post_type=0"
    );
    let reply = send(Method::POST, "/wrk2-api/post/compose".into(), form).await;
    assert_eq!(reply, (200, "Successfully upload post".into()));
    // aiohttp's compose body: url-encoded, spaces as '+'.
    let form = "username=username_0&user_id=0&text=second+post+%40username_1&media_ids=%5B%5D&media_types=%5B%5D&post_type=0";
    let reply = send(Method::POST, "/wrk2-api/post/compose".into(), form.into()).await;
    assert_eq!(reply, (200, "Successfully upload post".into()));

    let (status, body) = send(
        Method::GET,
        "/wrk2-api/home-timeline/read?user_id=1&start=0&stop=10".into(),
        String::new(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let posts: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(posts.as_array().unwrap().len(), 2);
    let first = &posts[0];
    assert_eq!(first["text"], "second post @username_1");
    assert_eq!(
        first["creator"],
        json!({"user_id": "0", "username": "username_0"})
    );
    assert!(
        first["timestamp"].as_str().unwrap().parse::<u64>().is_ok(),
        "{first}"
    );
    let second = &posts[1];
    assert_eq!(
        second["media"],
        json!([{"media_id": "123456789012345678", "media_type": "png"}])
    );
    let mentions: Vec<&str> = second["user_mentions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["user_id"].as_str().unwrap())
        .collect();
    assert_eq!(mentions, ["1", "2"]);
    // User 2 follows user 0: both posts reach it.
    let (_, body) = send(
        Method::GET,
        "/wrk2-api/home-timeline/read?user_id=2&start=0&stop=10".into(),
        String::new(),
    )
    .await;
    assert_eq!(
        serde_json::from_str::<Value>(&body)
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let (_, body) = send(
        Method::GET,
        "/wrk2-api/user-timeline/read?user_id=0&start=1&stop=11".into(),
        String::new(),
    )
    .await;
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()[0]["text"]
            .as_str()
            .unwrap(),
        second["text"].as_str().unwrap()
    );
    // DSB's window rules and argument checks.
    let (status, body) = send(
        Method::GET,
        "/wrk2-api/user-timeline/read?user_id=0&start=5&stop=5".into(),
        String::new(),
    )
    .await;
    assert_eq!((status, body.as_str()), (200, "[]"));
    let (status, body) = send(
        Method::POST,
        "/wrk2-api/post/compose".into(),
        "username=username_0".into(),
    )
    .await;
    let refusal: Value = serde_json::from_str(&body).expect("the envelope");
    assert_eq!(
        (status, &refusal["status"], &refusal["errors"][0]["field"]),
        (400, &json!("MissingFieldError"), &json!("user_id"))
    );
    let (status, _) = send(
        Method::POST,
        "/wrk2-api/user/register".into(),
        "first_name=a&last_name=b&username=username_0&password=p&user_id=9".into(),
    )
    .await;
    assert_eq!(status, 409, "a taken username");
    let reply = send(
        Method::POST,
        "/wrk2-api/user/unfollow".into(),
        "user_id=2&followee_id=0".into(),
    )
    .await;
    assert_eq!(reply, (200, "Success!".into()));
}

/// DeathStarBench's browser routes, `/api/`: register and log in as its pages do, then act as
/// the user the `login_token` cookie names.
#[tokio::test]
async fn browser_api_routes_use_the_login_cookie() {
    use deathstar_handlers::auth::Claims;

    let app = App::new();
    let send = |method: Method, path: &str, body: &str, token: Option<&str>| {
        let is_api = path.starts_with("/api/");
        let cookie = token.map(|token| format!("theme=dark; login_token={token}"));
        let reply = app.send(method, path.to_owned(), body.to_owned(), cookie);
        async move {
            let reply = reply.await;
            if is_api {
                assert_eq!(reply.header("access-control-allow-origin"), "*");
            }
            reply
        }
    };

    for name in ["alice", "bob", "carol"] {
        let form = format!("first_name={name}&last_name=L&username={name}&password=pw_{name}");
        let reply = send(Method::POST, "/api/user/register", &form, None).await;
        assert_eq!(reply.status, 302, "{}", reply.body);
        assert_eq!(reply.header("location"), "../../index.html");
    }
    // A user with a DSB id, registered as wrk2 does: lists print it as DSB's integer.
    let form = "first_name=d&last_name=d&username=dave&password=pw&user_id=7";
    assert_eq!(
        send(Method::POST, "/wrk2-api/user/register", form, None)
            .await
            .status,
        200
    );
    let reply = send(Method::POST, "/api/user/register", "username=x", None).await;
    assert_eq!(
        (
            reply.status,
            &reply.json()["status"],
            &reply.json()["errors"][0]["field"]
        ),
        (400, &json!("MissingFieldError"), &json!("first_name"))
    );
    let form = "first_name=a&last_name=b&username=alice&password=p";
    let reply = send(Method::POST, "/api/user/register", form, None).await;
    assert_eq!(reply.status, 409, "a taken username");

    let login = |name: &'static str| {
        let send = &send;
        async move {
            let form = format!("username={name}&password=pw_{name}");
            let reply = send(Method::POST, "/api/user/login", &form, None).await;
            assert_eq!(reply.status, 302, "{}", reply.body);
            assert_eq!(
                reply.header("location"),
                format!("../../main.html?username={name}")
            );
            let cookie = reply.header("set-cookie");
            let token = cookie
                .strip_prefix("login_token=")
                .and_then(|rest| rest.split(';').next())
                .unwrap_or_else(|| panic!("{cookie}"))
                .to_owned();
            // As long as the token, out of page scripts' reach, not sent by cross-site requests.
            for attribute in ["; Path=/", "; Max-Age=3600", "; HttpOnly", "; SameSite=Lax"] {
                assert!(cookie.contains(attribute), "{attribute}: {cookie}");
            }
            token
        }
    };
    let alice = login("alice").await;
    let bob = login("bob").await;
    let carol = login("carol").await;
    let reply = send(
        Method::POST,
        "/api/user/login",
        "username=alice&password=wrong",
        None,
    )
    .await;
    assert_eq!(reply.status, 401);
    assert!(reply.headers.get("set-cookie").is_none());
    let reply = send(Method::POST, "/api/user/login", "username=alice", None).await;
    assert_eq!(
        (
            reply.status,
            &reply.json()["status"],
            &reply.json()["errors"][0]["field"]
        ),
        (400, &json!("MissingFieldError"), &json!("password"))
    );

    let mut ids = std::collections::HashMap::new();
    for name in ["alice", "bob", "carol"] {
        let body = json!({ "username": name }).to_string();
        let reply = app
            .send(Method::POST, "/function/get-user-id".into(), body, None)
            .await;
        ids.insert(name, reply.json()["user_id"].as_str().unwrap().to_owned());
    }

    // Follows by name, as the contact page sends them, each as the cookie's user.
    for (who, token, whom) in [
        ("bob", &bob, "alice"),
        ("carol", &carol, "alice"),
        ("alice", &alice, "bob"),
    ] {
        let form = format!("user_name={who}&followee_name={whom}");
        let reply = send(Method::POST, "/api/user/follow", &form, Some(token)).await;
        assert_eq!(reply.status, 302, "{}", reply.body);
        assert_eq!(reply.header("location"), "../../contact.html");
    }
    // Without a login, or naming another user as the follower: nobody acts as anyone else.
    let form = "user_name=dave&followee_name=alice";
    let reply = send(Method::POST, "/api/user/follow", form, None).await;
    assert_eq!(
        (reply.status, &reply.json()["status"]),
        (401, &json!("UnauthorizedError"))
    );
    let form = "user_name=alice&followee_name=carol";
    let reply = send(Method::POST, "/api/user/follow", form, Some(&bob)).await;
    assert_eq!(
        (reply.status, &reply.json()["status"]),
        (403, &json!("ForbiddenError"))
    );
    // Dave has no login: he follows through DSB's unauthenticated benchmark API, which names
    // both ends (and shows here with his DSB integer id).
    let form = "user_name=dave&followee_name=alice";
    let reply = send(Method::POST, "/wrk2-api/user/follow", form, None).await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "Success!"));
    // The followee alone is enough: the follower is the cookie's user.
    let reply = send(
        Method::POST,
        "/api/user/follow",
        "followee_name=carol",
        Some(&bob),
    )
    .await;
    assert_eq!(reply.status, 302, "{}", reply.body);
    let reply = send(
        Method::POST,
        "/api/user/follow",
        "user_name=bob",
        Some(&bob),
    )
    .await;
    assert_eq!(
        (
            reply.status,
            &reply.json()["status"],
            &reply.json()["errors"][0]["field"]
        ),
        (400, &json!("MissingFieldError"), &json!("followee_name"))
    );
    let reply = send(
        Method::POST,
        "/api/user/unfollow",
        "user_name=carol&followee_name=alice",
        Some(&carol),
    )
    .await;
    assert_eq!((reply.status, reply.body.as_str()), (200, ""));

    // Compose as create-post.js does (not percent-encoded); the author is the token's user.
    let form = "post_type=0&text=hello @bob http://example.com/x&media_ids=[\"123\"]&media_types=[\"png\"]";
    let reply = send(Method::POST, "/api/post/compose", form, Some(&alice)).await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (200, "Successfully upload post")
    );
    let reply = send(
        Method::POST,
        "/api/post/compose",
        "post_type=0",
        Some(&alice),
    )
    .await;
    assert_eq!(
        (
            reply.status,
            &reply.json()["status"],
            &reply.json()["errors"][0]["field"]
        ),
        (400, &json!("MissingFieldError"), &json!("text"))
    );

    let reply = send(
        Method::GET,
        "/api/user-timeline/read?start=0&stop=10",
        "",
        Some(&alice),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let posts = reply.json();
    assert_eq!(posts.as_array().unwrap().len(), 1, "{posts}");
    assert_eq!(
        posts[0]["creator"],
        json!({"user_id": ids["alice"], "username": "alice"})
    );
    assert_eq!(
        posts[0]["media"],
        json!([{"media_id": "123", "media_type": "png"}])
    );
    assert!(
        posts[0]["timestamp"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .is_ok()
    );
    // Bob follows alice; carol no longer does.
    let reply = send(
        Method::GET,
        "/api/home-timeline/read?start=0&stop=10",
        "",
        Some(&bob),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()[0]["text"], posts[0]["text"]);
    let reply = send(
        Method::GET,
        "/api/home-timeline/read?start=0&stop=10",
        "",
        Some(&carol),
    )
    .await;
    assert_eq!((reply.status, reply.json()), (200, json!([])));
    let reply = send(
        Method::GET,
        "/api/home-timeline/read?start=3&stop=3",
        "",
        Some(&bob),
    )
    .await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "[]"));

    let reply = send(Method::GET, "/api/user/get_follower", "", Some(&alice)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.json(),
        json!([{"follower_id": ids["bob"]}, {"follower_id": "7"}])
    );
    let reply = send(Method::GET, "/api/user/get_followee", "", Some(&alice)).await;
    assert_eq!(reply.json(), json!([{"followee_id": ids["bob"]}]));

    // Preflight.
    for path in [
        "/api/post/compose",
        "/api/user/get_followee",
        "/api/user/login",
    ] {
        let reply = send(Method::OPTIONS, path, "", None).await;
        assert_eq!((reply.status, reply.body.as_str()), (204, ""), "{path}");
        assert!(
            reply
                .header("access-control-allow-methods")
                .contains("POST")
        );
    }

    // No token, a token signed with another key, a token whose claims were changed, an
    // expired one (signed with the server's own key).
    let forged = AuthKey::new("not the server's").issue(&ids["bob"], "bob");
    let [header, _, signature] = alice.split('.').collect::<Vec<_>>()[..] else {
        panic!("{alice}")
    };
    let bobs_claims = bob.split('.').nth(1).unwrap();
    let tampered = format!("{header}.{bobs_claims}.{signature}");
    let expired = AuthKey::new(SECRET).sign(&Claims {
        user_id: ids["alice"].clone(),
        username: "alice".into(),
        timestamp: "1000000000".into(),
        ttl: "3600".into(),
    });
    for token in [
        None,
        Some(""),
        Some("garbage"),
        Some(&forged),
        Some(&tampered),
        Some(&expired),
    ] {
        for (method, path, body) in [
            (Method::POST, "/api/post/compose", "post_type=0&text=sneaky"),
            (Method::GET, "/api/user-timeline/read?start=0&stop=10", ""),
            (Method::GET, "/api/home-timeline/read?start=0&stop=10", ""),
            (Method::GET, "/api/user/get_follower", ""),
            (Method::GET, "/api/user/get_followee", ""),
        ] {
            let reply = send(method, path, body, token).await;
            assert_eq!(reply.status, 401, "{path} with {token:?}: {}", reply.body);
            assert_eq!(
                reply.json()["status"],
                "UnauthorizedError",
                "{}",
                reply.body
            );
        }
    }
    let reply = send(Method::GET, "/api/user-timeline/read?stop=10", "", None).await;
    assert_eq!(
        (
            reply.status,
            &reply.json()["status"],
            &reply.json()["errors"][0]["field"]
        ),
        (400, &json!("MissingFieldError"), &json!("start")),
        "arguments are checked before the token, as DSB does"
    );
    // Nothing was posted by the refused requests.
    let reply = send(
        Method::GET,
        "/api/user-timeline/read?start=0&stop=10",
        "",
        Some(&bob),
    )
    .await;
    assert_eq!(reply.json(), json!([]));
}

/// Every answer, a function's, a DSB route's, a refusal or the health check, tells browsers not
/// to second-guess its type.
#[tokio::test]
async fn every_response_forbids_type_sniffing() {
    let app = App::new();
    for (method, path, body) in [
        (
            Method::POST,
            "/function/get-user-id",
            r#"{"username": "nobody"}"#,
        ),
        (Method::POST, "/function/no-such-function", "{}"),
        (Method::GET, "/no/such/route", ""),
        (Method::GET, "/healthz", ""),
        (Method::POST, "/wrk2-api/post/compose", "text=hi"),
        (Method::GET, "/api/home-timeline/read?start=0&stop=1", ""),
    ] {
        let reply = app.send(method, path.into(), body.into(), None).await;
        assert_eq!(reply.header("x-content-type-options"), "nosniff", "{path}");
    }
}

/// Logging out clears the cookie (the token itself expires on its own: none is stored).
#[tokio::test]
async fn logout_clears_the_login_cookie() {
    let app = App::new();
    let reply = app
        .send(Method::POST, "/api/user/logout".into(), String::new(), None)
        .await;
    assert_eq!(
        (reply.status, reply.header("location")),
        (302, "../../index.html")
    );
    let cookie = reply.header("set-cookie");
    assert!(cookie.starts_with("login_token=; "), "{cookie}");
    assert!(cookie.contains("; Max-Age=0"), "{cookie}");
}

/// A page of another site cannot make a browser register, log in, follow or post (CSRF): a
/// state-changing `/api/` request whose `Origin` is foreign, or whose `Sec-Fetch-Site` is
/// `cross-site`, is a 403; the server's own pages and clients that are no browser pass.
#[tokio::test]
async fn browser_routes_refuse_requests_from_other_sites() {
    let app = App::new();
    let register = |n: u32| format!("first_name=a&last_name=b&username=csrf_{n}&password=pw");
    let cases: [(&[(&str, &str)], u16); 6] = [
        (
            &[
                ("origin", "https://evil.example"),
                ("host", "127.0.0.1:8080"),
            ],
            403,
        ),
        (&[("origin", "null")], 403),
        (&[("sec-fetch-site", "cross-site")], 403),
        (
            &[
                ("origin", "http://127.0.0.1:8080"),
                ("host", "127.0.0.1:8080"),
            ],
            302,
        ),
        (&[("sec-fetch-site", "same-origin")], 302),
        (&[], 302),
    ];
    for (n, (headers, status)) in cases.into_iter().enumerate() {
        let headers: Vec<(&str, String)> =
            headers.iter().map(|(k, v)| (*k, v.to_string())).collect();
        let reply = app
            .send_with(
                Method::POST,
                "/api/user/register".into(),
                register(n as u32),
                &headers,
            )
            .await;
        assert_eq!(reply.status, status, "{headers:?}: {}", reply.body);
        if status == 403 {
            assert_eq!(
                reply.json()["status"],
                "CrossSiteRequestError",
                "{headers:?}"
            );
        }
    }
    // Reading is not state-changing: a cross-site GET is answered (the token decides).
    let headers = [("origin", "https://evil.example".to_owned())];
    let path = "/api/home-timeline/read?start=0&stop=1";
    let reply = app
        .send_with(Method::GET, path.into(), String::new(), &headers)
        .await;
    assert_eq!(reply.status, 401);
}
