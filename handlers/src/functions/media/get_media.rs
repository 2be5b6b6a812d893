//! `media-front-get-media`: a stored file, as a data URL, by `media_id` (or by the original's
//! `filename` = `<media_id>.<media_type>`).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::access::Access;
use crate::error::FunctionError;
use crate::function::{Ctx, Function};

/// One of `media_id` and `filename`; `media_id` wins when both are given.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct GetMediaInput {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct MediaFileOutput {
    pub media_id: String,
    pub media_type: String,
    pub content_type: String,
    /// `data:<content_type>;base64,<bytes>`.
    pub file: String,
}

#[derive(Default)]
pub struct GetMedia;

impl Function for GetMedia {
    const NAME: &'static str = "media-front-get-media";
    const ERROR: &'static str = "MediaFrontGetMediaError";
    const ACCESS: Access = Access::Anyone;
    type Input = GetMediaInput;
    type Output = MediaFileOutput;

    async fn call(&self, ctx: &Ctx, input: Self::Input) -> Result<Self::Output, FunctionError> {
        let media_id = match (&input.media_id, &input.filename) {
            (Some(id), _) => id.as_str(),
            (None, Some(filename)) => filename.split('.').next().unwrap_or_default(),
            (None, None) => return Err(FunctionError::MissingField("media_id".into())),
        };
        let media = ctx.stores().media.get(media_id).await?;
        let media = media.ok_or_else(|| FunctionError::NotFound {
            status: "MediaNotFoundError",
            message: format!("media {media_id} not found"),
        })?;
        Ok(MediaFileOutput {
            file: format!(
                "data:{};base64,{}",
                media.content_type,
                STANDARD.encode(&media.bytes)
            ),
            media_id: media.media_id,
            media_type: media.media_type,
            content_type: media.content_type,
        })
    }
}
