//! Collectors: all reading of inputs happens here, and nothing here judges.

pub mod deep;
pub mod html;
pub mod input;
pub mod ipa;
pub mod js;
pub mod link;
pub mod manifest;
pub mod net;
pub mod png;
pub mod profile;
pub mod remote_zip;
pub mod seal;
pub mod walk;

use crate::text::edit_distance;

/// Whether `text` is meant as an itms-services link: the right scheme, a near miss of it, or
/// anything that asks for `download-manifest`. In a page (`in_page`), App Store links
/// (`itms-apps:`) are ordinary links and only count when they ask for a manifest.
pub fn looks_like_link(text: &str, in_page: bool) -> bool {
    let (text, _) = link::unwrap(text, in_page);
    let lower = text.to_ascii_lowercase();
    let scheme = lower.split(':').next().unwrap_or("");
    if lower.contains(':') && (scheme == "http" || scheme == "https") {
        return false;
    }
    if lower.contains("download-manifest") || lower.contains("download_manifest") {
        return true;
    }
    if !lower.contains(':') || scheme.is_empty() || !scheme.starts_with('i') {
        return false;
    }
    if scheme == "itms-services" || (scheme.len() > 5 && edit_distance(scheme, "itms-services") <= 3) {
        return !["itms-apps", "itms-appss", "itmss"].contains(&scheme) || !in_page;
    }
    !in_page && ["itms", "itms-apps", "itms-appss", "itmss"].contains(&scheme)
}

#[cfg(test)]
mod tests {
    use super::looks_like_link;

    #[test]
    fn recognises_links_and_near_misses() {
        assert!(looks_like_link("itms-services://?action=download-manifest&url=x", true));
        assert!(looks_like_link("ITMS-SERVICES://?x", false));
        assert!(looks_like_link("itms-servies://?x", true));
        assert!(looks_like_link("itms-apps://?action=download-manifest&url=x", true));
        assert!(looks_like_link("itms-apps://apps.apple.com/app/id1", false));
        assert!(!looks_like_link("itms-apps://apps.apple.com/app/id1", true));
        assert!(!looks_like_link("https://h/?action=download-manifest", false));
        assert!(!looks_like_link("mailto:x@y", false));
    }
}
