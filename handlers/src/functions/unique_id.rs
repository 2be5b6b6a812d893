//! `unique-id-service-upload-unique-id`: a fresh post id (see [`crate::ids`]).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::FunctionError;
use crate::function::{Ctx, Function};
use crate::ids::new_post_id;

/// Post types: 0 post, 1 repost, 2 reply, 3 direct message.
pub const MAX_POST_TYPE: u8 = 3;

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct UploadUniqueIdInput {
    #[schemars(range(max = MAX_POST_TYPE))]
    #[serde(deserialize_with = "crate::integer::integral")]
    pub post_type: u8,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct UploadUniqueIdOutput {
    pub post_id: String,
}

#[derive(Default)]
pub struct UploadUniqueId;

impl Function for UploadUniqueId {
    const NAME: &'static str = "unique-id-service-upload-unique-id";
    const ERROR: &'static str = "UniqueIdServiceUploadUniqueIdError";
    type Input = UploadUniqueIdInput;
    type Output = UploadUniqueIdOutput;

    async fn call(&self, _: &Ctx, input: Self::Input) -> Result<Self::Output, FunctionError> {
        check_post_type(input.post_type)?;
        Ok(UploadUniqueIdOutput {
            post_id: new_post_id(),
        })
    }
}

pub fn check_post_type(post_type: u8) -> Result<(), FunctionError> {
    if post_type <= MAX_POST_TYPE {
        Ok(())
    } else {
        Err(FunctionError::invalid(
            "post_type",
            "must be 0 (post), 1 (repost), 2 (reply) or 3 (direct message)",
        ))
    }
}
