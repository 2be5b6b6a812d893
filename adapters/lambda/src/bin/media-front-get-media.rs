//! The `media-front-get-media` Lambda bootstrap.
fn main() -> Result<(), lambda_http::Error> {
    deathstar_lambda::main("media-front-get-media")
}
