//! `text-service-upload-text`: the text part of a post. Finds URLs and mentions, then in
//! parallel shortens the URLs (`url-shorten-service-upload-urls`) and resolves the mentions
//! (`user-mention-service-upload-user-mentions`), and returns the text with short URLs in it.
//! A call with nothing to do is skipped.

pub mod parse;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::FunctionError;
use crate::function::{Ctx, Function};
use crate::functions::url_shorten::{UploadUrls, UploadUrlsInput, UploadUrlsOutput};
use crate::functions::user_mention::{
    UploadUserMentions, UploadUserMentionsInput, UploadUserMentionsOutput,
};
use crate::model::{UrlDoc, UserMention};
use crate::validate;

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct UploadTextInput {
    /// At most 16 KiB of UTF-8.
    #[schemars(length(max = validate::MAX_TEXT_BYTES))]
    pub text: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct UploadTextOutput {
    /// The text with every URL replaced by its short form.
    pub text: String,
    pub user_mentions: Vec<UserMention>,
    pub urls: Vec<UrlDoc>,
}

#[derive(Default)]
pub struct UploadText;

impl Function for UploadText {
    const NAME: &'static str = "text-service-upload-text";
    const ERROR: &'static str = "TextServiceUploadTextError";
    type Input = UploadTextInput;
    type Output = UploadTextOutput;

    async fn call(&self, ctx: &Ctx, input: Self::Input) -> Result<Self::Output, FunctionError> {
        validate::bounded("text", &input.text, validate::MAX_TEXT_BYTES)?;
        let spans = parse::url_spans(&input.text);
        let urls = UploadUrlsInput {
            urls: spans
                .iter()
                .map(|r| input.text[r.clone()].to_owned())
                .collect(),
        };
        let mut usernames = parse::mentions(&input.text, &spans);
        dedup_in_order(&mut usernames);
        if urls.urls.len() > validate::MAX_LIST_ITEMS || usernames.len() > validate::MAX_LIST_ITEMS
        {
            return Err(FunctionError::invalid(
                "text",
                format!(
                    "must have at most {} URLs and {} mentions",
                    validate::MAX_LIST_ITEMS,
                    validate::MAX_LIST_ITEMS
                ),
            ));
        }
        let mentions = UploadUserMentionsInput { usernames };
        let shorten = async {
            if urls.urls.is_empty() {
                return Ok(UploadUrlsOutput { urls: Vec::new() });
            }
            ctx.call::<UploadUrls>(urls).await
        };
        let resolve = async {
            if mentions.usernames.is_empty() {
                return Ok(UploadUserMentionsOutput {
                    user_mentions: Vec::new(),
                });
            }
            ctx.call::<UploadUserMentions>(mentions).await
        };
        let (urls, mentions) = match tokio::join!(shorten, resolve) {
            (Ok(urls), Ok(mentions)) => (urls.urls, mentions.user_mentions),
            (urls, mentions) => {
                return Err(FunctionError::from_callees([urls.err(), mentions.err()]));
            }
        };
        if urls.len() != spans.len() {
            return Err(FunctionError::Internal(format!(
                "{} returned {} short URLs for {}",
                UploadUrls::NAME,
                urls.len(),
                spans.len()
            )));
        }
        let short: Vec<&str> = urls.iter().map(|u| u.shortened_url.as_str()).collect();
        Ok(UploadTextOutput {
            text: parse::replace_spans(&input.text, &spans, &short),
            user_mentions: mentions,
            urls,
        })
    }
}

/// Removes repeats, keeping the first of each.
fn dedup_in_order(items: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    items.retain(|item| seen.insert(item.clone()));
}
