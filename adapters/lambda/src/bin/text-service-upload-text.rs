//! The `text-service-upload-text` Lambda bootstrap.
fn main() -> Result<(), lambda_http::Error> {
    deathstar_lambda::main("text-service-upload-text")
}
