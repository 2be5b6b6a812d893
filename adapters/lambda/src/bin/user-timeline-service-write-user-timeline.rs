//! The `user-timeline-service-write-user-timeline` Lambda bootstrap.
fn main() -> Result<(), lambda_http::Error> {
    deathstar_lambda::main("user-timeline-service-write-user-timeline")
}
