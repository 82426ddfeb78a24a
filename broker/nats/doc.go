// Package nats implements gyre.Broker on NATS core PUB/SUB, like
// Centrifugo's NATS broker: publications, joins and leaves travel between
// nodes at most once, on subjects <prefix>.client.<channel>, with the same
// payloads as the Redis broker's PUB/SUB ("__p1:0:__<protobuf
// Publication>", "__j__"/"__l__" + protobuf ClientInfo).
//
// NATS keeps no history: Publish with history options, History and
// RemoveHistory return ErrNoHistory (code 108, not available);
// publications carry offset 0, so positioning and recovery are not
// possible. Idempotency keys are ignored. Use the Redis engine when
// channels need history, and a separate presence manager (Redis) for
// presence across nodes.
//
// The Broker keeps one NATS connection. Subscriptions share one buffered
// Go channel read by one goroutine, which calls the event handler in
// arrival order (one publisher's publications in a channel arrive in
// publish order). NATS reconnects and resubscribes by itself; after a
// reconnect, and when NATS dropped messages because the handler fell
// behind (slow consumer), the Broker calls HandleDeliveryGap on a handler
// that implements DeliveryGapHandler.
//
// Channel names must be valid NATS subject tails: no whitespace, no empty
// dot-separated tokens and no "*" or ">" tokens; other names get
// ErrInvalidChannel.
package nats
