//! The offline voice: the interviewer of the spec — warm, Socratic, never scolding — in set
//! phrasings. Several phrasings per act, chosen by the seeded generator, and no sentence is said
//! twice in one interview: a phrasing whose fixed sentences were already used is skipped, and when
//! all are used the content is said without framing.

use std::collections::BTreeSet;

/// A small deterministic generator (SplitMix64), so the same seed gives the same interview.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// Splits text into sentences for the no-repeat rule (normalised: lowercase, single spaces).
pub fn sentence_keys(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        cur.push(c);
        let end = matches!(c, '.' | '?' | '!')
            && chars.get(i + 1).is_none_or(|n| n.is_whitespace())
            || c == '\n';
        if end {
            push_key(&mut out, &cur);
            cur.clear();
        }
    }
    push_key(&mut out, &cur);
    out
}

fn push_key(out: &mut Vec<String>, s: &str) {
    let k: String = s
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    let k = k.trim_matches(|c: char| !c.is_alphanumeric()).to_string();
    if k.split(' ').count() >= 2 {
        out.push(k);
    }
}

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Voice {
    used: BTreeSet<String>,
}

impl Voice {
    /// Fills `{}` in the phrasings with `content` and picks one whose sentences are all new. With
    /// an empty `content`, the phrasings stand alone.
    pub fn say(&mut self, rng: &mut Rng, phrasings: &[&str], content: &str) -> String {
        let start = rng.below(phrasings.len().max(1));
        for i in 0..phrasings.len() {
            let p = phrasings[(start + i) % phrasings.len()];
            let text = p.replace("{}", content);
            if sentence_keys(&text).iter().all(|k| !self.used.contains(k)) {
                self.remember(&text);
                return text;
            }
        }
        // Every framing was used: say only the part that is new, sentence by sentence.
        self.fresh(content)
    }

    /// Like `say`, but the content is said whole even where it repeats something said before
    /// (a reminder of a fact the candidate already has); only the framing must be new.
    pub fn say_whole(&mut self, rng: &mut Rng, phrasings: &[&str], content: &str) -> String {
        let start = rng.below(phrasings.len().max(1));
        let pick = (0..phrasings.len())
            .map(|i| phrasings[(start + i) % phrasings.len()])
            .find(|p| {
                sentence_keys(&p.replace("{}", ""))
                    .iter()
                    .all(|k| !self.used.contains(k))
            });
        let text = match pick {
            Some(p) => p.replace("{}", content),
            None => content.to_string(),
        };
        self.remember(&text);
        text
    }

    /// Records text said by other means (the scenario prompt, a bank question).
    pub fn remember(&mut self, text: &str) {
        self.used.extend(sentence_keys(text));
    }

    /// Keeps only the sentences of `text` not said before, and remembers them.
    pub fn fresh(&mut self, text: &str) -> String {
        let fresh: Vec<String> = split_keep(text)
            .into_iter()
            .filter(|s| sentence_keys(s).iter().all(|k| !self.used.contains(k)))
            .collect();
        let out = fresh.join(" ");
        self.remember(&out);
        out
    }
}

pub fn split_keep(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        cur.push(c);
        if matches!(c, '.' | '?' | '!') && chars.get(i + 1).is_none_or(|n| n.is_whitespace()) {
            out.push(cur.trim().to_string());
            cur.clear();
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

pub const GREET: &[&str] = &[
    "Welcome, and thanks for making the time! Today we'll design a data pipeline together, the way we would at a whiteboard.",
    "Hi, great to meet you! Let's spend the next hour designing a pipeline together, as two engineers at a whiteboard.",
    "Welcome! I'm looking forward to this one: we'll work through a real pipeline design together, start to finish.",
];

pub const REVEAL: &[&str] = &[
    "Good question. {}",
    "Glad you asked. {}",
    "That matters here. {}",
    "Here's what we know. {}",
    "Fair thing to pin down. {}",
    "{}",
];

pub const REVEAL_MORE: &[&str] = &[
    "Anything else you'd want to know before you start sketching?",
    "What else would you want to pin down before designing?",
    "Any other constraints you'd like to check?",
    "What other questions do you have before we draw boxes?",
    "Is there anything else that would change your design?",
];

pub const UNKNOWN: &[&str] = &[
    "I don't have a firm answer for that one, so assume what you think is reasonable and tell me your assumption.",
    "We haven't measured that, honestly. Make a reasonable assumption and state it, and we'll go with it.",
    "Nobody on the team knows that for sure. Pick a sensible assumption, say it out loud, and carry on.",
    "That's an open question on our side too. Assume something reasonable and tell me what you assumed.",
];

pub const STEER_BACK: &[&str] = &[
    "Before we pick tools, let's slow down for a second: what would you want to know about the requirements first? Volumes, latency, who consumes the data?",
    "I like the energy, but let's hold the tools for a moment. What questions would you ask about the requirements before committing to a design?",
    "Tools can wait a minute. In a real design review, what would you want to clarify first about the workload and its consumers?",
];

pub const ASK_DESIGN: &[&str] = &[
    "That gives us a good picture of the constraints. Walk me through your design, layer by layer: ingestion, processing, storage and serving. Arrow notation like `A -> B -> C` works fine.",
    "Let's move on to the architecture. Sketch the pipeline end to end, from the sources to whoever reads the data, and tell me why each piece is there. Arrows like `Kafka -> Flink` are welcome.",
    "I think we know enough to start designing. How would you build it? Take me from ingestion through processing and storage to serving; arrows or prose, whichever you like.",
];

pub const ACK_DESIGN: &[&str] = &[
    "Let me play back what I have so far: {}.",
    "So the flow as I understand it: {}.",
    "Here's my reading of your design: {}.",
    "Okay, so {}.",
];

pub const ASK_LAYER: &[&str] = &[
    "What about the {} layer? How does data get there and who reads it?",
    "I don't see much about {} yet. How would you handle that part?",
    "Let's fill in the {} side. What goes there, and why?",
    "Where does {} fit in your picture?",
];

pub const ASK_STORAGE_DEPTH: &[&str] = &[
    "How would you lay out the stored data so the consumers' queries stay fast and cheap?",
    "Talk me through retention: what do you keep, where, and for how long?",
    "How would you make this easy to replay if a bug corrupts a day of output?",
    "What would you monitor on this pipeline from day one?",
];

pub const LINT_PROBE: &[&str] = &[
    "One thing I'd push on: {} How would you address that?",
    "Here's something I'd want us to look at. {} What would you change?",
    "Let me poke at one spot. {} How would you handle it?",
    "Something to think about: {} Where in the design would you deal with that?",
];

pub const CHALLENGE_ESTIMATE: &[&str] = &[
    "Let me check that number with you: {} How does that change your sizing?",
    "Quick sanity check on the arithmetic: {} Does your design still hold?",
    "I want to double-check one estimate: {} What would you adjust?",
];

pub const MOVE_DEEP_DIVE: &[&str] = &[
    "Let's go deeper on a few of your choices.",
    "Now I'd like to dig into some of the decisions you made.",
    "Good, let's zoom in on a couple of your choices.",
];

pub const PROBE_GENERIC: &[&str] = &[
    "You picked {}. What made it the right call here, and what would you lose with an alternative?",
    "Tell me more about {}: why that one, and what were you weighing it against?",
    "Why {}? Convince me it beats the obvious alternatives for this workload.",
    "Let's talk about {}. What are its limits, and where would it start to hurt?",
];

pub const TWIST_STRONG: &[&str] = &[
    "Let me add a constraint. {}",
    "Let's raise the stakes. {}",
    "Here's a curveball. {}",
];

pub const TWIST_SCAFFOLD: &[&str] = &[
    "Let's think this one through together, one step at a time. {} Start with the first part of your design it touches.",
    "Here's a what-if to reason through slowly. {} Just walk me through the first change you'd make.",
    "One more scenario to reason about. {} Take it one component at a time.",
];

pub const MOVE_FAILURES: &[&str] = &[
    "Let's break things. Imagine you're on call when this happens.",
    "Now for my favourite part: failure scenarios. Imagine you're on call this week.",
    "Time to see how this design behaves on a bad day.",
];

pub const NEXT_FAILURE: &[&str] = &[
    "Here's a different incident. {}",
    "Let's try another one. {}",
    "New page from the alerting system. {}",
];

pub const HINT_INTRO: &[&str] = &[
    "No problem, let's work through it together. {}",
    "Happy to help. {}",
    "Let me give you something to pull on. {}",
    "Here's a thread to follow. {}",
    "Let's think about it this way. {}",
    "{}",
];

pub const WRAP_UP: &[&str] = &[
    "That's time. Thank you, this was a real design conversation, and it's the kind of practice that pays off. Here's my assessment.",
    "Let's stop there. Thanks for working through this with me. Below is my scorecard, with what you said quoted so you can see where each rating comes from.",
    "We're at the end. Thanks, I enjoyed this. Here's the scorecard, grounded in your own words.",
];

pub const ACKNOWLEDGE: &[&str] = &[
    "Okay, noted.",
    "Understood, thanks.",
    "Got it.",
    "Makes sense, let's keep going.",
    "Alright.",
];

pub const WAR_STORY: &[&str] = &[
    "That reminds me of something. {}",
    "A story from the trenches: {}",
    "{}",
];

pub const IGNORED_INPUT: &[&str] = &[
    "That was a long answer, so I read the first {} and set the rest aside.",
    "I only took in the first {} of that message; the rest was beyond what I read per answer.",
    "Heads-up: I read the first {} of your answer and ignored the remainder.",
];

pub const DESIGN_CAPPED: &[&str] = &[
    "Your design is bigger than I can follow, so I kept its first {} and set the rest aside; tell me about the rest in a sentence or two.",
    "That design goes beyond the first {}, which is what I keep; summarise the remaining parts in words and I'll take them into account.",
    "I kept the first {} of that design and left the rest out; describe the remaining part briefly if it matters.",
];

pub const AFTER_END: &[&str] = &[
    "The interview is over and the scorecard is above. Start a new one with `pipeprep practice` whenever you like.",
    "We're done with this one. Run `pipeprep practice` for another round.",
    "This session has ended; the scorecard stands above.",
];

/// The design invitation when the candidate asked no questions first.
pub const ASK_DESIGN_NO_QUESTIONS: &[&str] = &[
    "Let's get to the design, then. Walk me through it layer by layer: ingestion, processing, storage and serving. Arrow notation like `A -> B -> C` works fine, and so do plain words.",
    "Alright, let's design it. Take me from the sources through processing and storage to whoever reads the data; arrows or prose, whichever you like.",
];

/// The essential requirements are all on the table.
pub const ESSENTIALS_DONE: &[&str] = &[
    "That covers the essentials. Anything else you'd want to know, or shall we move to the design?",
    "You have the main constraints now. Any last question before you sketch the pipeline?",
    "That's the core of it. Is there anything else you'd check before designing?",
];

/// Answering "what would you do?" with a question about that part.
pub const NUDGE: &[&str] = &[
    "I'd rather hear your reasoning first, and then I'll react to it. {}",
    "You'll get my view once I've heard yours. {}",
    "Let's work it out together rather than me handing you my answer. {}",
];

/// Off topic: one line, then back to the question on the table.
pub const OFF_TOPIC: &[&str] = &[
    "That one's outside what I can speak to here; the recruiter is the right person for it.",
    "I'll leave that to the recruiter; today I'm only here for the pipeline.",
    "Fair question, but not one for this session.",
];

/// Returning to the question on the table.
pub const BACK_TO: &[&str] = &[
    "Back to where we were:",
    "To pick up the thread:",
    "So, back to it:",
];

/// "How am I doing?" — no verdict before the end.
pub const HOW_AM_I_DOING: &[&str] = &[
    "I keep the verdict for the scorecard at the end, so it reflects the whole conversation rather than one answer.",
    "You'll get a full scorecard at the end, with your own words quoted; I'd rather not grade single answers along the way.",
];

/// A trade-off the scenario is known for, asked as an open question.
pub const ASK_TRADEOFF: &[&str] = &[
    "One decision I'd like to hear you reason through: {}. Which way would you go here, and what would change your mind?",
    "Let's weigh one choice explicitly: {}. What would you pick, and what do you give up?",
    "A decision people often get wrong here: {}. How would you make it?",
];

/// Handing over the key facts when the candidate is not asking.
pub const HAND_OVER_FACTS: &[&str] = &[
    "Let's keep moving, and I'll give you the facts that matter most. {}",
    "Let me put the key numbers on the table so we can design. {}",
];

/// Moving on from a phase that is not going anywhere.
pub const MOVE_ALONG: &[&str] = &[
    "We can come back to that later.",
    "I'll leave that one with you for now.",
];

/// The first sentence of a text.
pub fn first_sentence(text: &str) -> &str {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    for (n, &(i, c)) in chars.iter().enumerate() {
        if matches!(c, '.' | '?' | '!') && chars.get(n + 1).is_none_or(|(_, d)| d.is_whitespace()) {
            return &text[..i + c.len_utf8()];
        }
    }
    text
}

/// Asking only for the parts an answer did not cover ({} is "what would …, and how would …").
pub const FOLLOW_UP_MISSING: &[&str] = &[
    "So {}?",
    "What I haven't heard yet: {}?",
    "To complete it: {}?",
    "And {}?",
];

/// The answer covered none of the parts: one at a time.
pub const FOLLOW_UP_NOTHING: &[&str] = &[
    "Let's take it one part at a time: {}?",
    "Let's break it down: {}?",
    "Step by step, then: {}?",
];

/// Every hint for this part has been given.
pub const HINTS_EXHAUSTED: &[&str] = &[
    "I've given you everything I'd give in a real interview for this part. Take your best shot, and we'll look at it together.",
    "That's all the help I have on this one. Make a call, say why, and we'll go from there.",
    "No more hints here, I'm afraid. Commit to something and we'll test it together.",
];

/// The rest of an earlier answer arrived after the next question was asked.
pub const NOTED_CONTINUATION: &[&str] = &[
    "Got it, I've added that to your earlier answer. The question still open:",
    "Thanks, that completes what you were saying. Still on the table:",
    "Noted, and folded into your previous answer. Back to my question:",
];

/// A question the scenario has no answer for, asked after the requirements phase.
pub const UNKNOWN_LATER: &[&str] = &[
    "That's not something the scenario pins down, so it's your call: say what you'd assume and why.",
    "I don't have that one; decide it the way you would at work and tell me your reasoning.",
    "The scenario doesn't say. Make the call and tell me what it depends on.",
];

/// The part of a compound question nobody here can answer, said after the facts for the rest.
pub const UNKNOWN_BESIDE: &[&str] = &[
    "The other part I can't tell you; assume something reasonable there and say what you assumed.",
    "On the rest we have no firm answer, so make a sensible assumption and state it.",
    "The last part isn't pinned down; pick an assumption you can defend and tell me what it is.",
];

/// Pushing on a claim that is not true ({} is the fact, one or two sentences).
pub const CHALLENGE_CLAIM: &[&str] = &[
    "Let me push on one claim before we go on. {} How does that change this part of your design?",
    "I want to check something you said. {} What would you do differently, knowing that?",
    "One thing I'd challenge there. {} How would your design account for it?",
];

/// A fact the candidate touched without asking: a clause next to a concept question, or an
/// assumption the scenario answers.
/// A requirement the candidate has not heard yet contradicts a bound they stated as certain.
pub const CONFLICT_NEW: &[&str] = &[
    "Before you build on that, here's something you haven't asked about: {} How does your design handle it?",
    "Let me stop you on that assumption, because we've seen otherwise: {} What would you change?",
];

/// A requirement already told contradicts a bound the candidate stated as certain.
pub const CONFLICT_KNOWN: &[&str] = &[
    "Let's hold that against what we covered earlier: {} Does your design still hold?",
    "Remember what I said earlier: {} How does that square with your assumption?",
];

pub const SIDE_FACT: &[&str] = &[
    "On that point, here's what we know: {}",
    "Worth knowing here: {}",
    "For the record: {}",
];
// ---------------------------------------------------------------------------------------------
// What an act must convey, whoever words it.
//
// The LLM voice rewords the offline phrasing. Whatever it says, the candidate must still get the
// act's substance: the numbers and names of a revealed requirement, the set-up of a failure or a
// twist, the scenario itself, and the question on the table. The substance is what is left of
// the offline text once its fixed framing sentences (the phrasing lists above) are set aside.

/// What one sentence of the offline phrasing carries that the candidate must receive.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Essential {
    /// The sentence of the offline phrasing that carries it, said as it is when a voiced reply
    /// left it out.
    pub sentence: String,
    /// Numbers as written ("100K", "5 s", "$50K"): the reply must state each value.
    pub numbers: Vec<String>,
    /// Names as written (proper nouns, `code`, snake_case): the reply must name each.
    pub names: Vec<String>,
    /// The sentence asks the candidate something: the reply must ask too, about the same thing.
    pub question: bool,
    /// A set-up to retell (the scenario, a failure, a twist): most of its content words must
    /// appear, not only its numbers.
    pub setup: bool,
}

/// The acts whose substance is a situation to retell, not just a fact or a question.
fn is_setup(act: crate::interview::Act) -> bool {
    use crate::interview::Act;
    matches!(
        act,
        Act::GreetScenario | Act::InjectFailure | Act::ScaleTwist
    )
}

/// Every fixed sentence of every phrasing list: framing that carries no substance.
fn framing() -> &'static BTreeSet<String> {
    static FRAMING: std::sync::OnceLock<BTreeSet<String>> = std::sync::OnceLock::new();
    FRAMING.get_or_init(|| {
        let lists: &[&[&str]] = &[
            GREET,
            REVEAL,
            REVEAL_MORE,
            UNKNOWN,
            STEER_BACK,
            ASK_DESIGN,
            ACK_DESIGN,
            ASK_LAYER,
            ASK_STORAGE_DEPTH,
            LINT_PROBE,
            CHALLENGE_ESTIMATE,
            MOVE_DEEP_DIVE,
            PROBE_GENERIC,
            TWIST_STRONG,
            TWIST_SCAFFOLD,
            MOVE_FAILURES,
            NEXT_FAILURE,
            HINT_INTRO,
            WRAP_UP,
            ACKNOWLEDGE,
            WAR_STORY,
            ASK_DESIGN_NO_QUESTIONS,
            ESSENTIALS_DONE,
            NUDGE,
            OFF_TOPIC,
            BACK_TO,
            HOW_AM_I_DOING,
            ASK_TRADEOFF,
            HAND_OVER_FACTS,
            MOVE_ALONG,
            FOLLOW_UP_MISSING,
            FOLLOW_UP_NOTHING,
            NOTED_CONTINUATION,
            HINTS_EXHAUSTED,
            UNKNOWN_LATER,
            UNKNOWN_BESIDE,
            CHALLENGE_CLAIM,
            SIDE_FACT,
            CONFLICT_NEW,
            CONFLICT_KNOWN,
        ];
        let mut out = BTreeSet::new();
        for list in lists {
            for p in *list {
                for s in split_keep(p) {
                    if !s.contains("{}") {
                        out.extend(sentence_keys(&s));
                    }
                }
            }
        }
        out
    })
}

/// Framing sentences that are still worth conveying: generic questions that hand the turn to
/// the candidate ("What else would you want to pin down before designing?"). Only their being a
/// question matters, so any question in the reply conveys them.
fn generic_question(sentence: &str) -> bool {
    sentence.trim_end().ends_with('?')
}

/// What `offline` (the engine's phrasing of `act`) must get across, sentence by sentence.
pub fn essentials(act: crate::interview::Act, offline: &str) -> Vec<Essential> {
    let framing = framing();
    let mut out = Vec::new();
    for s in split_keep(offline) {
        let keys = sentence_keys(&s);
        let is_framing = !keys.is_empty() && keys.iter().all(|k| framing.contains(k));
        if is_framing {
            if generic_question(&s) {
                out.push(Essential {
                    sentence: s,
                    numbers: Vec::new(),
                    names: Vec::new(),
                    question: true,
                    setup: false,
                });
            }
            continue;
        }
        let numbers = number_tokens(&s);
        let names = name_tokens(&s);
        let question = s.trim_end().ends_with('?');
        let setup = is_setup(act) && !question;
        if numbers.is_empty() && names.is_empty() && !question && !setup {
            continue;
        }
        out.push(Essential {
            sentence: s,
            numbers,
            names,
            question,
            setup,
        });
    }
    out
}

impl Essential {
    /// True when `reply` gets this across: every number's value, every name, a question about
    /// the same thing, and for a set-up most of its content words.
    pub fn conveyed_by(&self, reply: &str) -> bool {
        let values: Vec<f64> = number_tokens(reply)
            .iter()
            .filter_map(|n| number_value(n))
            .collect();
        let numbers_ok = self.numbers.iter().all(|n| match number_value(n) {
            Some(v) => values.iter().any(|r| (r - v).abs() <= v.abs() * 0.01),
            None => reply.contains(n.as_str()),
        });
        let lower = reply.to_lowercase();
        let names_ok = self.names.iter().all(|n| lower.contains(&n.to_lowercase()));
        let wanted = content_stems(&self.sentence);
        let got = content_stems(reply);
        let shared = wanted.intersection(&got).count();
        let question_ok = !self.question
            || (reply.contains('?') && (wanted.is_empty() || shared > 0 || self.is_generic()));
        // A set-up is retold when at least half its content words come back (stems, so
        // "duplicates" and "duplicated" agree).
        let setup_ok = !self.setup || wanted.is_empty() || shared * 2 >= wanted.len();
        numbers_ok && names_ok && question_ok && setup_ok
    }

    /// A framing question (no numbers, names or set-up of its own).
    fn is_generic(&self) -> bool {
        self.numbers.is_empty() && self.names.is_empty() && !self.setup && {
            let keys = sentence_keys(&self.sentence);
            !keys.is_empty() && keys.iter().all(|k| framing().contains(k))
        }
    }
}

/// Words of five or more letters that are not filler, cut to their first six letters.
fn content_stems(text: &str) -> BTreeSet<String> {
    const FILLER: &[&str] = &[
        "about", "after", "their", "there", "these", "those", "would", "could", "should", "which",
        "while", "where", "being", "every", "other", "right", "think", "thing", "really", "going",
        "let's", "you'd", "you're", "we're", "what's",
    ];
    text.split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .map(str::to_lowercase)
        .filter(|w| w.chars().count() >= 5 && !FILLER.contains(&w.as_str()))
        .map(|w| w.chars().take(6).collect())
        .collect()
}

/// Number-bearing tokens as written: "100K", "1,000,000", "5", "$50K", "2-year" → "2", "3x".
fn number_tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let starts = chars[i].is_ascii_digit()
            && (i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_'));
        if !starts {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < chars.len()
            && (chars[j].is_ascii_digit()
                || (matches!(chars[j], ',' | '.')
                    && chars.get(j + 1).is_some_and(char::is_ascii_digit)))
        {
            j += 1;
        }
        // A scale suffix right after the digits (100K, 1B, 2M) or a scale word after a space.
        let mut tok: String = chars[i..j].iter().collect();
        if let Some(&c) = chars.get(j)
            && matches!(c, 'k' | 'K' | 'm' | 'M' | 'b' | 'B')
            && chars.get(j + 1).is_none_or(|n| !n.is_alphabetic())
        {
            tok.push(c);
            j += 1;
        } else {
            let rest: String = chars[j..chars.len().min(j + 10)].iter().collect();
            for word in ["thousand", "million", "billion"] {
                if rest.trim_start().to_lowercase().starts_with(word) {
                    tok.push(' ');
                    tok.push_str(word);
                    j += rest.len() - rest.trim_start().len() + word.len();
                    break;
                }
            }
        }
        out.push(tok);
        i = j;
    }
    out
}

/// The values of the numbers written in `text` ("100K" is 100,000; "1 billion" is 1e9), so a
/// reply's numbers can be compared with the ones the interview has given.
pub fn number_values(text: &str) -> Vec<f64> {
    number_tokens(text)
        .iter()
        .filter_map(|t| number_value(t))
        .collect()
}

/// The value of a token from [`number_tokens`].
fn number_value(tok: &str) -> Option<f64> {
    let (digits, scale) = match tok.rsplit_once(' ') {
        Some((d, "thousand")) => (d, 1e3),
        Some((d, "million")) => (d, 1e6),
        Some((d, "billion")) => (d, 1e9),
        _ => match tok.chars().last() {
            Some('k' | 'K') => (&tok[..tok.len() - 1], 1e3),
            Some('m' | 'M') => (&tok[..tok.len() - 1], 1e6),
            Some('b' | 'B') => (&tok[..tok.len() - 1], 1e9),
            _ => (tok, 1.0),
        },
    };
    digits
        .replace(',', "")
        .parse::<f64>()
        .ok()
        .map(|v| v * scale)
}

/// Names as written: `code`, snake_case identifiers, and capitalised words or acronyms that do
/// not start the sentence (Snowflake, SFTP, EMR).
fn name_tokens(sentence: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |s: &str| {
        let s = s.trim_matches(|c: char| !c.is_alphanumeric() && c != '_');
        if s.chars().count() >= 2 && !out.iter().any(|o| o.eq_ignore_ascii_case(s)) {
            out.push(s.to_string());
        }
    };
    for (i, part) in sentence.split('`').enumerate() {
        if i % 2 == 1 {
            push(part);
        }
    }
    let plain: String = sentence
        .split('`')
        .enumerate()
        .filter(|(i, _)| i % 2 == 0)
        .map(|(_, p)| p)
        .collect::<Vec<_>>()
        .join(" ");
    for (i, w) in plain.split_whitespace().enumerate() {
        let w = w.trim_matches(|c: char| !c.is_alphanumeric() && c != '_');
        let capital = w.chars().next().is_some_and(char::is_uppercase);
        let acronym = w.chars().filter(|c| c.is_uppercase()).count() >= 2;
        let snake = w.contains('_') && w.chars().any(char::is_alphabetic);
        let pronoun = matches!(w, "I" | "I'd" | "I'm" | "I've" | "I'll" | "OK");
        if snake || acronym || (capital && i > 0 && !pronoun) {
            push(w);
        }
    }
    out
}

#[cfg(test)]
mod essential_tests {
    use super::*;
    use crate::interview::Act;

    #[test]
    fn a_revealed_requirement_must_keep_its_numbers_and_the_question() {
        let offline = "Good question. Peak traffic is about 100K events per second, and the dashboard needs data within 5 s. Anything else you'd want to know before you start sketching?";
        let e = essentials(Act::RevealRequirement, offline);
        assert_eq!(e.len(), 2, "{e:?}");
        assert_eq!(e[0].numbers, ["100K", "5"]);
        assert!(e[1].question);
        // A paraphrase with the same values conveys it; a reply that echoes the question does not.
        let good = "At peak we see roughly 100,000 events a second, and dashboards must be no more than 5 seconds behind. What else would you like to know?";
        assert!(e.iter().all(|x| x.conveyed_by(good)));
        let echo = "So you'd like to know about the peak traffic and the latency. What else?";
        assert!(!e[0].conveyed_by(echo));
        assert!(e[1].conveyed_by(echo));
        assert!(!e[1].conveyed_by("At peak it is 100K events per second within 5 s."));
    }

    #[test]
    fn a_failure_set_up_must_be_retold_and_names_kept() {
        let offline = "Time to see how this design behaves on a bad day. A new field `user_tier` appears in the JSON and the nightly Spark jobs start failing on the schema. What do you do?";
        let e = essentials(Act::InjectFailure, offline);
        let setup = e.iter().find(|x| x.setup).unwrap();
        assert!(setup.names.contains(&"user_tier".to_string()), "{setup:?}");
        assert!(setup.names.contains(&"Spark".to_string()));
        let vague = "Let's talk about failures. Something breaks in production. What do you do?";
        assert!(!setup.conveyed_by(vague));
        let retold = "Picture this: a new `user_tier` field shows up in the JSON, and the nightly Spark jobs begin failing on the changed schema. How do you respond?";
        assert!(e.iter().all(|x| x.conveyed_by(retold)), "{e:?}");
    }

    #[test]
    fn numbers_are_compared_by_value() {
        assert_eq!(number_value("100K"), Some(100_000.0));
        assert_eq!(number_value("1,000,000"), Some(1e6));
        assert_eq!(number_value("1 billion"), Some(1e9));
        assert_eq!(
            number_tokens("$50K/month and 2-year retention, 3x peaks, 1 billion events"),
            ["50K", "2", "3", "1 billion"]
        );
    }
}
