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

fn split_keep(text: &str) -> Vec<String> {
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
    "Okay, I've got {} on the board.",
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
    "One thing I'd push on: {}",
    "Here's something I'd want us to look at: {}",
    "Let me poke at one spot. {}",
    "Something to think about: {}",
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
    "Let's think about growth together, one step at a time. {} Start with the first component that would feel the pressure.",
    "Here's a what-if to reason through slowly. {} Which part of the pipeline breaks first?",
    "One more scenario to reason about. {} Just walk me through the first bottleneck you'd expect.",
];

pub const EXTRA_CONSTRAINT: &[&str] = &[
    "And on top of that, finance wants the monthly bill to stay flat.",
    "Oh, and the team that runs it is only two people, so it has to be simple to operate.",
    "And we just learned that one key customer accounts for a fifth of all traffic.",
];

pub const MOVE_FAILURES: &[&str] = &[
    "Let's break things. It's 3 AM and you're on call.",
    "Now for my favourite part: failure scenarios. Imagine you're on call this week.",
    "Time to see how this design behaves on a bad day.",
];

pub const FOLLOW_UP: &[&str] = &[
    "Good start. How would you {}?",
    "Let's complete the picture: how would you {}?",
    "One more angle on this incident: how would you {}?",
    "And how would you {}?",
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

pub const ALREADY_REVEALED: &[&str] = &[
    "We covered {} earlier, so scroll up for the numbers.",
    "That one's already on the table: see my earlier answer on {}.",
    "I answered {} a little earlier; the numbers still stand.",
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
