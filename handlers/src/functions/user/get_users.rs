//! `user-service-get-users`: the public part of users (username and names) from their ids, in
//! the order asked, unknown ids left out. What a page needs to show a list of followers, which
//! the social graph holds as ids only. Not in DeathStarBench, whose pages list bare ids.

use futures::future::try_join_all;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::access::Access;
use crate::error::FunctionError;
use crate::function::{Ctx, Function};
use crate::model::PublicUser;
use crate::user_id::UserId;

/// Ids one call may name: a page of a follower list, with room to spare. Each id is one store
/// lookup, so the bound is on the work a call may ask for.
pub const MAX_USER_IDS: usize = 100;

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct GetUsersInput {
    #[schemars(length(max = MAX_USER_IDS))]
    pub user_ids: Vec<UserId>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct GetUsersOutput {
    pub users: Vec<PublicUser>,
}

#[derive(Default)]
pub struct GetUsers;

impl Function for GetUsers {
    const NAME: &'static str = "user-service-get-users";
    const ERROR: &'static str = "UserServiceGetUsersError";
    // What any visitor of a profile sees: usernames and names, never credentials.
    const ACCESS: Access = Access::Anyone;
    type Input = GetUsersInput;
    type Output = GetUsersOutput;

    async fn call(&self, ctx: &Ctx, input: Self::Input) -> Result<Self::Output, FunctionError> {
        if input.user_ids.len() > MAX_USER_IDS {
            return Err(FunctionError::invalid(
                "user_ids",
                format!("must have at most {MAX_USER_IDS} items"),
            ));
        }
        let users = &ctx.stores().users;
        let found = try_join_all(input.user_ids.iter().map(|id| users.by_user_id(id))).await?;
        Ok(GetUsersOutput {
            users: found.iter().flatten().map(PublicUser::from).collect(),
        })
    }
}
