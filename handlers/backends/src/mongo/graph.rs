//! [`SocialGraphStore`] on MongoDB: one node document per user in `social_graph.social_graph`
//! (`{user_id}`), and one document per edge in `social_graph.follows`
//! (`{user_id, followee_id, timestamp}`, the seed's float-seconds timestamp), unique on the pair.
//!
//! The seed kept each edge twice, in `followers` and `followees` arrays of both nodes. Two
//! documents cannot change together without transactions, which FerretDB lacks; and on
//! FerretDB v1 (SQLite) concurrent `$push`es to one document lose updates and `$ne` on an array
//! field matches when any element differs (both measured, see the README). One document per
//! edge is symmetric by construction: follow is one insert, unfollow one delete, and the unique
//! index makes a repeated follow a no-op, on MongoDB and FerretDB alike.

use std::collections::HashSet;

use async_trait::async_trait;
use deathstar_handlers::model::FollowEdge;
use deathstar_handlers::store::{Follow, SocialGraphStore, StoreResult, Unfollow};
use futures::TryStreamExt;
use mongodb::bson::{Bson, Document, doc};
use mongodb::options::FindOneOptions;

use super::{Mongo, at_most, attempt, in_one_batch, is_duplicate_key, run, to_store};

impl Mongo {
    async fn node_exists(&self, user_id: &str) -> StoreResult<bool> {
        let options = FindOneOptions::builder()
            .projection(doc! {"_id": 1})
            .build();
        let nodes = self.social_graph.clone();
        let filter = doc! {"user_id": user_id};
        let found = run(self.timeout, async move {
            nodes.find_one(filter).with_options(options).await
        })
        .await?;
        Ok(found.is_some())
    }

    /// Which of `user_ids` have a node: one query, however many are asked.
    async fn existing_nodes(&self, user_ids: &[&str]) -> StoreResult<HashSet<String>> {
        let nodes = self.social_graph.clone();
        let filter = doc! {"user_id": {"$in": user_ids}};
        let most = user_ids.len();
        let documents: Vec<Document> = run(self.timeout, async move {
            let find = nodes.find(filter).projection(doc! {"_id": 0, "user_id": 1});
            at_most(find, most).await?.try_collect().await
        })
        .await?;
        Ok(documents
            .iter()
            .filter_map(|d| d.get_str("user_id").ok().map(str::to_owned))
            .collect())
    }

    /// Which of the two nodes is missing, if any.
    async fn missing_node(&self, user_id: &str, followee_id: &str) -> StoreResult<Option<bool>> {
        let existing = self.existing_nodes(&[user_id, followee_id]).await?;
        Ok(
            match (existing.contains(user_id), existing.contains(followee_id)) {
                (false, _) => Some(true),
                (true, false) => Some(false),
                (true, true) => None,
            },
        )
    }

    /// The edges where `field` is `user_id`, oldest first, each seen from the other end.
    async fn edges(
        &self,
        user_id: &str,
        field: &str,
        other: &str,
    ) -> StoreResult<Option<Vec<FollowEdge>>> {
        let follows = self.follows.clone();
        let (filter, sort) = (doc! {field: user_id}, doc! {"timestamp": 1, other: 1});
        let documents: Vec<Document> = run(self.timeout, async move {
            let find = follows.find(filter).sort(sort);
            in_one_batch(find).await?.try_collect().await
        })
        .await?;
        // An edge is written only once both its nodes exist (`follow` checks) and nodes are
        // never removed: edges prove the node, and only a user with none needs the lookup.
        if documents.is_empty() && !self.node_exists(user_id).await? {
            return Ok(None);
        }
        Ok(Some(
            documents.iter().filter_map(|d| edge(d, other)).collect(),
        ))
    }
}

fn edge(document: &Document, other: &str) -> Option<FollowEdge> {
    let seconds = match document.get("timestamp")? {
        Bson::Double(s) => *s,
        Bson::Int64(s) => *s as f64,
        Bson::Int32(s) => f64::from(*s),
        _ => return None,
    };
    Some(FollowEdge {
        user_id: document.get_str(other).ok()?.to_owned(),
        timestamp: (seconds * 1000.0).round() as u64,
    })
}

#[async_trait]
impl SocialGraphStore for Mongo {
    async fn insert_user(&self, user_id: &str) -> StoreResult<bool> {
        let nodes = self.social_graph.clone();
        let node = doc! {"user_id": user_id};
        match attempt(self.timeout, async move { nodes.insert_one(node).await }).await? {
            Ok(_) => Ok(true),
            Err(e) if is_duplicate_key(&e) => Ok(false),
            Err(e) => Err(to_store(e)),
        }
    }

    async fn contains(&self, user_id: &str) -> StoreResult<bool> {
        self.node_exists(user_id).await
    }

    async fn contains_many(&self, user_ids: &[String]) -> StoreResult<Vec<bool>> {
        if user_ids.is_empty() {
            return Ok(Vec::new());
        }
        let asked: Vec<&str> = user_ids.iter().map(String::as_str).collect();
        let existing = self.existing_nodes(&asked).await?;
        Ok(user_ids.iter().map(|id| existing.contains(id)).collect())
    }

    async fn follow(
        &self,
        user_id: &str,
        followee_id: &str,
        timestamp: u64,
    ) -> StoreResult<Follow> {
        match self.missing_node(user_id, followee_id).await? {
            Some(true) => return Ok(Follow::UnknownUser),
            Some(false) => return Ok(Follow::UnknownFollowee),
            None => {}
        }
        let edge = doc! {
            "user_id": user_id,
            "followee_id": followee_id,
            "timestamp": timestamp as f64 / 1000.0,
        };
        let follows = self.follows.clone();
        match attempt(self.timeout, async move { follows.insert_one(edge).await }).await? {
            Ok(_) => Ok(Follow::Followed),
            Err(e) if is_duplicate_key(&e) => Ok(Follow::AlreadyFollowing),
            Err(e) => Err(to_store(e)),
        }
    }

    async fn unfollow(&self, user_id: &str, followee_id: &str) -> StoreResult<Unfollow> {
        match self.missing_node(user_id, followee_id).await? {
            Some(true) => return Ok(Unfollow::UnknownUser),
            Some(false) => return Ok(Unfollow::UnknownFollowee),
            None => {}
        }
        let follows = self.follows.clone();
        let filter = doc! {"user_id": user_id, "followee_id": followee_id};
        let deleted = run(
            self.timeout,
            async move { follows.delete_one(filter).await },
        )
        .await?;
        Ok(if deleted.deleted_count == 1 {
            Unfollow::Unfollowed
        } else {
            Unfollow::NotFollowing
        })
    }

    async fn followers(&self, user_id: &str) -> StoreResult<Option<Vec<FollowEdge>>> {
        self.edges(user_id, "followee_id", "user_id").await
    }

    async fn followees(&self, user_id: &str) -> StoreResult<Option<Vec<FollowEdge>>> {
        self.edges(user_id, "user_id", "followee_id").await
    }
}
