//! The `post-storage-service-store-post` Lambda bootstrap.
fn main() -> Result<(), lambda_http::Error> {
    deathstar_lambda::main("post-storage-service-store-post")
}
