//! `register-user` and `register-user-with-id`: create a user and their social-graph node.
//!
//! The graph node is created first (through `social-graph-insert-user`), then the user: a user
//! never exists without a node. Whether the username or the id is taken is only known for sure
//! when the user is inserted (the store checks both keys atomically). `register-user` asks
//! nothing before: its node is under a fresh random id, so one left behind by a refusal is
//! unreachable and harmless. `register-user-with-id` asks first, in one query, because there
//! the id is the caller's: a node left under it would make a user who does not exist
//! followable.
//! The reply never carries the password hash or the salt.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::access::Access;
use crate::error::FunctionError;
use crate::function::{Ctx, Function};
use crate::functions::social_graph::{InsertUser, InsertUserInput};
use crate::model::{PublicUser, User};
use crate::store::{InsertUser as Inserted, Taken};
use crate::user_id::UserId;
use crate::validate;

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct RegisterUserInput {
    #[schemars(regex(pattern = crate::openapi::USERNAME))]
    pub username: String,
    /// At most 256 bytes of UTF-8.
    #[schemars(length(max = validate::MAX_NAME_BYTES))]
    pub first_name: String,
    /// At most 256 bytes of UTF-8.
    #[schemars(length(max = validate::MAX_NAME_BYTES))]
    pub last_name: String,
    /// At most 1 KiB of UTF-8.
    #[schemars(length(min = 1, max = validate::MAX_PASSWORD_BYTES))]
    pub password: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct RegisterUserWithIdInput {
    pub user_id: UserId,
    #[serde(flatten)]
    pub user: RegisterUserInput,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct RegisterUserOutput {
    pub user: PublicUser,
}

#[derive(Default)]
pub struct RegisterUser;

impl Function for RegisterUser {
    const NAME: &'static str = "register-user";
    const ERROR: &'static str = "RegisterUserError";
    const ACCESS: Access = Access::Anyone;
    type Input = RegisterUserInput;
    type Output = RegisterUserOutput;

    async fn call(&self, ctx: &Ctx, input: Self::Input) -> Result<Self::Output, FunctionError> {
        register(ctx, UserId::random(), input, Ask::Nothing).await
    }
}

#[derive(Default)]
pub struct RegisterUserWithId;

impl Function for RegisterUserWithId {
    const NAME: &'static str = "register-user-with-id";
    const ERROR: &'static str = "RegisterUserWithIdError";
    type Input = RegisterUserWithIdInput;
    type Output = RegisterUserOutput;

    async fn call(&self, ctx: &Ctx, input: Self::Input) -> Result<Self::Output, FunctionError> {
        register(ctx, input.user_id, input.user, Ask::WhetherTaken).await
    }
}

/// What a registration asks the store before creating the graph node.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ask {
    /// Nothing: the id is fresh, and a taken username is refused by the insert.
    Nothing,
    /// Whether the username or the id is taken.
    WhetherTaken,
}

async fn register(
    ctx: &Ctx,
    user_id: UserId,
    input: RegisterUserInput,
    ask: Ask,
) -> Result<RegisterUserOutput, FunctionError> {
    validate::username("username", &input.username)?;
    validate::bounded("first_name", &input.first_name, validate::MAX_NAME_BYTES)?;
    validate::bounded("last_name", &input.last_name, validate::MAX_NAME_BYTES)?;
    validate::non_empty("password", &input.password, validate::MAX_PASSWORD_BYTES)?;

    let users = &ctx.stores().users;
    if ask == Ask::WhetherTaken {
        match users.taken(&input.username, &user_id).await? {
            Some(Taken::Username) => return Err(username_taken(&input.username)),
            Some(Taken::UserId) => return Err(user_id_taken(&user_id)),
            None => {}
        }
    }
    match ctx
        .call::<InsertUser>(InsertUserInput {
            user_id: user_id.clone(),
        })
        .await
    {
        // A node left by an earlier attempt that failed half-way is ours to reuse.
        Err(failure) if failure.http_status == 409 => {}
        other => {
            other?;
        }
    }

    let user = User {
        // Argon2id; the salt is inside the PHC string.
        password: ctx.passwords().hash(input.password).await?,
        salt: String::new(),
        user_id: user_id.to_string(),
        username: input.username,
        first_name: input.first_name,
        last_name: input.last_name,
    };
    // The store checks both keys atomically (`taken` above is only an early answer).
    match users.insert(&user).await? {
        Inserted::Inserted => Ok(RegisterUserOutput {
            user: PublicUser::from(&user),
        }),
        Inserted::UsernameTaken => Err(username_taken(&user.username)),
        Inserted::UserIdTaken => Err(user_id_taken(&user.user_id)),
    }
}

fn username_taken(username: &str) -> FunctionError {
    FunctionError::Conflict {
        status: "UsernameAlreadyExistError",
        message: format!("username {username} already exists"),
    }
}

fn user_id_taken(user_id: &str) -> FunctionError {
    FunctionError::Conflict {
        status: "UserAlreadyExistError",
        message: format!("user_id {user_id} already exists"),
    }
}
