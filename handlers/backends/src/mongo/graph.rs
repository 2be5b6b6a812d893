//! [`SocialGraphStore`] on `social_graph.social_graph`:
//! `{user_id, followers: [{user_id, timestamp}], followees: [{user_id, timestamp}]}` with the
//! seed's float-seconds timestamps.
//!
//! Without transactions (FerretDB has none) an edge lives on two documents. Each side is
//! changed by one guarded single-document update (`$push` only if absent, `$pull`), so
//! repeated or concurrent follows never duplicate an edge; after changing both sides, an
//! operation re-reads the follower's side — the source of truth — and makes the followee's side
//! agree, so a follow racing an unfollow of the same pair converges.

use async_trait::async_trait;
use deathstar_handlers::model::FollowEdge;
use deathstar_handlers::store::{Follow, SocialGraphStore, StoreResult, Unfollow};
use mongodb::bson::{Bson, Document, doc};
use mongodb::options::FindOneOptions;

use super::{Mongo, is_duplicate_key, to_store};

impl Mongo {
    async fn node_exists(&self, user_id: &str) -> StoreResult<bool> {
        let options = FindOneOptions::builder()
            .projection(doc! {"_id": 1})
            .build();
        let found = self
            .social_graph
            .find_one(doc! {"user_id": user_id})
            .with_options(options)
            .await
            .map_err(to_store)?;
        Ok(found.is_some())
    }

    /// Whether `user_id` follows `followee_id` according to `user_id`'s own node.
    async fn follows(&self, user_id: &str, followee_id: &str) -> StoreResult<bool> {
        let filter = doc! {"user_id": user_id, "followees.user_id": followee_id};
        let options = FindOneOptions::builder()
            .projection(doc! {"_id": 1})
            .build();
        let found = self
            .social_graph
            .find_one(filter)
            .with_options(options)
            .await
            .map_err(to_store)?;
        Ok(found.is_some())
    }

    /// Appends `{user_id: other, timestamp}` to `list` of `owner` unless `other` is in it.
    /// Returns whether it was appended.
    async fn push_edge(
        &self,
        owner: &str,
        list: &str,
        other: &str,
        secs: f64,
    ) -> StoreResult<bool> {
        let filter = doc! {"user_id": owner, format!("{list}.user_id"): {"$ne": other}};
        let update = doc! {"$push": {list: {"user_id": other, "timestamp": secs}}};
        let result = self
            .social_graph
            .update_one(filter, update)
            .await
            .map_err(to_store)?;
        Ok(result.modified_count == 1)
    }

    async fn pull_edge(&self, owner: &str, list: &str, other: &str) -> StoreResult<bool> {
        let update = doc! {"$pull": {list: {"user_id": other}}};
        let result = self
            .social_graph
            .update_one(doc! {"user_id": owner}, update)
            .await
            .map_err(to_store)?;
        Ok(result.modified_count == 1)
    }

    /// Makes the followee's side of the edge match the follower's side.
    async fn reconcile(&self, user_id: &str, followee_id: &str, secs: f64) -> StoreResult<()> {
        if self.follows(user_id, followee_id).await? {
            self.push_edge(followee_id, "followers", user_id, secs)
                .await?;
        } else {
            self.pull_edge(followee_id, "followers", user_id).await?;
        }
        Ok(())
    }

    async fn edges(&self, user_id: &str, list: &str) -> StoreResult<Option<Vec<FollowEdge>>> {
        let options = FindOneOptions::builder().projection(doc! {list: 1}).build();
        let found = self
            .social_graph
            .find_one(doc! {"user_id": user_id})
            .with_options(options)
            .await
            .map_err(to_store)?;
        let Some(node) = found else {
            return Ok(None);
        };
        let mut edges: Vec<FollowEdge> = node
            .get_array(list)
            .map(|a| a.iter().filter_map(edge).collect())
            .unwrap_or_default();
        edges.sort_by_key(|e| e.timestamp);
        Ok(Some(edges))
    }
}

fn edge(value: &Bson) -> Option<FollowEdge> {
    let entry: &Document = value.as_document()?;
    let seconds = match entry.get("timestamp")? {
        Bson::Double(s) => *s,
        Bson::Int64(s) => *s as f64,
        Bson::Int32(s) => f64::from(*s),
        _ => return None,
    };
    Some(FollowEdge {
        user_id: entry.get_str("user_id").ok()?.to_owned(),
        timestamp: (seconds * 1000.0).round() as u64,
    })
}

#[async_trait]
impl SocialGraphStore for Mongo {
    async fn insert_user(&self, user_id: &str) -> StoreResult<bool> {
        let node = doc! {"user_id": user_id, "followers": [], "followees": []};
        match self.social_graph.insert_one(node).await {
            Ok(_) => Ok(true),
            Err(e) if is_duplicate_key(&e) => Ok(false),
            Err(e) => Err(to_store(e)),
        }
    }

    async fn contains(&self, user_id: &str) -> StoreResult<bool> {
        self.node_exists(user_id).await
    }

    async fn follow(
        &self,
        user_id: &str,
        followee_id: &str,
        timestamp: u64,
    ) -> StoreResult<Follow> {
        if !self.node_exists(followee_id).await? {
            return Ok(Follow::UnknownFollowee);
        }
        let secs = timestamp as f64 / 1000.0;
        if !self
            .push_edge(user_id, "followees", followee_id, secs)
            .await?
        {
            // Nothing appended: either there is no such user, or the edge was already there.
            if !self.node_exists(user_id).await? {
                return Ok(Follow::UnknownUser);
            }
            self.reconcile(user_id, followee_id, secs).await?;
            return Ok(Follow::AlreadyFollowing);
        }
        self.push_edge(followee_id, "followers", user_id, secs)
            .await?;
        self.reconcile(user_id, followee_id, secs).await?;
        Ok(Follow::Followed)
    }

    async fn unfollow(&self, user_id: &str, followee_id: &str) -> StoreResult<Unfollow> {
        if !self.node_exists(followee_id).await? {
            return Ok(Unfollow::UnknownFollowee);
        }
        if !self.pull_edge(user_id, "followees", followee_id).await? {
            if !self.node_exists(user_id).await? {
                return Ok(Unfollow::UnknownUser);
            }
            self.pull_edge(followee_id, "followers", user_id).await?;
            return Ok(Unfollow::NotFollowing);
        }
        self.pull_edge(followee_id, "followers", user_id).await?;
        let now = deathstar_handlers::ids::now_ms() as f64 / 1000.0;
        self.reconcile(user_id, followee_id, now).await?;
        Ok(Unfollow::Unfollowed)
    }

    async fn followers(&self, user_id: &str) -> StoreResult<Option<Vec<FollowEdge>>> {
        self.edges(user_id, "followers").await
    }

    async fn followees(&self, user_id: &str) -> StoreResult<Option<Vec<FollowEdge>>> {
        self.edges(user_id, "followees").await
    }
}
