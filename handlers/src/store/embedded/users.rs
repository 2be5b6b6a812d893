//! [`UserStore`] on redb: `users` (username → user JSON) and `user_ids` (user id → username).

use async_trait::async_trait;
use redb::ReadableTable;

use super::{Db, USER_IDS, USERS};
use crate::model::User;
use crate::store::{InsertUser, StoreResult, UserStore};

fn decode(bytes: &[u8]) -> Result<User, redb::Error> {
    serde_json::from_slice(bytes).map_err(|e| redb::Error::Corrupted(format!("user document: {e}")))
}

#[async_trait]
impl UserStore for Db {
    async fn insert(&self, user: &User) -> StoreResult<InsertUser> {
        let user = user.clone();
        let json = serde_json::to_vec(&user).expect("users serialise");
        self.write(move |txn| {
            let mut users = txn.open_table(USERS)?;
            let mut ids = txn.open_table(USER_IDS)?;
            if users.get(user.username.as_str())?.is_some() {
                return Ok(InsertUser::UsernameTaken);
            }
            if ids.get(user.user_id.as_str())?.is_some() {
                return Ok(InsertUser::UserIdTaken);
            }
            users.insert(user.username.as_str(), json.as_slice())?;
            ids.insert(user.user_id.as_str(), user.username.as_str())?;
            Ok(InsertUser::Inserted)
        })
        .await
    }

    async fn by_username(&self, username: &str) -> StoreResult<Option<User>> {
        let username = username.to_owned();
        self.read(move |txn| {
            let users = txn.open_table(USERS)?;
            let found = users.get(username.as_str())?;
            found.map(|v| decode(v.value())).transpose()
        })
        .await
    }

    async fn by_user_id(&self, user_id: &str) -> StoreResult<Option<User>> {
        let user_id = user_id.to_owned();
        self.read(move |txn| {
            let ids = txn.open_table(USER_IDS)?;
            let Some(username) = ids.get(user_id.as_str())? else {
                return Ok(None);
            };
            let users = txn.open_table(USERS)?;
            let found = users.get(username.value())?;
            found.map(|v| decode(v.value())).transpose()
        })
        .await
    }

    async fn by_usernames(&self, usernames: &[String]) -> StoreResult<Vec<User>> {
        let usernames = usernames.to_vec();
        self.read(move |txn| {
            let users = txn.open_table(USERS)?;
            let mut found: Vec<User> = Vec::new();
            for name in &usernames {
                if found.iter().any(|u| &u.username == name) {
                    continue;
                }
                if let Some(v) = users.get(name.as_str())? {
                    found.push(decode(v.value())?);
                }
            }
            Ok(found)
        })
        .await
    }
}
