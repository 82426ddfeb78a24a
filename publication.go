package gyre

// ClientInfo describes a connection: its user, its client ID, and the
// opaque connection and channel info an application attached to it (raw
// JSON for JSON clients, any bytes otherwise).
type ClientInfo struct {
	ClientID string
	UserID   string
	ConnInfo []byte
	ChanInfo []byte
}

// Publication is one message in a channel. Offset is set when the channel
// keeps history (a stream) and is 0 otherwise.
type Publication struct {
	Offset uint64
	Data   []byte
	Info   *ClientInfo
	Tags   map[string]string
	// Time is the publication time in Unix milliseconds (informational).
	Time int64
}

// StreamPosition is a place in a channel's publication stream. Offset grows
// by one per publication, starting at 1; Epoch changes whenever the stream is
// lost and recreated, so that a client holding an old position can tell its
// position no longer means anything. The position of a stream is its top:
// the offset of the last publication and the current epoch.
type StreamPosition struct {
	Offset uint64
	Epoch  string
}

// HistoryFilter selects publications from a stream.
type HistoryFilter struct {
	// Since, when set, selects publications after Since.Offset (or before it
	// when Reverse). A non-empty Since.Epoch that differs from the stream's
	// epoch is an ErrUnrecoverablePosition.
	Since *StreamPosition
	// Limit: -1 means all, 0 means none (only the stream top is returned),
	// n > 0 means at most n publications.
	Limit int
	// Reverse returns newest first.
	Reverse bool
}
