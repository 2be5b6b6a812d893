//! The `social-graph-follow` Lambda bootstrap.
fn main() -> Result<(), lambda_http::Error> {
    deathstar_lambda::main("social-graph-follow")
}
