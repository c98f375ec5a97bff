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

/// An asset of the manifest as listed, whatever it holds.
#[derive(Debug, Clone, Copy)]
pub struct ListedAsset<'a> {
    /// Its item's index in `items`.
    pub item: usize,
    /// Its index in the item's `assets`.
    pub index: usize,
    /// Its `kind` (empty when it has none, or one that is not a string).
    pub kind: &'a str,
    pub value: &'a serde_json::Value,
}

/// Every asset of every item, in manifest order.
pub fn listed_assets(document: &serde_json::Value) -> Vec<ListedAsset<'_>> {
    let mut out = Vec::new();
    for (item, value) in document
        .get("items")
        .and_then(serde_json::Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        for (index, value) in value
            .get("assets")
            .and_then(serde_json::Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let kind = value
                .get("kind")
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default();
            out.push(ListedAsset {
                item,
                index,
                kind,
                value,
            });
        }
    }
    out
}
