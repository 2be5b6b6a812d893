//! The README's function table and the registry list the same functions.

use deathstar_handlers::Registry;

#[test]
fn the_readme_lists_every_function_once() {
    let readme = include_str!("../../README.md");
    let section = readme
        .split("## Functions")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("a Functions section");
    let mut listed: Vec<&str> = section
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split('`').next())
        .collect();
    let mut registered = Registry::names();
    listed.sort_unstable();
    registered.sort_unstable();
    assert_eq!(listed, registered);
}
