//! `media-service-upload-media`: the media part of a post, from parallel lists of ids and types
//! (DeathStarBench's MediaService). Ids need not name uploaded files: the benchmark's
//! workload sends random ones.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::is_media_type;
use crate::error::FunctionError;
use crate::function::{Ctx, Function};
use crate::model::Media;
use crate::validate;

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct UploadMediaInput {
    #[serde(default)]
    #[schemars(length(max = validate::MAX_LIST_ITEMS), inner(length(min = 1, max = 64)))]
    pub media_ids: Vec<String>,
    /// As many as `media_ids`: the type of each.
    #[serde(default)]
    #[schemars(inner(regex(pattern = crate::openapi::MEDIA_TYPE)))]
    pub media_types: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct UploadMediaOutput {
    pub media: Vec<Media>,
}

#[derive(Default)]
pub struct UploadMedia;

impl Function for UploadMedia {
    const NAME: &'static str = "media-service-upload-media";
    const ERROR: &'static str = "MediaServiceUploadMediaError";
    type Input = UploadMediaInput;
    type Output = UploadMediaOutput;

    async fn call(&self, _: &Ctx, input: Self::Input) -> Result<Self::Output, FunctionError> {
        if input.media_ids.len() != input.media_types.len() {
            return Err(FunctionError::invalid(
                "media_types",
                "must have as many items as media_ids",
            ));
        }
        validate::list_len("media_ids", &input.media_ids)?;
        for (i, (id, kind)) in input.media_ids.iter().zip(&input.media_types).enumerate() {
            validate::non_empty(&format!("media_ids[{i}]"), id, 64)?;
            if !is_media_type(kind) {
                return Err(FunctionError::invalid(
                    &format!("media_types[{i}]"),
                    "must be a short lowercase file extension",
                ));
            }
        }
        let media = input
            .media_ids
            .into_iter()
            .zip(input.media_types)
            .map(|(media_id, media_type)| Media {
                media_id,
                media_type,
            })
            .collect();
        Ok(UploadMediaOutput { media })
    }
}
