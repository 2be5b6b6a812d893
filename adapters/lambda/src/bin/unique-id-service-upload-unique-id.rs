//! The `unique-id-service-upload-unique-id` Lambda bootstrap.
fn main() -> Result<(), lambda_http::Error> {
    deathstar_lambda::main("unique-id-service-upload-unique-id")
}
