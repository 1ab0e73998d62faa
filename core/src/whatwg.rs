//! The `url` crate (WHATWG URL parsing) as a [`UrlParser`]: the platform's
//! parser, and the reference the browser's `URL` is tested against.

use crate::url::{ParsedUrl, UrlParser};
use alloc::string::ToString;

/// The `url` crate.
#[derive(Clone, Copy, Debug, Default)]
pub struct UrlCrate;

impl UrlParser for UrlCrate {
    fn parse(&self, input: &str) -> Option<ParsedUrl> {
        let url = url::Url::parse(input).ok()?;
        Some(ParsedUrl {
            scheme: url.scheme().to_string(),
            userinfo: !url.username().is_empty() || url.password().is_some(),
            host: url.host_str().unwrap_or_default().to_string(),
            path: url.path().to_string(),
            query: url
                .query_pairs()
                .map(|(name, value)| (name.into_owned(), value.into_owned()))
                .collect(),
        })
    }
}
