//! The coupon pool: codes the owner created in their shop, uploaded one per line, each handed
//! out once as a reward.

use super::super::{audit, Actor, Service, ServiceError, ServiceResult};
use crate::clock::now_ms;
use crate::storage::{CouponCounts, CouponsAdded, Site};

/// Longest code taken; shops' codes are far shorter.
pub const MAX_CODE_CHARS: usize = 64;

/// Most codes in one upload.
pub const MAX_CODES: usize = 10_000;

/// The codes of an upload, one per line (blank lines skipped, spaces around a code trimmed,
/// repeats within the file kept once). Every refused line is named.
pub fn parse_codes(text: &str) -> Result<Vec<String>, String> {
    let mut codes: Vec<String> = Vec::new();
    let mut refused = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let code = line.trim();
        if code.is_empty() {
            continue;
        }
        let problem = if code.chars().count() > MAX_CODE_CHARS {
            Some(format!("longer than {MAX_CODE_CHARS} characters"))
        } else if code.chars().any(|c| c.is_whitespace() || c.is_control()) {
            Some("has a space or an invisible character inside; put one code on each line".to_owned())
        } else {
            None
        };
        match problem {
            Some(problem) => refused.push(format!("line {}: {problem}", index + 1)),
            None if !codes.iter().any(|known| known == code) => codes.push(code.to_owned()),
            None => {}
        }
    }
    if !refused.is_empty() {
        let shown: Vec<String> = refused.iter().take(10).cloned().collect();
        let more =
            if refused.len() > 10 { format!(" (and {} more)", refused.len() - 10) } else { String::new() };
        return Err(format!("{}{more}; nothing was added", shown.join("; ")));
    }
    if codes.is_empty() {
        return Err("has no codes: put one code on each line".into());
    }
    if codes.len() > MAX_CODES {
        return Err(format!("has {} codes; add at most {MAX_CODES} at a time", codes.len()));
    }
    Ok(codes)
}

impl Service {
    /// Adds the codes in `text` to the site's pool (codes already there are skipped); rewards
    /// waiting for a code go out in the next round.
    pub async fn add_coupons(
        &self,
        site: &Site,
        actor: Actor<'_>,
        text: &str,
    ) -> ServiceResult<CouponsAdded> {
        let codes = parse_codes(text).map_err(|message| ServiceError::field("codes", message))?;
        let added = self.storage.add_coupons(site.id, &codes, now_ms()).await?;
        audit::site_change(&self.storage, site, actor, "add coupon codes", Some(added.added.to_string()))
            .await?;
        Ok(added)
    }

    pub async fn coupon_counts(&self, site: &Site) -> ServiceResult<CouponCounts> {
        Ok(self.storage.coupon_counts(site.id).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_code_a_line_trimmed_and_once() {
        assert_eq!(
            parse_codes("SAVE10\r\n\n  FRIEND-2  \nSAVE10\n"),
            Ok(vec!["SAVE10".to_owned(), "FRIEND-2".to_owned()])
        );
    }

    #[test]
    fn refused_lines_are_named_and_nothing_is_taken() {
        let long = "X".repeat(65);
        let error = parse_codes(&format!("OK1\nTWO CODES\n{long}\n")).unwrap_err();
        assert!(error.starts_with("line 2: has a space"), "{error}");
        assert!(error.contains("line 3: longer than 64"), "{error}");
        assert!(parse_codes("\n \n").unwrap_err().contains("no codes"));
    }
}
