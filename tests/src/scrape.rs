//! Reading a process's `/metrics` back, as Prometheus scrapes it.

/// The text `url` serves, checking it is OpenMetrics.
pub async fn scrape(url: &str) -> String {
    let response = reqwest::get(url).await.expect("/metrics answers");
    assert_eq!(response.status(), 200, "{url}");
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    response.text().await.unwrap()
}

/// The value of the sample `series` (`name{labels}` exactly as printed), if the text has it.
pub fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|value| value.trim().parse().ok())
}
