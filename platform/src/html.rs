//! The platform's pages are maud templates: a value put into one is
//! escaped, and only a `maud::PreEscaped` (a type, visible in review) is
//! not; none is used. This module has the one page wrapper they all use,
//! and the redirects pages answer with.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup, DOCTYPE};

/// `303 See Other` to `location` (a path on the platform).
pub fn see_other(location: &str) -> Response {
    let location = HeaderValue::from_str(location).unwrap_or(HeaderValue::from_static("/"));
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}

/// To the sign-in page, which returns to `path` afterwards.
pub fn to_signin(path: &str) -> Response {
    let mut next = String::from("/signin?next=");
    vitrine_core::url::push_encoded(&mut next, path);
    see_other(&next)
}

/// What a page asks for in its head, beyond what every page has.
pub enum Head<'a> {
    /// A stylesheet and a classic deferred script (sign-in, follow intent,
    /// dashboard).
    Classic { style: &'a str, script: &'a str },
    /// A stylesheet and a module script, with the SDK preloaded (the
    /// studio, whose preview is the SDK).
    Module { style: &'a str, script: &'a str },
    /// A stylesheet and the SDK itself, render-blocking so its elements have
    /// their boxes in the first frame (a creator's public page).
    Sdk { style: &'a str },
}

/// A whole page: the document, its head, and `body`. Every page is
/// `zh-CN` (their words are in Chinese first, then English).
pub fn page(title: &str, head: Head<'_>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="zh-CN" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                link rel="icon" href="/favicon.svg";
                @match head {
                    Head::Classic { style, script } => {
                        link rel="stylesheet" href=(style);
                        script src=(script) defer {}
                    }
                    Head::Module { style, script } => {
                        link rel="stylesheet" href=(style);
                        link rel="modulepreload" href="/pkg/vitrine.js";
                        script type="module" src=(script) {}
                    }
                    Head::Sdk { style } => {
                        link rel="stylesheet" href=(style);
                        script type="module" src="/pkg/vitrine.js" blocking="render" {}
                    }
                }
            }
            body { (body) }
        }
    }
}

/// `128400` as `128,400`.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(d);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped_wherever_they_go() {
        let hostile = r#"</title><script>alert('x')</script>"#;
        let html = page(
            hostile,
            Head::Classic {
                style: r#"/a.css" onload="alert(1)"#,
                script: "/a.js",
            },
            html! { p title=(hostile) { (hostile) } },
        )
        .into_string();
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(!html.contains(r#"" onload=""#), "{html}");
        assert!(html.contains("&lt;/title&gt;&lt;script&gt;"), "{html}");
        assert!(
            html.starts_with("<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">")
        );
    }

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(8930), "8,930");
        assert_eq!(grouped(128400), "128,400");
        assert_eq!(grouped(1234567), "1,234,567");
    }
}
