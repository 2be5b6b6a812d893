//! The `user-service-upload-creator-with-username` Lambda bootstrap.
fn main() -> Result<(), lambda_http::Error> {
    deathstar_lambda::main("user-service-upload-creator-with-username")
}
