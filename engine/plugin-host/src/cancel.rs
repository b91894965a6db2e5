//! Cancellation of a running tool call.
//!
//! The registry runs a built-in tool on tokio's blocking pool inside a [`Cancel`] scope; when
//! the caller goes away (HTTP client disconnected, MCP `notifications/cancelled`, timeout) the
//! awaiting future is dropped and the scope is cancelled. Long-running work inside the tool — a
//! history query — registers a hook with [`current`]`().on_cancel(…)` that stops it (DuckDB's
//! interrupt). The hook lives as long as its [`CancelHook`]; dropping that guard takes the hook
//! out under the same lock that runs hooks, so a hook never fires after its work has ended.

use parking_lot::Mutex;
use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

type Hook = Box<dyn Fn() + Send + Sync>;

#[derive(Default)]
struct Inner {
    cancelled: AtomicBool,
    next: AtomicU64,
    hooks: Mutex<Vec<(u64, Hook)>>,
}

/// A cancellation scope, cheap to clone.
#[derive(Clone, Default)]
pub struct Cancel {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Cancel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cancel")
            .field("cancelled", &self.is_cancelled())
            .finish_non_exhaustive()
    }
}

/// Keeps a hook registered; dropping it unregisters the hook.
#[must_use = "the hook is removed when this guard is dropped"]
pub struct CancelHook {
    inner: Arc<Inner>,
    id: u64,
}

impl std::fmt::Debug for CancelHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CancelHook").field("id", &self.id).finish()
    }
}

impl Drop for CancelHook {
    fn drop(&mut self) {
        self.inner.hooks.lock().retain(|(id, _)| *id != self.id);
    }
}

impl Cancel {
    /// A fresh, uncancelled scope.
    pub fn new() -> Self {
        Self::default()
    }

    /// Cancels the scope: runs every registered hook once.
    pub fn cancel(&self) {
        if self.inner.cancelled.swap(true, Ordering::SeqCst) {
            return;
        }
        let hooks = self.inner.hooks.lock();
        for (_, h) in hooks.iter() {
            h();
        }
    }

    /// True once [`Cancel::cancel`] ran.
    pub fn is_cancelled(&self) -> bool {
        self.inner.cancelled.load(Ordering::SeqCst)
    }

    /// Registers `f` to run on cancellation (at once if the scope is already cancelled).
    pub fn on_cancel(&self, f: impl Fn() + Send + Sync + 'static) -> CancelHook {
        let id = self.inner.next.fetch_add(1, Ordering::Relaxed);
        {
            let mut hooks = self.inner.hooks.lock();
            if self.is_cancelled() {
                f();
            }
            hooks.push((id, Box::new(f)));
        }
        CancelHook {
            inner: self.inner.clone(),
            id,
        }
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Cancel>> = const { RefCell::new(None) };
}

/// The scope of the tool call running on this thread (a fresh, never-cancelled one outside a
/// call).
pub fn current() -> Cancel {
    CURRENT.with(|c| c.borrow().clone()).unwrap_or_default()
}

/// Runs `f` with `cancel` as this thread's [`current`] scope.
pub fn scope<R>(cancel: Cancel, f: impl FnOnce() -> R) -> R {
    struct Reset(Option<Cancel>);
    impl Drop for Reset {
        fn drop(&mut self) {
            let prev = self.0.take();
            CURRENT.with(|c| *c.borrow_mut() = prev);
        }
    }
    let prev = CURRENT.with(|c| c.borrow_mut().replace(cancel));
    let _reset = Reset(prev);
    f()
}

/// Cancels its scope when dropped unless disarmed: held by the future awaiting a tool call.
#[derive(Debug)]
pub struct CancelOnDrop(Option<Cancel>);

impl CancelOnDrop {
    /// Guards `cancel`.
    pub fn new(cancel: Cancel) -> Self {
        Self(Some(cancel))
    }

    /// The call finished: nothing to cancel.
    pub fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(c) = self.0.take() {
            c.cancel();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn hooks_fire_once_and_not_after_their_guard_is_dropped() {
        let c = Cancel::new();
        let fired = Arc::new(AtomicUsize::new(0));
        let f1 = fired.clone();
        let kept = c.on_cancel(move || {
            f1.fetch_add(1, Ordering::SeqCst);
        });
        let f2 = fired.clone();
        let dropped = c.on_cancel(move || {
            f2.fetch_add(100, Ordering::SeqCst);
        });
        drop(dropped);
        c.cancel();
        c.cancel();
        assert_eq!(fired.load(Ordering::SeqCst), 1);
        // Registering on a cancelled scope runs the hook at once.
        let f3 = fired.clone();
        let _late = c.on_cancel(move || {
            f3.fetch_add(10, Ordering::SeqCst);
        });
        assert_eq!(fired.load(Ordering::SeqCst), 11);
        drop(kept);
    }

    #[test]
    fn scope_sets_and_restores_the_current_cancel() {
        let c = Cancel::new();
        assert!(!current().is_cancelled());
        scope(c.clone(), || {
            c.cancel();
            assert!(current().is_cancelled());
        });
        assert!(!current().is_cancelled());
        let guard = CancelOnDrop::new(Cancel::new());
        let inner = guard.0.clone().unwrap_or_default();
        drop(guard);
        assert!(inner.is_cancelled());
    }
}
