//! `GET /bank`: the problem bank, browsable. Filters are in the query string (`difficulty`,
//! `tag`, `q` for words in the title, id or prompt), so a filtered view can be linked; every
//! scenario has a start button and a link to its failures on the reference design.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use pipeprep_bank::Scenario;
use serde::Deserialize;

use crate::Shared;
use crate::html::{esc, page};

#[derive(Debug, Default, Deserialize)]
pub struct BankQuery {
    #[serde(default)]
    pub difficulty: String,
    #[serde(default)]
    pub tag: String,
    #[serde(default)]
    pub q: String,
}

/// True when the scenario passes every filter that is set.
pub fn matches(s: &Scenario, f: &BankQuery) -> bool {
    let difficulty = f.difficulty.trim();
    let tag = f.tag.trim();
    let q = f.q.trim().to_lowercase();
    (difficulty.is_empty() || s.difficulty.as_str() == difficulty)
        && (tag.is_empty() || s.tags.iter().any(|t| t == tag))
        && (q.is_empty()
            || q.split_whitespace().all(|w| {
                s.title.to_lowercase().contains(w)
                    || s.id.contains(w)
                    || s.prompt.to_lowercase().contains(w)
                    || s.tags.iter().any(|t| t.contains(w))
            }))
}

/// The page body for the bank and the filters.
pub fn body(scenarios: &[Scenario], f: &BankQuery) -> String {
    let mut b = String::from("<section class=\"card\"><h1>Problem bank</h1>");
    b.push_str(
        "<form class=\"filters\" method=\"get\" action=\"/bank\"><label for=\"b-q\">Words</label>",
    );
    let _ = write!(
        b,
        "<input id=\"b-q\" name=\"q\" type=\"search\" value=\"{}\" placeholder=\"e.g. kafka late\">",
        esc(&f.q)
    );
    b.push_str("<label for=\"b-difficulty\">Difficulty</label><select id=\"b-difficulty\" name=\"difficulty\">");
    for (v, label) in [("", "Any"), ("medium", "Medium"), ("hard", "Hard")] {
        let sel = if f.difficulty == v { " selected" } else { "" };
        let _ = write!(b, "<option value=\"{v}\"{sel}>{label}</option>");
    }
    b.push_str("</select><label for=\"b-tag\">Tag</label><select id=\"b-tag\" name=\"tag\"><option value=\"\">Any</option>");
    let tags: BTreeSet<&str> = scenarios
        .iter()
        .flat_map(|s| s.tags.iter().map(String::as_str))
        .collect();
    for t in &tags {
        let sel = if f.tag == *t { " selected" } else { "" };
        let _ = write!(b, "<option value=\"{0}\"{sel}>{0}</option>", esc(t));
    }
    b.push_str("</select><button type=\"submit\">Filter</button></form>");
    let shown: Vec<&Scenario> = scenarios.iter().filter(|s| matches(s, f)).collect();
    let _ = write!(
        b,
        "<p class=\"muted\" id=\"bank-count\">{} of {} scenarios{}</p>",
        shown.len(),
        scenarios.len(),
        if shown.len() < scenarios.len() {
            " · <a href=\"/bank\">show all</a>"
        } else {
            ""
        }
    );
    if shown.is_empty() {
        b.push_str("<p>No scenario matches these filters.</p></section>");
        return b;
    }
    b.push_str("<table class=\"bank\"><thead><tr><th scope=\"col\">Scenario</th><th scope=\"col\">Difficulty</th><th scope=\"col\">Tags</th><th scope=\"col\"><span class=\"sr\">Start</span></th></tr></thead><tbody>");
    for s in shown {
        let tags: String = s
            .tags
            .iter()
            .map(|t| format!("<a class=\"tag\" href=\"/bank?tag={0}\">{0}</a>", esc(t)))
            .collect();
        let failures = if s.failures.is_empty() {
            String::new()
        } else {
            format!(
                " · <a href=\"/scenarios/{}/failure/1\">failures on the reference design</a>",
                esc(&s.id)
            )
        };
        let _ = write!(
            b,
            "<tr class=\"scenario\" id=\"sc-{id}\"><td><strong>{}</strong><br><span class=\"muted small\">{id}{failures}</span></td><td>{}</td><td>{tags}</td><td><form method=\"post\" action=\"/s\"><input type=\"hidden\" name=\"scenario\" value=\"{id}\"><button type=\"submit\" class=\"primary\">Start<span class=\"sr\"> {}</span></button></form></td></tr>",
            esc(&s.title),
            s.difficulty.as_str(),
            esc(&s.title),
            id = esc(&s.id)
        );
    }
    b.push_str("</tbody></table></section>");
    b
}

/// `GET /bank`.
pub async fn bank(State(shared): State<Arc<Shared>>, Query(f): Query<BankQuery>) -> Response {
    Html(page(
        "Problem bank",
        &body(&shared.knowledge.bank.scenarios, &f),
    ))
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_combine_and_words_search_title_id_prompt_and_tags() {
        let bank = pipeprep_bank::embedded().unwrap();
        let all = &bank.scenarios;
        let count = |f: BankQuery| all.iter().filter(|s| matches(s, &f)).count();
        assert_eq!(count(BankQuery::default()), all.len());
        let hard = count(BankQuery {
            difficulty: "hard".into(),
            ..Default::default()
        });
        let medium = count(BankQuery {
            difficulty: "medium".into(),
            ..Default::default()
        });
        assert!(hard > 0 && medium > 0);
        assert_eq!(hard + medium, all.len());
        let cs = bank.scenario("clickstream-analytics").unwrap();
        let tag = cs.tags[0].clone();
        let f = BankQuery {
            tag: tag.clone(),
            q: "clickstream".into(),
            ..Default::default()
        };
        assert!(matches(cs, &f));
        assert_eq!(count(f), 1);
        assert_eq!(
            count(BankQuery {
                q: "no-such-word-anywhere".into(),
                ..Default::default()
            }),
            0
        );
        let by_tag = BankQuery {
            tag,
            ..Default::default()
        };
        let shown = all.iter().filter(|s| matches(s, &by_tag)).count();
        let page = body(all, &by_tag);
        assert!(page.contains("value=\"clickstream-analytics\""));
        assert_eq!(page.matches("<tr class=\"scenario\"").count(), shown);
        assert_eq!(page.contains("show all"), shown < all.len());
    }
}
