//! ComposePostService, in DeathStarBench's current design: `compose-post-frontend` gathers the
//! parts of a post in parallel and hands them to `compose-post-service-compose-and-upload`,
//! which stores the post and writes the timelines.

mod compose_and_upload;
mod frontend;

pub use compose_and_upload::{ComposeAndUpload, ComposeAndUploadInput, ComposeAndUploadOutput};
pub use frontend::{ComposePostFrontend, ComposePostInput, ComposePostOutput};
