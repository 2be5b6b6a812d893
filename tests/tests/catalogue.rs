//! The README's function table and the registry list the same functions, each with its access.

use deathstar_handlers::catalogue::PAGES;
use deathstar_tests::access::catalogue;

#[test]
fn the_readme_lists_every_function_once_with_who_may_call_it() {
    let readme = include_str!("../../README.md");
    let section = readme
        .split("## Functions")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("a Functions section");
    let mut listed: Vec<(String, String)> = section
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| {
            let mut cells = rest.split(" | ");
            let name = cells.next()?.trim_end_matches('`');
            Some((name.to_owned(), cells.next()?.to_owned()))
        })
        .collect();
    let mut registered: Vec<(String, String)> = catalogue()
        .into_iter()
        .map(|(name, access)| (name.to_owned(), access.describe().to_owned()))
        .collect();
    // The web pages: anyone may open them; what they do, they do as the logged-in user.
    registered.push((PAGES.to_owned(), "anyone".to_owned()));
    listed.sort_unstable();
    registered.sort_unstable();
    assert_eq!(listed, registered);
}
