//! `user-service-upload-creator-with-user-id` and `...-with-username`: the creator part of a
//! post, checked against the user store so that no post names a user who does not exist.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::get_user_id::username_not_found;
use crate::error::FunctionError;
use crate::function::{Ctx, Function};
use crate::model::Creator;
use crate::status;
use crate::user_id::UserId;

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct UploadCreatorWithUserIdInput {
    pub user_id: UserId,
    pub username: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct UploadCreatorWithUsernameInput {
    pub username: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct UploadCreatorOutput {
    pub creator: Creator,
}

#[derive(Default)]
pub struct UploadCreatorWithUserId;

impl Function for UploadCreatorWithUserId {
    const NAME: &'static str = "user-service-upload-creator-with-user-id";
    const ERROR: &'static str = "UploadCreatorError";
    type Input = UploadCreatorWithUserIdInput;
    type Output = UploadCreatorOutput;

    async fn call(&self, ctx: &Ctx, input: Self::Input) -> Result<Self::Output, FunctionError> {
        let user = ctx.stores().users.by_user_id(&input.user_id).await?;
        let user = user.ok_or_else(|| user_id_not_found(&input.user_id))?;
        if user.username != input.username {
            return Err(FunctionError::invalid(
                "username",
                format!("is not the username of user_id {}", input.user_id),
            ));
        }
        Ok(UploadCreatorOutput {
            creator: Creator {
                user_id: UserId::parse(user.user_id)?,
                username: user.username,
            },
        })
    }
}

#[derive(Default)]
pub struct UploadCreatorWithUsername;

impl Function for UploadCreatorWithUsername {
    const NAME: &'static str = "user-service-upload-creator-with-username";
    const ERROR: &'static str = "UploadCreatorError";
    type Input = UploadCreatorWithUsernameInput;
    type Output = UploadCreatorOutput;

    async fn call(&self, ctx: &Ctx, input: Self::Input) -> Result<Self::Output, FunctionError> {
        let user = ctx.stores().users.by_username(&input.username).await?;
        let user = user.ok_or_else(|| username_not_found(&input.username))?;
        Ok(UploadCreatorOutput {
            creator: Creator {
                user_id: UserId::parse(user.user_id)?,
                username: user.username,
            },
        })
    }
}

pub(crate) fn user_id_not_found(user_id: &str) -> FunctionError {
    FunctionError::NotFound {
        status: status::USER_ID_NOT_EXIST,
        message: format!("user_id {user_id} does not exist"),
    }
}
