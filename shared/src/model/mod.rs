//! The contract's values and rules. Knows neither `lambda_http` nor the AWS SDK, and imports
//! nothing of this crate outside `model` (see the crate's dependency rule).

pub mod customer;
pub mod email;
pub mod error;
pub mod event;
pub mod locale;
pub mod log;
pub mod ses;
