// Package brokertest is the conformance suite every gyre.Broker and
// gyre.PresenceManager implementation must pass, plus Recorder, a
// gyre.BrokerEventHandler that tests can wait on.
//
// An implementation's test calls the suite with a factory:
//
//	func TestConformance(t *testing.T) {
//		brokertest.RunBroker(t, func(t *testing.T) gyre.Broker {
//			b := memory.NewBroker(memory.BrokerConfig{})
//			t.Cleanup(func() { b.Close(context.Background()) })
//			return b
//		})
//	}
//
// The factory is called once per subtest with the subtest's t and returns a
// broker on which RegisterEventHandler has not been called yet; the suite
// registers a Recorder. Every subtest uses channel names of its own with a
// random suffix, so brokers backed by a shared, persistent server (Redis)
// can reuse one server across subtests and runs. The suite subscribes to
// its channels before publishing and waits for deliveries with deadlines
// instead of sleeping, so brokers that deliver asynchronously pass too.
//
// The suite needs no control over time: expiry of items, meta and
// idempotency results belongs to each implementation's own tests.
package brokertest
