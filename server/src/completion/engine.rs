//! When to ask the model for a completion, and what to answer while it thinks.
//!
//! A thinking model takes seconds, and editors do not ask again by themselves once typing
//! stops (Helix asks once per keystroke; VS Code's inline completion has no `isIncomplete`),
//! so a completion request is held until its answer is ready:
//! - after a pause in typing the server starts the request itself (prefetch), so the answer
//!   is often ready, or nearly, when the editor asks;
//! - `textDocument/completion` answers at once from what is ready (the prompt cache, or the
//!   rest of a suggestion the user is typing through), else waits for the model — released
//!   at once, empty and `isIncomplete`, when a newer keystroke in the document supersedes
//!   it, when the editor cancels it, or after `maxWaitMs` when the user capped the hold;
//! - one job per document: a new position supersedes the old job, which is aborted — before
//!   it is sent if it is still in its debounce, or by dropping its HTTP stream if not.

use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch};
use tokio::task::AbortHandle;

use crate::model::{ChatMessage, Finish, Model, ModelError, ModelErrorKind, ModelRequest, Prompt, Urgency};

/// Where a completion is wanted, with everything needed to ask for it and clean the answer.
#[derive(Clone)]
pub struct Site {
    pub uri: String,
    /// The document version the site was computed on: a later change supersedes it.
    pub version: i32,
    pub offset: usize,
    pub prompt: Prompt,
    /// The text just before the cursor (a window of it), to recognise typing-through.
    pub before: String,
    /// Whether typing the start of a shown answer serves the rest of it (a completion); a
    /// next edit, which may lie anywhere, is served only for its own prompt.
    pub follows_typing: bool,
    /// Turns the model's raw answer into the exact text to insert, or `None`.
    pub clean: Cleaner,
    /// The prompt rebuilt from half the context budget, for one retry when the provider
    /// says the prompt is too long (code 1261). The context engine rebuilds it: a prompt
    /// cannot be shortened by cutting its text.
    pub smaller_prompt: Option<PromptBuilder>,
}

/// Post-processing for one site: the model's raw answer in, the text to insert out.
pub type Cleaner = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Builds a prompt for the same site on demand.
pub type PromptBuilder = Arc<dyn Fn() -> Prompt + Send + Sync>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    pub debounce: Duration,
    /// The longest a request is held for the model; `None` holds it until the answer.
    pub max_wait: Option<Duration>,
    pub thinking: bool,
    pub max_tokens: u32,
}

/// What a completion request answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub suggestion: Option<String>,
    /// True while a request for this position is still running: the editor should ask again.
    pub incomplete: bool,
}

impl Answer {
    const PENDING: Answer = Answer { suggestion: None, incomplete: true };
}

/// Something the user should be told once, not per keystroke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub message: String,
}

#[derive(Debug, Clone)]
enum JobState {
    Running,
    Done(Option<Arc<str>>),
    Failed,
}

struct Job {
    prompt_hash: u64,
    state: watch::Receiver<JobState>,
    abort: AbortHandle,
    /// Requests waiting on this job; a job nobody waits for and nobody pinned is aborted.
    waiters: AtomicUsize,
    /// Set for prefetches and for jobs whose waiter answered `isIncomplete`: the editor will
    /// ask again, so the result is still wanted.
    pinned: AtomicBool,
}

/// A suggestion shown at `offset`, remembered so typing its first characters keeps it.
#[derive(Debug, Clone)]
struct Shown {
    offset: usize,
    before: String,
    suggestion: Arc<str>,
}

const CACHE_CAPACITY: usize = 128;
/// How much of the text before the cursor must match for a typed-through suggestion.
const TYPED_THROUGH_CONTEXT: usize = 256;

pub struct CompletionEngine {
    model: Arc<dyn Model>,
    jobs: Mutex<HashMap<String, Arc<Job>>>,
    cache: Mutex<PromptCache>,
    shown: Mutex<HashMap<String, Shown>>,
    /// The latest version of each document with a completion; held requests for an older
    /// version are released when it changes.
    versions: Mutex<HashMap<String, watch::Sender<i32>>>,
    notices: mpsc::UnboundedSender<Notice>,
    /// Causes the user has been told about since the last success: one notice per cause
    /// (`code 1113`, `HTTP 401`, …), and a success re-arms them all.
    reported: Mutex<HashSet<String>>,
    upstream_requests: AtomicU64,
}

impl CompletionEngine {
    pub fn new(model: Arc<dyn Model>, notices: mpsc::UnboundedSender<Notice>) -> CompletionEngine {
        CompletionEngine {
            model,
            jobs: Mutex::default(),
            cache: Mutex::new(PromptCache::default()),
            shown: Mutex::default(),
            versions: Mutex::default(),
            notices,
            reported: Mutex::default(),
            upstream_requests: AtomicU64::new(0),
        }
    }

    pub fn model_name(&self) -> String {
        self.model.name()
    }

    /// Requests sent to the model so far (for `glm-lsp.status` and tests of debouncing).
    pub fn upstream_requests(&self) -> u64 {
        self.upstream_requests.load(Ordering::Relaxed)
    }

    /// Starts a request for `site` unless one is cached or running. The caller has already
    /// waited for a pause in typing.
    pub fn prefetch(self: &Arc<Self>, site: Site, settings: Settings) {
        if self.ready_answer(&site, settings).is_some() {
            return;
        }
        self.job_for(&site, settings, Duration::ZERO, Claim::Prefetch);
    }

    /// Answers a completion request: from what is ready, or by holding the request until
    /// the model answers. Editors send one request per keystroke (VS Code marks typing as an
    /// explicit invocation too), so every request goes through the debounce.
    pub async fn complete(self: &Arc<Self>, site: Site, settings: Settings) -> Answer {
        if let Some(suggestion) = self.ready_answer(&site, settings) {
            return self.answer(&site, suggestion);
        }
        let mut versions = self.version_receiver(&site.uri, site.version);
        // (Only a prefetch is ever refused a job.)
        let Some(job) = self.job_for(&site, settings, settings.debounce, Claim::Request) else {
            return Answer::PENDING;
        };
        let mut waiter = Waiter::claimed(job.clone());
        let mut state = job.state.clone();
        let capped = async {
            match settings.max_wait {
                Some(wait) => tokio::time::sleep(wait).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            finished = state.wait_for(|s| !matches!(s, JobState::Running)) => {
                let finished = finished.map(|state| state.clone());
                waiter.done();
                match finished {
                    Ok(JobState::Done(suggestion)) => self.answer(&site, suggestion),
                    Ok(_) => Answer { suggestion: None, incomplete: false },
                    // The job was superseded and dropped: a newer position is being served.
                    Err(_) => Answer::PENDING,
                }
            }
            // A newer keystroke: this position is stale. Dropping the waiter aborts the job
            // unless a prefetch or an earlier request still wants it.
            _ = versions.wait_for(|latest| *latest > site.version) => Answer::PENDING,
            () = capped => {
                // Keep it running: the editor asks again and gets the result then.
                job.pinned.store(true, Ordering::Release);
                waiter.done();
                Answer::PENDING
            }
        }
    }

    /// Records a document change: requests held for an older version are released at once.
    pub fn document_changed(&self, uri: &str, version: i32) {
        if let Some(sender) = self.versions.lock().unwrap().get(uri) {
            sender.send_replace(version);
        }
    }

    fn version_receiver(&self, uri: &str, version: i32) -> watch::Receiver<i32> {
        let mut versions = self.versions.lock().unwrap();
        let sender = versions.entry(uri.to_string()).or_insert_with(|| watch::channel(version).0);
        sender.send_if_modified(|latest| {
            let newer = version > *latest;
            if newer {
                *latest = version;
            }
            newer
        });
        sender.subscribe()
    }

    /// Forgets a closed document's job (aborting it) and what was shown in it.
    pub fn forget(&self, uri: &str) {
        if let Some(job) = self.jobs.lock().unwrap().remove(uri) {
            job.abort.abort();
        }
        self.shown.lock().unwrap().remove(uri);
        self.versions.lock().unwrap().remove(uri);
    }

    /// Drops every cached suggestion and error memory (after a configuration change).
    pub fn reset(&self) {
        *self.cache.lock().unwrap() = PromptCache::default();
        self.reported.lock().unwrap().clear();
    }

    fn answer(&self, site: &Site, suggestion: Option<Arc<str>>) -> Answer {
        if let Some(suggestion) = suggestion.as_ref().filter(|_| site.follows_typing) {
            self.shown.lock().unwrap().insert(
                site.uri.clone(),
                Shown {
                    offset: site.offset,
                    before: tail(&site.before, TYPED_THROUGH_CONTEXT),
                    suggestion: suggestion.clone(),
                },
            );
        }
        Answer { suggestion: suggestion.map(|s| s.to_string()), incomplete: false }
    }

    /// A suggestion available without asking the model: the rest of one being typed
    /// through, or a cached answer to the same prompt.
    fn ready_answer(&self, site: &Site, settings: Settings) -> Option<Option<Arc<str>>> {
        if let Some(rest) = self.typed_through(site) {
            return Some(Some(rest));
        }
        let hash = prompt_hash(&site.prompt, settings);
        self.cache.lock().unwrap().get(hash)
    }

    fn typed_through(&self, site: &Site) -> Option<Arc<str>> {
        if !site.follows_typing {
            return None;
        }
        let shown = self.shown.lock().unwrap().get(&site.uri).cloned()?;
        // Zero typed characters is the same position: the suggestion shown there still holds.
        let typed_length = site.offset.checked_sub(shown.offset)?;
        let typed = site.before.get(site.before.len().checked_sub(typed_length)?..)?;
        let rest = shown.suggestion.strip_prefix(typed)?;
        let before_anchor = &site.before[..site.before.len() - typed_length];
        if rest.is_empty() || !before_anchor.ends_with(shown.before.as_str()) {
            return None;
        }
        Some(Arc::from(rest))
    }

    /// The job for `site`, claimed for `claim`: the running one when it asks the same
    /// thing, else a new one that supersedes (aborts) whatever the document had. A prefetch
    /// gets none while a request waits on the document's job: a prefetch guesses the cursor
    /// from the last edit, which is wrong after an editor's auto-pairing (`(` typed, `()`
    /// inserted, cursor between them); the request knows where the cursor is. The check and
    /// the claim happen under one lock, so a prefetch cannot abort a job between its
    /// creation and its request's claim.
    fn job_for(self: &Arc<Self>, site: &Site, settings: Settings, delay: Duration, claim: Claim) -> Option<Arc<Job>> {
        let hash = prompt_hash(&site.prompt, settings);
        let mut jobs = self.jobs.lock().unwrap();
        if let Some(job) = jobs.get(&site.uri) {
            let serving_a_request = !job.abort.is_finished() && job.waiters.load(Ordering::Acquire) > 0;
            if claim == Claim::Prefetch && serving_a_request {
                return None;
            }
            // A job aborted before it finished (its last waiter left) is dead: start anew.
            let alive = !job.abort.is_finished() || matches!(*job.state.borrow(), JobState::Done(_));
            if job.prompt_hash == hash && alive && !matches!(*job.state.borrow(), JobState::Failed) {
                claim.apply(job);
                return Some(job.clone());
            }
            job.abort.abort();
        }
        let (sender, receiver) = watch::channel(JobState::Running);
        let engine = Arc::downgrade(self);
        let model = self.model.clone();
        let request = ModelRequest {
            messages: site.prompt.clone(),
            urgency: Urgency::Interactive,
            thinking: settings.thinking,
            max_tokens: Some(settings.max_tokens),
        };
        let clean = site.clean.clone();
        let smaller_prompt = site.smaller_prompt.clone();
        let uri = site.uri.clone();
        let task = tokio::spawn(async move {
            // A superseded job is aborted here, before anything was sent or billed. (No timer
            // for no delay: a zero sleep still waits for the timer's next millisecond tick.)
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            if let Some(engine) = engine.upgrade() {
                engine.upstream_requests.fetch_add(1, Ordering::Relaxed);
            }
            let started = Instant::now();
            let mut result = crate::model::ask(&*model, request.clone(), Box::new(|_| {})).await;
            if let (Err(error), Some(smaller_prompt)) = (&result, &smaller_prompt) {
                if error.kind == ModelErrorKind::PromptTooLong {
                    tracing::info!(%uri, "the prompt was too long for the model; asking once more with half the context");
                    if let Some(engine) = engine.upgrade() {
                        engine.upstream_requests.fetch_add(1, Ordering::Relaxed);
                    }
                    let request = ModelRequest { messages: smaller_prompt(), ..request };
                    result = crate::model::ask(&*model, request, Box::new(|_| {})).await;
                }
            }
            let Some(engine) = engine.upgrade() else {
                return;
            };
            let state = match result {
                Ok(answer) => {
                    if answer.finish == Finish::Blocked {
                        engine.report(&ModelError {
                            kind: ModelErrorKind::Blocked,
                            cause: "content safety".into(),
                            message: "GLM's content filter stopped a completion's answer (finish_reason sensitive); \
                                      nothing was inserted"
                                .into(),
                        });
                    } else {
                        engine.reported.lock().unwrap().clear();
                    }
                    let suggestion = match answer.finish {
                        Finish::Complete => clean(&answer.content).map(Arc::<str>::from),
                        Finish::Truncated if answer.content.trim().is_empty() => {
                            tracing::warn!(
                                %uri,
                                reasoning_chars = answer.reasoning_chars,
                                "the model spent completion.maxTokens thinking and wrote no code; \
                                 raise completion.maxTokens or set completion.thinking to false"
                            );
                            None
                        }
                        ref other => {
                            tracing::info!(%uri, finish = ?other, "completion not used: the answer is incomplete");
                            None
                        }
                    };
                    tracing::debug!(%uri, elapsed_ms = started.elapsed().as_millis() as u64, has_suggestion = suggestion.is_some(), "completion ready");
                    engine.cache.lock().unwrap().insert(hash, suggestion.clone());
                    JobState::Done(suggestion)
                }
                Err(error) => {
                    engine.report(&error);
                    JobState::Failed
                }
            };
            let _ = sender.send(state);
        });
        let job = Arc::new(Job {
            prompt_hash: hash,
            state: receiver,
            abort: task.abort_handle(),
            waiters: AtomicUsize::new(0),
            pinned: AtomicBool::new(false),
        });
        claim.apply(&job);
        jobs.insert(site.uri.clone(), job.clone());
        Some(job)
    }

    /// Tells the user about a failure once per cause: a bad key fails every keystroke the
    /// same way, but a rate limit must not hide the empty balance that follows it. A cut
    /// stream is a one-off and only logged.
    fn report(&self, error: &ModelError) {
        tracing::warn!(cause = %error.cause, "completion failed: {error}");
        if error.kind == ModelErrorKind::Cut {
            return;
        }
        if self.reported.lock().unwrap().insert(error.cause.clone()) {
            let _ = self.notices.send(Notice { message: format!("glm-lsp: {error}") });
        }
    }
}

/// Who wants a job's result.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Claim {
    /// A completion request, which waits on it (counted until its `Waiter` is done).
    Request,
    /// A prefetch, which pins it so it runs to the end for the request that follows.
    Prefetch,
}

impl Claim {
    fn apply(self, job: &Job) {
        match self {
            Claim::Request => {
                job.waiters.fetch_add(1, Ordering::AcqRel);
            }
            Claim::Prefetch => job.pinned.store(true, Ordering::Release),
        }
    }
}

/// A waiting request, counted by `Claim::Request`; a job abandoned by its last waiter (the
/// request was cancelled) and never pinned is aborted so the provider stops generating.
struct Waiter {
    job: Arc<Job>,
    active: bool,
}

impl Waiter {
    /// Takes over a claim already counted on `job`.
    fn claimed(job: Arc<Job>) -> Waiter {
        Waiter { job, active: true }
    }

    fn done(&mut self) {
        if self.active {
            self.active = false;
            self.job.waiters.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

impl Drop for Waiter {
    fn drop(&mut self) {
        if self.active {
            let remaining = self.job.waiters.fetch_sub(1, Ordering::AcqRel) - 1;
            if remaining == 0 && !self.job.pinned.load(Ordering::Acquire) {
                tracing::debug!("completion request cancelled; aborting its model request");
                self.job.abort.abort();
            }
        }
    }
}

fn prompt_hash(prompt: &[ChatMessage], settings: Settings) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    prompt.hash(&mut hasher);
    settings.thinking.hash(&mut hasher);
    settings.max_tokens.hash(&mut hasher);
    hasher.finish()
}

fn tail(text: &str, bytes: usize) -> String {
    let mut start = text.len().saturating_sub(bytes);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    text[start..].to_string()
}

/// A small least-recently-inserted cache of cleaned answers by prompt.
#[derive(Default)]
struct PromptCache {
    entries: HashMap<u64, Option<Arc<str>>>,
    order: VecDeque<u64>,
}

impl PromptCache {
    fn get(&self, hash: u64) -> Option<Option<Arc<str>>> {
        self.entries.get(&hash).cloned()
    }

    fn insert(&mut self, hash: u64, value: Option<Arc<str>>) {
        if self.entries.insert(hash, value).is_none() {
            self.order.push_back(hash);
            if self.order.len() > CACHE_CAPACITY {
                if let Some(oldest) = self.order.pop_front() {
                    self.entries.remove(&oldest);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EventSink, ModelAnswer};
    use futures::future::BoxFuture;

    /// A model that answers after `delay` with a fixed text and counts calls and drops.
    struct FakeModel {
        delay: Duration,
        answer: String,
        calls: AtomicUsize,
        finished: Arc<AtomicUsize>,
    }

    impl Model for FakeModel {
        fn chat(&self, _: ModelRequest, _: EventSink) -> BoxFuture<'static, Result<ModelAnswer, ModelError>> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            let (delay, answer, finished) = (self.delay, self.answer.clone(), self.finished.clone());
            Box::pin(async move {
                tokio::time::sleep(delay).await;
                finished.fetch_add(1, Ordering::SeqCst);
                Ok(ModelAnswer { content: answer, finish: Finish::Complete, reasoning_chars: 0 })
            })
        }
        fn name(&self) -> String {
            "fake".into()
        }
    }

    fn engine(delay_ms: u64, answer: &str) -> (Arc<CompletionEngine>, Arc<FakeModel>) {
        let model = Arc::new(FakeModel {
            delay: Duration::from_millis(delay_ms),
            answer: answer.into(),
            calls: AtomicUsize::new(0),
            finished: Arc::new(AtomicUsize::new(0)),
        });
        let (sender, _) = mpsc::unbounded_channel();
        (Arc::new(CompletionEngine::new(model.clone(), sender)), model)
    }

    fn site(before: &str) -> Site {
        Site {
            uri: "file:///a.rs".into(),
            version: 1,
            offset: before.len(),
            prompt: Prompt::assemble(vec![ChatMessage::user(before)], &[], &crate::context::Exclude::none(), None)
                .unwrap(),
            before: before.into(),
            follows_typing: true,
            clean: Arc::new(|raw| Some(raw.to_string())),
            smaller_prompt: None,
        }
    }

    fn settings() -> Settings {
        Settings {
            debounce: Duration::from_millis(20),
            max_wait: Some(Duration::from_millis(100)),
            thinking: true,
            max_tokens: 100,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_of_requests_sends_one() {
        let (engine, model) = engine(0, "x");
        let mut answers = Vec::new();
        for typed in ["f", "fo", "foo"] {
            let engine = engine.clone();
            answers.push(tokio::spawn(async move { engine.complete(site(typed), settings()).await }));
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let answers: Vec<Answer> = futures::future::join_all(answers).await.into_iter().map(Result::unwrap).collect();
        assert_eq!(model.calls.load(Ordering::SeqCst), 1);
        assert_eq!(answers[2], Answer { suggestion: Some("x".into()), incomplete: false });
        assert!(answers[..2].iter().all(|a| a.suggestion.is_none() && a.incomplete));
    }

    /// After a keystroke the prefetch (at the last edit) and the editor's request (at the
    /// cursor, elsewhere after auto-pairing) race on two threads; whichever comes first, the
    /// request is answered for its own position and never released empty by the prefetch.
    #[test]
    fn a_prefetch_racing_a_request_never_supersedes_it() {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        runtime.block_on(async {
            let no_debounce = Settings { debounce: Duration::ZERO, max_wait: None, ..settings() };
            for round in 0..300 {
                let (engine, _) = engine(0, "x");
                let barrier = Arc::new(tokio::sync::Barrier::new(2));
                let prefetch = {
                    let (engine, barrier) = (engine.clone(), barrier.clone());
                    tokio::spawn(async move {
                        barrier.wait().await;
                        engine.prefetch(site(&format!("({round}")), no_debounce);
                    })
                };
                let request = {
                    let engine = engine.clone();
                    tokio::spawn(async move {
                        barrier.wait().await;
                        engine.complete(site(&format!("({round})")), no_debounce).await
                    })
                };
                prefetch.await.unwrap();
                let answer = request.await.unwrap();
                assert_eq!(answer, Answer { suggestion: Some("x".into()), incomplete: false }, "round {round}");
            }
        });
    }

    #[tokio::test(start_paused = true)]
    async fn slow_answers_come_on_the_next_request_and_are_cached() {
        let (engine, model) = engine(200, "bar()");
        let first = engine.complete(site("foo."), settings()).await;
        assert_eq!(first, Answer { suggestion: None, incomplete: true });
        tokio::time::sleep(Duration::from_millis(250)).await;
        let second = engine.complete(site("foo."), settings()).await;
        assert_eq!(second.suggestion.as_deref(), Some("bar()"));
        let third = engine.complete(site("foo."), settings()).await;
        assert_eq!(third.suggestion.as_deref(), Some("bar()"));
        assert_eq!(model.calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn typing_through_a_suggestion_serves_the_rest_without_a_request() {
        let (engine, model) = engine(0, "bar(1)");
        assert_eq!(engine.complete(site("foo."), settings()).await.suggestion.as_deref(), Some("bar(1)"));
        assert_eq!(engine.complete(site("foo.ba"), settings()).await.suggestion.as_deref(), Some("r(1)"));
        assert_eq!(model.calls.load(Ordering::SeqCst), 1);
    }

    /// A next edit's site does not follow typing: a different prompt at the same offset is
    /// asked for, not served the answer shown there before.
    #[tokio::test(start_paused = true)]
    async fn a_site_that_does_not_follow_typing_is_answered_for_its_own_prompt_only() {
        let (engine, model) = engine(0, "rewrite");
        let next_edit = |text: &str| Site { follows_typing: false, offset: 0, before: String::new(), ..site(text) };
        assert_eq!(engine.complete(next_edit("history one"), settings()).await.suggestion.as_deref(), Some("rewrite"));
        assert_eq!(engine.complete(next_edit("history two"), settings()).await.suggestion.as_deref(), Some("rewrite"));
        assert_eq!(model.calls.load(Ordering::SeqCst), 2);
        engine.complete(next_edit("history two"), settings()).await;
        assert_eq!(model.calls.load(Ordering::SeqCst), 2, "the same prompt is cached");
    }

    #[tokio::test(start_paused = true)]
    async fn cancelling_a_waiting_request_aborts_the_model_call() {
        let (engine, model) = engine(300, "x");
        let patient = Settings { max_wait: None, ..settings() };
        let waiting = {
            let engine = engine.clone();
            tokio::spawn(async move { engine.complete(site("a"), patient).await })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        waiting.abort();
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(model.calls.load(Ordering::SeqCst), 1);
        assert_eq!(model.finished.load(Ordering::SeqCst), 0, "the model call was dropped");
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_is_held_until_the_model_answers() {
        let (engine, model) = engine(300, "total");
        let holding = Settings { max_wait: None, ..settings() };
        let started = tokio::time::Instant::now();
        let answer = engine.complete(site("let sum = "), holding).await;
        assert_eq!(answer, Answer { suggestion: Some("total".into()), incomplete: false });
        assert!(started.elapsed() >= Duration::from_millis(300));
        assert_eq!(model.calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_newer_keystroke_releases_a_held_request_and_drops_its_model_call() {
        let (engine, model) = engine(400, "x");
        let holding = Settings { max_wait: None, ..settings() };
        let held = {
            let engine = engine.clone();
            tokio::spawn(async move { engine.complete(site("a"), holding).await })
        };
        tokio::time::sleep(Duration::from_millis(60)).await;
        // A change to another document, or to the same version, releases nothing.
        engine.document_changed("file:///other.rs", 5);
        engine.document_changed("file:///a.rs", 1);
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!held.is_finished());
        let changed_at = Instant::now();
        engine.document_changed("file:///a.rs", 2);
        let answer = held.await.unwrap();
        assert!(changed_at.elapsed() < Duration::from_millis(50), "released at once");
        assert_eq!(answer, Answer::PENDING);
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(model.calls.load(Ordering::SeqCst), 1);
        assert_eq!(model.finished.load(Ordering::SeqCst), 0, "the superseded model call was dropped");
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_for_an_already_stale_version_is_released_at_once() {
        let (engine, _) = engine(400, "x");
        let holding = Settings { max_wait: None, ..settings() };
        engine.complete(site("a"), Settings { max_wait: Some(Duration::ZERO), ..holding }).await;
        engine.document_changed("file:///a.rs", 3);
        let started = Instant::now();
        assert_eq!(engine.complete(site("a"), holding).await, Answer::PENDING);
        assert!(started.elapsed() < Duration::from_millis(100));
    }

    #[tokio::test(start_paused = true)]
    async fn asking_again_after_a_cancel_starts_the_model_again() {
        let (engine, model) = engine(200, "y");
        let holding = Settings { max_wait: None, ..settings() };
        let waiting = {
            let engine = engine.clone();
            tokio::spawn(async move { engine.complete(site("b"), holding).await })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        waiting.abort();
        tokio::time::sleep(Duration::from_millis(20)).await;
        let answer = engine.complete(site("b"), holding).await;
        assert_eq!(answer.suggestion.as_deref(), Some("y"));
        assert_eq!(model.calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_prefetch_does_not_replace_the_job_a_request_waits_on() {
        let (engine, model) = engine(200, "[4, 5, 6]");
        let holding = Settings { max_wait: None, ..settings() };
        let held = {
            let engine = engine.clone();
            tokio::spawn(async move { engine.complete(site("total = compute("), holding).await })
        };
        tokio::time::sleep(Duration::from_millis(40)).await;
        // The prefetch's guess (after an auto-inserted `)`) differs from the request's cursor.
        engine.prefetch(site("total = compute()"), holding);
        assert_eq!(held.await.unwrap().suggestion.as_deref(), Some("[4, 5, 6]"));
        assert_eq!(model.calls.load(Ordering::SeqCst), 1);
    }
}
