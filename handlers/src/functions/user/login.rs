//! `user-service-login`: checks a username and password and returns a signed login token.
//!
//! An unknown username and a wrong password get the same answer, so the reply does not tell
//! which usernames exist.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::access::Access;
use crate::auth::password_matches;
use crate::error::FunctionError;
use crate::function::{Ctx, Function};
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
        let user = ctx.stores().users.by_username(&input.username).await?;
        match user {
            Some(user) if password_matches(&input.password, &user.salt, &user.password) => {
                Ok(LoginOutput {
                    token: ctx.auth().issue(&user.user_id, &user.username),
                    user_id: user.user_id,
                    username: user.username,
                })
            }
            _ => Err(FunctionError::Unauthorized {
                status: status::UNAUTHORIZED,
                message: "incorrect username or password".into(),
            }),
        }
    }
}
