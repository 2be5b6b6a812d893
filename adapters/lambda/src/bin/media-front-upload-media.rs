//! The `media-front-upload-media` Lambda bootstrap.
fn main() -> Result<(), lambda_http::Error> {
    deathstar_lambda::main("media-front-upload-media")
}
