//! `compose-post-frontend`: composes a post. In parallel it gets a post id
//! (`unique-id-service-upload-unique-id`), the processed text (`text-service-upload-text`),
//! the checked creator (`user-service-upload-creator-with-user-id`) and the media
//! (`media-service-upload-media`), then calls `compose-post-service-compose-and-upload`.
//! When it answers, the post is stored and on every timeline it belongs to.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::compose_and_upload::{ComposeAndUpload, ComposeAndUploadInput};
use crate::access::{Access, ActsFor};
use crate::error::FunctionError;
use crate::function::{Ctx, Function};
use crate::functions::media::{UploadMedia, UploadMediaInput};
use crate::functions::text::{UploadText, UploadTextInput};
use crate::functions::unique_id::{UploadUniqueId, UploadUniqueIdInput};
use crate::functions::user::{UploadCreatorWithUserId, UploadCreatorWithUserIdInput};
use crate::ids::new_req_id;
use crate::model::Post;
use crate::user_id::UserId;

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ComposePostInput {
    pub user_id: UserId,
    /// The username of `user_id`.
    pub username: String,
    #[schemars(range(max = crate::functions::unique_id::MAX_POST_TYPE))]
    #[serde(deserialize_with = "crate::integer::integral")]
    pub post_type: u8,
    /// At most 16 KiB of UTF-8.
    #[schemars(length(max = crate::validate::MAX_TEXT_BYTES))]
    pub text: String,
    /// Media as DeathStarBench sends them: parallel lists of ids and types.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_ids: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_types: Option<Vec<String>>,
    /// One media item as the 2020 port sent it (`null` for none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ComposePostOutput {
    pub req_id: String,
    pub post_id: String,
    pub post: Post,
}

#[derive(Default)]
pub struct ComposePostFrontend;

impl Function for ComposePostFrontend {
    const NAME: &'static str = "compose-post-frontend";
    const ERROR: &'static str = "ComposePostFrontError";
    const ACCESS: Access = Access::User;
    type Input = ComposePostInput;
    type Output = ComposePostOutput;

    fn acts_for(input: &Self::Input) -> ActsFor<'_> {
        ActsFor::id_and_name(&input.user_id, &input.username)
    }

    async fn call(&self, ctx: &Ctx, input: Self::Input) -> Result<Self::Output, FunctionError> {
        let req_id = new_req_id();
        let mut media = UploadMediaInput {
            media_ids: input.media_ids.unwrap_or_default(),
            media_types: input.media_types.unwrap_or_default(),
        };
        if let Some(id) = input.media_id {
            media.media_ids.push(id);
            media.media_types.push(input.media_type.unwrap_or_default());
        }
        let unique_id = UploadUniqueIdInput {
            post_type: input.post_type,
        };
        let text = UploadTextInput { text: input.text };
        let creator = UploadCreatorWithUserIdInput {
            user_id: input.user_id,
            username: input.username,
        };
        let parts = tokio::join!(
            ctx.call::<UploadUniqueId>(unique_id),
            ctx.call::<UploadText>(text),
            ctx.call::<UploadCreatorWithUserId>(creator),
            ctx.call::<UploadMedia>(media),
        );
        let (unique_id, text, creator, media) = match parts {
            (Ok(id), Ok(text), Ok(creator), Ok(media)) => (id, text, creator, media),
            (id, text, creator, media) => {
                return Err(FunctionError::from_callees([
                    id.err(),
                    text.err(),
                    creator.err(),
                    media.err(),
                ]));
            }
        };
        let composed = ctx
            .call::<ComposeAndUpload>(ComposeAndUploadInput {
                req_id: req_id.clone(),
                post_id: unique_id.post_id,
                post_type: input.post_type,
                creator: creator.creator,
                text: text.text,
                urls: text.urls,
                user_mentions: text.user_mentions,
                media: media.media,
            })
            .await?;
        Ok(ComposePostOutput {
            req_id,
            post_id: composed.post.post_id.clone(),
            post: composed.post,
        })
    }
}
