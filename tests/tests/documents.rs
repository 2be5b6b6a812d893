//! What the MongoDB and Redis backends write, read back with the drivers: the seed's field
//! names and types, so that data written here is readable by the original's tools. Runs where
//! the suite has MongoDB and Redis (see `deathstar_tests::Backend`).

use deathstar_tests::{Backend, Net};
use mongodb::bson::{Bson, Document, doc};
use serde_json::json;

/// The one document of `db.<namespace><collection>` matching `filter`.
async fn document(
    client: &mongodb::Client,
    namespace: &str,
    (db, collection): (&str, &str),
    filter: Document,
) -> Document {
    client
        .database(db)
        .collection::<Document>(&format!("{namespace}{collection}"))
        .find_one(filter.clone())
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no {db}.{collection} document matches {filter}"))
}

/// The field names of `d` with the BSON type of each, `_id` left out.
fn shape(d: &Document) -> Vec<(String, &'static str)> {
    let mut fields: Vec<(String, &'static str)> = d
        .iter()
        .filter(|(k, _)| k.as_str() != "_id")
        .map(|(k, v)| (k.clone(), type_name(v)))
        .collect();
    fields.sort();
    fields
}

fn type_name(v: &Bson) -> &'static str {
    match v {
        Bson::String(_) => "string",
        Bson::Int32(_) | Bson::Int64(_) => "int",
        Bson::Double(_) => "double",
        Bson::Document(_) => "object",
        Bson::Array(_) => "array",
        Bson::Binary(_) => "binary",
        Bson::ObjectId(_) => "objectId",
        _ => "other",
    }
}

fn fields(pairs: &[(&str, &'static str)]) -> Vec<(String, &'static str)> {
    let mut fields: Vec<(String, &'static str)> =
        pairs.iter().map(|(k, t)| (k.to_string(), *t)).collect();
    fields.sort();
    fields
}

#[tokio::test]
async fn stored_documents_keep_the_seeds_formats() {
    let Some(config) = Backend::MongoRedis.config() else {
        return;
    };
    let namespace = config.namespace.clone();
    let client = mongodb::Client::with_uri_str(config.mongo_uri.as_deref().unwrap())
        .await
        .unwrap();
    let net = Net::in_process_on(config.clone()).await;
    let alice = net.register("alice").await;
    let bob = net.register("bob").await;
    net.follow(&bob, &alice).await;
    let media = net
        .ok(
            "media-front-upload-media",
            json!({"filename": "a.png", "file": "iVBORw0KGgo="}),
        )
        .await;
    let composed = net
        .ok(
            "compose-post-frontend",
            json!({
                "user_id": alice, "username": "alice", "post_type": 0,
                "text": "hi @bob http://example.com/x",
                "media_ids": [media["media_id"]], "media_types": ["png"],
            }),
        )
        .await;
    let post_id = composed["post_id"].as_str().unwrap();
    let timestamp_ms = composed["post"]["timestamp"].as_u64().unwrap();

    // users.users: the seed's user document; the password an Argon2id PHC string (holding its
    // own salt, so `salt` is empty) where the seed had hex SHA-256 and a 32-character salt.
    let user = document(
        &client,
        &namespace,
        ("users", "users"),
        doc! {"user_id": &alice},
    )
    .await;
    let string = "string";
    assert_eq!(
        shape(&user),
        fields(&[
            ("username", string),
            ("first_name", string),
            ("last_name", string),
            ("password", string),
            ("salt", string),
            ("user_id", string),
        ])
    );
    let password = user.get_str("password").unwrap();
    assert!(password.starts_with("$argon2id$v=19$"), "{password}");
    assert_eq!(user.get_str("salt").unwrap(), "");

    // post.post: every field of the seed's post, plus what the seed's shape cannot hold.
    let post = document(
        &client,
        &namespace,
        ("post", "post"),
        doc! {"post_id": post_id},
    )
    .await;
    assert_eq!(
        shape(&post),
        fields(&[
            ("req_id", string),
            ("post_id", string),
            ("creator", "object"),
            ("text", string),
            ("timestamp", "int"),
            ("media", "object"),
            ("urls", "array"),
            ("user_mentions", "array"),
            ("timestamp_ms", "int"),
            ("media_list", "array"),
            ("post_type", "int"),
        ])
    );
    let creator = post.get_document("creator").unwrap();
    assert_eq!(
        shape(creator),
        fields(&[("user_id", string), ("username", string)])
    );
    assert_eq!(
        post.get_i64("timestamp").unwrap(),
        (timestamp_ms / 1000) as i64,
        "seconds"
    );
    let first_media = post.get_document("media").unwrap();
    assert_eq!(
        shape(first_media),
        fields(&[("media_id", string), ("media_type", string)])
    );
    let url = post.get_array("urls").unwrap()[0]
        .as_document()
        .unwrap()
        .clone();
    assert_eq!(
        shape(&url),
        fields(&[("expanded_url", string), ("shortened_url", string)])
    );
    let mention = post.get_array("user_mentions").unwrap()[0]
        .as_document()
        .unwrap()
        .clone();
    assert_eq!(
        shape(&mention),
        fields(&[("user_id", string), ("username", string)])
    );

    // url_shorten.url_shorten
    let short = url.get_str("shortened_url").unwrap();
    let stored = document(
        &client,
        &namespace,
        ("url_shorten", "url_shorten"),
        doc! {"shortened_url": short},
    )
    .await;
    assert_eq!(
        shape(&stored),
        fields(&[("expanded_url", string), ("shortened_url", string)])
    );

    // social_graph: a node per user, an edge per follow with the seed's float seconds.
    let node = document(
        &client,
        &namespace,
        ("social_graph", "social_graph"),
        doc! {"user_id": &alice},
    )
    .await;
    assert_eq!(shape(&node), fields(&[("user_id", string)]));
    let edge = document(
        &client,
        &namespace,
        ("social_graph", "follows"),
        doc! {"user_id": &bob},
    )
    .await;
    assert_eq!(
        shape(&edge),
        fields(&[
            ("user_id", string),
            ("followee_id", string),
            ("timestamp", "double")
        ])
    );
    assert_eq!(edge.get_str("followee_id").unwrap(), alice);

    // Timelines: one entry per document, seconds as in the seed plus milliseconds.
    let entry_shape = fields(&[
        ("user_id", string),
        ("post_id", string),
        ("timestamp", "int"),
        ("timestamp_ms", "int"),
    ]);
    let entry = document(
        &client,
        &namespace,
        ("user_timeline", "user_timeline"),
        doc! {"user_id": &alice},
    )
    .await;
    assert_eq!(shape(&entry), entry_shape);
    let entry = document(
        &client,
        &namespace,
        ("home_timeline", "home_timeline"),
        doc! {"user_id": &bob},
    )
    .await;
    assert_eq!(shape(&entry), entry_shape);

    // media.media: DeathStarBench's media-frontend document, plus the fields to serve it.
    let media_id = media["media_id"].as_str().unwrap();
    let file = document(
        &client,
        &namespace,
        ("media", "media"),
        doc! {"media_id": media_id},
    )
    .await;
    assert_eq!(file.get_str("filename").unwrap(), format!("{media_id}.png"));
    assert!(matches!(file.get("file"), Some(Bson::Binary(_))));

    // Redis: the user timeline under the seed's key (the bare user id), scored by time.
    let redis = redis::Client::open(format!(
        "redis://{}:{}/",
        config.redis_server.as_deref().unwrap(),
        config.redis_port.unwrap_or(6379)
    ))
    .unwrap();
    let mut connection = redis.get_multiplexed_async_connection().await.unwrap();
    let score: Option<f64> = redis::cmd("ZSCORE")
        .arg(format!("{namespace}{alice}"))
        .arg(post_id)
        .query_async(&mut connection)
        .await
        .unwrap();
    assert_eq!(score, Some(timestamp_ms as f64));
}
