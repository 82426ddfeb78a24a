// Package gyre holds Gyre's vocabulary: the error and disconnect values that
// travel to clients, publications and stream positions, and the small
// interfaces (Broker, PresenceManager, TokenVerifier) that the engine in
// package node consumes and that packages such as broker/memory implement.
//
// The package imports the standard library only; a test enforces it.
package gyre
