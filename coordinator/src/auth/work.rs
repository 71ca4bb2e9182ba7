//! The bounded pool for password work (Argon2id: ~60 ms and 19 MiB each).
//!
//! Why a pool of its own: when every failed login ran Argon2 on whatever thread handled it, 24
//! connections of failed logins took the coordinator from 150 MB to 6.3 GB (each of dozens of
//! threads kept its own 19 MiB in its malloc arena). Here a fixed set of worker threads, about
//! one per core, does all of it, so at most that many 19 MiB blocks exist at once and they
//! stay in those threads' arenas; a bounded queue holds what waits; beyond it a job is refused
//! at once with "busy, try again" instead of piling up. With OPAQUE the coordinator hashes
//! only a legacy account's password at its upgrade, so the pool is rarely used at all.
use std::sync::Arc;

use crossbeam_channel::{bounded, Sender, TrySendError};

use super::Hasher;

/// A job runs with its worker's own hasher (see [`Hasher`]).
type Job = Box<dyn FnOnce(&mut Hasher) + Send>;

/// Why a job did not run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkError {
    /// Every worker is busy and the queue is full.
    #[error("the coordinator is busy checking passwords; try again in a few seconds")]
    Busy,
    /// The pool has stopped (the coordinator is shutting down), or the job panicked.
    #[error("the password check did not run")]
    Lost,
}

/// A fixed set of worker threads with a bounded queue.
#[derive(Debug, Clone)]
pub struct PasswordWork {
    jobs: Sender<Job>,
    workers: usize,
    queue: usize,
}

impl PasswordWork {
    /// `workers` threads (at least one) and room for `queue` waiting jobs.
    pub fn new(workers: usize, queue: usize) -> std::io::Result<PasswordWork> {
        let workers = workers.max(1);
        let (jobs, incoming) = bounded::<Job>(queue);
        let incoming = Arc::new(incoming);
        for i in 0..workers {
            let incoming = incoming.clone();
            std::thread::Builder::new()
                .name(format!("lanchat-password-{i}"))
                .spawn(move || {
                    // Its Argon2 memory, made at the first job and kept (see `Hasher`).
                    let mut hasher: Option<Hasher> = None;
                    // Ends when the last handle on the pool is gone. A job that panics is
                    // answered as lost (its result channel goes with it); the worker stays.
                    while let Ok(job) = incoming.recv() {
                        let hasher = hasher.get_or_insert_with(Hasher::new);
                        let run = std::panic::AssertUnwindSafe(|| job(hasher));
                        let _ = std::panic::catch_unwind(run);
                    }
                })?;
        }
        Ok(PasswordWork {
            jobs,
            workers,
            queue,
        })
    }

    /// One worker per core (as the system reports them), and a queue of two jobs per worker.
    pub fn per_core() -> std::io::Result<PasswordWork> {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        PasswordWork::new(cores, 2 * cores)
    }

    /// How many jobs run at once at most.
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// How many jobs may wait.
    pub fn queue(&self) -> usize {
        self.queue
    }

    /// Runs `f` on a worker, with the worker's hasher, and waits for its result (call from a
    /// blocking thread); refused at once when the queue is full.
    pub fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Hasher) -> T + Send + 'static,
    ) -> Result<T, WorkError> {
        let (done, result) = bounded(1);
        let job: Job = Box::new(move |hasher| {
            let _ = done.send(f(hasher));
        });
        match self.jobs.try_send(job) {
            Ok(()) => result.recv().map_err(|_| WorkError::Lost),
            Err(TrySendError::Full(_)) => Err(WorkError::Busy),
            Err(TrySendError::Disconnected(_)) => Err(WorkError::Lost),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Barrier;

    use super::*;

    #[test]
    fn beyond_the_workers_and_the_queue_a_job_is_refused_at_once() {
        let work = PasswordWork::new(1, 1).unwrap();
        assert_eq!(work.run(|_| 2 + 2), Ok(4));
        // Hold the only worker, fill the one queue slot, then one more is refused.
        let hold = Arc::new(Barrier::new(2));
        let started = Arc::new(Barrier::new(2));
        let (w, h, s) = (work.clone(), hold.clone(), started.clone());
        let busy = std::thread::spawn(move || {
            w.run(move |_| {
                s.wait();
                h.wait();
            })
        });
        started.wait();
        let w = work.clone();
        let queued = std::thread::spawn(move || w.run(|_| "queued"));
        // The queued job is in the channel once try_send returned; wait for that.
        while work.jobs.is_empty() {
            std::thread::yield_now();
        }
        assert_eq!(work.run(|_| "refused"), Err(WorkError::Busy));
        hold.wait();
        assert_eq!(busy.join().unwrap(), Ok(()));
        assert_eq!(queued.join().unwrap(), Ok("queued"));
    }

    #[test]
    fn a_panicking_job_is_lost_not_fatal() {
        let work = PasswordWork::new(1, 1).unwrap();
        assert_eq!(
            work.run(|_| -> u32 { panic!("boom") }),
            Err(WorkError::Lost)
        );
    }
}
