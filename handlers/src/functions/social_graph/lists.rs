//! `social-graph-get-followers` and `social-graph-get-followees`: a user's edges, oldest first,
//! each with its follow time.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::follow::not_in_graph;
use crate::access::Access;
use crate::error::FunctionError;
use crate::function::{Ctx, Function};
use crate::model::FollowEdge;
use crate::user_id::UserId;

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct UserIdInput {
    pub user_id: UserId,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct FollowersOutput {
    pub followers: Vec<FollowEdge>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct FolloweesOutput {
    pub followees: Vec<FollowEdge>,
}

#[derive(Default)]
pub struct GetFollowers;

impl Function for GetFollowers {
    const NAME: &'static str = "social-graph-get-followers";
    const ERROR: &'static str = "SocialGraphGetFollowersError";
    const ACCESS: Access = Access::Anyone;
    type Input = UserIdInput;
    type Output = FollowersOutput;

    async fn call(&self, ctx: &Ctx, input: Self::Input) -> Result<Self::Output, FunctionError> {
        let followers = ctx.stores().social_graph.followers(&input.user_id).await?;
        Ok(FollowersOutput {
            followers: followers.ok_or_else(|| not_in_graph(&input.user_id))?,
        })
    }
}

#[derive(Default)]
pub struct GetFollowees;

impl Function for GetFollowees {
    const NAME: &'static str = "social-graph-get-followees";
    const ERROR: &'static str = "SocialGraphGetFolloweesError";
    const ACCESS: Access = Access::Anyone;
    type Input = UserIdInput;
    type Output = FolloweesOutput;

    async fn call(&self, ctx: &Ctx, input: Self::Input) -> Result<Self::Output, FunctionError> {
        let followees = ctx.stores().social_graph.followees(&input.user_id).await?;
        Ok(FolloweesOutput {
            followees: followees.ok_or_else(|| not_in_graph(&input.user_id))?,
        })
    }
}
