//! The manifest's layout as the installer reads it — `items`, their `assets`, the package
//! asset: pure lookups over the parsed document, shared by the collectors (what to fetch) and
//! the rules (what to compare).

/// The first `software-package` asset of the manifest: (item index, asset index, the asset).
pub fn package_asset(document: &serde_json::Value) -> Option<(usize, usize, &serde_json::Value)> {
    let items = document.get("items")?.as_array()?;
    items.iter().enumerate().find_map(|(i, item)| {
        let assets = item.get("assets")?.as_array()?;
        assets
            .iter()
            .enumerate()
            .find(|(_, a)| a.get("kind").and_then(|k| k.as_str()) == Some("software-package"))
            .map(|(a, asset)| (i, a, asset))
    })
}

/// The URL-bearing assets of a parsed manifest: (item, asset, kind, url).
pub fn assets(document: &serde_json::Value) -> Vec<(usize, usize, String, String)> {
    let mut out = Vec::new();
    for (i, item) in document
        .get("items")
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
        .enumerate()
    {
        for (a, asset) in item
            .get("assets")
            .and_then(|v| v.as_array())
            .into_iter()
            .flatten()
            .enumerate()
        {
            let kind = asset
                .get("kind")
                .and_then(|k| k.as_str())
                .unwrap_or_default()
                .to_string();
            if let Some(url) = asset.get("url").and_then(|u| u.as_str()) {
                out.push((i, a, kind, url.to_string()));
            }
        }
    }
    out
}
