//! `user-mention-service-upload-user-mentions`: the users a post mentions, from their
//! usernames. Unknown usernames are dropped and repeats collapse, as in DeathStarBench.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::FunctionError;
use crate::function::{Ctx, Function};
use crate::model::UserMention;
use crate::user_id::UserId;
use crate::validate;

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct UploadUserMentionsInput {
    #[schemars(length(max = crate::validate::MAX_LIST_ITEMS))]
    pub usernames: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct UploadUserMentionsOutput {
    pub user_mentions: Vec<UserMention>,
}

#[derive(Default)]
pub struct UploadUserMentions;

impl Function for UploadUserMentions {
    const NAME: &'static str = "user-mention-service-upload-user-mentions";
    const ERROR: &'static str = "UserMentionServiceUploadUserMentionsError";
    type Input = UploadUserMentionsInput;
    type Output = UploadUserMentionsOutput;

    async fn call(&self, ctx: &Ctx, input: Self::Input) -> Result<Self::Output, FunctionError> {
        validate::list_len("usernames", &input.usernames)?;
        let users = ctx.stores().users.by_usernames(&input.usernames).await?;
        let user_mentions = users
            .into_iter()
            .map(|u| {
                Ok(UserMention {
                    user_id: UserId::parse(u.user_id)?,
                    username: u.username,
                })
            })
            .collect::<Result<_, FunctionError>>()?;
        Ok(UploadUserMentionsOutput { user_mentions })
    }
}
