//! The `user-timeline-service-read-user-timeline` Lambda bootstrap.
fn main() -> Result<(), lambda_http::Error> {
    deathstar_lambda::main("user-timeline-service-read-user-timeline")
}
