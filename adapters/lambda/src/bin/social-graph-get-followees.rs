//! The `social-graph-get-followees` Lambda bootstrap.
fn main() -> Result<(), lambda_http::Error> {
    deathstar_lambda::main("social-graph-get-followees")
}
