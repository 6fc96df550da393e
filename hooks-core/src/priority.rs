//! Hook priorities: lower numbers run first.

/// The order in which hooks of one event run: lower first; equal
/// priorities keep registration order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Priority(pub u8);

impl Priority {
    /// Runs first (0).
    pub const HIGHEST: Priority = Priority(0);
    /// 25.
    pub const HIGH: Priority = Priority(25);
    /// The default (50).
    pub const NORMAL: Priority = Priority(50);
    /// 75.
    pub const LOW: Priority = Priority(75);
    /// Runs last (100).
    pub const LOWEST: Priority = Priority(100);
}

impl Default for Priority {
    fn default() -> Self {
        Priority::NORMAL
    }
}

impl From<u8> for Priority {
    fn from(value: u8) -> Self {
        Priority(value)
    }
}
