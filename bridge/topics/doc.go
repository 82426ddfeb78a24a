// Package topics authorizes channels by pattern, like Spiral's
// TopicRegistry that the seed's SubscribeService consults
// (app/config/broadcasting.php "authorize.topics").
//
// Pattern syntax (the seed's semantics):
//
//   - {name} matches one segment: one or more characters other than "/" and
//     "."; {name:anything} is accepted and the part after ":" ignored;
//   - [ … ] makes its content optional (may nest, may contain {name});
//   - every other character is literal, "." and "/" included;
//   - the whole channel must match, case-insensitively;
//   - patterns are tried in registration order and the first match wins
//     (its rule decides; later patterns are not consulted).
//
// For example "chat.{room}[.{thread}]" matches "chat.42" (room=42) and
// "chat.42.7" (room=42, thread=7), not "chat.42.7.1" nor "chat.a/b".
//
// Registry.Service is a ready subscribe service: allowed subscriptions get
// an empty SubscribeResult, denied ones and channels no pattern matches get
// Error(403, "permission denied") — an error, not the seed docs'
// out-of-range disconnect('403').
//
// # Concurrency
//
// A Registry is safe for concurrent use; registering while serving is
// allowed (readers see either the old or the new list). Rules are called
// concurrently.
package topics
