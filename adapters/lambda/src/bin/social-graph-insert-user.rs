//! The `social-graph-insert-user` Lambda bootstrap.
fn main() -> Result<(), lambda_http::Error> {
    deathstar_lambda::main("social-graph-insert-user")
}
