//! `media-front-upload-media`: stores an uploaded file and returns its id and type.
//!
//! Takes what a browser's FileReader gives, `{"filename": "cat.jpg", "file": "data:image/jpeg;base64,..."}`
//! (a bare base64 payload works too). The type is what the bytes are ([`super::sniff`]): an
//! image or a video, whatever the name or the data URL declare; anything else is refused.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::is_media_type;
use super::sniff::{KNOWN, sniff};
use crate::access::Access;
use crate::error::FunctionError;
use crate::function::{Ctx, Function};
use crate::ids::new_media_id;
use crate::model::MediaFile;

/// Largest file accepted, decoded.
pub const MAX_MEDIA_BYTES: usize = 8 * 1024 * 1024;

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct UploadMediaFileInput {
    /// Ends in the file's extension (`.png`).
    #[schemars(regex(pattern = crate::openapi::FILENAME))]
    pub filename: String,
    /// A data URL (`data:image/png;base64,...`) or bare base64, at most 8 MiB decoded.
    pub file: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct UploadMediaFileOutput {
    pub media_id: String,
    pub media_type: String,
}

#[derive(Default)]
pub struct UploadMediaFile;

impl Function for UploadMediaFile {
    const NAME: &'static str = "media-front-upload-media";
    const ERROR: &'static str = "MediaFrontUploadMediaError";
    const ACCESS: Access = Access::User;
    type Input = UploadMediaFileInput;
    type Output = UploadMediaFileOutput;

    async fn call(&self, ctx: &Ctx, input: Self::Input) -> Result<Self::Output, FunctionError> {
        input
            .filename
            .rsplit_once('.')
            .map(|(_, ext)| ext.to_ascii_lowercase())
            .filter(|ext| is_media_type(ext))
            .ok_or_else(|| {
                FunctionError::invalid("filename", "must end in a file extension such as .png")
            })?;
        // The declared type is checked for form, and not believed.
        let (_declared_type, payload) = split_data_url(&input.file)?;
        if payload.len() > MAX_MEDIA_BYTES / 3 * 4 + 4 {
            return Err(too_large());
        }
        let bytes = STANDARD
            .decode(payload.trim())
            .map_err(|e| FunctionError::invalid("file", format!("is not valid base64: {e}")))?;
        if bytes.len() > MAX_MEDIA_BYTES {
            return Err(too_large());
        }
        let kind = sniff(&bytes).ok_or_else(|| {
            FunctionError::invalid("file", format!("must be an image or a video ({KNOWN})"))
        })?;
        let media = MediaFile {
            media_id: new_media_id(),
            media_type: kind.extension.to_owned(),
            content_type: kind.content_type.to_owned(),
            bytes,
        };
        if !ctx.stores().media.put(&media).await? {
            return Err(FunctionError::Internal("media id collision".into()));
        }
        Ok(UploadMediaFileOutput {
            media_id: media.media_id,
            media_type: media.media_type,
        })
    }
}

/// Splits `data:<mime>;base64,<payload>` into the mime type and the payload; a string that is
/// not a data URL is taken as the payload.
fn split_data_url(file: &str) -> Result<(Option<&str>, &str), FunctionError> {
    let Some(rest) = file.strip_prefix("data:") else {
        return Ok((None, file));
    };
    let (header, payload) = rest
        .split_once(',')
        .ok_or_else(|| FunctionError::invalid("file", "data URL has no ',' before its payload"))?;
    let mime = header
        .strip_suffix(";base64")
        .ok_or_else(|| FunctionError::invalid("file", "data URL must be base64-encoded"))?;
    let mime_ok = mime.len() <= 100
        && mime.contains('/')
        && mime
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/+.-".contains(&b));
    Ok((mime_ok.then_some(mime), payload))
}

fn too_large() -> FunctionError {
    FunctionError::invalid("file", format!("must be at most {MAX_MEDIA_BYTES} bytes"))
}
