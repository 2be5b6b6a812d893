//! [`UserStore`] on `users.users`: `{username, first_name, last_name, password, salt, user_id}`,
//! unique on `username` and on `user_id` — the unique indexes make insertion atomic.

use async_trait::async_trait;
use deathstar_handlers::model::User;
use deathstar_handlers::store::{InsertUser, StoreError, StoreResult, UserStore};
use futures::TryStreamExt;
use mongodb::bson::{Document, doc, from_document, to_document};

use super::{Mongo, is_duplicate_key, to_store};

fn decode(document: Document) -> StoreResult<User> {
    from_document(document).map_err(|e| StoreError::Internal(format!("user document: {e}")))
}

#[async_trait]
impl UserStore for Mongo {
    async fn insert(&self, user: &User) -> StoreResult<InsertUser> {
        let document = to_document(user).map_err(|e| StoreError::Internal(e.to_string()))?;
        match self.users.insert_one(document).await {
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
        let found = self.users.find_one(doc! {"username": username}).await;
        found.map_err(to_store)?.map(decode).transpose()
    }

    async fn by_user_id(&self, user_id: &str) -> StoreResult<Option<User>> {
        let found = self.users.find_one(doc! {"user_id": user_id}).await;
        found.map_err(to_store)?.map(decode).transpose()
    }

    async fn by_usernames(&self, usernames: &[String]) -> StoreResult<Vec<User>> {
        if usernames.is_empty() {
            return Ok(Vec::new());
        }
        let cursor = self
            .users
            .find(doc! {"username": {"$in": usernames}})
            .await
            .map_err(to_store)?;
        let documents: Vec<Document> = cursor.try_collect().await.map_err(to_store)?;
        let mut users = documents
            .into_iter()
            .map(decode)
            .collect::<StoreResult<Vec<User>>>()?;
        // In the order asked, as the trait promises (the server returns its own order).
        users.sort_by_key(|u| usernames.iter().position(|n| n == &u.username));
        Ok(users)
    }
}
