//! `social-graph-insert-user`: creates the empty graph node of a new user.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::FunctionError;
use crate::function::{Ctx, Function};
use crate::validate;

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct InsertUserInput {
    #[schemars(regex(pattern = crate::openapi::USER_ID))]
    pub user_id: String,
}

#[derive(Default)]
pub struct InsertUser;

impl Function for InsertUser {
    const NAME: &'static str = "social-graph-insert-user";
    const ERROR: &'static str = "SocialGraphInsertUserError";
    type Input = InsertUserInput;
    type Output = InsertUserInput;

    async fn call(&self, ctx: &Ctx, input: Self::Input) -> Result<Self::Output, FunctionError> {
        validate::user_id("user_id", &input.user_id)?;
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
