package nats

import "github.com/gyrehq/gyre/broker/internal/wire"

// The payload format is shared with the other brokers (broker/internal/wire).
const (
	joinPrefix  = wire.JoinPrefix
	leavePrefix = wire.LeavePrefix
)

var (
	encodeClientInfo  = wire.EncodeClientInfo
	decodeClientInfo  = wire.DecodeClientInfo
	encodePublication = wire.EncodePublication
	decodePublication = wire.DecodePublication
	decodeMessage     = wire.DecodeMessage
)
