//! The `compose-post-service-compose-and-upload` Lambda bootstrap.
fn main() -> Result<(), lambda_http::Error> {
    deathstar_lambda::main("compose-post-service-compose-and-upload")
}
