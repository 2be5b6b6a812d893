//! Where the browser sees the site: the path every link and form of a page starts with.
//!
//! The same pages answer at `/` (the local server, a Lambda Function URL) and under
//! `/function/ds-net` (a gateway, which strips that prefix before the request reaches an
//! OpenFaaS function, and the local server, which nests the site there too). A page cannot
//! link to `/profile/alice` in both: it links to `<base>/profile/alice`, where the base is the
//! configured prefix (what a gateway strips) and the prefix the request was nested under here.

use axum::http::Uri;

/// A path prefix without a trailing slash: `""` or `/function/ds-net`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Base(String);

impl Base {
    /// The prefix a gateway in front strips (`/function/ds-net`), as configured: leading slash
    /// added, trailing slashes removed.
    pub fn configured(prefix: &str) -> Base {
        let trimmed = prefix.trim().trim_matches('/');
        match trimmed {
            "" => Base::default(),
            path => Base(format!("/{path}")),
        }
    }

    /// This base, followed by the prefix under which this process's router nested the request:
    /// the part of `original` (the URI as it arrived) before `nested` (as the site's router
    /// sees it).
    pub fn of_request(&self, original: &Uri, nested: &Uri) -> Base {
        let (original, nested) = (original.path(), nested.path());
        let prefix = match original.strip_suffix(nested) {
            Some(prefix) => prefix,
            // `/function/ds-net` nested to `/`.
            None if nested == "/" => original,
            None => "",
        };
        Base(format!("{}{}", self.0, prefix.trim_end_matches('/')))
    }

    /// `path` (which starts with `/`) under this base.
    pub fn link(&self, path: &str) -> String {
        format!("{}{path}", self.0)
    }

    /// The site's start page: `/` at the root, else the base itself plus `/`.
    pub fn home(&self) -> String {
        self.link("/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(path: &str) -> Uri {
        path.parse().unwrap()
    }

    #[test]
    fn links_start_with_the_configured_and_the_nested_prefix() {
        let root = Base::default();
        assert_eq!(root.link("/profile/a"), "/profile/a");
        assert_eq!(root.home(), "/");
        let gateway = Base::configured("function/ds-net/");
        assert_eq!(gateway.link("/profile/a"), "/function/ds-net/profile/a");
        let nested = root.of_request(&uri("/function/ds-net/profile/a"), &uri("/profile/a"));
        assert_eq!(nested.link("/login"), "/function/ds-net/login");
        let bare = root.of_request(&uri("/function/ds-net"), &uri("/"));
        assert_eq!(bare.home(), "/function/ds-net/");
        let trailing = root.of_request(&uri("/function/ds-net/"), &uri("/"));
        assert_eq!(trailing.home(), "/function/ds-net/");
        assert_eq!(root.of_request(&uri("/home"), &uri("/home")), root);
    }
}
