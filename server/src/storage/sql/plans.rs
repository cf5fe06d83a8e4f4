//! How each backend's planner runs the statements a big site leans on (`EXPLAIN QUERY PLAN` on
//! SQLite, `EXPLAIN` on PostgreSQL), for the bench to print beside its timings: an index missing
//! at a million rows shows as the scan it causes. Test builds only, like the bench's seeding.
//!
//! Each statement is the operation's own text (its constant or builder), bound with values like
//! those the bench then asks for, so a plan here is the plan behind a figure there.

use sqlx::Row;

use super::data::{
    AUTHOR_TESTIMONIALS, ERASE_ADVOCATE, ERASE_AUDIT_DETAIL, ERASE_CONVERSIONS, ERASE_IDEMPOTENCY_KEYS,
    ERASE_INVITATIONS, SITE_DELIVERIES,
};
use super::media::MEDIA_OF_AUTHOR;
use super::referrals::LEADERBOARD;
use super::testimonials::RATING_TALLY;
use super::*;

/// The values the statements are planned with.
pub struct PlanProbe {
    pub site_id: i64,
    /// A cursor deep into the published list, and one deep into the pending queue.
    pub deep_cursor: Cursor,
    pub deep_pending_cursor: Cursor,
    /// Words a moderator searches for.
    pub search: String,
    pub tag: String,
    /// An address to erase.
    pub email: String,
    pub page_size: u32,
}

/// One statement's plan, a line per step (nested steps indented).
pub struct QueryPlan {
    /// What the statement does, e.g. "public list, first page".
    pub statement: &'static str,
    pub lines: Vec<String>,
}

enum Value {
    Int(Option<i64>),
    Text(Option<String>),
}

impl SqlStorage {
    /// The plan of every statement behind the public list, the moderation queue and its search,
    /// erasure and the referral leaderboard.
    pub async fn query_plans(&self, probe: &PlanProbe) -> Result<Vec<QueryPlan>, StorageError> {
        use Value::{Int, Text};
        let site = || Int(Some(probe.site_id));
        let text = |value: &str| Text(Some(value.to_owned()));
        let list = |status: Status, tag: Option<&str>, search: Option<&str>, cursor: Option<&Cursor>| {
            vec![
                site(),
                text(status.as_str()),
                Text(tag.map(str::to_owned)),
                Text(search.map(|words| SearchFilter::new(self.backend, words).into_parameter())),
                Int(None),
                Int(cursor.map(|cursor| cursor.created_at)),
                Text(cursor.map(|cursor| cursor.id.clone())),
                Int(Some(i64::from(probe.page_size))),
            ]
        };
        let key = crate::domain::email_key(&probe.email);
        let email = || text(&probe.email);
        // An id that is no testimonial's: the plan is the same for every id.
        let some_id = || text("planprobe");
        let statements: Vec<(&'static str, String, Vec<Value>)> = vec![
            ("public list, first page", self.list_sql(None), list(Status::Approved, None, None, None)),
            (
                "public list, one tag",
                self.list_sql(None),
                list(Status::Approved, Some(&probe.tag), None, None),
            ),
            (
                "public list, deep cursor",
                self.list_sql(None),
                list(Status::Approved, None, None, Some(&probe.deep_cursor)),
            ),
            ("rating summary", RATING_TALLY.to_owned(), vec![site(), text("")]),
            ("rating summary, one tag", RATING_TALLY.to_owned(), vec![site(), text(&probe.tag)]),
            ("moderation queue, first page", self.list_sql(None), list(Status::Pending, None, None, None)),
            (
                "moderation queue, deep page",
                self.list_sql(None),
                list(Status::Pending, None, None, Some(&probe.deep_pending_cursor)),
            ),
            (
                "moderation search (approved)",
                self.list_sql(Some(&SearchFilter::new(self.backend, &probe.search))),
                list(Status::Approved, None, Some(&probe.search), None),
            ),
            ("erasure: media of the author", format!("SELECT m.id {MEDIA_OF_AUTHOR}"), vec![site(), email()]),
            (
                "erasure: the author's testimonials",
                format!("SELECT id {AUTHOR_TESTIMONIALS}"),
                vec![site(), email()],
            ),
            ("erasure: idempotency keys", ERASE_IDEMPOTENCY_KEYS.to_owned(), vec![site(), some_id()]),
            ("erasure: audit details", ERASE_AUDIT_DETAIL.to_owned(), vec![site(), some_id()]),
            ("erasure: webhook deliveries", SITE_DELIVERIES.to_owned(), vec![site()]),
            ("erasure: delete testimonials", format!("DELETE {AUTHOR_TESTIMONIALS}"), vec![site(), email()]),
            ("erasure: advocate", ERASE_ADVOCATE.to_owned(), vec![site(), text(&key)]),
            ("erasure: conversions", ERASE_CONVERSIONS.to_owned(), vec![site(), text(&key)]),
            ("erasure: invitations", ERASE_INVITATIONS.to_owned(), vec![site(), text(&key)]),
            ("referral leaderboard", LEADERBOARD.to_owned(), vec![site(), Int(Some(50)), Int(Some(0))]),
        ];
        let mut plans = Vec::with_capacity(statements.len());
        for (statement, sql, values) in statements {
            plans.push(QueryPlan { statement, lines: self.explain(&sql, &values).await? });
        }
        Ok(plans)
    }

    async fn explain(&self, sql: &str, values: &[Value]) -> Result<Vec<String>, StorageError> {
        let prefix = match self.backend {
            Backend::Sqlite => "EXPLAIN QUERY PLAN",
            Backend::Postgres => "EXPLAIN",
        };
        let statement = format!("{prefix} {sql}");
        let mut query = sqlx::query(&statement);
        for value in values {
            query = match value {
                Value::Int(number) => query.bind(*number),
                Value::Text(text) => query.bind(text.clone()),
            };
        }
        let rows = query.fetch_all(&self.pool).await?;
        match self.backend {
            // PostgreSQL indents its plan itself, one line a row.
            Backend::Postgres => rows.iter().map(|row| Ok(row.try_get::<String, _>(0)?)).collect(),
            // SQLite's rows are (id, parent, notused, detail): indented here by depth.
            Backend::Sqlite => {
                let mut depths: BTreeMap<i64, usize> = BTreeMap::new();
                let mut lines = Vec::with_capacity(rows.len());
                for row in &rows {
                    let (id, parent): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
                    let detail: String = row.try_get(3)?;
                    let depth = depths.get(&parent).map_or(0, |depth| depth + 1);
                    depths.insert(id, depth);
                    lines.push(format!("{}{detail}", "  ".repeat(depth)));
                }
                Ok(lines)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TestDatabase;

    /// Every statement the bench plans is valid SQL on this backend, as the operations run it.
    #[tokio::test]
    async fn every_statement_has_a_plan() {
        let database = TestDatabase::create().await.unwrap();
        let storage = crate::storage::open(&database.url).await.unwrap();
        let cursor = Cursor { created_at: 1_700_000_000_000, id: "abc".into() };
        let probe = PlanProbe {
            site_id: 1,
            deep_cursor: cursor.clone(),
            deep_pending_cursor: cursor,
            search: "beans".into(),
            tag: "gift".into(),
            email: "Ada@Example.com".into(),
            page_size: 20,
        };
        let plans = storage.query_plans(&probe).await.unwrap();
        assert_eq!(plans.len(), 18);
        for plan in plans {
            assert!(!plan.lines.is_empty(), "{} has no plan", plan.statement);
        }
    }
}
