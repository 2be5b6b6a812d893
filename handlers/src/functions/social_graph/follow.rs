//! `social-graph-follow` and `social-graph-unfollow`: add or remove one edge, on both nodes at
//! once. Following someone already followed, or unfollowing someone not followed, succeeds and
//! says so (DeathStarBench's no-op), rather than failing as the 2020 port did.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::access::{Access, ActsFor};
use crate::error::FunctionError;
use crate::function::{Ctx, Function};
use crate::ids::now_ms;
use crate::status;
use crate::store;
use crate::user_id::UserId;

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct FollowInput {
    pub user_id: UserId,
    /// Another user than `user_id`.
    pub followee_id: UserId,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct FollowOutput {
    pub user_id: UserId,
    pub followee_id: UserId,
    /// False when `user_id` already followed `followee_id`.
    pub followed: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct UnfollowOutput {
    pub user_id: UserId,
    pub followee_id: UserId,
    /// False when `user_id` did not follow `followee_id`.
    pub unfollowed: bool,
}

impl FollowInput {
    fn validate(&self) -> Result<(), FunctionError> {
        if self.user_id == self.followee_id {
            return Err(FunctionError::invalid(
                "followee_id",
                "a user cannot follow themselves",
            ));
        }
        Ok(())
    }
}

#[derive(Default)]
pub struct Follow;

impl Function for Follow {
    const NAME: &'static str = "social-graph-follow";
    const ERROR: &'static str = "FollowError";
    const ACCESS: Access = Access::User;
    type Input = FollowInput;
    type Output = FollowOutput;

    fn acts_for(input: &Self::Input) -> ActsFor<'_> {
        ActsFor::id(&input.user_id)
    }

    async fn call(&self, ctx: &Ctx, input: Self::Input) -> Result<Self::Output, FunctionError> {
        input.validate()?;
        let graph = &ctx.stores().social_graph;
        let followed = match graph
            .follow(&input.user_id, &input.followee_id, now_ms())
            .await?
        {
            store::Follow::Followed => true,
            store::Follow::AlreadyFollowing => false,
            store::Follow::UnknownUser => return Err(not_in_graph(&input.user_id)),
            store::Follow::UnknownFollowee => return Err(not_in_graph(&input.followee_id)),
        };
        Ok(FollowOutput {
            user_id: input.user_id,
            followee_id: input.followee_id,
            followed,
        })
    }
}

#[derive(Default)]
pub struct Unfollow;

impl Function for Unfollow {
    const NAME: &'static str = "social-graph-unfollow";
    const ERROR: &'static str = "UnfollowError";
    const ACCESS: Access = Access::User;
    type Input = FollowInput;
    type Output = UnfollowOutput;

    fn acts_for(input: &Self::Input) -> ActsFor<'_> {
        ActsFor::id(&input.user_id)
    }

    async fn call(&self, ctx: &Ctx, input: Self::Input) -> Result<Self::Output, FunctionError> {
        input.validate()?;
        let graph = &ctx.stores().social_graph;
        let unfollowed = match graph.unfollow(&input.user_id, &input.followee_id).await? {
            store::Unfollow::Unfollowed => true,
            store::Unfollow::NotFollowing => false,
            store::Unfollow::UnknownUser => return Err(not_in_graph(&input.user_id)),
            store::Unfollow::UnknownFollowee => return Err(not_in_graph(&input.followee_id)),
        };
        Ok(UnfollowOutput {
            user_id: input.user_id,
            followee_id: input.followee_id,
            unfollowed,
        })
    }
}

pub(crate) fn not_in_graph(user_id: &str) -> FunctionError {
    FunctionError::NotFound {
        status: status::USER_ID_NOT_EXIST,
        message: format!("user_id {user_id} does not exist in the social graph"),
    }
}
