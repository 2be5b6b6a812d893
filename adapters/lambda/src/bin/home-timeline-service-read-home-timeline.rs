//! The `home-timeline-service-read-home-timeline` Lambda bootstrap.
fn main() -> Result<(), lambda_http::Error> {
    deathstar_lambda::main("home-timeline-service-read-home-timeline")
}
