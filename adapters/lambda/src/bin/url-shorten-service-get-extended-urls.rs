//! The `url-shorten-service-get-extended-urls` Lambda bootstrap.
fn main() -> Result<(), lambda_http::Error> {
    deathstar_lambda::main("url-shorten-service-get-extended-urls")
}
