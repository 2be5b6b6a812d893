//! The `user-service-get-users` Lambda bootstrap.
fn main() -> Result<(), lambda_http::Error> {
    deathstar_lambda::main("user-service-get-users")
}
