//! A counting semaphore with two priority classes and a capacity that can change at run time.
//!
//! Waiters are served interactive first, then in arrival order. A waiter whose future is
//! dropped leaves the queue; if it was already granted a slot it hands the slot on, so a
//! cancelled request is never sent and never holds a slot.

use std::collections::{BTreeMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use super::types::Priority;

#[derive(Debug, Clone)]
pub struct PriorityQueue {
    state: Arc<Mutex<State>>,
}

/// Holding one is being in flight; dropping it frees the slot for the next waiter.
#[derive(Debug)]
pub struct Permit {
    state: Arc<Mutex<State>>,
}

/// Waits for a slot; see [`PriorityQueue::acquire`].
pub struct Acquire {
    state: Arc<Mutex<State>>,
    priority: Priority,
    key: Option<Key>,
    done: bool,
}

type Key = (Priority, u64);

#[derive(Debug)]
struct State {
    capacity: usize,
    in_flight: usize,
    next_sequence: u64,
    waiting: BTreeMap<Key, Option<Waker>>,
    /// Waiters that were given a slot but have not been polled since.
    granted: HashSet<Key>,
}

impl PriorityQueue {
    pub fn new(capacity: usize) -> PriorityQueue {
        PriorityQueue {
            state: Arc::new(Mutex::new(State {
                capacity: capacity.max(1),
                in_flight: 0,
                next_sequence: 0,
                waiting: BTreeMap::new(),
                granted: HashSet::new(),
            })),
        }
    }

    /// A slot at once if one is free and nobody waits (waiters keep their turn).
    pub fn try_acquire(&self) -> Option<Permit> {
        let mut state = lock(&self.state);
        if state.waiting.is_empty() && state.granted.is_empty() && state.in_flight < state.capacity {
            state.in_flight += 1;
            Some(Permit { state: self.state.clone() })
        } else {
            None
        }
    }

    /// Waits for a slot. Cancel-safe: dropping the future gives up the place in the queue.
    pub fn acquire(&self, priority: Priority) -> Acquire {
        Acquire { state: self.state.clone(), priority, key: None, done: false }
    }

    /// Changes the cap. A larger cap admits waiters at once; a smaller one takes effect as
    /// requests in flight finish.
    pub fn set_capacity(&self, capacity: usize) {
        let mut state = lock(&self.state);
        state.capacity = capacity.max(1);
        state.grant_waiters();
    }

    pub fn in_flight(&self) -> usize {
        lock(&self.state).in_flight
    }

    pub fn waiting(&self) -> usize {
        let state = lock(&self.state);
        state.waiting.len() + state.granted.len()
    }
}

impl State {
    fn grant_waiters(&mut self) {
        while self.in_flight < self.capacity {
            let Some((key, waker)) = self.waiting.pop_first() else {
                return;
            };
            self.in_flight += 1;
            self.granted.insert(key);
            if let Some(waker) = waker {
                waker.wake();
            }
        }
    }

    fn release(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
        self.grant_waiters();
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // The state stays consistent at every unlock, so a poisoned lock is still usable.
    state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Drop for Permit {
    fn drop(&mut self) {
        lock(&self.state).release();
    }
}

impl Future for Acquire {
    type Output = Permit;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Permit> {
        let this = &mut *self;
        let mut state = lock(&this.state);
        match this.key {
            None => {
                if state.waiting.is_empty() && state.granted.is_empty() && state.in_flight < state.capacity {
                    state.in_flight += 1;
                    drop(state);
                    this.done = true;
                    return Poll::Ready(Permit { state: this.state.clone() });
                }
                let key = (this.priority, state.next_sequence);
                state.next_sequence += 1;
                state.waiting.insert(key, Some(cx.waker().clone()));
                this.key = Some(key);
                Poll::Pending
            }
            Some(key) => {
                if state.granted.remove(&key) {
                    drop(state);
                    this.done = true;
                    return Poll::Ready(Permit { state: this.state.clone() });
                }
                if let Some(slot) = state.waiting.get_mut(&key) {
                    *slot = Some(cx.waker().clone());
                }
                Poll::Pending
            }
        }
    }
}

impl Drop for Acquire {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let Some(key) = self.key else { return };
        let mut state = lock(&self.state);
        if state.waiting.remove(&key).is_none() && state.granted.remove(&key) {
            // Granted but never taken: pass the slot on.
            state.release();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[tokio::test]
    async fn caps_and_orders_interactive_first() {
        let queue = PriorityQueue::new(1);
        let first = queue.try_acquire().unwrap();
        assert!(queue.try_acquire().is_none());

        let order = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for (name, priority) in [
            ("background-1", Priority::Background),
            ("background-2", Priority::Background),
            ("interactive-1", Priority::Interactive),
            ("interactive-2", Priority::Interactive),
        ] {
            let queue = queue.clone();
            let order = order.clone();
            tasks.push(tokio::spawn(async move {
                let _permit = queue.acquire(priority).await;
                order.lock().unwrap().push(name);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }));
            // Make the arrival order deterministic.
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(queue.waiting(), 4);
        drop(first);
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), ["interactive-1", "interactive-2", "background-1", "background-2"]);
        assert_eq!(queue.in_flight(), 0);
    }

    #[tokio::test]
    async fn dropped_waiter_leaves_the_queue() {
        let queue = PriorityQueue::new(1);
        let first = queue.try_acquire().unwrap();
        let reached = Arc::new(AtomicUsize::new(0));
        let cancelled = {
            let queue = queue.clone();
            let reached = reached.clone();
            tokio::spawn(async move {
                let _permit = queue.acquire(Priority::Interactive).await;
                reached.fetch_add(1, Ordering::SeqCst);
            })
        };
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert_eq!(queue.waiting(), 1);
        cancelled.abort();
        let _ = cancelled.await;
        assert_eq!(queue.waiting(), 0);
        drop(first);
        assert_eq!(reached.load(Ordering::SeqCst), 0);
        assert_eq!(queue.in_flight(), 0);
        assert!(queue.try_acquire().is_some());
    }

    #[tokio::test]
    async fn granted_but_dropped_waiter_passes_the_slot_on() {
        let queue = PriorityQueue::new(1);
        let first = queue.try_acquire().unwrap();
        let mut waiter = Box::pin(queue.acquire(Priority::Interactive));
        // Register in the queue.
        assert!(futures::poll!(waiter.as_mut()).is_pending());
        let mut second = Box::pin(queue.acquire(Priority::Background));
        assert!(futures::poll!(second.as_mut()).is_pending());
        drop(first); // grants `waiter`, which is never polled again
        drop(waiter); // so the slot must move to `second`
        let permit = second.await;
        assert_eq!(queue.in_flight(), 1);
        drop(permit);
        assert_eq!(queue.in_flight(), 0);
    }

    #[tokio::test]
    async fn raising_capacity_admits_waiters() {
        let queue = PriorityQueue::new(1);
        let _first = queue.try_acquire().unwrap();
        let mut waiter = Box::pin(queue.acquire(Priority::Background));
        assert!(futures::poll!(waiter.as_mut()).is_pending());
        queue.set_capacity(2);
        let _second = waiter.await;
        assert_eq!(queue.in_flight(), 2);
    }
}
