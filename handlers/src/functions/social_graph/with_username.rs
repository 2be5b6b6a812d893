//! `social-graph-follow-with-username` and `social-graph-unfollow-with-username`: resolve both
//! usernames in parallel through `get-user-id`, then follow or unfollow by id. An unknown
//! username comes back as the 404 `get-user-id` gave, nested under this function's error.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::follow::{Follow, FollowInput, Unfollow};
use crate::access::{Access, ActsFor};
use crate::error::FunctionError;
use crate::function::{Ctx, Function};
use crate::functions::user::{GetUserId, GetUserIdInput};

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct FollowWithUsernameInput {
    /// The follower.
    pub username: String,
    pub followee_name: String,
}

async fn resolve(ctx: &Ctx, input: FollowWithUsernameInput) -> Result<FollowInput, FunctionError> {
    let user = GetUserIdInput {
        username: input.username,
    };
    let followee = GetUserIdInput {
        username: input.followee_name,
    };
    let (user, followee) =
        tokio::join!(ctx.call::<GetUserId>(user), ctx.call::<GetUserId>(followee));
    match (user, followee) {
        (Ok(user), Ok(followee)) => Ok(FollowInput {
            user_id: user.user_id,
            followee_id: followee.user_id,
        }),
        (user, followee) => Err(FunctionError::from_callees([user.err(), followee.err()])),
    }
}

#[derive(Default)]
pub struct FollowWithUsername;

impl Function for FollowWithUsername {
    const NAME: &'static str = "social-graph-follow-with-username";
    const ERROR: &'static str = "FollowError";
    const ACCESS: Access = Access::User;
    type Input = FollowWithUsernameInput;
    type Output = <Follow as Function>::Output;

    fn acts_for(input: &Self::Input) -> ActsFor<'_> {
        ActsFor::name(&input.username)
    }

    async fn call(&self, ctx: &Ctx, input: Self::Input) -> Result<Self::Output, FunctionError> {
        let ids = resolve(ctx, input).await?;
        Ok(ctx.call::<Follow>(ids).await?)
    }
}

#[derive(Default)]
pub struct UnfollowWithUsername;

impl Function for UnfollowWithUsername {
    const NAME: &'static str = "social-graph-unfollow-with-username";
    const ERROR: &'static str = "UnfollowError";
    const ACCESS: Access = Access::User;
    type Input = FollowWithUsernameInput;
    type Output = <Unfollow as Function>::Output;

    fn acts_for(input: &Self::Input) -> ActsFor<'_> {
        ActsFor::name(&input.username)
    }

    async fn call(&self, ctx: &Ctx, input: Self::Input) -> Result<Self::Output, FunctionError> {
        let ids = resolve(ctx, input).await?;
        Ok(ctx.call::<Unfollow>(ids).await?)
    }
}
