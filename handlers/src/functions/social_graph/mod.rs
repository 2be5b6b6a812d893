//! SocialGraphService: graph nodes, follow and unfollow (by id or by username), and the lists
//! of followers and followees.

mod follow;
mod insert_user;
mod lists;
mod with_username;

pub use follow::{Follow, FollowInput, FollowOutput, Unfollow, UnfollowOutput};
pub use insert_user::{InsertUser, InsertUserInput};
pub use lists::{FolloweesOutput, FollowersOutput, GetFollowees, GetFollowers, UserIdInput};
pub use with_username::{FollowWithUsername, FollowWithUsernameInput, UnfollowWithUsername};
