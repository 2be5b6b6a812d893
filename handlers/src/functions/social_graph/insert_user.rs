//! `social-graph-insert-user`: creates the empty graph node of a new user.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::FunctionError;
use crate::function::{Ctx, Function};
use crate::user_id::UserId;

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct InsertUserInput {
    pub user_id: UserId,
}

#[derive(Default)]
pub struct InsertUser;

impl Function for InsertUser {
    const NAME: &'static str = "social-graph-insert-user";
    const ERROR: &'static str = "SocialGraphInsertUserError";
    type Input = InsertUserInput;
    type Output = InsertUserInput;

    async fn call(&self, ctx: &Ctx, input: Self::Input) -> Result<Self::Output, FunctionError> {
        if !ctx
            .stores()
            .social_graph
            .insert_user(&input.user_id)
            .await?
        {
            return Err(FunctionError::Conflict {
                status: "UserIDAlreadyExistError",
                message: format!(
                    "user_id {} already exists in the social graph",
                    input.user_id
                ),
            });
        }
        Ok(input)
    }
}
