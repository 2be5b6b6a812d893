//! The `post-storage-service-read-posts` Lambda bootstrap.
fn main() -> Result<(), lambda_http::Error> {
    deathstar_lambda::main("post-storage-service-read-posts")
}
