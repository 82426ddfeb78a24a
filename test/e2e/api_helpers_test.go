package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
)

// apiCall POSTs body to /api/<method> with the test API key and returns the
// decoded response object.
func apiCall(t *testing.T, ts *testServer, method string, body any) map[string]any {
	t.Helper()
	return apiCallURL(t, ts.apiURL, testAPIKey, method, body)
}

func apiCallURL(t *testing.T, apiURL, key, method string, body any) map[string]any {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(ctxT(t), http.MethodPost, apiURL+"/"+method, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-API-Key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("api %s: %v", method, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("api %s: HTTP %d: %s", method, resp.StatusCode, raw)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("api %s: bad JSON %s", method, raw)
	}
	if e, ok := out["error"]; ok {
		t.Fatalf("api %s: error %v", method, e)
	}
	return out
}
