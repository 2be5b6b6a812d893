//! Media: the media frontend's upload and download of files, and MediaService's media part of
//! a post. Files are kept by the project's own [`MediaStore`](crate::store::MediaStore).

mod get_media;
pub mod sniff;
mod upload_file;
mod upload_media;

pub use get_media::{GetMedia, GetMediaInput, MediaFileOutput};
pub use upload_file::{
    MAX_MEDIA_BYTES, UploadMediaFile, UploadMediaFileInput, UploadMediaFileOutput,
};
pub use upload_media::{UploadMedia, UploadMediaInput, UploadMediaOutput};

/// A media type is a short lowercase file extension.
fn is_media_type(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 16
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}
