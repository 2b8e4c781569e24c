//! Dialogue understanding: what a candidate's message does, sentence by sentence.
//!
//! A message can hold several acts at once — "What's the peak? Also, can you explain
//! watermarks? I'd start with Kafka." asks a requirement, asks about a concept and begins an
//! answer. The engine replies to every act before it moves the interview on. Everything here is
//! pure: the analysis of the message, its text and a little context in; acts out.

use std::sync::OnceLock;

use pipeprep_analyzer::Analysis;
use regex::Regex;
use serde::Serialize;

/// What one part of a candidate message does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "act", rename_all = "snake_case")]
pub enum DialogueAct {
    /// A question about the scenario's requirements; `topics` may be empty (not recognised).
    RequirementQuestion {
        sentence: usize,
        topics: Vec<String>,
    },
    /// "What is a watermark?", "I'm not sure what backpressure means".
    ConceptQuestion { sentence: usize, concept: String },
    /// "What would you do here?", "Is Kafka or Kinesis better?".
    OpinionRequest { sentence: usize },
    /// "I'm stuck on the hot product", a request for a hint; `concepts` name what it is about.
    Stuck {
        sentence: usize,
        concepts: Vec<String>,
    },
    /// Salary, the weather, "are you a bot": not the interview.
    OffTopic { sentence: usize },
    /// About the interview itself: time left, how it is going, repeat the question.
    Meta { sentence: usize, kind: MetaKind },
    /// Content that answers (part of) the question on the table.
    Answer,
    /// The rest of the previous message, sent separately.
    Continuation,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MetaKind {
    TimeLeft,
    HowAmIDoing,
    Repeat,
}

/// What the classifier needs to know besides the message.
#[derive(Debug, Clone, Default)]
pub struct Context<'a> {
    /// The previous candidate message and how long ago it was sent, if any.
    pub previous: Option<(&'a str, u64)>,
    /// Concept ids that have a glossary entry (only those can be explained).
    pub explainable: &'a [String],
}

fn re(cell: &'static OnceLock<Regex>, src: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(src).expect("dialogue patterns are valid"))
}

/// Asking what something is or means (a stronger cue than a bare "what is").
fn explain_cue() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(
        &R,
        r"(?-u)\b(explain|what do you mean by|what means|what mean|in plain (terms|words|english)|what'?s that\b|what is that\b|what are those\b|what'?s an? [a-z0-9_-]+\?|what does [a-z0-9_ '-]{1,40} mean|what('s| is| are) (a|an|the idea of|meant by)\b|meaning of|define|definition of|remind me what|how do(es)? [a-z0-9_ '-]{1,40} work|not (sure|familiar|clear) (what|with|about what|on what)|never heard of|don'?t (know|understand) what|what exactly (is|are)|tell me (what|about)|walk me through what|heard of|[a-z0-9]+ *= *\?)",
    )
}

/// The term a concept question names in so many words: quoted ("what does 'compaction' mean"),
/// or between "what does" and "mean", or after "what is a".
fn named_term() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(
        &R,
        r#"(?-u)'([a-z0-9][a-z0-9 ._-]{1,38})'|"([a-z0-9][a-z0-9 ._-]{1,38})"|what does (?:an? |the )?([a-z0-9][a-z0-9 ._-]{1,38}) mean|what(?:'s| is) (?:an? |the )?([a-z0-9][a-z0-9 ._-]{1,38}) *\?"#,
    )
}

/// The explainable concept whose id is the term a question names ("compaction",
/// "dead letter queue"), when the lexicon's terms did not find one.
fn concept_named(lower: &str, explainable: &[String]) -> Option<String> {
    let caps = named_term().captures(lower)?;
    let term = (1..=4).find_map(|i| caps.get(i))?.as_str().trim();
    let slug = term.replace([' ', '_', '.'], "-");
    let singular = slug.strip_suffix('s').unwrap_or(&slug).to_string();
    [slug, singular]
        .into_iter()
        .find(|id| explainable.iter().any(|e| e == id))
}

fn what_is() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r"(?-u)\bwhat('s| is| are)\b")
}

fn opinion_cue() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(
        &R,
        r"(?-u)\b(what would you (do|pick|choose|use|recommend|go with|suggest|prefer)|what do you (think|recommend|suggest|prefer|usually see)|your (opinion|recommendation|take|preference|view)|which (one )?would you|would you (recommend|go with|use|pick|choose|prefer)|is it (better|worth|a good idea)|which is better|should (i|we) (use|go|pick|choose|prefer)|what'?s the (right|best|correct|expected|ideal) (answer|approach|choice|design|way)|how would you (do|solve|approach|design|build) (it|this|that)|what are you looking for|what is the answer|do you (agree|prefer|think)|if you were me|would you (put|run|use|keep|store|go|build)|overkill|is (it|that|this) (ok|okay|fine|enough|a good idea|right|correct|too much|necessary)|would (it|that|this) be (ok|okay|fine|enough|better|a problem)|just tell me|what should (i|we) (use|do|pick|choose)|(or|vs\.?|versus) [a-z0-9 -]{1,30} for (the|this)|better choice|which (one|option|is better|should))",
    )
}

fn stuck_cue() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(
        &R,
        r"(?-u)\b((i'?m|i am|i feel|feeling) (stuck|lost|blanking|blocked)|stuck on|no idea (how|what|where)|(don'?t|do not) know (how|where to)|not sure how (to|i'?d|i would)|can you help|help me|(a|another|one more) hint|give me a (hint|clue|nudge)|need a (hint|clue|nudge)|what do i do about|how do i (deal|handle|fix)|how (am i|are we) (even )?supposed to)",
    )
}

fn off_topic_cue() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(
        &R,
        r"(?-u)\b(salary|salaries|compensation|pay band|pay range|equity|stock options|bonus|benefits|vacation|holidays? (policy|allowance)|pto|work from home|remote work|relocat\w*|visa|sponsorship|lunch|weather|your name|are you (a |an )?(bot|ai|robot|human|real|person|llm)|who (made|built|wrote) you|tell me a joke|favou?rite (food|movie|color|colour|team)|hiring process|next round|(this|the) (role|job|position) (is )?(remote|hybrid|on-?site|based)|is (this|the) (role|job|position)|work remotely|how many rounds|recruiter|team culture|dress code|sports?|football|joke|jokes|funny|is this (being )?recorded|are you recording|my cat|the cat|my dog|keyboard|oops|lunch break|coffee)\b",
    )
}

/// Off topic whatever else the sentence mentions.
fn always_off_topic() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(
        &R,
        r"(?-u)\b(salary|salaries|compensation|pay band|(is|are) (this|the|we|you) ([a-z]+ )?(being )?record(ed|ing)|are you (a |an )?(bot|ai|robot|human|llm)|tell me a joke|my cat|my dog)\b",
    )
}

fn meta_time() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(
        &R,
        r"(?-u)\b(how much time (do we have|is left|left|remains|have we got)|time (is )?left|minutes left|how long (do|have) we (got|have)|are we (running )?(out of|over) time)\b",
    )
}

/// "How long do we have to erase…": the clock words followed by a task of the scenario (a
/// requirement deadline), not by the interview itself ("to finish", "left", "for this").
fn time_about_task() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(
        &R,
        r"(?-u)\bhow long (do|have) we (got|have) (to|until|before) (\w+)",
    )
}

/// Whether a sentence the clock pattern matched really asks about the interview's time.
fn asks_interview_time(lower: &str, has_topics: bool) -> bool {
    if !meta_time().is_match(lower) {
        return false;
    }
    match time_about_task().captures(lower) {
        Some(c) => {
            let verb = c.get(4).map_or("", |m| m.as_str());
            let about_interview = matches!(
                verb,
                "finish"
                    | "wrap"
                    | "go"
                    | "answer"
                    | "talk"
                    | "spend"
                    | "do"
                    | "work"
                    | "the"
                    | "end"
                    | "design"
                    | "cover"
                    | "get"
                    | "complete"
            );
            about_interview && !has_topics
        }
        None => true,
    }
}

fn meta_doing() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(
        &R,
        r"(?-u)\b(how am i doing|how('?m| am) i doing|am i on (the right )?track|is this (what you want|ok|okay|good|right)|was that (ok|okay|good|right|enough)|did i (pass|do ok|do well))\b",
    )
}

fn meta_repeat() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(
        &R,
        r"(?-u)\b(repeat the question|can you repeat|say that again|what was the question|what('?s| is) the question|where were we|sorry,? what\?|come again)\b",
    )
}

/// A proposal phrased as a question: "Maybe retry?", "Perhaps a bigger cluster?".
fn tentative() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(
        &R,
        r"^\W*(maybe|perhaps|probably|possibly|i guess|just)\b[^?]*\?\s*$",
    )
}

fn unsure() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(
        &R,
        r"(?-u)\b(not sure|no idea|don'?t know|do not know|no clue|not certain|never heard)\b",
    )
}

/// Words that open a message that carries on the previous one.
fn continuation_start() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(
        &R,
        r"(?-u)^\s*(and|also|plus|then|oh,? and|continuing|cont'?d|\.\.\.|…|->|\||=>|to continue|part \d|\(\d/\d\)|\d/\d\b)",
    )
}

/// A candidate message within this long after the previous one may be its continuation.
pub const CONTINUATION_WINDOW_MS: u64 = 45_000;

/// Nobody reads a reply and writes a new answer this fast: a message this soon after the
/// previous one is the rest of it (a long answer pasted or sent in parts).
pub const PASTE_WINDOW_MS: u64 = 10_000;

fn ready_cue() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(
        &R,
        r"(?-u)\b(let me (sketch|draw|design|start|propose)|ready to (design|draw|sketch|start)|i (have|got) (the|a|enough of a|a good) (picture|idea)|enough to (start|go on|design)|let'?s (design|start designing|draw|sketch|move on|get (to|into) the design)|i'?ll start (with )?the design|(move|go) (on )?to the design|start designing)\b",
    )
}

fn assumption_cue() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(
        &R,
        r"(?-u)\b(i'?ll assume|i assume|i'?m assuming|assuming|presumably|i guess|i suppose|i'?d guess|let'?s say|probably)\b",
    )
}

/// The sentences that state an assumption ("I'll assume devices are always online").
pub fn assumptions(a: &Analysis) -> Vec<usize> {
    (0..a.sentences.len())
        .filter(|&i| {
            !a.questions.iter().any(|q| q.sentence == i)
                && assumption_cue().is_match(&a.sentences[i].to_lowercase())
        })
        .collect()
}

/// The candidate says they are ready to move from questions to the design.
pub fn ready_to_design(sentences: &[String]) -> bool {
    sentences
        .iter()
        .any(|s| ready_cue().is_match(&s.to_lowercase()))
}

/// What a "stuck" sentence says the candidate is stuck on: the words after the cue, up to the
/// next comma or question mark ("where to keep seven years of data").
pub fn stuck_on(sentence: &str) -> String {
    let lower = sentence.to_lowercase();
    if let Some(m) = stuck_cue().find(&lower) {
        let rest = &sentence[m.end().min(sentence.len())..];
        let rest = rest.split([',', '?', ';']).next().unwrap_or("").trim();
        if rest.split_whitespace().count() >= 2 {
            return rest.to_string();
        }
    }
    sentence.to_string()
}

/// Splits a message into its acts. `Answer` appears at most once, after the questions, when the
/// message also says something of substance; `Continuation` replaces it when the message carries
/// on the previous one.
pub fn acts(a: &Analysis, ctx: &Context<'_>) -> Vec<DialogueAct> {
    let mut out = Vec::new();
    let mut handled: Vec<usize> = Vec::new();
    // Each sentence's concepts named in terms (not by meaning), and its components.
    let concepts_by: Vec<Vec<&str>> = a
        .concepts_by_sentence()
        .into_iter()
        .map(|hits| {
            hits.into_iter()
                .filter(|h| !h.semantic)
                .map(|h| h.id.as_str())
                .collect()
        })
        .collect();
    let components_by = a.components_by_sentence();
    for (si, sentence) in a.sentences.iter().enumerate() {
        let lower = sentence.to_lowercase();
        // "Maybe retry?" is a tentative answer, not a question.
        let is_question =
            a.questions.iter().any(|q| q.sentence == si) && !tentative().is_match(&lower);
        let topics: Vec<String> = a
            .questions
            .iter()
            .find(|q| q.sentence == si)
            .map(|q| q.topics.clone())
            .unwrap_or_default();
        let concepts_here: &[&str] = &concepts_by[si];
        let components_here = !components_by[si].is_empty();
        let meta = if asks_interview_time(&lower, !topics.is_empty()) {
            Some(MetaKind::TimeLeft)
        } else {
            [
                (meta_doing(), MetaKind::HowAmIDoing),
                (meta_repeat(), MetaKind::Repeat),
            ]
            .into_iter()
            .find(|(r, _)| r.is_match(&lower))
            .map(|(_, k)| k)
        };
        if let Some(kind) = meta {
            out.push(DialogueAct::Meta { sentence: si, kind });
            handled.push(si);
            continue;
        }
        if always_off_topic().is_match(&lower)
            || off_topic_cue().is_match(&lower)
                && topics.is_empty()
                && concepts_here.is_empty()
                && !components_here
        {
            out.push(DialogueAct::OffTopic { sentence: si });
            handled.push(si);
            continue;
        }
        if stuck_cue().is_match(&lower) {
            out.push(DialogueAct::Stuck {
                sentence: si,
                concepts: concepts_here.iter().map(|c| c.to_string()).collect(),
            });
            handled.push(si);
            continue;
        }
        if opinion_cue().is_match(&lower) {
            out.push(DialogueAct::OpinionRequest { sentence: si });
            handled.push(si);
            continue;
        }
        let strong = explain_cue().is_match(&lower);
        // "Someone mentioned a Bloom filter. In plain terms, what is that?": the concept named
        // in the sentence before.
        let named_before: &[&str] = if strong && concepts_here.is_empty() && si > 0 {
            &concepts_by[si - 1]
        } else {
            &[]
        };
        let explainable: Vec<&str> = concepts_here
            .iter()
            .chain(named_before.iter())
            .copied()
            .filter(|c| ctx.explainable.iter().any(|e| e == c))
            .collect();
        let weak = what_is().is_match(&lower) && topics.is_empty();
        let named = if explainable.is_empty() && strong {
            concept_named(&lower, ctx.explainable)
        } else {
            None
        };
        if let Some(c) = explainable.first().map(|c| c.to_string()).or(named)
            && (strong || (weak && is_question))
        {
            // "Someone mentioned a Bloom filter." only names what the question is about: it is
            // part of the question, not an answer to follow up.
            // A longer sentence before is more than a pointer and still counts as an answer.
            if named_before.contains(&c.as_str())
                && a.sentences[si - 1].split_whitespace().count() <= 12
            {
                handled.push(si - 1);
            }
            out.push(DialogueAct::ConceptQuestion {
                sentence: si,
                concept: c,
            });
            handled.push(si);
            continue;
        }
        if is_question {
            out.push(DialogueAct::RequirementQuestion {
                sentence: si,
                topics,
            });
            handled.push(si);
        }
    }
    let pasted = ctx.previous.is_some_and(|(_, ago)| ago <= PASTE_WINDOW_MS);
    if pasted && out.is_empty() {
        // Seconds after the previous message: its rest, even when it says little.
        out.push(DialogueAct::Continuation);
    } else if has_substance(a, &handled) {
        let continuing = ctx.previous.is_some_and(|(prev, ago)| {
            ago <= PASTE_WINDOW_MS
                || ago <= CONTINUATION_WINDOW_MS
                    && (ends_mid_thought(prev)
                        || continuation_start().is_match(&a.sentences.join(" ").to_lowercase()))
        });
        out.push(if continuing {
            DialogueAct::Continuation
        } else {
            DialogueAct::Answer
        });
    }
    out
}

/// The previous message stopped in the middle: a colon, a comma, a dangling arrow or no
/// sentence end.
fn ends_mid_thought(prev: &str) -> bool {
    let t = prev.trim_end();
    let Some(last) = t.chars().last() else {
        return false;
    };
    matches!(last, ':' | ',' | ';' | '-' | '>' | '|' | '(' | '…')
        || t.ends_with("->")
        || t.ends_with("...")
        || (last.is_alphanumeric() && t.split_whitespace().count() >= 8)
}

/// Whether the sentences not taken by questions or requests say something: a concept, a
/// component, a number, a reason, a design, or a dozen meaningful words.
fn has_substance(a: &Analysis, handled: &[usize]) -> bool {
    let mut in_rest = vec![true; a.sentences.len()];
    for &i in handled {
        if let Some(r) = in_rest.get_mut(i) {
            *r = false;
        }
    }
    let rest = |i: usize| in_rest.get(i).copied().unwrap_or(false);
    if !in_rest.contains(&true) {
        return false;
    }
    if !a.design.edges().is_empty() {
        return true;
    }
    let concept = || a.concepts.iter().any(|h| rest(h.sentence) && h.counts());
    let component = || a.components.iter().any(|h| rest(h.sentence) && !h.negated);
    // "I heard it in a course but I'm not sure" is not an answer.
    let words = || -> usize {
        (0..a.sentences.len())
            .filter(|&i| rest(i) && !unsure().is_match(&a.sentences[i].to_lowercase()))
            .map(|i| a.sentences[i].split_whitespace().count())
            .sum()
    };
    concept() || component() || words() >= 8 || a.reasoning.iter().any(|&i| rest(i))
}

impl DialogueAct {
    /// The sentence a question or request act was read from.
    pub fn sentence(&self) -> Option<usize> {
        match self {
            DialogueAct::RequirementQuestion { sentence, .. }
            | DialogueAct::ConceptQuestion { sentence, .. }
            | DialogueAct::OpinionRequest { sentence }
            | DialogueAct::Stuck { sentence, .. }
            | DialogueAct::OffTopic { sentence }
            | DialogueAct::Meta { sentence, .. } => Some(*sentence),
            DialogueAct::Answer | DialogueAct::Continuation => None,
        }
    }
}

fn detection_cue() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(
        &R,
        r"(?-u)\b(detect\w*|alert\w*|alarm\w*|monitor\w*|pag(e|es|ed|ing) (me|us|the|on-?call|someone)|notic\w+|we'?d see|we would see|(would|could|should) (have )?(told|tell|shown|show|caught|catch|flagged|flag|spotted|spot)|(daily|hourly|regular) checks?|checks? on|(a|the|an) (check|test|alert|alarm|monitor)s? (that|which|after|on|before|comparing)|would have (shouted|screamed|alerted|fired|caught|flagged|told)|reconcil\w+|compar\w+ (the )?(counts?|totals?|against|with)|lag (metric|graph|alert|alarm)|metrics?|dashboards? (for|on|of) (lag|freshness|errors?)|health ?checks?|canary (checks?|queries)|anomal\w+|freshness (check|sla|monitor\w*)|row counts?|error rates?|observab\w+|we'?d know|find out)\b",
    )
}

fn recovery_cue() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(
        &R,
        r"(?-u)\b(replay\w*|re-?process\w*|backfill\w*|recomput\w+|re-?run\w*|roll(ed|ing)? (it )?back|rollback|restart\w*|restor\w+|catch(es|ing)? up|drain\w*|fail(s|ed|ing)? ?over|failover|re-?deploy\w*|dedup\w*|de-?duplicat\w+|fix (the )?(data|output|counts)|rewind\w*|reset (the )?offsets?|scale (it )?(out|up)|add (more )?(consumers|workers|task ?managers|nodes|partitions)|stale banner|degrad\w+|fall ?back|switch (over|to)|promot\w+|re-?elect\w*|leader election|dead[- ]letter|quarantin\w+|reload\w*|rebuild\w*|replac\w+|recreat\w+|redo|re-?load\w*|overwrit\w+|upsert\w*|merge into|correct(ing)? the)\b",
    )
}

fn prevention_cue() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(
        &R,
        r"(?-u)\b(prevent\w*|going forward|next time|in (the )?future|so (that )?(it|this) (doesn'?t|does not|won'?t|can'?t|never)|never happen\w*|canary|canaries|load[- ]test\w*|chaos|post-?mortem\w*|runbook\w*|guard ?rails?|contract tests?|in ci\b|ci checks?|add(ing)? (a )?tests?|replication factor|min\.?insync|min[. ]in[- ]sync|acks ?= ?all|idempoten\w+|schema registry|compatib\w+ (check|mode|rules?)|headroom|auto-?scal\w+|rate[- ]limit\w*|salt\w*|circuit breaker\w*|blue[- ]green|staged rollout|feature flags?|multi[- ]az|more partitions up front|over-?provision\w*|capacity plan\w*|review\w* (the )?(deploy|process|change))\b",
    )
}

fn key_cue() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(
        &R,
        r"(?-u)\b(key(ed)? (it |them |the \w+ )?(by|on)|partition(ed)? (it |them )?(by|on)|hash(ed)? (of|on|by)|(by|on) (the )?(user|device|customer|order|session|product|account|event|driver|merchant|restaurant|card|tenant)[_ ]?id|keys? (is|are|would be|=)|keying|as the key|the key)\b",
    )
}

fn count_cue() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(
        &R,
        r"(?-u)(\b\d[\d,.]*\s*k?\s*(partitions?|shards?|nodes?|brokers?|executors?|workers?|instances?|consumers?|replicas?|task ?slots?|cores?|vcpus?|machines?|servers?|pods?|tasks?|subtasks?|parallelism)\b|\b(partitions?|shards?|parallelism|nodes?|brokers?)\s*(of|to|=|:|at|around|about)?\s*~?\d)",
    )
}

fn label_cue(part: Part) -> &'static str {
    match part {
        Part::Detection => "detection:",
        Part::Recovery => "recovery:",
        Part::Prevention => "prevention:",
        _ => "\u{0}",
    }
}

use crate::interview::Part;

/// Whether an answer covers one part of the question on the table, and the candidate's words
/// that cover it (a few, for a specific acknowledgement). Only statements count; `concepts` are
/// lexicon concepts that count for the part (a failure's detection set, say).
pub fn part_evidence(a: &Analysis, part: Part, concepts: &[&str]) -> Option<String> {
    let asked: Vec<usize> = a.questions.iter().map(|q| q.sentence).collect();
    // The candidate's own term for it first, then a cue phrase, then a sentence that means it.
    let hit = |semantic: bool| {
        a.concepts.iter().find(|h| {
            h.counts()
                && h.semantic == semantic
                && !asked.contains(&h.sentence)
                && concepts.contains(&h.id.as_str())
        })
    };
    if let Some(h) = hit(false) {
        return Some(h.matched.trim().to_string());
    }
    if let Some(words) = cue_evidence(a, part, &asked) {
        return Some(words);
    }
    hit(true).map(|h| clip(&h.matched, 0, 7))
}

/// Coverage of a part by the cue phrases alone.
fn cue_evidence(a: &Analysis, part: Part, asked: &[usize]) -> Option<String> {
    for (si, s) in a.sentences.iter().enumerate() {
        if asked.contains(&si) {
            continue;
        }
        let lower = s.to_lowercase();
        if let Some(i) = lower.find(label_cue(part)) {
            let after = &s[i + label_cue(part).len()..];
            if after.split_whitespace().count() >= 2 {
                return Some(clip(after, 0, 7));
            }
        }
        let cue = match part {
            Part::Detection => detection_cue(),
            Part::Recovery => recovery_cue(),
            Part::Prevention => prevention_cue(),
            Part::Key => key_cue(),
            Part::Count => count_cue(),
            Part::Reason => {
                if a.is_reasoned(si) {
                    return Some(clip(s, 0, 7));
                }
                continue;
            }
        };
        // A negated mention ("we don't monitor it") is not coverage.
        if let Some(m) = cue.find(&lower)
            && !negated_before(&lower, m.start())
        {
            return Some(clip(s, m.start(), 6));
        }
    }
    None
}

/// A "not", "no", "don't" or "without" within the three words before `at`.
fn negated_before(lower: &str, at: usize) -> bool {
    let mut cut = at.min(lower.len());
    while !lower.is_char_boundary(cut) {
        cut -= 1;
    }
    lower[..cut].split_whitespace().rev().take(3).any(|w| {
        matches!(
            w,
            "not" | "no" | "don't" | "dont" | "never" | "without" | "won't" | "can't"
        )
    })
}

/// Up to `n` words of `s` starting at byte `from` (moved to a char boundary), without trailing
/// punctuation.
fn clip(s: &str, from: usize, n: usize) -> String {
    let mut from = from.min(s.len());
    while !s.is_char_boundary(from) {
        from -= 1;
    }
    let words: Vec<&str> = s[from..].split_whitespace().take(n).collect();
    words
        .join(" ")
        .trim_end_matches(|c: char| !c.is_alphanumeric())
        .trim_start_matches(|c: char| !c.is_alphanumeric())
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_that_stops_on_a_colon_is_mid_thought() {
        assert!(ends_mid_thought("My design has three parts:"));
        assert!(ends_mid_thought("Kafka ->"));
        assert!(!ends_mid_thought("That's my design."));
        assert!(!ends_mid_thought("ok"));
    }

    #[test]
    fn every_pattern_compiles() {
        for r in [
            explain_cue(),
            what_is(),
            opinion_cue(),
            stuck_cue(),
            off_topic_cue(),
            meta_time(),
            meta_doing(),
            meta_repeat(),
            tentative(),
            continuation_start(),
            detection_cue(),
            recovery_cue(),
            prevention_cue(),
            key_cue(),
            count_cue(),
            ready_cue(),
            unsure(),
            always_off_topic(),
            assumption_cue(),
        ] {
            assert!(!r.is_match("zzzz"));
        }
    }

    #[test]
    fn cues_are_whole_phrases() {
        assert!(opinion_cue().is_match("honestly, what would you do here?"));
        assert!(stuck_cue().is_match("i'm stuck on the celebrity product thing"));
        assert!(off_topic_cue().is_match("what's the salary band?"));
        assert!(!off_topic_cue().is_match("we keep the raw events"));
        assert!(explain_cue().is_match("can you explain watermarks to me?"));
        assert!(meta_repeat().is_match("sorry, can you repeat the question?"));
    }
}
