//! The decode budget: how much memory the request being decoded on this thread may still turn
//! into.
//!
//! An empty `Partition` is one byte on the wire and about two kilobytes in memory, so a size
//! limit on the message alone lets a small request cost a thousand times its size. The server
//! opens a budget per request ([`open`]), credits it as bytes of the request are read
//! ([`credit`]), and the decoders charge it: every generated struct reader charges the struct's
//! in-memory size when it starts (`scripts/thrift_postprocess.py` inserts the call), and the
//! server charges each string it reads. Once the budget is spent, the charge fails with a
//! `SizeLimit` protocol error and the request is refused.
//!
//! With no budget open (clients, tests, stored blobs), charging is free.

use std::cell::Cell;

use thrift::{ProtocolError, ProtocolErrorKind};

thread_local! {
    /// Bytes left; `None` when no budget is open on this thread.
    static LEFT: Cell<Option<i64>> = const { Cell::new(None) };
    /// Set when a charge failed since the budget was opened.
    static EXCEEDED: Cell<bool> = const { Cell::new(false) };
}

/// An open budget; closes on drop.
#[derive(Debug)]
#[must_use = "the budget closes when this is dropped"]
pub struct Budget(());

impl Budget {
    /// Whether a charge failed since the budget was opened.
    #[must_use]
    pub fn exceeded(&self) -> bool {
        EXCEEDED.with(Cell::get)
    }
}

impl Drop for Budget {
    fn drop(&mut self) {
        close();
    }
}

/// Open a budget of `initial` bytes for the request about to be decoded on this thread.
pub fn open(initial: usize) -> Budget {
    LEFT.with(|l| l.set(Some(i64::try_from(initial).unwrap_or(i64::MAX))));
    EXCEEDED.with(|e| e.set(false));
    Budget(())
}

/// Stop charging on this thread (the request is decoded).
pub fn close() {
    LEFT.with(|l| l.set(None));
}

/// Add `bytes` to the open budget, if any.
pub fn credit(bytes: usize) {
    LEFT.with(|l| {
        if let Some(left) = l.get() {
            l.set(Some(left.saturating_add(i64::try_from(bytes).unwrap_or(i64::MAX))));
        }
    });
}

/// Charge `bytes` to the open budget; an error once it is spent. Free when no budget is open.
pub fn charge(bytes: usize) -> thrift::Result<()> {
    LEFT.with(|l| match l.get() {
        None => Ok(()),
        Some(left) => {
            let left = left.saturating_sub(i64::try_from(bytes).unwrap_or(i64::MAX));
            l.set(Some(left));
            if left < 0 {
                EXCEEDED.with(|e| e.set(true));
                Err(thrift::Error::Protocol(ProtocolError::new(
                    ProtocolErrorKind::SizeLimit,
                    "request refused: it decodes to more memory than its size allows (decode budget)",
                )))
            } else {
                Ok(())
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charges_until_spent_and_is_free_when_closed() {
        assert!(charge(usize::MAX).is_ok());
        {
            let b = open(100);
            assert!(charge(60).is_ok());
            assert!(charge(60).is_err());
            assert!(b.exceeded());
            credit(1000);
            assert!(charge(500).is_ok());
        }
        assert!(charge(usize::MAX).is_ok());
        let b = open(10);
        assert!(!b.exceeded());
    }
}
