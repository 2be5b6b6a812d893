//! UrlShortenService: `url-shorten-service-upload-urls` gives every URL a fresh short form
//! (`http://short-u.rl/` + 10 random lowercase letters) and stores the pair;
//! `url-shorten-service-get-extended-urls` maps short forms back.

use rand::Rng;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::access::Access;
use crate::error::FunctionError;
use crate::function::{Ctx, Function};
use crate::model::UrlDoc;
use crate::validate;

pub const SHORT_URL_PREFIX: &str = "http://short-u.rl/";
const MAX_URL_BYTES: usize = 2048;
/// A collision among 26^10 codes is rare; a few fresh draws make a failure vanishingly so.
const ATTEMPTS: usize = 4;

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct UploadUrlsInput {
    #[schemars(length(max = crate::validate::MAX_LIST_ITEMS), inner(length(min = 1, max = MAX_URL_BYTES), regex(pattern = crate::openapi::HTTP_URL)))]
    pub urls: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct UploadUrlsOutput {
    /// One per input URL, in input order.
    pub urls: Vec<UrlDoc>,
}

#[derive(Default)]
pub struct UploadUrls;

impl Function for UploadUrls {
    const NAME: &'static str = "url-shorten-service-upload-urls";
    const ERROR: &'static str = "UrlShortenServiceUploadUrlsError";
    type Input = UploadUrlsInput;
    type Output = UploadUrlsOutput;

    async fn call(&self, ctx: &Ctx, input: Self::Input) -> Result<Self::Output, FunctionError> {
        validate::list_len("urls", &input.urls)?;
        for (i, url) in input.urls.iter().enumerate() {
            let field = format!("urls[{i}]");
            validate::non_empty(&field, url, MAX_URL_BYTES)?;
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(FunctionError::invalid(
                    &field,
                    "must start with http:// or https://",
                ));
            }
        }
        if input.urls.is_empty() {
            return Ok(UploadUrlsOutput { urls: Vec::new() });
        }
        for _ in 0..ATTEMPTS {
            let urls: Vec<UrlDoc> = input
                .urls
                .iter()
                .map(|url| UrlDoc {
                    expanded_url: url.clone(),
                    shortened_url: new_short_url(),
                })
                .collect();
            if ctx.stores().short_urls.insert_many(&urls).await?.is_none() {
                return Ok(UploadUrlsOutput { urls });
            }
        }
        Err(FunctionError::Internal(
            "could not find unused short URLs".into(),
        ))
    }
}

fn new_short_url() -> String {
    let mut rng = rand::rng();
    let code: String = (0..10)
        .map(|_| rng.random_range(b'a'..=b'z') as char)
        .collect();
    format!("{SHORT_URL_PREFIX}{code}")
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct GetExtendedUrlsInput {
    #[schemars(length(max = crate::validate::MAX_LIST_ITEMS))]
    pub shortened_urls: Vec<String>,
}

#[derive(Default)]
pub struct GetExtendedUrls;

impl Function for GetExtendedUrls {
    const NAME: &'static str = "url-shorten-service-get-extended-urls";
    const ERROR: &'static str = "UrlShortenServiceGetExtendedUrlsError";
    const ACCESS: Access = Access::Anyone;
    type Input = GetExtendedUrlsInput;
    type Output = UploadUrlsOutput;

    async fn call(&self, ctx: &Ctx, input: Self::Input) -> Result<Self::Output, FunctionError> {
        validate::list_len("shortened_urls", &input.shortened_urls)?;
        let expanded = ctx
            .stores()
            .short_urls
            .expand_many(&input.shortened_urls)
            .await?;
        let unknown: Vec<&str> = input
            .shortened_urls
            .iter()
            .zip(&expanded)
            .filter(|(_, e)| e.is_none())
            .map(|(s, _)| s.as_str())
            .collect();
        if !unknown.is_empty() {
            return Err(FunctionError::NotFound {
                status: "UrlNotFoundError",
                message: format!("unknown short URLs: {}", unknown.join(", ")),
            });
        }
        let urls = input
            .shortened_urls
            .into_iter()
            .zip(expanded.into_iter().flatten())
            .map(|(shortened_url, expanded_url)| UrlDoc {
                expanded_url,
                shortened_url,
            })
            .collect();
        Ok(UploadUrlsOutput { urls })
    }
}
