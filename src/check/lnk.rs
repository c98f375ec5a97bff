//! LNK rules: the itms-services link itself, as written and as iOS parses it.

use crate::check::Context;
use crate::check::repair::{self, AMPERSAND_ENTITIES};
use crate::facts::{LinkContext, LinkFacts, LinkUse};
use crate::finding::{Finding, Resource, Subject};
use crate::registry::{self as rules};
use crate::text::edit_distance;

/// Runs the LNK rules on one link.
pub fn check(link: &LinkFacts, index: usize, ctx: &Context, out: &mut Vec<Finding>) {
    check_repaired(link, index, &repair::LinkRepair::of(link), ctx, out);
}

/// As `check`, with the link's repair worked out already (`check::run` works it out once for
/// the LNK and the URL rules).
pub fn check_repaired(
    link: &LinkFacts,
    index: usize,
    repaired: &repair::LinkRepair,
    _ctx: &Context,
    out: &mut Vec<Finding>,
) {
    // a template's link is corrected in its fixed parts only: no whole link can be shown
    let corrected = repaired.corrected.clone().filter(|_| !link.dynamic);
    let lnk = Lnk { link, index, corrected };
    lnk.not_itms_services(out);
    if !reads_as_install_link(link) {
        return;
    }
    lnk.missing_double_slash(out);
    lnk.extra_slash(out);
    lnk.bad_action(out);
    lnk.html_entity_in_link(out);
    lnk.html_entity_context_unknown(out);
    lnk.duplicated_prefix(out);
    lnk.link_wrapped_or_padded(out);
    if !link.dynamic || !values_may_add_parameters(link) {
        // a template whose values cannot add a parameter still has the parameters it shows
        lnk.missing_url_parameter(out);
    }
    if !link.dynamic {
        lnk.manifest_query_not_encoded(out);
        lnk.manifest_fragment_not_encoded(out);
        lnk.manifest_url_double_encoded(out);
        lnk.plus_in_manifest_url(out);
    }
}

/// Whether the text is read as an itms-services link at all: its scheme is itms-services, a
/// typo of it, or an App Store scheme. Anything else is LNK001 and nothing more.
pub fn reads_as_install_link(link: &LinkFacts) -> bool {
    let Some(scheme) = &link.parsed.scheme else {
        // a template whose value comes first (`${base}?action=…`): the value holds the scheme
        return starts_with_value(link);
    };
    let lower = scheme.to_ascii_lowercase();
    lower == "itms-services"
        || edit_distance(&lower, "itms-services") <= 3
        || ["itms", "itms-apps", "itmss", "itms-appss"].contains(&lower.as_str())
}

/// Whether a template value stands where the link's scheme is.
pub fn starts_with_value(link: &LinkFacts) -> bool {
    link.dynamic && link.values.first().is_some_and(|v| v.start == 0)
}

/// Whether a template value may put parameters into the link: it stands before the query, or
/// where a parameter starts (`?${query}`, `&{{ extra }}`), or makes a parameter's name.
fn values_may_add_parameters(link: &LinkFacts) -> bool {
    let p = &link.parsed;
    // a program that adds to the string later (`PREFIX + …`) may add anything after it
    link.values.is_empty()
        || link.values.iter().any(|v| {
            p.query.is_none()
                || v.start < p.query_start
                || p.params
                    .iter()
                    .any(|q| v.start < q.start + q.raw_name.len() && v.end > q.start)
                || p.params
                    .iter()
                    .any(|q| q.raw_value.is_none() && v.start >= q.start && v.end <= q.end)
        })
}

/// Whether byte `at` of the link's text lies inside a template value.
fn in_value(link: &LinkFacts, at: usize) -> bool {
    link.values.iter().any(|v| v.start <= at && at < v.end)
}

struct Lnk<'a> {
    link: &'a LinkFacts,
    index: usize,
    /// The corrected link, when the link carries a manifest URL at all.
    corrected: Option<String>,
}

impl Lnk<'_> {
    fn subject(&self) -> Subject {
        Subject {
            resource: Resource::Link,
            target: self.link.text.clone(),
            link: Some(self.index),
        }
    }

    fn text(&self) -> &str {
        &self.link.text
    }

    /// "use this link instead" for a fix line, or a plain instruction when there is no URL.
    fn use_corrected(&self, instruction: &str) -> String {
        match &self.corrected {
            Some(c) => format!("{instruction}:\n{c}"),
            None => instruction.to_string(),
        }
    }

    fn finding(&self, rule: &'static rules::Rule, message: String, fix: String) -> Finding {
        Finding::new(rule, self.subject(), message, fix).corrected(self.corrected.clone())
    }

    /// LNK001: the scheme is not itms-services.
    fn not_itms_services(&self, out: &mut Vec<Finding>) {
        if starts_with_value(self.link) {
            return; // the value puts the scheme in: value_requirement says what it must be
        }
        let Some(scheme) = &self.link.parsed.scheme else {
            out.push(
                self.finding(
                    &rules::NOT_ITMS_SERVICES,
                    "this is not a link: there is no \"itms-services:\" scheme".to_string(),
                    "start the link with itms-services://?action=download-manifest&url=".to_string(),
                )
                .highlight(
                    self.text(),
                    0..self.text().len().min(1),
                    "a link starts with its scheme",
                ),
            );
            return;
        };
        let lower = scheme.to_ascii_lowercase();
        if lower == "itms-services" {
            return;
        }
        let range = 0..scheme.len();
        let opens_store = ["itms", "itms-apps", "itmss", "itms-appss"].contains(&lower.as_str());
        let message = if opens_store {
            format!("\"{scheme}:\" opens the App Store, not an over-the-air install")
        } else {
            format!("the scheme is \"{scheme}\", not \"itms-services\"")
        };
        let label = if opens_store {
            "an App Store scheme"
        } else {
            "not itms-services"
        };
        out.push(
            self.finding(
                &rules::NOT_ITMS_SERVICES,
                message,
                self.use_corrected("write the scheme as \"itms-services\""),
            )
            .highlight(self.text(), range, label),
        );
    }

    fn missing_double_slash(&self, out: &mut Vec<Finding>) {
        let p = &self.link.parsed;
        if p.slashes >= 2 || p.scheme.is_none() {
            return;
        }
        let scheme_len = p.scheme.as_ref().map_or(0, String::len);
        let end = scheme_len + 1 + p.slashes + p.authority_and_path.len();
        let written: String = self.text()[..end]
            .chars()
            .chain(self.text()[end..].chars().take(1))
            .collect();
        out.push(
            self.finding(
                &rules::MISSING_DOUBLE_SLASH,
                format!("\"{written}\" has no \"//\" after the scheme"),
                self.use_corrected("write \"itms-services://?\" (with URLComponents, set host to \"\")"),
            )
            .highlight(self.text(), scheme_len..scheme_len + 1 + p.slashes, "needs \"://\""),
        );
    }

    fn extra_slash(&self, out: &mut Vec<Finding>) {
        let p = &self.link.parsed;
        if repair::last_prefix(self.text()).is_some() {
            return; // LNK010 explains the odd path
        }
        let scheme_len = p.scheme.as_ref().map_or(0, String::len);
        let path_start = scheme_len + 1 + p.slashes;
        let message = if p.slashes > 2 {
            format!("the link has {} slashes after \"itms-services:\"", p.slashes)
        } else if !p.authority_and_path.is_empty() {
            format!("the link has \"{}\" between the scheme and \"?\"", p.authority_and_path)
        } else {
            return;
        };
        let range = if p.slashes > 2 {
            scheme_len + 3..path_start
        } else {
            path_start..path_start + p.authority_and_path.len()
        };
        out.push(
            self.finding(
                &rules::EXTRA_SLASH,
                message,
                self.use_corrected("write exactly \"itms-services://?\""),
            )
            .highlight(self.text(), range, "nothing belongs here"),
        );
    }

    fn bad_action(&self, out: &mut Vec<Finding>) {
        let p = &self.link.parsed;
        match p.param("action") {
            None if self.link.dynamic && values_may_add_parameters(self.link) => {}
            None => {
                let near = p
                    .params
                    .iter()
                    .find(|q| q.name.eq_ignore_ascii_case("action") || q.name.trim() == "action");
                let message = match near {
                    Some(q) => format!("the parameter is named \"{}\", not \"action\"", q.raw_name),
                    None => "the link has no \"action\" parameter".to_string(),
                };
                let f = self.finding(
                    &rules::BAD_ACTION,
                    message,
                    self.use_corrected("add action=download-manifest"),
                );
                out.push(match near {
                    Some(q) => f.highlight(
                        self.text(),
                        q.start..q.start + q.raw_name.len(),
                        "parameter names are case-sensitive",
                    ),
                    None => f,
                });
            }
            Some(q) if q.value.is_none() => out.push(
                self.finding(
                    &rules::BAD_ACTION,
                    "the \"action\" parameter has no value".to_string(),
                    self.use_corrected("write action=download-manifest"),
                )
                .highlight(self.text(), q.start..q.end, "needs =download-manifest"),
            ),
            Some(q) => {
                let value = q.value.clone().unwrap_or_default();
                if value == "download-manifest" {
                    return;
                }
                let value_start = q.start + q.raw_name.len() + 1;
                let range = value_start..q.end.max(value_start);
                out.push(
                    self.finding(
                        &rules::BAD_ACTION,
                        format!("action is \"{value}\", not \"download-manifest\""),
                        self.use_corrected("write action=download-manifest exactly (lower case, with a hyphen)"),
                    )
                    .highlight(self.text(), range, "must be download-manifest"),
                );
            }
        }
    }

    fn missing_url_parameter(&self, out: &mut Vec<Finding>) {
        let p = &self.link.parsed;
        if self.entity_hides_url() {
            return; // LNK006: "&amp;url=" is the cause
        }
        let message = match p.param("url") {
            Some(q) if q.value.as_deref().is_some_and(|v| !v.trim().is_empty()) => return,
            Some(_) => "the \"url\" parameter is empty".to_string(),
            None => {
                if let Some(q) = p.params.iter().find(|q| q.name.trim().eq_ignore_ascii_case("url")) {
                    format!(
                        "the parameter is named \"{}\", not \"url\" (names are case-sensitive)",
                        q.raw_name
                    )
                } else if p.fragment.as_deref().is_some_and(|f| f.contains("url=")) {
                    "\"url=\" comes after a raw \"#\", so iOS never sees it".to_string()
                } else {
                    "the link has no \"url\" parameter".to_string()
                }
            }
        };
        out.push(self.finding(
            &rules::MISSING_URL_PARAMETER,
            message,
            self.use_corrected("add url= with the percent-encoded https URL of the manifest"),
        ));
    }

    /// Whether an HTML entity stands where the `&` before `url=` should be.
    fn entity_hides_url(&self) -> bool {
        let lower = self.text().to_ascii_lowercase();
        AMPERSAND_ENTITIES.iter().any(|e| lower.contains(&format!("{e}url=")))
    }

    fn html_entity_in_link(&self, out: &mut Vec<Finding>) {
        let lower = self.text().to_ascii_lowercase();
        // an entity inside a template value is the value's business, not the link's
        let Some((pos, entity)) = AMPERSAND_ENTITIES
            .iter()
            .filter_map(|e| {
                lower
                    .match_indices(e)
                    .map(|(p, _)| p)
                    .find(|p| !in_value(self.link, *p))
                    .map(|p| (p, *e))
            })
            .min()
        else {
            return;
        };
        let written = &self.text()[pos..pos + entity.len()];
        let after = self.text()[pos + entity.len()..].split(['&', '=']).next().unwrap_or("");
        let label = if written.starts_with("&#") {
            "\"#\" starts a fragment: iOS never sees what follows".to_string()
        } else {
            format!("iOS reads a parameter named \"{}{after}\"", &written[1..])
        };
        let (message, fix) = match (&self.link.context, self.link.context.used_as()) {
            (LinkContext::Raw, _) => (
                format!("the link contains \"{written}\" outside HTML"),
                "write a plain \"&\" (use \"&amp;\" only inside an HTML attribute)".to_string(),
            ),
            (
                LinkContext::JsString {
                    inside_attribute: false,
                    ..
                },
                LinkUse::Url,
            ) => (
                format!("a script string holds \"{written}\", and JavaScript does not decode HTML entities"),
                "write a plain \"&\" in JavaScript strings".to_string(),
            ),
            (LinkContext::Text { place, .. }, LinkUse::Url) => {
                let place = the(place);
                (
                    format!("the link holds \"{written}\" in {place}, where nothing decodes HTML entities"),
                    format!(
                        "write a plain \"&\" in {place} (\"&amp;\" is only for text that ends up inside HTML markup)"
                    ),
                )
            }
            (LinkContext::Text { place, .. }, _) => (
                format!(
                    "{} holds \"&amp;{}\", which HTML decodes to \"{written}\"",
                    the(place),
                    &written[1..]
                ),
                "encode \"&\" once in markup: \"&amp;\", not \"&amp;amp;\"".to_string(),
            ),
            _ => (
                format!(
                    "the attribute holds \"&amp;{}\", which HTML decodes to \"{written}\"",
                    &written[1..]
                ),
                "encode \"&\" once in the attribute: \"&amp;\", not \"&amp;amp;\"".to_string(),
            ),
        };
        out.push(
            self.finding(&rules::HTML_ENTITY_IN_LINK, message, self.use_corrected(&fix))
                .highlight(self.text(), pos..pos + entity.len(), label),
        );
    }

    fn manifest_query_not_encoded(&self, out: &mut Vec<Finding>) {
        let p = &self.link.parsed;
        let Some(index) = p.param_index("url") else { return };
        if !p.params[index].value.as_deref().is_some_and(|v| v.contains('?')) {
            return;
        }
        let lost: Vec<_> = p.params[index + 1..]
            .iter()
            .filter(|q| q.name != "action" && q.name != "url")
            .collect();
        let (Some(first), Some(last)) = (lost.first(), lost.last()) else {
            return;
        };
        let split = &self.text()[first.start - 1..last.end];
        out.push(
            self.finding(
                &rules::MANIFEST_QUERY_NOT_ENCODED,
                format!("the manifest URL's query was split at \"{split}\""),
                self.use_corrected("percent-encode the whole manifest URL once (encodeURIComponent)"),
            )
            .highlight(
                self.text(),
                first.start - 1..last.end,
                "iOS takes these as parameters of the link",
            )
            .evidence("fetched_manifest_url", p.manifest_url.clone().unwrap_or_default()),
        );
    }

    fn manifest_fragment_not_encoded(&self, out: &mut Vec<Finding>) {
        let p = &self.link.parsed;
        let (Some(hash), Some(url)) = (p.fragment_start, p.param("url")) else {
            return;
        };
        if hash < url.start {
            return;
        }
        let lost = &self.text()[hash..];
        out.push(
            self.finding(
                &rules::MANIFEST_FRAGMENT_NOT_ENCODED,
                format!(
                    "a raw \"#\" cuts \"{}\" off: the phone asks for {}",
                    crate::text::ellipsize(lost, 40),
                    p.manifest_url.clone().unwrap_or_default()
                ),
                self.use_corrected(
                    "a \"#\" that belongs to the name is %23 in the URL, written %2523 in the link; a fragment never reaches the server, so drop it",
                ),
            )
            .highlight(self.text(), hash..self.text().len(), "never reaches the server"),
        );
    }

    fn manifest_url_double_encoded(&self, out: &mut Vec<Finding>) {
        let p = &self.link.parsed;
        let Some(url) = p.param("url") else { return };
        let Some(value) = &url.value else { return };
        if !repair::is_still_encoded(value) {
            return;
        }
        let value_start = url.start + url.raw_name.len() + 1;
        out.push(
            self.finding(
                &rules::MANIFEST_URL_DOUBLE_ENCODED,
                format!(
                    "url= is still percent-encoded after iOS decodes it once: \"{}\"",
                    crate::text::ellipsize(value, 40)
                ),
                self.use_corrected("encode the manifest URL once, not twice"),
            )
            .highlight(self.text(), value_start..url.end, "encoded more than once"),
        );
    }

    /// LNK013: source code or a template holds `&amp;` in a link whose use the file does not
    /// show: right only if the string ends up in HTML markup.
    fn html_entity_context_unknown(&self, out: &mut Vec<Finding>) {
        let (LinkContext::Text { place, .. }, LinkUse::Unknown) = (&self.link.context, self.link.context.used_as())
        else {
            return;
        };
        let Some(source) = &self.link.source_text else { return };
        let lower = source.to_ascii_lowercase();
        let Some((pos, entity)) = AMPERSAND_ENTITIES
            .iter()
            .filter_map(|e| lower.find(e).map(|p| (p, *e)))
            .min()
        else {
            return;
        };
        let written = &source[pos..pos + entity.len()];
        let after = source[pos + entity.len()..].split(['&', '=']).next().unwrap_or("");
        let raw = crate::link::link_facts(source, LinkContext::Raw, None, self.link.dynamic);
        let repaired = crate::check::repair::replace_ampersand_entities(source);
        out.push(
            Finding::new(
                &rules::HTML_ENTITY_CONTEXT_UNKNOWN,
                Subject {
                    resource: Resource::Link,
                    target: source.clone(),
                    link: Some(self.index),
                },
                format!(
                    "{} holds \"{written}\", and this file does not show where the string goes: right only if it ends up inside HTML markup",
                    the(place)
                ),
                format!(
                    "if the string is used as a URL — location.href, window.open, setAttribute, a property binding such as [href] or href={{…}}, a redirect or Location header, a QR code, a JSON value — write a plain \"&\" (there iOS would read a parameter named \"{}{after}\"); keep \"&amp;\" only if it is inserted as HTML",
                    &written[1..]
                ),
            )
            .highlight(&raw.text, pos..pos + entity.len(), "decoded only inside HTML markup")
            .evidence("if_used_as_url", repaired),
        );
    }

    fn duplicated_prefix(&self, out: &mut Vec<Finding>) {
        let Some(last) = repair::last_prefix(self.text()) else {
            return;
        };
        let count = self.text().to_ascii_lowercase().matches("itms-services:").count();
        out.push(
            self.finding(
                &rules::DUPLICATED_PREFIX,
                format!("\"itms-services:\" appears {count} times in the link"),
                self.use_corrected("build the link from the manifest URL once; the template adds the prefix again"),
            )
            .highlight(self.text(), last..last + "itms-services:".len(), "again"),
        );
    }

    fn link_wrapped_or_padded(&self, out: &mut Vec<Finding>) {
        if self.link.wrapping.is_empty() {
            return;
        }
        let what: Vec<&str> = self.link.wrapping.iter().map(|w| w.describe()).collect();
        let message = format!("the link was wrapped: {}; checked as rejoined", what.join(", "));
        let fix = match &self.corrected {
            Some(c) => {
                format!("send the link on one line, without quotes or <…>, or better an https page that holds it:\n{c}")
            }
            None => {
                "send the link on one line, without quotes or <…>, or better an https page that holds it".to_string()
            }
        };
        out.push(
            self.finding(&rules::LINK_WRAPPED_OR_PADDED, message, fix)
                .evidence("written", self.link.written.clone()),
        );
    }

    fn plus_in_manifest_url(&self, out: &mut Vec<Finding>) {
        let Some(url) = self.link.parsed.param("url") else {
            return;
        };
        let Some(raw) = &url.raw_value else { return };
        // Only a URL pasted unencoded is ambiguous: an encoded url= said what it meant.
        if !raw.contains("://") {
            return;
        }
        let lower = raw.to_ascii_lowercase();
        let Some((at, len, written)) = [("+", 1), ("%2b", 3)]
            .iter()
            .filter_map(|(needle, len)| lower.find(needle).map(|i| (i, *len, &raw[i..i + len])))
            .min()
        else {
            return;
        };
        let in_query = raw[..at].contains('?');
        let message = if written == "+" {
            "the manifest URL contains \"+\", which iOS keeps as \"+\" (not a space)".to_string()
        } else {
            format!("the link's \"{written}\" becomes \"+\" when iOS decodes url= once")
        };
        let fix = if in_query {
            "in a query a server reads \"+\" as a space: a plus must reach it as %2B, written %252B in the link; a space is %2520"
        } else {
            "a plus in the path is written %2B in the link, a space %2520"
        };
        let start = url.start + url.raw_name.len() + 1 + at;
        out.push(
            self.finding(&rules::PLUS_IN_MANIFEST_URL, message, self.use_corrected(fix))
                .highlight(
                    self.text(),
                    start..start + len,
                    if written == "+" { "stays \"+\"" } else { "becomes \"+\"" },
                ),
        );
    }
}

/// A place as a message names it: "the string assigned to link", "the JSON value at install",
/// a place that has its own article or is markup (`<a href>`) as it is.
fn the(place: &str) -> String {
    let lower = place.to_ascii_lowercase();
    if ["the ", "a ", "an ", "<", "\"", "`"]
        .iter()
        .any(|a| lower.starts_with(a))
    {
        place.to_string()
    } else {
        format!("the {place}")
    }
}
