//! The `register-user-with-id` Lambda bootstrap.
fn main() -> Result<(), lambda_http::Error> {
    deathstar_lambda::main("register-user-with-id")
}
