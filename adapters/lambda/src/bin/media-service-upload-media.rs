//! The `media-service-upload-media` Lambda bootstrap.
fn main() -> Result<(), lambda_http::Error> {
    deathstar_lambda::main("media-service-upload-media")
}
