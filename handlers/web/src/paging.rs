//! The pages of a timeline: `?page=N` (1 for the newest posts) as the `start..stop` window a
//! timeline read takes, and whether there are pages before and after it.

/// Posts per page.
pub const PAGE_SIZE: u32 = 20;
/// The last page a link may ask for: a timeline read takes positions up to `start + 1000`,
/// and no one pages through 50,000 posts.
pub const MAX_PAGE: u32 = 2500;

/// One page of a timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// 1 is the newest.
    pub number: u32,
}

impl Page {
    pub const FIRST: Page = Page { number: 1 };

    /// The page a `page` query parameter asks for: a number from 1 to [`MAX_PAGE`]; anything
    /// else (missing, not a number, 0, past the last) is the nearest page that is one, so a
    /// hand-edited link never fails.
    pub fn from_query(page: Option<&str>) -> Page {
        let number = page
            .and_then(|p| p.trim().parse::<u64>().ok())
            .map_or(1, |n| n.clamp(1, u64::from(MAX_PAGE)) as u32);
        Page { number }
    }

    /// The positions of the timeline this page shows: `start..stop`, newest first.
    pub fn window(self) -> (i64, i64) {
        let start = i64::from(self.number - 1) * i64::from(PAGE_SIZE);
        (start, start + i64::from(PAGE_SIZE))
    }

    /// The newer page, if this is not the first.
    pub fn newer(self) -> Option<Page> {
        (self.number > 1).then(|| Page {
            number: self.number - 1,
        })
    }

    /// The older page, if this one was full (`shown` posts) and there may be more.
    pub fn older(self, shown: usize) -> Option<Page> {
        (shown >= PAGE_SIZE as usize && self.number < MAX_PAGE).then(|| Page {
            number: self.number + 1,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_number_is_a_window_of_the_timeline() {
        assert_eq!(Page::FIRST.window(), (0, 20));
        assert_eq!(Page::from_query(Some("3")).window(), (40, 60));
        let last = Page::from_query(Some("2500")).window();
        assert_eq!(last, (49_980, 50_000));
    }

    #[test]
    fn any_other_query_is_the_nearest_real_page() {
        for (query, number) in [
            (None, 1),
            (Some(""), 1),
            (Some("0"), 1),
            (Some("-4"), 1),
            (Some("x"), 1),
            (Some(" 2 "), 2),
            (Some("99999999999999999999"), 1),
            (Some("1000000"), MAX_PAGE),
        ] {
            assert_eq!(Page::from_query(query).number, number, "{query:?}");
        }
    }

    #[test]
    fn newer_and_older_pages_exist_where_there_is_something_to_show() {
        assert_eq!(Page::FIRST.newer(), None);
        assert_eq!(
            Page::FIRST.older(PAGE_SIZE as usize),
            Some(Page { number: 2 })
        );
        assert_eq!(Page::FIRST.older(3), None, "a short page is the last");
        let second = Page { number: 2 };
        assert_eq!(second.newer(), Some(Page::FIRST));
        let last = Page { number: MAX_PAGE };
        assert_eq!(last.older(PAGE_SIZE as usize), None);
    }
}
