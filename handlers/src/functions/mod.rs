//! Every function of the catalogue, grouped by the original microservice it replaces.
//! Each file opens with what its function does; FUNCTIONS.md in the spec has the original's.

pub mod compose;
pub mod home_timeline;
pub mod media;
pub mod post_storage;
pub mod social_graph;
pub mod text;
pub mod timeline;
pub mod unique_id;
pub mod url_shorten;
pub mod user;
pub mod user_mention;
pub mod user_timeline;

pub use compose::{ComposeAndUpload, ComposePostFrontend};
pub use home_timeline::{HomeTimelineReadFrontend, ReadHomeTimeline, WriteHomeTimeline};
pub use media::{GetMedia, UploadMedia, UploadMediaFile};
pub use post_storage::{ReadPosts, StorePost};
pub use social_graph::{
    Follow, FollowWithUsername, GetFollowees, GetFollowers, InsertUser, Unfollow,
    UnfollowWithUsername,
};
pub use text::UploadText;
pub use unique_id::UploadUniqueId;
pub use url_shorten::{GetExtendedUrls, UploadUrls};
pub use user::{
    GetUserId, GetUsers, Login, RegisterUser, RegisterUserWithId, UploadCreatorWithUserId,
    UploadCreatorWithUsername,
};
pub use user_mention::UploadUserMentions;
pub use user_timeline::{ReadUserTimeline, UserTimelineReadFrontend, WriteUserTimeline};
