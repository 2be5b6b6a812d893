//! ds-net, the social network in a browser: server-rendered HTML (compile-time templates with
//! [`maud`], which escapes every interpolated string), so that a page is one function's answer
//! built from the other functions' JSON, with no build step and no script needed to read it.
//!
//! What is here so far is the rendering every page shares, each piece with tests of its own:
//! a post's text with its mentions and URLs as links ([`post_text`]), times relative to now
//! ([`relative_time`]), and the pages of a timeline ([`paging`]).

pub mod paging;
pub mod post_text;
pub mod relative_time;
