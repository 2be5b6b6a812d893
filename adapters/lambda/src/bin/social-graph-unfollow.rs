//! The `social-graph-unfollow` Lambda bootstrap.
fn main() -> Result<(), lambda_http::Error> {
    deathstar_lambda::main("social-graph-unfollow")
}
