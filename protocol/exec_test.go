package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseExecRequest(t *testing.T) {
	tests := []struct {
		name, in string
		want     ExecRequest
		wantErr  string
	}{
		{"v1", `{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":false}}`,
			ExecRequest{APIVersion: ExecV1}, ""},
		{"v1beta1 interactive", `{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","spec":{"interactive":true}}`,
			ExecRequest{APIVersion: ExecV1beta1, Interactive: true}, ""},
		{"cluster profile", `{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"cluster":{"server":"https://x","config":{"profile":"prod","other":[1]}},"interactive":false}}`,
			ExecRequest{APIVersion: ExecV1, Profile: "prod"}, ""},
		{"cluster null config", `{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"cluster":{"config":null}}}`,
			ExecRequest{APIVersion: ExecV1}, ""},
		{"no spec", `{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1"}`, ExecRequest{APIVersion: ExecV1}, ""},
		{"empty", "  \n", ExecRequest{}, "empty request"},
		{"garbage", "hello", ExecRequest{}, "not a JSON ExecCredential object"},
		{"truncated", `{"apiVersion":"client.authentication.k8s.io/v1",`, ExecRequest{}, "unexpected end of input"},
		{"array", `[]`, ExecRequest{}, "not a JSON ExecCredential object"},
		{"wrong kind", `{"apiVersion":"client.authentication.k8s.io/v1","kind":"Pod"}`, ExecRequest{}, `kind must be "ExecCredential"`},
		{"no kind", `{"apiVersion":"client.authentication.k8s.io/v1"}`, ExecRequest{}, `kind must be`},
		{"no version", `{"kind":"ExecCredential"}`, ExecRequest{}, "apiVersion is missing"},
		{"v1alpha1", `{"apiVersion":"client.authentication.k8s.io/v1alpha1","kind":"ExecCredential"}`, ExecRequest{}, "unsupported apiVersion"},
		{"two objects", `{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential"}{}`, ExecRequest{}, "trailing data"},
		{"profile not string", `{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"cluster":{"config":{"profile":3}}}}`, ExecRequest{}, "profile must be a string"},
		{"config not object", `{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"cluster":{"config":"x"}}}`, ExecRequest{}, "config must be an object"},
		{"interactive wrong type", `{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":"no"}}`, ExecRequest{}, "wrong type"},
		{"nul", "{\"apiVersion\":\"client.authentication.k8s.io/v1\x00\"}", ExecRequest{}, "syntax error"},
		{"huge", `{"kind":"ExecCredential","x":"` + strings.Repeat("a", MaxRequest) + `"}`, ExecRequest{}, "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseExecRequest([]byte(tt.in))
			if tt.wantErr != "" {
				var pe *ParseError
				if !errors.As(err, &pe) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want a ParseError containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestWriteExecCredentialIsOneObjectWithZTimestamp(t *testing.T) {
	var b bytes.Buffer
	exp := time.Date(2026, 11, 23, 8, 0, 0, 999_000_000, time.FixedZone("X", 3600))
	if err := WriteExecCredential(&b, ExecV1beta1, "tok", exp); err != nil {
		t.Fatal(err)
	}
	want := `{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"tok","expirationTimestamp":"2026-11-23T07:00:00Z"}}` + "\n"
	if b.String() != want {
		t.Fatalf("got %s\nwant %s", b.String(), want)
	}
	dec := json.NewDecoder(&b)
	var v map[string]any
	if err := dec.Decode(&v); err != nil || dec.More() {
		t.Fatalf("response is not exactly one object: %v", err)
	}
}

func ExampleWriteExecCredential() {
	_ = WriteExecCredential(os.Stdout, ExecV1, "eyJ...", time.Unix(1795424400, 0))
	// Output: {"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"eyJ...","expirationTimestamp":"2026-11-23T09:00:00Z"}}
}

func ExampleWriteToken() {
	_ = WriteToken(os.Stdout, NewTokenResponse("eyJ...", time.Unix(1795424400, 0), "default"))
	// Output: {"token":"eyJ...","expirationTimestamp":"2026-11-23T09:00:00Z","expiresAt":1795424400,"profile":"default"}
}

func ExampleWriteError() {
	_ = WriteError(os.Stdout, ErrorBody{Code: "not_configured", Message: `profile "prod" is not configured`, Hint: "run: tdjwt login --profile prod ..."})
	// Output: {"error":{"code":"not_configured","message":"profile \"prod\" is not configured","hint":"run: tdjwt login --profile prod ..."}}
}

func FuzzParseExecRequest(f *testing.F) {
	f.Add([]byte(`{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":false,"cluster":{"config":{"profile":"p"}}}}`))
	f.Add([]byte(`{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential"}`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := ParseExecRequest(data)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error of type %T, want *ParseError", err)
			}
			return
		}
		if !SupportedExecVersion(req.APIVersion) {
			t.Fatalf("accepted version %q", req.APIVersion)
		}
		// Round trip: a response to an accepted request parses as a request
		// of the same version.
		var b bytes.Buffer
		if err := WriteExecCredential(&b, req.APIVersion, "t", time.Unix(0, 0)); err != nil {
			t.Fatal(err)
		}
		back, err := ParseExecRequest(b.Bytes())
		if err != nil || back.APIVersion != req.APIVersion {
			t.Fatalf("round trip: %+v, %v", back, err)
		}
	})
}

func ExampleTimestamp() {
	fmt.Println(Timestamp(time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)))
	// Output: 2026-01-02T03:04:05Z
}
