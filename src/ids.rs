//! Typed ids: the compiler stops a conversation id being passed where a user id is meant.
//! They are plain UUIDs on the wire and in the database; `.0` is used only at query boundaries.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(transparent)]
        #[schema(value_type = String, format = Uuid)]
        pub struct $name(pub Uuid);

        impl $name {
            pub fn new() -> Self {
                Self(Uuid::new_v4())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }
    };
}

typed_id!(
    /// An account.
    UserId
);
typed_id!(
    /// One login of one device; access tokens name it so it can be revoked.
    SessionId
);
typed_id!(
    /// A direct or group conversation.
    ConversationId
);
typed_id!(
    /// Chosen by the sending client; doubles as the idempotency key.
    MessageId
);
