//! The few pages rendered on the server rather than by the web interface (the OAuth callback's
//! outcome, the Avito sandbox's authorize page) share one escape and one page skeleton, so what
//! one escapes the other does too. Depends on axum only (for the response type).

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

/// `s` with `&`, `<`, `>`, `"` and `'` escaped: safe as element text and inside an attribute
/// value quoted with either quote.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A document in Russian with `title` (escaped here) as its title and heading, followed by
/// `body_html`, which is markup: the caller escapes whatever text it puts in it.
pub fn render(title: &str, body_html: &str) -> String {
    format!(
        "<!doctype html><html lang=\"ru\"><head><meta charset=\"utf-8\"><title>{t}</title></head>\
         <body style=\"font-family:sans-serif;max-width:40em;margin:3em auto\"><h1>{t}</h1>{body_html}</body></html>",
        t = escape(title)
    )
}

/// [`render`] as an HTML response with `status`.
pub fn page(status: StatusCode, title: &str, body_html: &str) -> Response {
    (status, Html(render(title, body_html))).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_the_five_characters_that_matter_in_html() {
        assert_eq!(
            escape(r#"<a href="x" title='y'>&</a>"#),
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;"
        );
    }

    #[test]
    fn escapes_ampersands_once_and_leaves_other_text_alone() {
        assert_eq!(escape("&amp;"), "&amp;amp;");
        assert_eq!(escape("Канал не подключён: 5 > 3"), "Канал не подключён: 5 &gt; 3");
        assert_eq!(escape(""), "");
    }

    #[test]
    fn the_page_has_the_status_escapes_its_title_and_keeps_the_body_markup() {
        let response = page(StatusCode::BAD_REQUEST, "O'Reilly <3", "<p>ok</p>");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let rendered = render("O'Reilly <3", "<p>ok</p>");
        assert!(rendered.contains("<title>O&#39;Reilly &lt;3</title>"), "{rendered}");
        assert!(
            rendered.contains("<h1>O&#39;Reilly &lt;3</h1><p>ok</p></body>"),
            "{rendered}"
        );
    }
}
