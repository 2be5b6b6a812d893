//! UserService: registration, user ids, login, and the creator part of a post.

mod creator;
mod get_user_id;
mod get_users;
mod login;
mod register;

pub use creator::{
    UploadCreatorOutput, UploadCreatorWithUserId, UploadCreatorWithUserIdInput,
    UploadCreatorWithUsername, UploadCreatorWithUsernameInput,
};
pub use get_user_id::{GetUserId, GetUserIdInput, GetUserIdOutput};
pub use get_users::{GetUsers, GetUsersInput, GetUsersOutput, MAX_USER_IDS};
pub use login::{Login, LoginInput, LoginOutput};
pub use register::{
    RegisterUser, RegisterUserInput, RegisterUserOutput, RegisterUserWithId,
    RegisterUserWithIdInput,
};
