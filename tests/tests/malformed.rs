//! The malformed-input sweep: every function, and every DeathStarBench route, answered for
//! every kind of bad input, on every deployment and backend (`deployments!`).
//!
//! The cases are generated from the registry and from each function's input schema in the
//! OpenAPI document (`deathstar_handlers::openapi::document`), so a new function, or a new
//! field, is swept without a new line here:
//!
//! - whole bodies: empty, not JSON, invalid UTF-8, a UTF-8 BOM before `{}`, 10,000 `[` (alone
//!   and as a field's value), duplicate keys, and a 20 MiB body;
//! - per field of a valid-shaped body (leaf fields, nested objects included): missing, `null`,
//!   each wrong JSON type, a `{"$gt": ""}` operator object, a 1 MiB string, numbers out of
//!   range (`1e400`, `-1`, `u64::MAX + 1`, `i64::MIN`, `0.5`), and strings with control
//!   characters, NUL, non-ASCII text, an RTL override and an emoji;
//! - DSB's `/wrk2-api/` and `/api/` routes (over HTTP): empty, bad percent-encoding, invalid
//!   UTF-8, missing and duplicate parameters, huge values.
//!
//! The rule for every answer: within 5 s, never a closed connection, never a 5xx. A function's
//! answer is its JSON envelope; a failure is a `status` ending in `Error` with a non-empty
//! `errors` list. What must be a 4xx (an input that is actually invalid):
//! - a body that is not a JSON object, not UTF-8, starts with a BOM, nests past serde's limit
//!   or repeats a key: 400; over HTTP a body past the edge's limit is a 413 (in-process there is
//!   no body limit: it need only not be a 5xx);
//! - a required field missing, any field `null` that the schema does not allow to be, any wrong
//!   type, an operator object, an out-of-range or fractional number: 400;
//! - a string the schema bounds (`pattern`, `maxLength`) given a value it refuses (1 MiB, or
//!   text that cannot match the pattern): a 4xx.
//!
//! Other inputs may be legitimately accepted (a non-ASCII `first_name` registers a user, a
//! 1 MiB username is merely not found): they need only not be a 5xx. An empty body is `{}`.
//! DSB routes are held to the same rules: a refused form or query is a 4xx in the envelope
//! (where DSB's nginx answers "Incomplete arguments" in plain text).
//!
//! Before the sweep a flow stores users, a follow and a post; afterwards a new flow still works
//! and the earlier one reads back unchanged. Cases run 8 at a time, so the MongoDB + Redis runs
//! stay bounded (most cases are refused before storage).

use std::time::{Duration, Instant};

use deathstar_handlers::Registry;
use deathstar_handlers::openapi::document;
use deathstar_tests::{Net, deployments};
use futures::StreamExt;
use serde_json::{Map, Value, json};

/// How long any one answer may take.
const DEADLINE: Duration = Duration::from_secs(5);
/// Cases in flight at once.
const CONCURRENCY: usize = 8;
/// Bytes of the whole-body size case: above the HTTP edge's 16 MiB limit.
const HUGE_BODY: usize = 20 << 20;
/// Bytes of a huge string field.
const HUGE_STRING: usize = 1 << 20;

/// What a case's answer must be.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// Not a 5xx; the envelope.
    Answered,
    /// A 4xx; the envelope's failure.
    Refused,
    /// Over HTTP a 413; in-process [`Expect::Answered`].
    TooLarge,
}

struct Case {
    function: String,
    what: String,
    body: Vec<u8>,
    expect: Expect,
}

/// The schema `reference` (`#/components/schemas/X`) points at.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let name = r.rsplit('/').next().unwrap_or_default();
            &doc["components"]["schemas"][name]
        }
        None => schema,
    }
}

/// The JSON types a schema admits (`type` as a string or a list).
fn types(schema: &Value) -> Vec<&str> {
    match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// A value the schema's shape allows, with ids that name nobody (so that writes touch no one
/// the earlier flow made). `n` makes each id distinct (a user cannot follow themselves).
fn sample(doc: &Value, schema: &Value, name: &str, n: &mut u32) -> Value {
    let schema = resolve(doc, schema);
    *n += 1;
    let ts = types(schema);
    if ts.contains(&"object") || schema.get("properties").is_some() {
        let mut object = Map::new();
        if let Some(props) = schema["properties"].as_object() {
            for (key, prop) in props {
                object.insert(key.clone(), sample(doc, prop, key, n));
            }
        }
        return Value::Object(object);
    }
    if ts.contains(&"string") {
        return match schema["pattern"].as_str() {
            Some(deathstar_handlers::openapi::USER_ID) => {
                format!("{:032x}", 0xdead_0000 + *n).into()
            }
            Some(deathstar_handlers::openapi::USERNAME) => format!("nobody_{n}").into(),
            Some(deathstar_handlers::openapi::FILENAME) => "file.png".into(),
            Some(deathstar_handlers::openapi::MEDIA_TYPE) => "png".into(),
            Some(deathstar_handlers::openapi::HTTP_URL) => "http://example.com/".into(),
            _ => format!("s{n}").into(),
        };
    }
    if ts.contains(&"integer") {
        let min = schema["minimum"].as_i64().unwrap_or(0);
        return if name == "stop" { min + 10 } else { min }.into();
    }
    if ts.contains(&"boolean") {
        return false.into();
    }
    if ts.contains(&"array") {
        return json!([]);
    }
    Value::Null
}

/// A leaf field of an input: its path of keys, its schema, whether it is required.
struct Field {
    path: Vec<String>,
    schema: Value,
    required: bool,
}

fn fields(doc: &Value, schema: &Value, prefix: &[String], out: &mut Vec<Field>) {
    let schema = resolve(doc, schema);
    let required: Vec<&str> = schema["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(props) = schema["properties"].as_object() else {
        return;
    };
    for (key, prop) in props {
        let mut path = prefix.to_vec();
        path.push(key.clone());
        let resolved = resolve(doc, prop);
        if resolved.get("properties").is_some() {
            fields(doc, prop, &path, out);
        }
        out.push(Field {
            path,
            schema: resolved.clone(),
            required: required.contains(&key.as_str()),
        });
    }
}

/// A stand-in that no JSON text contains, replaced by a raw JSON fragment after encoding.
const HOLE: &str = "\u{1}HOLE\u{1}";

/// `base` with the field at `path` removed (`raw` = None) or replaced by the JSON text `raw`.
fn mutate(base: &Value, path: &[String], raw: Option<&str>) -> Vec<u8> {
    let mut body = base.clone();
    let mut at = &mut body;
    for key in &path[..path.len() - 1] {
        at = &mut at[key.as_str()];
    }
    let last = &path[path.len() - 1];
    let Some(object) = at.as_object_mut() else {
        return serde_json::to_vec(&body).unwrap_or_default();
    };
    match raw {
        None => {
            object.remove(last);
            serde_json::to_vec(&body).unwrap_or_default()
        }
        Some(raw) => {
            object.insert(last.clone(), HOLE.into());
            let text = serde_json::to_string(&body).unwrap_or_default();
            let hole = serde_json::to_string(HOLE).unwrap_or_default();
            text.replacen(&hole, raw, 1).into_bytes()
        }
    }
}

/// Every case for every function of the catalogue.
fn function_cases() -> Vec<Case> {
    let doc = document();
    let mut cases = Vec::new();
    for name in Registry::names() {
        let operation = &doc["paths"][format!("/function/{name}")]["post"];
        let input = &operation["requestBody"]["content"]["application/json"]["schema"];
        let input_schema = resolve(&doc, input);
        let has_required = input_schema["required"]
            .as_array()
            .is_some_and(|r| !r.is_empty());
        let mut n = 0;
        let base = sample(&doc, input, "", &mut n);
        let case = |what: &str, body: Vec<u8>, expect| Case {
            function: name.to_owned(),
            what: what.to_owned(),
            body,
            expect,
        };
        // Whole bodies.
        let empty = if has_required {
            Expect::Refused
        } else {
            Expect::Answered
        };
        cases.push(case("empty body", Vec::new(), empty));
        cases.push(case("not JSON", b"{not json".to_vec(), Expect::Refused));
        cases.push(case("a JSON array", b"[1, 2]".to_vec(), Expect::Refused));
        cases.push(case(
            "invalid UTF-8",
            vec![b'{', b'"', 0xff, 0xfe, b'"', b'}'],
            Expect::Refused,
        ));
        cases.push(case("a BOM", b"\xef\xbb\xbf{}".to_vec(), Expect::Refused));
        cases.push(case("10,000 [", vec![b'['; 10_000], Expect::Refused));
        let mut nested = b"{\"deep\": ".to_vec();
        nested.extend(vec![b'['; 10_000]);
        cases.push(case("a field of 10,000 [", nested, Expect::Refused));
        let mut huge = b"{\"padding\": \"".to_vec();
        huge.extend(vec![b'a'; HUGE_BODY]);
        huge.extend(b"\"}");
        cases.push(case("a 20 MiB body", huge, Expect::TooLarge));
        let mut all = Vec::new();
        fields(&doc, input, &[], &mut all);
        if let Some(first) = all.iter().find(|f| f.path.len() == 1) {
            let key = serde_json::to_string(&first.path[0]).unwrap_or_default();
            let text = serde_json::to_string(&base).unwrap_or_default();
            let dup = text.replacen('{', &format!("{{{key}: null, "), 1);
            cases.push(case("a duplicate key", dup.into_bytes(), Expect::Refused));
        }
        // Per field.
        for field in &all {
            let ts = types(&field.schema);
            let nullable = ts.contains(&"null");
            let label = |m: &str| format!("{} {m}", field.path.join("."));
            let missing = if field.required {
                Expect::Refused
            } else {
                Expect::Answered
            };
            cases.push(case(
                &label("missing"),
                mutate(&base, &field.path, None),
                missing,
            ));
            let null = if nullable {
                Expect::Answered
            } else {
                Expect::Refused
            };
            cases.push(case(
                &label("null"),
                mutate(&base, &field.path, Some("null")),
                null,
            ));
            let wrong: [(&str, &str); 6] = [
                ("boolean", "true"),
                ("integer", "7"),
                ("number", "1.5"),
                ("string", "\"7\""),
                ("array", "[]"),
                ("object", "{}"),
            ];
            for (kind, raw) in wrong {
                let fits = ts.contains(&kind)
                    || (kind == "integer" && ts.contains(&"number"))
                    || (kind == "object" && field.schema.get("properties").is_some());
                if !fits {
                    let what = label(&format!("as {kind}"));
                    cases.push(case(
                        &what,
                        mutate(&base, &field.path, Some(raw)),
                        Expect::Refused,
                    ));
                }
            }
            if !ts.contains(&"object") && field.schema.get("properties").is_none() {
                let raw = r#"{"$gt": ""}"#;
                cases.push(case(
                    &label("as {$gt}"),
                    mutate(&base, &field.path, Some(raw)),
                    Expect::Refused,
                ));
            }
            if ts.contains(&"integer") {
                for raw in [
                    "1e400",
                    "-1",
                    "18446744073709551616",
                    "-9223372036854775808",
                    "0.5",
                ] {
                    // -1 and i64::MIN are in range for a signed field with no minimum.
                    let signed_ok = raw.starts_with('-') && field.schema["minimum"].is_null();
                    let expect = if signed_ok {
                        Expect::Answered
                    } else {
                        Expect::Refused
                    };
                    cases.push(case(
                        &label(raw),
                        mutate(&base, &field.path, Some(raw)),
                        expect,
                    ));
                }
            }
            if ts.contains(&"string") {
                let bounded = field.schema.get("pattern").is_some()
                    || field.schema.get("maxLength").is_some();
                let huge = serde_json::to_string(&"x".repeat(HUGE_STRING)).unwrap_or_default();
                let expect = if bounded {
                    Expect::Refused
                } else {
                    Expect::Answered
                };
                cases.push(case(
                    &label("1 MiB"),
                    mutate(&base, &field.path, Some(&huge)),
                    expect,
                ));
                for (what, text) in [
                    ("control characters", "a\u{1}b\u{1f}c\u{7f}"),
                    ("NUL", "a\u{0}b"),
                    ("non-ASCII", "café 日本語"),
                    ("an RTL override", "\u{202e}abc\u{200f}"),
                    ("an emoji", "🙂"),
                ] {
                    let raw = serde_json::to_string(text).unwrap_or_default();
                    let expect = if field.schema.get("pattern").is_some() {
                        Expect::Refused
                    } else {
                        Expect::Answered
                    };
                    cases.push(case(
                        &label(what),
                        mutate(&base, &field.path, Some(&raw)),
                        expect,
                    ));
                }
            }
        }
    }
    cases
}

/// Why `status` and `body` break `expect`, if they do.
fn judge(expect: Expect, over_http: bool, status: u16, body: &[u8]) -> Option<String> {
    if status >= 500 {
        return Some(format!("a {status}"));
    }
    let expect = match expect {
        Expect::TooLarge if over_http => {
            if status != 413 {
                return Some(format!("{status}, not 413"));
            }
            Expect::Refused
        }
        Expect::TooLarge => Expect::Answered,
        other => other,
    };
    let Ok(envelope) = serde_json::from_slice::<Value>(body) else {
        return Some("a reply that is not JSON".into());
    };
    let name = envelope["status"].as_str().unwrap_or_default();
    if status == 200 {
        if expect == Expect::Refused {
            return Some("accepted".into());
        }
        return (name != "success").then(|| format!("200 with status {name:?}"));
    }
    if expect == Expect::Refused && !(400..500).contains(&status) {
        return Some(format!("{status}, not a 4xx"));
    }
    if !name.ends_with("Error") {
        return Some(format!("status {name:?} does not end in Error"));
    }
    let errors_ok = envelope["errors"]
        .as_array()
        .is_some_and(|e| !e.is_empty() && e.iter().all(|e| e["message"].is_string()));
    (!errors_ok).then(|| "no errors list of messages".into())
}

/// What the earlier flow stored, as the sweep must leave it.
async fn snapshot(net: &Net, alice: &str, bob: &str) -> Value {
    let followers = net
        .ok("social-graph-get-followers", json!({"user_id": alice}))
        .await;
    json!({
        "alice": net.timeline("user", alice, 0, 10).await,
        "bob_home": net.timeline("home", bob, 0, 10).await,
        "followers": followers["followers"],
        "alice_id": net.ok("get-user-id", json!({"username": "sweep_alice"})).await["user_id"],
    })
}

async fn every_input_is_answered(net: Net) {
    let started = Instant::now();
    let alice = net.register("sweep_alice").await;
    let bob = net.register("sweep_bob").await;
    net.follow(&bob, &alice).await;
    net.compose(
        &alice,
        "sweep_alice",
        "before the sweep @sweep_bob http://example.com/a",
    )
    .await;
    let before = snapshot(&net, &alice, &bob).await;

    let over_http = net.base_url().is_some();
    let cases = function_cases();
    let count = cases.len();
    let failures: Vec<String> = futures::stream::iter(cases)
        .map(|case| {
            let net = &net;
            async move {
                let reply = net.call_raw(&case.function, case.body, DEADLINE).await;
                let verdict = match reply {
                    Err(e) => Some(e),
                    Ok((status, body)) => judge(case.expect, over_http, status, &body).map(|why| {
                        format!(
                            "{why}: {}",
                            String::from_utf8_lossy(&body[..body.len().min(300)])
                        )
                    }),
                };
                verdict.map(|why| format!("{} — {}: {why}", case.function, case.what))
            }
        })
        .buffer_unordered(CONCURRENCY)
        .filter_map(|f| async move { f })
        .collect()
        .await;
    let mut failures = failures;
    if let Some(base) = net.base_url() {
        failures.extend(dsb_failures(base).await);
    }
    assert!(
        failures.is_empty(),
        "{} of {count} function cases (and the DSB routes) broke the rule:\n{}",
        failures.len(),
        failures.join("\n")
    );

    // A normal flow still works; the earlier one reads back unchanged.
    let carol = net.register("sweep_carol").await;
    net.follow(&carol, &alice).await;
    net.compose(&alice, "sweep_alice", "after the sweep").await;
    let home = net.timeline("home", &carol, 0, 10).await;
    assert_eq!(deathstar_tests::texts(&home), ["after the sweep"]);
    let mut after = snapshot(&net, &alice, &bob).await;
    // The new post and follower are the new flow's; the rest is as it was.
    let alice_posts = after["alice"].as_array_mut().expect("posts");
    assert_eq!(alice_posts.remove(0)["text"], "after the sweep");
    let followers = after["followers"].as_array_mut().expect("followers");
    followers.retain(|f| f["user_id"] != carol.as_str());
    let bob_home = after["bob_home"].as_array_mut().expect("home");
    bob_home.retain(|p| p["text"] != "after the sweep");
    assert_eq!(after, before);
    eprintln!("{count} function cases in {:?}", started.elapsed());
}

/// The DSB routes, with forms and queries no client should send.
async fn dsb_failures(base: &str) -> Vec<String> {
    let client = reqwest::Client::new();
    let huge = "v".repeat(HUGE_STRING);
    let garbage: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"%".to_vec(),
        b"%zz=%g&=&&==".to_vec(),
        b"user_id=%ff%fe&username=%c3%28".to_vec(),
        vec![0xff, 0xfe, b'=', 0xc3, 0x28],
        b"user_id=1&user_id=2&user_id=x".to_vec(),
        b"user_id=-1&followee_id=99999999999999999999999&start=-5&stop=x".to_vec(),
        b"user_id=1&username=a&text=".to_vec(),
        format!("user_id={huge}&username={huge}&text={huge}&post_type={huge}").into_bytes(),
    ];
    let posts = [
        "/wrk2-api/user/register",
        "/wrk2-api/user/follow",
        "/wrk2-api/user/unfollow",
        "/wrk2-api/post/compose",
        "/api/user/register",
        "/api/user/login",
        "/api/user/follow",
        "/api/user/unfollow",
        "/api/post/compose",
    ];
    let gets = [
        "/wrk2-api/home-timeline/read",
        "/wrk2-api/user-timeline/read",
        "/api/home-timeline/read",
        "/api/user-timeline/read",
        "/api/user/get_follower",
        "/api/user/get_followee",
    ];
    let mut requests = Vec::new();
    for path in posts {
        for body in &garbage {
            let request = client
                .post(format!("{base}{path}"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body.clone());
            requests.push((format!("POST {path} {}", preview(body)), request));
        }
    }
    // Paths no route serves and methods a route does not take are refused in the envelope too.
    for (method, path) in [
        (reqwest::Method::GET, "/no/such/route"),
        (reqwest::Method::POST, "/wrk2-api/no-such-api"),
        (reqwest::Method::DELETE, "/function/register-user"),
        (reqwest::Method::PUT, "/wrk2-api/user/register"),
        (reqwest::Method::POST, "/healthz"),
    ] {
        let request = client.request(method.clone(), format!("{base}{path}"));
        requests.push((format!("{method} {path}"), request));
    }
    // A request line past hyper's limit is refused by the client before it is sent: a query's
    // huge value is 16 KiB, a form's 1 MiB.
    let long = "v".repeat(16 << 10);
    let mut queries = garbage.clone();
    queries.pop();
    queries.push(format!("user_id={long}&start={long}&stop={long}").into_bytes());
    for path in gets {
        for body in &queries {
            // A query carries bytes percent-encoded; `%` and raw bytes are sent as they are.
            let query: String = body
                .iter()
                .map(|&b| match b {
                    b if b.is_ascii_graphic() && b != b'#' => (b as char).to_string(),
                    b => format!("%{b:02X}"),
                })
                .collect();
            let request = client.get(format!("{base}{path}?{query}"));
            requests.push((format!("GET {path}?{}", preview(body)), request));
        }
    }
    futures::stream::iter(requests)
        .map(|(what, request)| async move {
            let answer = tokio::time::timeout(DEADLINE, async {
                let response = request
                    .send()
                    .await
                    .map_err(|e| format!("no answer: {e}"))?;
                let status = response.status().as_u16();
                let json = response
                    .headers()
                    .get("content-type")
                    .is_some_and(|t| t.as_bytes().starts_with(b"application/json"));
                let body = response
                    .bytes()
                    .await
                    .map_err(|e| format!("cut short: {e}"))?;
                Ok::<_, String>((status, json, body))
            })
            .await
            .unwrap_or_else(|_| Err("no answer within 5 s".into()));
            let why = match answer {
                Err(e) => Some(e),
                Ok((status, _, _)) if !(400..500).contains(&status) => {
                    Some(format!("{status}, not a 4xx"))
                }
                Ok((_, false, body)) => Some(format!("not the JSON envelope: {}", preview(&body))),
                Ok((status, true, body)) => judge(Expect::Refused, true, status, &body),
            };
            why.map(|why| format!("{what}: {why}"))
        })
        .buffer_unordered(CONCURRENCY)
        .filter_map(|f| async move { f })
        .collect()
        .await
}

fn preview(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(60)]).into_owned();
    if body.len() > 60 {
        format!("{text}... ({} bytes)", body.len())
    } else {
        text
    }
}

deployments!(every_input_is_answered);
