//! [`SocialGraphStore`] in memory: each node with its followers and followees, both ends of an
//! edge changed under one lock so that they always agree.

use std::collections::HashMap;

use async_trait::async_trait;
use indexmap::IndexMap;

use super::log::Record;
use super::{Embedded, read, write};
use crate::model::FollowEdge;
use crate::store::{Follow, SocialGraphStore, StoreResult, Unfollow};

#[derive(Default)]
pub struct Graph {
    nodes: HashMap<String, Node>,
}

/// One user's edges: the other end's id → follow time (ms), in the order they were made
/// (milliseconds tie; the order of the follows does not).
#[derive(Default)]
struct Node {
    followers: IndexMap<String, u64>,
    followees: IndexMap<String, u64>,
}

impl Graph {
    /// False if the node exists.
    pub fn insert_node(&mut self, user_id: String) -> bool {
        let new = !self.nodes.contains_key(&user_id);
        self.nodes.entry(user_id).or_default();
        new
    }

    pub fn add_edge(&mut self, user_id: &str, followee_id: &str, timestamp: u64) {
        if let Some(user) = self.nodes.get_mut(user_id) {
            user.followees.insert(followee_id.to_owned(), timestamp);
        }
        if let Some(followee) = self.nodes.get_mut(followee_id) {
            followee.followers.insert(user_id.to_owned(), timestamp);
        }
    }

    pub fn remove_edge(&mut self, user_id: &str, followee_id: &str) {
        if let Some(user) = self.nodes.get_mut(user_id) {
            user.followees.shift_remove(followee_id);
        }
        if let Some(followee) = self.nodes.get_mut(followee_id) {
            followee.followers.shift_remove(user_id);
        }
    }

    fn following(&self, user_id: &str, followee_id: &str) -> bool {
        self.nodes
            .get(user_id)
            .is_some_and(|n| n.followees.contains_key(followee_id))
    }
}

/// Edges oldest first.
fn listing(edges: &IndexMap<String, u64>) -> Vec<FollowEdge> {
    edges
        .iter()
        .map(|(user_id, &timestamp)| FollowEdge {
            user_id: user_id.clone(),
            timestamp,
        })
        .collect()
}

#[async_trait]
impl SocialGraphStore for Embedded {
    async fn insert_user(&self, user_id: &str) -> StoreResult<bool> {
        let pending = {
            let mut graph = write(&self.graph);
            if !graph.insert_node(user_id.to_owned()) {
                return Ok(false);
            }
            self.submit(&Record::Node {
                user_id: user_id.to_owned(),
            })
        };
        pending.written().await?;
        Ok(true)
    }

    async fn contains(&self, user_id: &str) -> StoreResult<bool> {
        Ok(read(&self.graph).nodes.contains_key(user_id))
    }

    async fn contains_many(&self, user_ids: &[String]) -> StoreResult<Vec<bool>> {
        let graph = read(&self.graph);
        Ok(user_ids
            .iter()
            .map(|id| graph.nodes.contains_key(id))
            .collect())
    }

    async fn follow(
        &self,
        user_id: &str,
        followee_id: &str,
        timestamp: u64,
    ) -> StoreResult<Follow> {
        let pending = {
            let mut graph = write(&self.graph);
            if !graph.nodes.contains_key(user_id) {
                return Ok(Follow::UnknownUser);
            }
            if !graph.nodes.contains_key(followee_id) {
                return Ok(Follow::UnknownFollowee);
            }
            if graph.following(user_id, followee_id) {
                return Ok(Follow::AlreadyFollowing);
            }
            graph.add_edge(user_id, followee_id, timestamp);
            // Under the lock: a follow and an unfollow of one edge replay in the order made.
            self.submit(&Record::Follow {
                user_id: user_id.to_owned(),
                followee_id: followee_id.to_owned(),
                timestamp,
            })
        };
        pending.written().await?;
        Ok(Follow::Followed)
    }

    async fn unfollow(&self, user_id: &str, followee_id: &str) -> StoreResult<Unfollow> {
        let pending = {
            let mut graph = write(&self.graph);
            if !graph.nodes.contains_key(user_id) {
                return Ok(Unfollow::UnknownUser);
            }
            if !graph.nodes.contains_key(followee_id) {
                return Ok(Unfollow::UnknownFollowee);
            }
            if !graph.following(user_id, followee_id) {
                return Ok(Unfollow::NotFollowing);
            }
            graph.remove_edge(user_id, followee_id);
            self.submit(&Record::Unfollow {
                user_id: user_id.to_owned(),
                followee_id: followee_id.to_owned(),
            })
        };
        pending.written().await?;
        Ok(Unfollow::Unfollowed)
    }

    async fn followers(&self, user_id: &str) -> StoreResult<Option<Vec<FollowEdge>>> {
        Ok(read(&self.graph)
            .nodes
            .get(user_id)
            .map(|n| listing(&n.followers)))
    }

    async fn followees(&self, user_id: &str) -> StoreResult<Option<Vec<FollowEdge>>> {
        Ok(read(&self.graph)
            .nodes
            .get(user_id)
            .map(|n| listing(&n.followees)))
    }
}
