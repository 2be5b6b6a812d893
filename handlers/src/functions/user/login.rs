//! `user-service-login`: checks a username and password and returns a signed login token.
//!
//! An unknown username and a wrong password get the same answer after the same work, so neither
//! the reply nor its time tells which usernames exist. A password stored in the seed's format is
//! re-hashed with Argon2id on its first successful login ([`crate::password`]). Failed logins
//! are counted per username and per client address; past either limit a login is a 429
//! ([`crate::throttle`]).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::access::Access;
use crate::error::FunctionError;
use crate::function::{Ctx, Function};
use crate::password::Verdict;
use crate::status;

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct LoginInput {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct LoginOutput {
    pub user_id: String,
    pub username: String,
    /// An HS256 JWT with DeathStarBench's claims; valid for an hour.
    pub token: String,
}

#[derive(Default)]
pub struct Login;

impl Function for Login {
    const NAME: &'static str = "user-service-login";
    const ERROR: &'static str = "UserServiceLoginError";
    const ACCESS: Access = Access::Anyone;
    type Input = LoginInput;
    type Output = LoginOutput;

    async fn call(&self, ctx: &Ctx, input: Self::Input) -> Result<Self::Output, FunctionError> {
        let (throttle, client) = (ctx.login_throttle(), ctx.meta.client);
        throttle
            .check(&input.username, client)
            .map_err(|retry_after_secs| FunctionError::TooManyRequests {
                message: "too many failed logins for this username or from this address: \
                          try again later"
                    .into(),
                retry_after_secs,
            })?;
        let users = &ctx.stores().users;
        let passwords = ctx.passwords();
        let Some(user) = users.by_username(&input.username).await? else {
            passwords.verify_nobody(input.password).await?;
            throttle.failed(&input.username, client);
            return Err(refused());
        };
        let verdict = passwords
            .verify(input.password, user.password, user.salt)
            .await?;
        match verdict {
            Verdict::NoMatch => {
                throttle.failed(&input.username, client);
                return Err(refused());
            }
            Verdict::Match => {}
            Verdict::Upgrade(hash) => {
                // Best effort: the login stands if the store cannot take it now; the next one
                // tries again.
                if let Err(e) = users.set_password(&user.user_id, &hash, "").await {
                    tracing::warn!(user_id = %user.user_id, error = %e, "password not upgraded");
                }
            }
        }
        throttle.succeeded(&user.username);
        Ok(LoginOutput {
            token: ctx.auth().issue(&user.user_id, &user.username),
            user_id: user.user_id,
            username: user.username,
        })
    }
}

fn refused() -> FunctionError {
    FunctionError::Unauthorized {
        status: status::UNAUTHORIZED,
        message: "incorrect username or password".into(),
    }
}
