//! [`UserStore`] on `users.users`: `{username, first_name, last_name, password, salt, user_id}`,
//! unique on `username` and on `user_id` — the unique indexes make insertion atomic.

use async_trait::async_trait;
use deathstar_handlers::model::User;
use deathstar_handlers::store::{InsertUser, StoreError, StoreResult, Taken, UserStore, order};
use futures::TryStreamExt;
use mongodb::bson::{Document, doc, from_document, to_document};

use super::{Mongo, at_most, attempt, is_duplicate_key, run, to_store};

fn decode(document: Document) -> StoreResult<User> {
    from_document(document).map_err(|e| StoreError::Internal(format!("user document: {e}")))
}

impl Mongo {
    async fn find_user(&self, filter: Document) -> StoreResult<Option<User>> {
        let users = self.users.clone();
        let found = run(self.timeout, async move { users.find_one(filter).await }).await?;
        found.map(decode).transpose()
    }
}

#[async_trait]
impl UserStore for Mongo {
    async fn insert(&self, user: &User) -> StoreResult<InsertUser> {
        let document = to_document(user).map_err(|e| StoreError::Internal(e.to_string()))?;
        let users = self.users.clone();
        match attempt(
            self.timeout,
            async move { users.insert_one(document).await },
        )
        .await?
        {
            Ok(_) => Ok(InsertUser::Inserted),
            Err(e) if is_duplicate_key(&e) => {
                // Which key clashed: the driver's message names the index, but asking is
                // portable across servers.
                if self.by_username(&user.username).await?.is_some() {
                    Ok(InsertUser::UsernameTaken)
                } else {
                    Ok(InsertUser::UserIdTaken)
                }
            }
            Err(e) => Err(to_store(e)),
        }
    }

    async fn by_username(&self, username: &str) -> StoreResult<Option<User>> {
        self.find_user(doc! {"username": username}).await
    }

    async fn by_user_id(&self, user_id: &str) -> StoreResult<Option<User>> {
        self.find_user(doc! {"user_id": user_id}).await
    }

    async fn taken(&self, username: &str, user_id: &str) -> StoreResult<Option<Taken>> {
        let users = self.users.clone();
        let filter = doc! {"$or": [{"username": username}, {"user_id": user_id}]};
        // Each key is unique: at most one user holds each.
        let documents: Vec<Document> = run(self.timeout, async move {
            let find = users
                .find(filter)
                .projection(doc! {"_id": 0, "username": 1});
            at_most(find, 2).await?.try_collect().await
        })
        .await?;
        Ok(if documents.is_empty() {
            None
        } else if documents
            .iter()
            .any(|d| d.get_str("username") == Ok(username))
        {
            Some(Taken::Username)
        } else {
            Some(Taken::UserId)
        })
    }

    async fn by_usernames(&self, usernames: &[String]) -> StoreResult<Vec<User>> {
        if usernames.is_empty() {
            return Ok(Vec::new());
        }
        let users = self.users.clone();
        let filter = doc! {"username": {"$in": usernames}};
        let most = usernames.len();
        let documents: Vec<Document> = run(self.timeout, async move {
            at_most(users.find(filter), most).await?.try_collect().await
        })
        .await?;
        let users = documents
            .into_iter()
            .map(decode)
            .collect::<StoreResult<Vec<User>>>()?;
        // The server returns its own order.
        Ok(order::in_order_asked(usernames, users, |u| {
            u.username.clone()
        }))
    }

    async fn set_password(&self, user_id: &str, password: &str, salt: &str) -> StoreResult<bool> {
        let users = self.users.clone();
        let filter = doc! {"user_id": user_id};
        let update = doc! {"$set": {"password": password, "salt": salt}};
        let result = run(self.timeout, async move {
            users.update_one(filter, update).await
        })
        .await?;
        Ok(result.matched_count == 1)
    }
}
