//! Union-find over identity indices with the two kinds of refusal resolution needs: cannot-link
//! pairs (split overrides), and guard keys (a cluster holding one directory account, employee id
//! or work email of a kind must not absorb a cluster holding a different one of the same kind).
//!
//! Invariant: a union that would put a split pair into one cluster never happens, whatever asked
//! for it; guard keys are checked only when the caller asks for a guarded union (weak evidence).

/// Why a union was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// A split override separates the two clusters.
    Split,
    /// Both clusters hold a different strong key of the same kind.
    Guard(GuardKind),
}

/// What a guard key is. Ordered as conflicts are looked for: the first kind in conflict is the one
/// a refusal names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum GuardKind {
    EmployeeId,
    /// An address at one of the organisation's domains (the domain's position in the list of
    /// them): one kind per domain, since one person has one address at each (an acquired
    /// company's and the parent's are not two people's).
    OrgEmail(u32),
    /// An account of one directory source (its number): one kind per directory source, since
    /// the same person has one account in each directory.
    Directory(u32),
    /// An address of a family that differs only in a number ending the local part (the base
    /// address's number): `jsmith@` and `jsmith2@` are two people's.
    Numbered(u32),
}

/// A union-find with split constraints and guard keys kept at each root.
#[derive(Debug, Clone)]
pub struct Clusters {
    parent: Vec<u32>,
    size: Vec<u32>,
    /// Split partners (identity indices) of the members of each root's cluster.
    splits: Vec<Vec<u32>>,
    /// `(kind, value)` guard keys held by each root's cluster, sorted and deduplicated.
    guards: Vec<Vec<(GuardKind, u32)>>,
}

impl Clusters {
    /// `n` singleton clusters.
    pub fn new(n: usize) -> Clusters {
        Clusters {
            parent: (0..n as u32).collect(),
            size: vec![1; n],
            splits: vec![Vec::new(); n],
            guards: vec![Vec::new(); n],
        }
    }

    /// Forbid `a` and `b` from ever sharing a cluster.
    pub fn add_split(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        self.splits[ra].push(b as u32);
        self.splits[rb].push(a as u32);
    }

    /// Give identity `i`'s cluster a guard key.
    pub fn add_guard(&mut self, i: usize, kind: GuardKind, value: u32) {
        let r = self.find(i);
        let g = &mut self.guards[r];
        if let Err(pos) = g.binary_search(&(kind, value)) {
            g.insert(pos, (kind, value));
        }
    }

    /// The root of `i`'s cluster (with path halving).
    pub fn find(&mut self, i: usize) -> usize {
        let mut x = i;
        while self.parent[x] as usize != x {
            let grand = self.parent[self.parent[x] as usize];
            self.parent[x] = grand;
            x = grand as usize;
        }
        x
    }

    /// Number of identities in `i`'s cluster.
    pub fn size_of(&mut self, i: usize) -> usize {
        let r = self.find(i);
        self.size[r] as usize
    }

    /// Whether a split override forbids joining the clusters of `a` and `b`.
    pub fn split_between(&mut self, a: usize, b: usize) -> bool {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return false;
        }
        let (small, other) = if self.splits[ra].len() <= self.splits[rb].len() {
            (ra, rb)
        } else {
            (rb, ra)
        };
        let partners = self.splits[small].clone();
        partners.into_iter().any(|p| self.find(p as usize) == other)
    }

    /// The guard kind on which the clusters of `a` and `b` conflict, if any: both hold keys of that
    /// kind and share none of them.
    pub fn guard_conflict(&mut self, a: usize, b: usize) -> Option<GuardKind> {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return None;
        }
        let (ga, gb) = (&self.guards[ra], &self.guards[rb]);
        // Guards are sorted by kind: walk each kind present on side a once.
        let mut i = 0;
        while i < ga.len() {
            let kind = ga[i].0;
            let mut shared = false;
            while i < ga.len() && ga[i].0 == kind {
                shared |= gb.binary_search(&ga[i]).is_ok();
                i += 1;
            }
            if !shared && gb.iter().any(|g| g.0 == kind) {
                return Some(kind);
            }
        }
        None
    }

    /// Every guard kind on which the clusters of `a` and `b` conflict (see [`Self::guard_conflict`]).
    pub fn guard_conflicts(&mut self, a: usize, b: usize) -> Vec<GuardKind> {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return Vec::new();
        }
        let (ga, gb) = (&self.guards[ra], &self.guards[rb]);
        let mut out: Vec<GuardKind> = Vec::new();
        for run in ga.chunk_by(|x, y| x.0 == y.0) {
            let kind = run[0].0;
            let shared = run.iter().any(|g| gb.binary_search(g).is_ok());
            if !shared && gb.iter().any(|g| g.0 == kind) {
                out.push(kind);
            }
        }
        out
    }

    /// Join the clusters of `a` and `b`. `guarded` also refuses on guard conflicts. Returns
    /// `Ok(true)` when two clusters became one, `Ok(false)` when they already were one.
    pub fn union(&mut self, a: usize, b: usize, guarded: bool) -> Result<bool, Refusal> {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return Ok(false);
        }
        if self.split_between(a, b) {
            return Err(Refusal::Split);
        }
        if guarded && let Some(kind) = self.guard_conflict(a, b) {
            return Err(Refusal::Guard(kind));
        }
        let (big, small) = if self.size[ra] >= self.size[rb] {
            (ra, rb)
        } else {
            (rb, ra)
        };
        self.parent[small] = big as u32;
        self.size[big] += self.size[small];
        let moved = std::mem::take(&mut self.splits[small]);
        self.splits[big].extend(moved);
        let moved = std::mem::take(&mut self.guards[small]);
        if !moved.is_empty() {
            let g = &mut self.guards[big];
            g.extend(moved);
            g.sort_unstable();
            g.dedup();
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_refuses_union_even_through_third_member() {
        let mut c = Clusters::new(3);
        c.add_split(0, 2);
        assert_eq!(c.union(0, 1, false), Ok(true));
        assert_eq!(c.union(1, 2, false), Err(Refusal::Split));
        assert_ne!(c.find(0), c.find(2));
    }

    #[test]
    fn guard_refuses_only_guarded_unions_with_disjoint_keys() {
        let mut c = Clusters::new(3);
        c.add_guard(0, GuardKind::EmployeeId, 7);
        c.add_guard(1, GuardKind::EmployeeId, 8);
        assert_eq!(
            c.union(0, 1, true),
            Err(Refusal::Guard(GuardKind::EmployeeId))
        );
        assert_eq!(c.union(0, 2, true), Ok(true));
        assert_eq!(c.union(0, 1, false), Ok(true));
    }
}
