//! The `social-graph-get-followers` Lambda bootstrap.
fn main() -> Result<(), lambda_http::Error> {
    deathstar_lambda::main("social-graph-get-followers")
}
