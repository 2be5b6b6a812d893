//! [`SocialGraphStore`] on redb: a node set and two edge tables keyed `(user, other)`, written
//! together in one transaction so that followers and followees always agree.

use async_trait::async_trait;
use redb::{ReadTransaction, ReadableTable, TableDefinition};

use super::{Db, FOLLOWEES, FOLLOWERS, GRAPH_NODES};
use crate::model::FollowEdge;
use crate::store::{Follow, SocialGraphStore, StoreResult, Unfollow};

type Edges = TableDefinition<'static, (&'static str, &'static str), u64>;

/// The edges of `user_id` in `table`, oldest first; `None` if there is no such node.
fn edges(
    txn: &ReadTransaction,
    table: Edges,
    user_id: &str,
) -> Result<Option<Vec<FollowEdge>>, redb::Error> {
    if txn.open_table(GRAPH_NODES)?.get(user_id)?.is_none() {
        return Ok(None);
    }
    let table = txn.open_table(table)?;
    let mut edges = Vec::new();
    for entry in table.range((user_id, "")..)? {
        let (key, timestamp) = entry?;
        let (owner, other) = key.value();
        if owner != user_id {
            break;
        }
        edges.push(FollowEdge {
            user_id: other.to_owned(),
            timestamp: timestamp.value(),
        });
    }
    // Stable: ties keep id order, so the listing is deterministic.
    edges.sort_by_key(|e| e.timestamp);
    Ok(Some(edges))
}

#[async_trait]
impl SocialGraphStore for Db {
    async fn insert_user(&self, user_id: &str) -> StoreResult<bool> {
        let user_id = user_id.to_owned();
        self.write(move |txn| {
            let mut nodes = txn.open_table(GRAPH_NODES)?;
            Ok(nodes.insert(user_id.as_str(), ())?.is_none())
        })
        .await
    }

    async fn contains(&self, user_id: &str) -> StoreResult<bool> {
        let user_id = user_id.to_owned();
        self.read(move |txn| {
            Ok(txn
                .open_table(GRAPH_NODES)?
                .get(user_id.as_str())?
                .is_some())
        })
        .await
    }

    async fn follow(
        &self,
        user_id: &str,
        followee_id: &str,
        timestamp: u64,
    ) -> StoreResult<Follow> {
        let (user, followee) = (user_id.to_owned(), followee_id.to_owned());
        self.write(move |txn| {
            let nodes = txn.open_table(GRAPH_NODES)?;
            if nodes.get(user.as_str())?.is_none() {
                return Ok(Follow::UnknownUser);
            }
            if nodes.get(followee.as_str())?.is_none() {
                return Ok(Follow::UnknownFollowee);
            }
            let mut followees = txn.open_table(FOLLOWEES)?;
            if followees.get((user.as_str(), followee.as_str()))?.is_some() {
                return Ok(Follow::AlreadyFollowing);
            }
            followees.insert((user.as_str(), followee.as_str()), timestamp)?;
            txn.open_table(FOLLOWERS)?
                .insert((followee.as_str(), user.as_str()), timestamp)?;
            Ok(Follow::Followed)
        })
        .await
    }

    async fn unfollow(&self, user_id: &str, followee_id: &str) -> StoreResult<Unfollow> {
        let (user, followee) = (user_id.to_owned(), followee_id.to_owned());
        self.write(move |txn| {
            let nodes = txn.open_table(GRAPH_NODES)?;
            if nodes.get(user.as_str())?.is_none() {
                return Ok(Unfollow::UnknownUser);
            }
            if nodes.get(followee.as_str())?.is_none() {
                return Ok(Unfollow::UnknownFollowee);
            }
            let mut followees = txn.open_table(FOLLOWEES)?;
            if followees
                .remove((user.as_str(), followee.as_str()))?
                .is_none()
            {
                return Ok(Unfollow::NotFollowing);
            }
            txn.open_table(FOLLOWERS)?
                .remove((followee.as_str(), user.as_str()))?;
            Ok(Unfollow::Unfollowed)
        })
        .await
    }

    async fn followers(&self, user_id: &str) -> StoreResult<Option<Vec<FollowEdge>>> {
        let user_id = user_id.to_owned();
        self.read(move |txn| edges(txn, FOLLOWERS, &user_id)).await
    }

    async fn followees(&self, user_id: &str) -> StoreResult<Option<Vec<FollowEdge>>> {
        let user_id = user_id.to_owned();
        self.read(move |txn| edges(txn, FOLLOWEES, &user_id)).await
    }
}
