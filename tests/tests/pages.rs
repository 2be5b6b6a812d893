//! ds-net's pages over HTTP, as the local server serves them (`deathstar_web::site` at `/`
//! beside every function, `DS_AUTH=required`), request by request: what a browser is sent,
//! which forms are refused, and that a page acts only for the user its cookie proves. The same
//! pages in a real browser: tests/browser/scenario.mjs (adapters/local/tests/browser.rs).

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use deathstar_handlers::Registry;
use deathstar_handlers::auth::AuthKey;
use deathstar_handlers::store::Stores;
use deathstar_http::{HttpOptions, router_with_pages};
use deathstar_tests::{TEST_SECRET, cheap_passwords};
use serde_json::{Value, json};
use tower::ServiceExt;

/// The local server's routes on a fresh embedded store.
struct Site {
    app: Router,
    _dir: tempfile::TempDir,
}

/// An answer: status, headers and body text.
struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map_or("", |v| v.to_str().unwrap_or(""))
    }

    /// The `login_token` cookie this answer sets, as a `Cookie` header value.
    fn cookie(&self) -> String {
        let set = self.header("set-cookie");
        set.split(';').next().unwrap_or("").to_owned()
    }

    /// The value of the first hidden form token on the page.
    fn form_token(&self) -> String {
        let at = self
            .body
            .find(r#"name="form_token" value=""#)
            .expect("a form token");
        let rest = &self.body[at + r#"name="form_token" value=""#.len()..];
        rest[..rest.find('"').unwrap()].to_owned()
    }
}

impl Site {
    fn new() -> Site {
        let dir = tempfile::tempdir().unwrap();
        let stores = Stores::embedded(dir.path()).unwrap();
        let registry = Registry::in_process(stores, AuthKey::new(TEST_SECRET))
            .with_passwords(cheap_passwords());
        let pages = deathstar_web::site(registry.clone(), Default::default());
        let more = deathstar_web::nested(&pages);
        let app = router_with_pages(registry, HttpOptions::default(), more, pages);
        Site { app, _dir: dir }
    }

    async fn send(&self, request: Request<Body>) -> Answer {
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        Answer {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    async fn get(&self, path: &str, cookie: &str) -> Answer {
        let request = Request::get(path).header(header::COOKIE, cookie);
        self.send(request.body(Body::empty()).unwrap()).await
    }

    /// A form post as a page of this site sends it (`Origin` is the server's own).
    async fn post(&self, path: &str, cookie: &str, form: &[(&str, &str)]) -> Answer {
        self.post_from("http://ds.test", path, cookie, form).await
    }

    async fn post_from(
        &self,
        origin: &str,
        path: &str,
        cookie: &str,
        form: &[(&str, &str)],
    ) -> Answer {
        let body: Vec<String> = form
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect();
        let request = Request::post(path)
            .header(header::HOST, "ds.test")
            .header(header::ORIGIN, origin)
            .header(header::COOKIE, cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body.join("&")))
            .unwrap();
        self.send(request).await
    }

    /// Signs `username` up; the cookie that logs them in.
    async fn sign_up(&self, username: &str) -> String {
        let answer = self
            .post(
                "/signup",
                "",
                &[
                    ("first_name", "Zoë"),
                    ("last_name", "شريف"),
                    ("username", username),
                    ("password", "pw"),
                ],
            )
            .await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
        answer.cookie()
    }

    /// A function's answer, called by name as a client would.
    async fn call(&self, function: &str, body: Value) -> Value {
        let request = Request::post(format!("/function/{function}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        serde_json::from_str(&self.send(request).await.body).unwrap()
    }

    async fn followees(&self, username: &str) -> Vec<Value> {
        let id = self
            .call("get-user-id", json!({"username": username}))
            .await;
        let edges = self
            .call(
                "social-graph-get-followees",
                json!({"user_id": id["user_id"]}),
            )
            .await;
        edges["followees"].as_array().unwrap().clone()
    }
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn the_start_page_is_the_login_page_with_a_policy_that_forbids_inline_script() {
    let site = Site::new();
    let start = site.get("/", "").await;
    assert_eq!(start.status, StatusCode::OK);
    assert_eq!(start.header("content-type"), "text/html; charset=utf-8");
    assert!(start.body.contains("<h1>Log in</h1>"), "{}", start.body);
    let policy = start.header("content-security-policy");
    assert!(
        policy.contains("script-src 'self'") && !policy.contains("unsafe-inline"),
        "{policy}"
    );
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert_eq!(start.header("x-content-type-options"), "nosniff");
    // No inline script or style anywhere on it.
    assert!(!start.body.contains("<script>") && !start.body.contains("style="));
    let under_gateway = site.get("/function/ds-net", "").await;
    assert!(
        under_gateway
            .body
            .contains(r#"action="/function/ds-net/login""#)
    );
}

#[tokio::test]
async fn unknown_pages_are_a_404_page_and_unknown_functions_still_json() {
    let site = Site::new();
    let page = site.get("/no/such/page", "").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.body.contains("Page not found"));
    let profile = site.get("/profile/nobody", "").await;
    assert_eq!(profile.status, StatusCode::NOT_FOUND);
    assert!(profile.body.contains("There is no user @nobody."));
    let function = site.call("no-such-function", json!({})).await;
    assert_eq!(function["status"], "FunctionNotFoundError");
}

#[tokio::test]
async fn signing_up_logs_in_with_an_http_only_same_site_cookie() {
    let site = Site::new();
    let answer = site
        .post(
            "/signup",
            "",
            &[
                ("first_name", "A"),
                ("last_name", "B"),
                ("username", "ann"),
                ("password", "pw"),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(answer.header("location"), "/");
    let cookie = answer.header("set-cookie");
    for part in ["login_token=", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(part), "{cookie}");
    }
    let home = site.get("/", &answer.cookie()).await;
    assert!(home.body.contains("<h1>Home</h1>") && home.body.contains("@ann"));
}

#[tokio::test]
async fn sign_up_and_log_in_refusals_keep_the_functions_messages_and_statuses() {
    let site = Site::new();
    let bad = [
        ("first_name", "A"),
        ("last_name", "B"),
        ("username", "no spaces"),
        ("password", "pw"),
    ];
    let page = site.post("/signup", "", &bad).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    let api = site
        .call(
            "register-user",
            json!({"first_name": "A", "last_name": "B", "username": "no spaces", "password": "pw"}),
        )
        .await;
    let message = api["errors"][0]["message"].as_str().unwrap();
    let shown = maud::html! { (message) }.into_string();
    assert!(
        page.body.contains(&shown[1..]),
        "{message} not in {}",
        page.body
    );
    // What was typed stays, but the password.
    assert!(page.body.contains(r#"value="no spaces""#) && !page.body.contains(r#"value="pw""#));
    site.sign_up("ann").await;
    let taken = [
        ("first_name", "A"),
        ("last_name", "B"),
        ("username", "ann"),
        ("password", "x"),
    ];
    assert_eq!(
        site.post("/signup", "", &taken).await.status,
        StatusCode::CONFLICT
    );
    let wrong = site
        .post("/login", "", &[("username", "ann"), ("password", "nope")])
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains(r#"role="alert""#) && wrong.header("set-cookie").is_empty());
}

#[tokio::test]
async fn a_form_from_another_site_or_without_its_token_changes_nothing() {
    let site = Site::new();
    let ann = site.sign_up("ann").await;
    site.sign_up("bob").await;
    let token = site.get("/contacts", &ann).await.form_token();
    let follow = [("username", "bob"), ("form_token", token.as_str())];
    let cross = site
        .post_from("https://evil.example", "/follow", &ann, &follow)
        .await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);
    let tokenless = site.post("/follow", &ann, &[("username", "bob")]).await;
    assert_eq!(tokenless.status, StatusCode::FORBIDDEN);
    let forged = site
        .post(
            "/follow",
            &ann,
            &[
                ("username", "bob"),
                ("form_token", "00112233445566778899aabbccddeeff"),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(site.followees("ann").await.is_empty());
    // The real form works.
    let done = site.post("/follow", &ann, &follow).await;
    assert_eq!(
        (done.status, done.header("location")),
        (StatusCode::SEE_OTHER, "/profile/bob")
    );
    assert_eq!(site.followees("ann").await.len(), 1);
}

#[tokio::test]
async fn a_page_acts_only_for_the_user_its_cookie_proves() {
    let site = Site::new();
    let ann = site.sign_up("ann").await;
    site.sign_up("bob").await;
    site.sign_up("cat").await;
    let token = site.get("/contacts", &ann).await.form_token();
    // Fields naming another follower are not the page's to read: ann follows cat, bob nobody.
    let form = [
        ("username", "cat"),
        ("form_token", token.as_str()),
        ("follower", "bob"),
        ("user_id", "1"),
    ];
    assert_eq!(
        site.post("/follow", &ann, &form).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(site.followees("ann").await.len(), 1);
    assert!(site.followees("bob").await.is_empty());
    // Bob's cookie with ann's form token is refused.
    let bob = site
        .post("/login", "", &[("username", "bob"), ("password", "pw")])
        .await
        .cookie();
    assert_eq!(
        site.post("/unfollow", &bob, &form).await.status,
        StatusCode::FORBIDDEN
    );
    // Without a login, pages that act for a user lead to the login page.
    assert_eq!(site.get("/contacts", "").await.header("location"), "/login");
}

/// A compose form as a browser sends it: multipart, with `file` as the upload.
fn compose_request(
    cookie: &str,
    token: &str,
    text: &str,
    file: Option<(&str, &str, &[u8])>,
) -> Request<Body> {
    let boundary = "XyZboundary";
    let mut body = Vec::new();
    for (name, value) in [("form_token", token), ("text", text)] {
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .bytes(),
        );
    }
    if let Some((filename, content_type, bytes)) = file {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"media\"; filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n").bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{boundary}--\r\n").bytes());
    Request::post("/compose")
        .header(header::HOST, "ds.test")
        .header(header::ORIGIN, "http://ds.test")
        .header(header::COOKIE, cookie)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .unwrap()
}

/// A 1×1 GIF.
const GIF: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";

#[tokio::test]
async fn a_post_is_shown_escaped_and_its_media_with_the_type_its_bytes_have() {
    let site = Site::new();
    let ann = site.sign_up("ann").await;
    let token = site.get("/", &ann).await.form_token();
    let text =
        "<script>alert(1)</script> @ann javascript:alert(2) https://example.com/x?a=1&b=2 שלום 👋";
    // The browser says HTML; the bytes are a GIF.
    let request = compose_request(&ann, &token, text, Some(("page.html", "text/html", GIF)));
    let posted = site.send(request).await;
    assert_eq!(
        (posted.status, posted.header("location")),
        (StatusCode::SEE_OTHER, "/profile/ann?posted=1"),
        "{}",
        posted.body
    );
    let profile = site.get("/profile/ann?posted=1", &ann).await;
    let body = &profile.body;
    assert!(
        body.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !body.contains("<script>alert"),
        "{body}"
    );
    assert!(
        body.contains(r#"<a class="mention" href="/profile/ann">@ann</a>"#),
        "{body}"
    );
    assert!(
        body.contains(
            r#"href="https://example.com/x?a=1&amp;b=2" rel="nofollow noopener noreferrer""#
        ),
        "{body}"
    );
    assert!(body.contains("שלום 👋") && body.contains(r#"role="status""#));
    let at = body.find("/media/").expect("the post's image");
    let media_path = &body[at..at + body[at..].find('"').unwrap()];
    let media = site.get(media_path, "").await;
    assert_eq!(media.status, StatusCode::OK);
    assert_eq!(media.header("content-type"), "image/gif");
    assert_eq!(media.header("x-content-type-options"), "nosniff");
    assert!(media.header("content-security-policy").contains("sandbox"));
    // A file that is no image or video is refused with the function's 400, and no post is made.
    let token = site.get("/", &ann).await.form_token();
    let refused = site
        .send(compose_request(
            &ann,
            &token,
            "second",
            Some(("x.png", "image/png", b"<html>")),
        ))
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(!site.get("/profile/ann", &ann).await.body.contains("second"));
}

#[tokio::test]
async fn the_home_timeline_pages_twenty_posts_at_a_time_newest_first() {
    let site = Site::new();
    let ann = site.sign_up("ann").await;
    let bob = site.sign_up("bob").await;
    let token = site.get("/contacts", &ann).await.form_token();
    site.post(
        "/follow",
        &ann,
        &[("username", "bob"), ("form_token", token.as_str())],
    )
    .await;
    let empty = site.get("/", &bob).await;
    assert!(empty.body.contains(r#"class="empty""#));
    for i in 1..=25 {
        let token = site.get("/", &bob).await.form_token();
        let posted = site
            .send(compose_request(
                &bob,
                &token,
                &format!("post number {i}."),
                None,
            ))
            .await;
        assert_eq!(posted.status, StatusCode::SEE_OTHER, "{}", posted.body);
    }
    let first = site.get("/", &ann).await.body;
    assert_eq!(first.matches(r#"<article class="post">"#).count(), 20);
    assert!(first.find("post number 25.").unwrap() < first.find("post number 6.").unwrap());
    assert!(!first.contains("post number 5.") && first.contains(r#"href="/?page=2" rel="next""#));
    let second = site.get("/?page=2", &ann).await.body;
    assert_eq!(second.matches(r#"<article class="post">"#).count(), 5);
    assert!(second.contains("post number 1.") && second.contains(r#"href="/" rel="prev""#));
    assert!(second.contains("just now"));
}

/// Whatever a client sends a page — garbage forms, invalid UTF-8, broken multipart, odd paths
/// and queries — gets an answer below 500, and the site keeps answering.
#[tokio::test]
async fn every_page_answers_bad_input_without_a_server_error() {
    let site = Site::new();
    let ann = site.sign_up("ann").await;
    let token = site.get("/", &ann).await.form_token();
    let raw = |method: &str, path: &str, content_type: &str, body: Vec<u8>| {
        Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, "ds.test")
            .header(header::ORIGIN, "http://ds.test")
            .header(header::COOKIE, ann.as_str())
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .unwrap()
    };
    let form = "application/x-www-form-urlencoded";
    let bodies: Vec<Vec<u8>> = vec![
        vec![],
        b"\xff\xfe\x00garbage".to_vec(),
        b"username=%ZZ&password=%&&&==".to_vec(),
        format!("username={}&password=x", "a".repeat(100_000)).into_bytes(),
        format!("username=bob&form_token={token}&username=cat").into_bytes(),
        "first_name=\u{202e}evil&last_name=😀&username=عربي&password=x"
            .as_bytes()
            .to_vec(),
    ];
    for path in [
        "/login",
        "/signup",
        "/logout",
        "/follow",
        "/unfollow",
        "/compose",
    ] {
        for body in &bodies {
            let answer = site.send(raw("POST", path, form, body.clone())).await;
            assert!(
                answer.status.as_u16() < 500,
                "POST {path} {body:?}: {}",
                answer.status
            );
        }
    }
    let multipart = [
        ("multipart/form-data", b"--x\r\n".to_vec()),
        ("multipart/form-data; boundary=x", b"--x\r\nContent-Disposition: form-data\r\n\r\n".to_vec()),
        ("multipart/form-data; boundary=x", b"no parts at all".to_vec()),
        ("multipart/form-data; boundary=x", [b"--x\r\nContent-Disposition: form-data; name=\"media\"; filename=\"a.png\"\r\n\r\n".as_slice(), &[0u8; 100_000], b"\r\n--x--\r\n"].concat()),
    ];
    for (content_type, body) in multipart {
        let answer = site.send(raw("POST", "/compose", content_type, body)).await;
        assert!(
            answer.status.as_u16() < 500,
            "compose {content_type}: {}",
            answer.status
        );
    }
    for path in [
        "/?page=-1",
        "/?page=99999999999999999999999",
        "/?page=%ff",
        "/profile/%ff%fe",
        "/profile/%00",
        "/profile/a%2Fb/followers",
        &format!("/profile/{}", "x".repeat(5_000)),
        "/media/..%2F..%2Fetc%2Fpasswd",
        "/media/",
        "/assets/..%2Fsrc%2Flib.rs",
        "/function/ds-net/profile/%ff",
    ] {
        let answer = site.get(path, &ann).await;
        assert!(
            answer.status.as_u16() < 500,
            "GET {path}: {}",
            answer.status
        );
    }
    // A body past the edge's limit is refused before any page reads it.
    let huge = vec![b'a'; HttpOptions::default().body_limit + 1];
    let answer = site.send(raw("POST", "/login", form, huge)).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(site.get("/", &ann).await.status, StatusCode::OK);
}
