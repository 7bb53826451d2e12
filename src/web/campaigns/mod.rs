//! `/campaigns`: the campaign screens, one module per screen: the list and
//! overview, the campaign's Token Management, sources with each source's
//! Tokens tab, fields, selects, statuses, relations, filters, API tokens,
//! and the leads with each lead's page. Their
//! shared parts (the header with the tabs, the delete confirmation) are in
//! `header`, which imports no screen.

pub mod api_tokens;
pub mod destinations;
pub mod fields;
pub mod filters;
pub mod header;
pub mod imports;
pub mod leads;
pub mod levels_page;
pub mod overview;
pub mod relations;
pub mod selects;
pub mod sources;
pub mod statuses;
pub mod token_settings;
