//! The `user-timeline-read-frontend` Lambda bootstrap.
fn main() -> Result<(), lambda_http::Error> {
    deathstar_lambda::main("user-timeline-read-frontend")
}
