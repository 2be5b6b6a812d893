//! The `url-shorten-service-upload-urls` Lambda bootstrap.
fn main() -> Result<(), lambda_http::Error> {
    deathstar_lambda::main("url-shorten-service-upload-urls")
}
