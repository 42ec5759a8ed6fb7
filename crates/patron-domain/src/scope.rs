//! Which stores a staff member's request may touch: the whole chain, or the one store a role
//! is bound to. Every layer speaks of it (the role decides it, the store filters by it), so it
//! lives here.

/// Which stores a query may touch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Chain,
    Store(i64),
}

/// A store-bound role asked to change what belongs to the whole chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("out of the role's store scope")]
pub struct OutOfScope;

impl Scope {
    /// The store filter to bind as `$n` in `($n IS NULL OR store_id = $n)`.
    pub fn store_filter(self) -> Option<i64> {
        match self {
            Scope::Chain => None,
            Scope::Store(id) => Some(id),
        }
    }

    /// What belongs to the whole chain (stores themselves, mall rewards, coupon templates) is
    /// created and changed by chain-wide roles only; a store-bound role may read and use it.
    pub fn chain_wide(self) -> Result<(), OutOfScope> {
        match self {
            Scope::Chain => Ok(()),
            Scope::Store(_) => Err(OutOfScope),
        }
    }

    pub fn allows(self, store_id: Option<i64>) -> bool {
        match self {
            Scope::Chain => true,
            Scope::Store(own) => store_id == Some(own),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_scope_allows_its_own_store_only() {
        assert!(Scope::Store(3).allows(Some(3)));
        assert!(!Scope::Store(3).allows(Some(4)));
        assert!(!Scope::Store(3).allows(None));
        assert!(Scope::Chain.allows(None));
        assert_eq!(Scope::Store(3).chain_wide(), Err(OutOfScope));
        assert_eq!(Scope::Chain.store_filter(), None);
    }
}
