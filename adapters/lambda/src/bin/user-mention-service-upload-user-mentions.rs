//! The `user-mention-service-upload-user-mentions` Lambda bootstrap.
fn main() -> Result<(), lambda_http::Error> {
    deathstar_lambda::main("user-mention-service-upload-user-mentions")
}
