//! The `compose-post-frontend` Lambda bootstrap.
fn main() -> Result<(), lambda_http::Error> {
    deathstar_lambda::main("compose-post-frontend")
}
