//! The `ds-net` Lambda bootstrap: the web pages.
fn main() -> Result<(), lambda_http::Error> {
    deathstar_lambda::main("ds-net")
}
