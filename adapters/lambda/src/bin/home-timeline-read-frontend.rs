//! The `home-timeline-read-frontend` Lambda bootstrap.
fn main() -> Result<(), lambda_http::Error> {
    deathstar_lambda::main("home-timeline-read-frontend")
}
