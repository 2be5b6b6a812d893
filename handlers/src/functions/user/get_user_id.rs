//! `get-user-id`: the user id of a username.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::access::Access;
use crate::error::FunctionError;
use crate::function::{Ctx, Function};
use crate::status;
use crate::user_id::UserId;

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct GetUserIdInput {
    pub username: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct GetUserIdOutput {
    pub user_id: UserId,
}

#[derive(Default)]
pub struct GetUserId;

impl Function for GetUserId {
    const NAME: &'static str = "get-user-id";
    const ERROR: &'static str = "GetUserIdError";
    const ACCESS: Access = Access::Anyone;
    type Input = GetUserIdInput;
    type Output = GetUserIdOutput;

    async fn call(&self, ctx: &Ctx, input: Self::Input) -> Result<Self::Output, FunctionError> {
        let user = ctx.stores().users.by_username(&input.username).await?;
        let user = user.ok_or_else(|| username_not_found(&input.username))?;
        Ok(GetUserIdOutput {
            user_id: UserId::parse(user.user_id)?,
        })
    }
}

pub(crate) fn username_not_found(username: &str) -> FunctionError {
    FunctionError::NotFound {
        status: status::USERNAME_NOT_FOUND,
        message: format!("username {username} not found"),
    }
}
