//! The authorization matrix of `DS_AUTH=required`: every function of the catalogue, called
//! over HTTP with every kind of credential a caller can bring, against what its
//! [`Access`] says must happen. Generated from the registry, so a new function is in it the
//! day it is added; run on every HTTP deployment (`tests/tests/access.rs`, the OpenFaaS
//! adapter's multi-process deployment).

use std::time::Duration;

use deathstar_handlers::auth::{AuthKey, Claims};
use deathstar_handlers::catalogue::{FunctionVisitor, for_each_function};
use deathstar_handlers::proof::{self, SignedCall};
use deathstar_handlers::{Access, Function, status};
use deathstar_http::context::{CALL_PROOF, DEADLINE_MS, LOGIN_COOKIE};
use serde_json::{Value, json};

/// What a caller brings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    /// Nothing.
    Anonymous,
    /// User A's login token, the body naming A.
    UserA,
    /// User B's login token, the body naming A.
    UserBAsA,
    /// A token for A signed with another deployment's secret.
    ForgedToken,
    /// A token for A, signed here, issued long ago.
    ExpiredToken,
    /// A's token with B's claims put in (A's signature kept).
    TamperedToken,
    /// A's token as the `login_token` cookie, on `/function/<name>` (only `/api/` reads it).
    CookieOnFunctionRoute,
    /// A proof that a function of this deployment makes this very call.
    FunctionSigned,
    /// That proof, issued longer ago than it is valid for: a replayed call.
    ReplayedProof,
    /// A proof for another body (the body altered on the way).
    AlteredBody,
    /// A proof for another function (a proof lifted from another call).
    OtherCallee,
    /// A proof signed with another deployment's secret.
    ForgedProof,
}

impl Credential {
    pub const ALL: [Credential; 12] = [
        Credential::Anonymous,
        Credential::UserA,
        Credential::UserBAsA,
        Credential::ForgedToken,
        Credential::ExpiredToken,
        Credential::TamperedToken,
        Credential::CookieOnFunctionRoute,
        Credential::FunctionSigned,
        Credential::ReplayedProof,
        Credential::AlteredBody,
        Credential::OtherCallee,
        Credential::ForgedProof,
    ];
}

/// What must happen to a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// The function runs: a 200 for the matrix's body naming A.
    Runs,
    /// Admitted (the answer is the function's: the matrix's `{}` body is a 400, say).
    Admitted,
    /// Refused with this status and envelope name.
    Refused(u16, &'static str),
}

/// What `DS_AUTH=required` must answer a call of a function with `access` made with
/// `credential`, for a body that names user A as the one it acts for (`names_a`) or nobody.
pub fn expected(access: Access, credential: Credential, names_a: bool) -> Expected {
    use Credential::*;
    let bad_proof = Expected::Refused(403, status::CALL_PROOF);
    let bad_token = Expected::Refused(401, status::UNAUTHORIZED);
    let admitted = match access {
        Access::User => Expected::Runs,
        _ => Expected::Admitted,
    };
    match (credential, access) {
        (FunctionSigned, _) => admitted,
        (ReplayedProof | AlteredBody | OtherCallee | ForgedProof, _) => bad_proof,
        (_, Access::Functions) => Expected::Refused(403, status::INTERNAL_FUNCTION),
        (_, Access::Anyone) => Expected::Admitted,
        (UserA, Access::User) => Expected::Runs,
        (UserBAsA, Access::User) if names_a => Expected::Refused(403, status::FORBIDDEN),
        (UserBAsA, Access::User) => Expected::Runs,
        (
            Anonymous | ForgedToken | ExpiredToken | TamperedToken | CookieOnFunctionRoute,
            Access::User,
        ) => bad_token,
    }
}

/// A registered user of the deployment under test.
#[derive(Debug, Clone)]
pub struct User {
    pub user_id: String,
    pub username: String,
    pub token: String,
}

/// The body the matrix sends `function`: for a function that acts for a user, a valid call,
/// naming `a` where the function's input names a user (then `UserA` must get a 200 and
/// `UserBAsA` a 403); `{}` for the others, which are decided before their input is read.
/// With whether it names `a`.
pub fn body_for(function: &str, access: Access, a: &User, b: &User) -> (Value, bool) {
    if access != Access::User {
        return (json!({}), false);
    }
    let names_a = function != "media-front-upload-media";
    let body = match function {
        "compose-post-frontend" => json!({
            "user_id": a.user_id, "username": a.username, "post_type": 0,
            "text": format!("from the matrix, to @{} https://example.com/x", b.username),
        }),
        "social-graph-follow" | "social-graph-unfollow" => {
            json!({"user_id": a.user_id, "followee_id": b.user_id})
        }
        "social-graph-follow-with-username" | "social-graph-unfollow-with-username" => {
            json!({"username": a.username, "followee_name": b.username})
        }
        "home-timeline-read-frontend" => json!({"user_id": a.user_id, "start": 0, "stop": 10}),
        "media-front-upload-media" => {
            json!({"filename": "dot.gif", "file": "data:image/gif;base64,R0lGODlhAQABAAAAACw="})
        }
        other => panic!("{other} acts for a user: give the matrix a body naming user A for it"),
    };
    (body, names_a)
}

/// Every function of the catalogue with its access.
pub fn catalogue() -> Vec<(&'static str, Access)> {
    struct Accesses(Vec<(&'static str, Access)>);
    impl FunctionVisitor for Accesses {
        fn visit<F: Function>(&mut self) {
            self.0.push((F::NAME, F::ACCESS));
        }
    }
    let mut accesses = Accesses(Vec::new());
    for_each_function(&mut accesses);
    accesses.0
}

/// A deployment under test, reached at `base` (its `/function/<name>` routes), whose secret
/// is `secret`.
pub struct Target {
    pub base: String,
    pub secret: String,
    client: reqwest::Client,
}

const DEADLINE: u64 = 20_000;

impl Target {
    pub fn new(base: impl Into<String>, secret: impl Into<String>) -> Self {
        Target {
            base: base.into(),
            secret: secret.into(),
            client: reqwest::Client::new(),
        }
    }

    /// Calls `function` with `body` as `credential` says; the status and the envelope.
    pub async fn call(
        &self,
        function: &str,
        body: &Value,
        credential: Credential,
        a: &User,
        b: &User,
    ) -> (u16, Value) {
        let key = AuthKey::new(&self.secret);
        let bytes = serde_json::to_vec(body).unwrap();
        let mut request = self
            .client
            .post(format!("{}/function/{function}", self.base))
            .header("content-type", "application/json")
            .timeout(Duration::from_secs(30));
        let bearer = |token: &str| format!("Bearer {token}");
        let signed = |function: &str, body: &[u8], key: &AuthKey, issued_ms: u64| {
            let call = SignedCall {
                function,
                body,
                deadline_ms: Some(DEADLINE),
                auth_token: None,
                client: None,
            };
            proof::sign_at(key, &call, issued_ms)
        };
        let now = proof::unix_millis();
        let long_ago = now - proof::VALIDITY.as_millis() as u64 - 1_000;
        request = match credential {
            Credential::Anonymous => request,
            Credential::UserA => request.header("authorization", bearer(&a.token)),
            Credential::UserBAsA => request.header("authorization", bearer(&b.token)),
            Credential::ForgedToken => {
                let forged = AuthKey::new("another deployment").issue(&a.user_id, &a.username);
                request.header("authorization", bearer(&forged))
            }
            Credential::ExpiredToken => {
                let expired = key.sign(&Claims {
                    user_id: a.user_id.clone(),
                    username: a.username.clone(),
                    timestamp: "1000".into(),
                    ttl: "3600".into(),
                });
                request.header("authorization", bearer(&expired))
            }
            Credential::TamperedToken => {
                let parts: Vec<&str> = a.token.split('.').collect();
                let b_claims = b.token.split('.').nth(1).unwrap();
                let tampered = format!("{}.{b_claims}.{}", parts[0], parts[2]);
                request.header("authorization", bearer(&tampered))
            }
            Credential::CookieOnFunctionRoute => {
                request.header("cookie", format!("{LOGIN_COOKIE}={}", a.token))
            }
            Credential::FunctionSigned => proven(request, signed(function, &bytes, &key, now)),
            Credential::ReplayedProof => proven(request, signed(function, &bytes, &key, long_ago)),
            Credential::AlteredBody => {
                let original = serde_json::to_vec(&json!({"altered": true})).unwrap();
                proven(request, signed(function, &original, &key, now))
            }
            Credential::OtherCallee => {
                let other = format!("{function}-elsewhere");
                proven(request, signed(&other, &bytes, &key, now))
            }
            Credential::ForgedProof => {
                let other = AuthKey::new("another deployment");
                proven(request, signed(function, &bytes, &other, now))
            }
        };
        let response = request.body(bytes).send().await.expect("an answer");
        let status = response.status().as_u16();
        let body = response.json().await.unwrap_or(Value::Null);
        (status, body)
    }

    /// Registers `username` (without any credential: registration is public) and logs in.
    pub async fn user(&self, username: &str) -> User {
        let password = format!("pw-{username}");
        let (status, registered) = self
            .call_plain(
                "register-user",
                json!({"username": username, "first_name": "F", "last_name": "L", "password": password}),
            )
            .await;
        assert_eq!(status, 200, "register {username}: {registered}");
        let (status, login) = self
            .call_plain(
                "user-service-login",
                json!({"username": username, "password": password}),
            )
            .await;
        assert_eq!(status, 200, "login {username}: {login}");
        User {
            user_id: registered["user"]["user_id"].as_str().unwrap().to_owned(),
            username: username.to_owned(),
            token: login["token"].as_str().unwrap().to_owned(),
        }
    }

    /// Calls `function` with `body` and no credential at all; the status and the envelope.
    pub async fn call_plain(&self, function: &str, body: Value) -> (u16, Value) {
        let response = self
            .client
            .post(format!("{}/function/{function}", self.base))
            .json(&body)
            .send()
            .await
            .expect("an answer");
        (response.status().as_u16(), response.json().await.unwrap())
    }
}

fn proven(request: reqwest::RequestBuilder, proof: String) -> reqwest::RequestBuilder {
    request
        .header(CALL_PROOF, proof)
        .header(DEADLINE_MS, DEADLINE.to_string())
}

/// Runs the whole matrix against `target`; panics listing every cell that answered otherwise.
pub async fn run_matrix(target: &Target) {
    let suffix = &uuid::Uuid::new_v4().simple().to_string()[..8];
    let a = target.user(&format!("a{suffix}")).await;
    let b = target.user(&format!("b{suffix}")).await;
    let mut wrong = Vec::new();
    let mut cells = 0;
    for (function, access) in catalogue() {
        let (body, names_a) = body_for(function, access, &a, &b);
        for credential in Credential::ALL {
            cells += 1;
            let (status, reply) = target.call(function, &body, credential, &a, &b).await;
            let expected = expected(access, credential, names_a);
            let ok = match expected {
                Expected::Runs => status == 200,
                Expected::Admitted => status != 401 && status != 403,
                Expected::Refused(code, name) => status == code && reply["status"] == name,
            };
            if !ok {
                wrong.push(format!(
                    "{function} ({access:?}) as {credential:?}: expected {expected:?}, got {status} {reply}"
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {cells} cells answered otherwise:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
