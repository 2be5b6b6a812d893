//! The `home-timeline-service-write-home-timeline` Lambda bootstrap.
fn main() -> Result<(), lambda_http::Error> {
    deathstar_lambda::main("home-timeline-service-write-home-timeline")
}
