//! [`UserStore`] in memory: users by username, and usernames by user id.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;

use super::log::Record;
use super::{Embedded, read, write};
use crate::model::User;
use crate::store::{InsertUser, StoreResult, Taken, UserStore, order};

#[derive(Default)]
pub struct Users {
    by_username: HashMap<String, Arc<User>>,
    usernames: HashMap<String, String>,
}

impl Users {
    pub fn insert(&mut self, user: User) {
        self.usernames
            .insert(user.user_id.clone(), user.username.clone());
        self.by_username
            .insert(user.username.clone(), Arc::new(user));
    }

    /// Replaces the password of `user_id`; false if there is no such user.
    pub fn set_password(&mut self, user_id: &str, password: &str, salt: &str) -> bool {
        let Some(user) = self
            .usernames
            .get(user_id)
            .and_then(|name| self.by_username.get_mut(name))
        else {
            return false;
        };
        let user = Arc::make_mut(user);
        user.password = password.to_owned();
        user.salt = salt.to_owned();
        true
    }

    fn by_user_id(&self, user_id: &str) -> Option<&Arc<User>> {
        self.by_username.get(self.usernames.get(user_id)?)
    }
}

#[async_trait]
impl UserStore for Embedded {
    async fn insert(&self, user: &User) -> StoreResult<InsertUser> {
        let pending = {
            let mut users = write(&self.users);
            if users.by_username.contains_key(&user.username) {
                return Ok(InsertUser::UsernameTaken);
            }
            if users.usernames.contains_key(&user.user_id) {
                return Ok(InsertUser::UserIdTaken);
            }
            users.insert(user.clone());
            self.submit(&Record::User { user: user.clone() })
        };
        pending.written().await?;
        Ok(InsertUser::Inserted)
    }

    async fn by_username(&self, username: &str) -> StoreResult<Option<User>> {
        Ok(read(&self.users)
            .by_username
            .get(username)
            .map(|u| User::clone(u)))
    }

    async fn by_user_id(&self, user_id: &str) -> StoreResult<Option<User>> {
        Ok(read(&self.users)
            .by_user_id(user_id)
            .map(|u| User::clone(u)))
    }

    async fn taken(&self, username: &str, user_id: &str) -> StoreResult<Option<Taken>> {
        let users = read(&self.users);
        Ok(if users.by_username.contains_key(username) {
            Some(Taken::Username)
        } else if users.usernames.contains_key(user_id) {
            Some(Taken::UserId)
        } else {
            None
        })
    }

    async fn by_usernames(&self, usernames: &[String]) -> StoreResult<Vec<User>> {
        let users = read(&self.users);
        let known = usernames
            .iter()
            .filter_map(|name| users.by_username.get(name))
            .map(|user| User::clone(user));
        Ok(order::in_order_asked(usernames, known, |u| {
            u.username.clone()
        }))
    }

    async fn set_password(&self, user_id: &str, password: &str, salt: &str) -> StoreResult<bool> {
        let pending = {
            let mut users = write(&self.users);
            if !users.set_password(user_id, password, salt) {
                return Ok(false);
            }
            self.submit(&Record::Password {
                user_id: user_id.to_owned(),
                password: password.to_owned(),
                salt: salt.to_owned(),
            })
        };
        pending.written().await?;
        Ok(true)
    }
}
